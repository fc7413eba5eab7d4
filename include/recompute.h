/*
 * recompute.h: the batch transaction. Two flows, each one transaction
 * under the group's advisory lock (session_begin_locked), all of its rows
 * written or none:
 *
 *  - a daemon batch: the dirty keys sched took, through each member
 *    processor's statement from sql/ with the keys as one $1::bigint[];
 *    with a read server (--read-dsn), a member that has a read statement
 *    (its rule, rule.h) reads its rows there, after replica.c's fence, and
 *    its write policy (the APPLY form) writes them here;
 *  - a page: the group's rescan_keys statement lists the next keys inside
 *    the transaction, then the members run on them: a rescan page after a
 *    TRUNCATE (in the daemon) or a backfill page (backfill.c), which is
 *    also recorded in reckon.backfill_batches.
 *
 * Pipeline: sched -> [recompute] -> ack. Before a daemon batch reads,
 * recompute_wait_visible makes sure every commit it will acknowledge is
 * visible to its snapshot (visible.h). Runs on its own session; while it
 * waits for the server, the session's wait function serves the stream. It
 * never chooses a batch (sched does) and never confirms a position (ack).
 * The start-up loads are loaders.h's.
 */
#ifndef RECKON_RECOMPUTE_H
#define RECKON_RECOMPUTE_H

#include "common.h"
#include "config.h"
#include "pgconn.h"
#include "recompute_rows.h"
#include "replica.h"
#include "sched.h"
#include "session.h"
#include "visible.h"

typedef struct Recompute
{
	const Config *config; /* borrowed */
	Session session;      /* to dsn, as "reckon recompute" */
	char *ids;            /* owned; the "{1,2,3}" parameter buffer */
	size_t ids_capacity;
	Replica replica;    /* the read server, when config->read_dsn is set */
	RecomputeRows rows; /* the APPLY statements' array parameters */
	Visible visible;    /* the xids a batch waits for */
} Recompute;

/* recompute_init: disconnected; wait serves the stream (NULL: none). */
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

/* recompute_session: the session to the primary (borrowed). */
Session *recompute_session(Recompute *rc);

/* recompute_replica: the read server (borrowed). */
Replica *recompute_replica(Recompute *rc);

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
 * recompute_wait_visible: before a daemon batch, wait until the n xids
 * (apply's pending list, copied before any wait) are visible to a new
 * snapshot, within visibility_timeout. OK: the caller consumes them.
 * RETRY when disconnected.
 */
PgconnStatus recompute_wait_visible(Recompute *rc, const uint32_t *xids,
                                    size_t n) WARN_UNUSED;

/*
 * recompute_run: run g's in-flight batch (the dirty keys in batch, or a
 * rescan page when g->inflight_is_rescan) through each member processor's
 * statement, in order, in one transaction. OK: committed; the caller
 * marks it done. RETRY/FAIL: nothing was committed and the batch stays in
 * flight (the caller schedules a retry). Logs each run, slow runs and
 * completions, after the commit.
 */
PgconnStatus recompute_run(Recompute *rc, Group *g, Batch *batch) WARN_UNUSED;

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
 * recompute_mark_saturated: mark saturated the keys of a one-column
 * result (a saturated or saturated_seed statement's), once committed.
 */
void recompute_mark_saturated(Group *g, const PgconnResult *res);

#endif
