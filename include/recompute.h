/*
 * recompute.h: runs one bounded batch of a group: each member processor's
 * statement from sql/ with the batch's keys as one $1::bigint[], in one
 * transaction.
 *
 * Pipeline: sched -> [recompute] -> ack. Before reading, it makes sure every
 * commit the batch will acknowledge is visible to its snapshot: a commit is
 * streamed once its WAL is flushed, which can be just before the committing
 * backend leaves the proc array, and a snapshot taken in that gap would
 * miss it while we acknowledged it. Runs on its own SQL connection; while
 * it waits for the server, the caller's wait function serves the stream.
 * With a read server (--read-dsn), a member that has a read statement
 * (its rule, rule.h) reads its rows there, after replica.c's fence, and its
 * write policy writes them in the batch's transaction here.
 */
#ifndef RECKON_RECOMPUTE_H
#define RECKON_RECOMPUTE_H

#include "apply.h"
#include "common.h"
#include "config.h"
#include "pgconn.h"
#include "replica.h"
#include "rule.h"
#include "sched.h"

typedef struct Recompute
{
	const Config *config; /* borrowed */
	Pgconn *conn;         /* owned; NULL while disconnected */
	char *ids;            /* owned; the "{1,2,3}" parameter buffer */
	size_t ids_capacity;
	PgconnWaitFn wait; /* serves the stream while a query runs */
	void *wait_arg;    /* borrowed */
	Replica replica;   /* the read server, when config->read_dsn is set */
	/* a processor's APPLY statement's arrays, built from a read's rows */
	char *arrays[RULE_COLUMNS_MAX];
	size_t array_capacity[RULE_COLUMNS_MAX];
} Recompute;

void recompute_init(Recompute *rc, const Config *config, PgconnWaitFn wait,
                    void *wait_arg);
void recompute_free(Recompute *rc);

/*
 * recompute_connect: (re)connect and prepare every processor's statement.
 * RETRY: try again later; FAIL: a statement does not prepare (its text or
 * the schema is wrong), which a retry cannot fix.
 */
PgconnStatus recompute_connect(Recompute *rc, const Processor *procs,
                               int nprocs) WARN_UNUSED;

bool recompute_is_connected(const Recompute *rc);

/*
 * recompute_reprepare: a reload. Checks first that every statement of
 * procs (the reloaded processors) prepares, touching nothing on failure:
 * FAIL (logged) when one does not, RETRY when the connection is down or
 * fails meanwhile. Then deallocates what old had that procs changed or
 * dropped, prepares what procs added or changed, and borrows config. OK
 * once the check passed: a connection lost after it is reconnected with
 * the new statements.
 */
PgconnStatus recompute_reprepare(Recompute *rc, const Config *config,
                                 const Processor *old, int nold,
                                 const Processor *procs,
                                 int nprocs) WARN_UNUSED;

/*
 * recompute_run: run g's in-flight batch through each member processor's
 * statement, in order, in one transaction that holds the group's advisory
 * lock (see recompute_begin in recompute.c). OK: committed; the caller marks
 * it done. RETRY/FAIL: nothing was committed and the batch stays in flight
 * (the caller schedules a retry). Logs each run, slow runs and completions,
 * after the commit.
 */
PgconnStatus recompute_run(Recompute *rc, Group *g, Batch *batch,
                           Apply *apply) WARN_UNUSED;

/* the first half of every batch's advisory lock key ("RCKN") */
#define RECOMPUTE_LOCK_CLASS 0x52434b4e

/*
 * RecomputePage: one backfill batch (backfill.c). In: the run it belongs
 * to, the key it starts after, the one member to run (NULL: all), and the
 * exported snapshot to read from (NULL or "": each statement's own).
 * Out: what it did.
 */
typedef struct RecomputePage
{
	const char *snapshot;
	int64_t run_id;
	int64_t after;
	const char *only;
	int completions;
	int rows;
} RecomputePage;

/*
 * recompute_page: list the next batch_size keys after page->after with the
 * group's rescan_keys statement (into batch; none: batch->nkeys 0, the
 * end), recompute them, and record the batch in reckon.backfill_batches,
 * in one transaction under the group's lock. On failure nothing is
 * committed and batch->nkeys is 0.
 */
PgconnStatus recompute_page(Recompute *rc, Group *g, Batch *batch,
                            RecomputePage *page) WARN_UNUSED;

/*
 * recompute_load_lookups: fill apply's lookup maps from their tables: on
 * the read server once it has replayed start (the position the stream
 * starts from: it brings every change after), else on the primary.
 */
PgconnStatus recompute_load_lookups(Recompute *rc, Apply *apply,
                                    Lsn start) WARN_UNUSED;

/*
 * recompute_seed_saturated: run each group's saturated_seed statement and
 * mark the keys it returns; once, before the stream starts.
 */
PgconnStatus recompute_seed_saturated(Recompute *rc, Group *groups,
                                      int ngroups) WARN_UNUSED;

#endif
