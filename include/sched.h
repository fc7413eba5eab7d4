/*
 * sched.h: groups' run-time state and the choice of the next batch.
 *
 * Pipeline: dirty -> [sched] -> recompute. A group (processors that share
 * dirty keys, run in order on each batch) runs when it has a batch to retry
 * whose backoff has passed, a rescan pending (after a TRUNCATE; ready at
 * once), or dirty keys whose oldest has waited its coalescing window.
 * Among the ready, the one whose work is oldest goes first, so no group
 * starves another. Pure: no I/O.
 */
#ifndef RECKON_SCHED_H
#define RECKON_SCHED_H

#include "common.h"
#include "config.h"
#include "dirty.h"
#include "lookup.h"
#include "metrics.h"

/* A processor's counters since start (slowest_us: since the stats line). */
typedef struct Processor
{
	const ConfigProcessor *config; /* borrowed */
	int64_t runs;
	int64_t keys_done;
	int64_t rows_written;
	int64_t completions;
	int64_t slowest_us;
	MetricsHistogram duration; /* of its statement, per committed batch */
} Processor;

typedef struct Group
{
	const ConfigGroup *config; /* borrowed */
	DirtySet dirty;

	/*
	 * A batch taken but not yet committed: running, or failed and waiting
	 * for retry_at_us. Its keys are out of the dirty set, so its safe_lsn
	 * holds the acknowledgement back until it commits.
	 */
	Batch inflight;
	bool has_inflight;
	int failures;
	int64_t retry_at_us;

	int nmembers;
	Processor *members[CONFIG_PROCESSORS_MAX]; /* borrowed, in run order */

	/*
	 * Keys whose rows no dirty_monotone INSERT can change (the group's
	 * saturated statement said so at their last committed batch), such as
	 * an artist past the last play milestone: such an INSERT is skipped
	 * instead of recomputing a heavy key for nothing. A key leaves the set
	 * when a batch takes it, and an INSERT is skipped only for a key that
	 * is neither dirty nor in flight, so any other change (a track deleted,
	 * a user unverified) dirties the key and its next batch decides again,
	 * from a snapshot that includes that change.
	 */
	Lookup saturated; /* key -> unused */
	int64_t saturated_skips;

	/*
	 * A rescan: after a TRUNCATE of a table the group's rules read, every
	 * key the rescan_keys statement lists is recomputed, a batch at a time,
	 * keys after rescan_after first. rescan_safe_lsn holds the
	 * acknowledgement before the TRUNCATE's commit until the last page is
	 * committed; a crash meanwhile streams the TRUNCATE again.
	 */
	bool rescan;
	bool inflight_is_rescan; /* the in-flight batch is a rescan page */
	bool rescan_restarted;   /* another TRUNCATE came while it was */
	bool rescan_went_last;   /* alternate pages with dirty batches */
	Lsn rescan_safe_lsn;
	int64_t rescan_after;
	int64_t rescan_since_us; /* monotonic */
	int64_t rescan_commit_us;
	int64_t rescan_keys_done;
} Group;

/*
 * Every processor and group of a configuration, as they run: each group's
 * members point into procs, so a Pipeline never moves once initialised.
 */
typedef struct Pipeline
{
	Processor procs[CONFIG_PROCESSORS_MAX];
	int nprocs;
	Group groups[CONFIG_PROCESSORS_MAX];
	int ngroups;
} Pipeline;

/* sched_pipeline_init: config's processors and idle groups, in its order. */
void sched_pipeline_init(Pipeline *pipe, const Config *config);

/* sched_pipeline_free: free every group's keys. */
void sched_pipeline_free(Pipeline *pipe);

/* sched_group_name: g's configured name (borrowed). */
const char *sched_group_name(const Group *g);

/* sched_group_failures: g's failed attempts in a row. */
int sched_group_failures(const Group *g);

/* sched_rescan_keys_done: the keys g's last rescan recomputed. */
int64_t sched_rescan_keys_done(const Group *g);

/* sched_group_init: an idle group; members are added by the caller. */
void sched_group_init(Group *g, const ConfigGroup *config);
void sched_group_free(Group *g);

/*
 * sched_hold: the smallest safe_lsn over every group's dirty keys and
 * in-flight batch; false when nothing is dirty or in flight.
 */
bool sched_hold(const Group *groups, int n, Lsn *hold);

/* sched_dirty_total: dirty keys over all groups (in-flight excluded). */
size_t sched_dirty_total(const Group *groups, int n);

/* sched_is_full: whether any group holds dirty_keys_max or more keys. */
bool sched_is_full(const Group *groups, int n, int64_t dirty_keys_max);

/*
 * sched_next: index of the group to run now, or -1. When -1 and work is
 * pending, *wait_us is how long until some group becomes ready;
 * otherwise it is left untouched.
 */
int sched_next(const Group *groups, int n, int64_t now_us, int64_t *wait_us);

/*
 * sched_take: the batch group g should run: its in-flight batch when it
 * has one (a retry), else the next page of a pending rescan (an empty
 * batch: recompute_run fills it in its transaction, see
 * g->inflight_is_rescan), else up to batch_size oldest dirty keys. It
 * becomes the in-flight batch, covering changes up to received.
 */
Batch *sched_take(Group *g, Lsn received);

/*
 * sched_done: the in-flight batch committed. Returns true when it was the
 * last page of a rescan.
 */
bool sched_done(Group *g);

/*
 * sched_rescan: a TRUNCATE of a table g's rules read, in the transaction
 * received after safe_lsn: recompute every key from the first. Forgets the
 * saturated keys, which the TRUNCATE may have made unsaturated.
 */
void sched_rescan(Group *g, Lsn safe_lsn, int64_t now_us, int64_t commit_us);

/*
 * sched_is_saturated: whether a dirty_monotone INSERT for key may be
 * skipped: key is saturated and neither dirty nor in flight.
 */
bool sched_is_saturated(const Group *g, int64_t key);

/* sched_saturate: keys of the committed batch the statement reported. */
void sched_saturate(Group *g, const int64_t *keys, int n);

/*
 * sched_failed: the in-flight batch failed; it is retried after a capped
 * exponential backoff with jitter. Returns the delay chosen.
 */
int64_t sched_failed(Group *g, int64_t now_us, int64_t min_ms, int64_t max_ms);

/* sched_backoff_ms: the capped exponential backoff with jitter. */
int64_t sched_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms);

#endif
