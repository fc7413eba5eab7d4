/*
 * replica.h: the read server (--read-dsn), a hot standby of the primary
 * that the recompute reads run on, fenced by its replay position.
 *
 * Pipeline: sched -> recompute -> [replica] (reads) -> recompute (writes
 * on the primary) -> ack. A batch's keys carry the end of the newest
 * commit that dirtied them (dirty.h); before reading, the standby must
 * have replayed past it, or it would compute from data older than the
 * changes the batch acknowledges. The wait is bounded
 * (read_fence_timeout): past it the batch reads on the primary instead,
 * which is logged and counted, and later batches do not wait again until
 * the standby has caught up with one. A read that fails (a recovery
 * conflict, a lost connection) falls back the same way: the replica only
 * ever costs speed, never a change.
 */
#ifndef RECKON_REPLICA_H
#define RECKON_REPLICA_H

#include "common.h"
#include "config.h"
#include "pgconn.h"
#include "sched.h"
#include "session.h"

typedef struct Replica
{
	const Config *config; /* borrowed; read_dsn NULL: no replica */
	Session session;      /* to read_dsn, as "reckon read" */
	int failures;         /* connection attempts failed in a row */
	int64_t retry_at_us;  /* monotonic: the next attempt, after failures */
	Lsn replayed;         /* its replay position, last seen */

	/*
	 * Behind: a fence timed out, and no batch has found the standby
	 * caught up since. Batches check once instead of waiting.
	 */
	bool is_behind;
	int64_t behind_fallbacks; /* in this episode */
	int64_t behind_logged_us; /* monotonic */

	int64_t batches;   /* batches that read on the replica */
	int64_t fallbacks; /* batches (or lookup loads) that read on the
	                    * primary instead */
} Replica;

void replica_init(Replica *r, const Config *config, PgconnWaitFn wait,
                  void *wait_arg);
void replica_free(Replica *r);

bool replica_is_configured(const Replica *r);

/* replica_reload: a new configuration; its statements prepare on the next
 * connection. */
void replica_reload(Replica *r, const Config *config);

/*
 * replica_fence: whether the reads for changes committed up to lsn (the
 * end of the commit record; LSN_INVALID: unknown) may run on the replica
 * now: connects when needed, then waits until it has replayed lsn, within
 * read_fence_timeout (or checks once while it is behind). False: read on
 * the primary; the fallback is counted and logged here, and what says
 * what the reads are for.
 */
bool replica_fence(Replica *r, Lsn lsn, const char *what);

/*
 * replica_read: after a fence, each member of g that has a read statement
 * runs it on the batch's keys (ids, "{1,2}") in one REPEATABLE READ
 * transaction; reads[i] gets member i's rows (NULL for a member without a
 * read statement). Not OK: nothing is kept; the caller reads on the
 * primary (replica_fallback).
 */
PgconnStatus replica_read(Replica *r, const Group *g, const char *ids,
                          PgconnResult **reads) WARN_UNUSED;

/* replica_fallback: count a batch that read on the primary after a fence
 * passed (its reads failed). */
void replica_fallback(Replica *r, const char *why);

/* replica_session: its session, after a fence passed (lookup loads). */
Session *replica_session(Replica *r);

/*
 * replica_counts: the batches that read on the replica, and those (or
 * lookup loads) that read on the primary instead.
 */
void replica_counts(const Replica *r, int64_t *batches, int64_t *fallbacks);

/* replica_group_reads: whether any member of g has a read statement. */
bool replica_group_reads(const Group *g);

#endif
