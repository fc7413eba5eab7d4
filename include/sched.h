/*
 * sched.h: processors' run-time state and the choice of the next batch.
 *
 * Pipeline: dirty -> [sched] -> recompute. A processor runs when it has a
 * batch to retry whose backoff has passed, or dirty keys whose oldest has
 * waited its coalescing window. Among the ready, the one whose work is
 * oldest goes first, so no processor starves another. Pure: no I/O.
 */
#ifndef RECKON_SCHED_H
#define RECKON_SCHED_H

#include "common.h"
#include "config.h"
#include "dirty.h"

typedef struct Processor
{
	const ConfigProcessor *config; /* borrowed */
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

	/* counters since the last stats line */
	int64_t runs;
	int64_t keys_done;
	int64_t rows_written;
	int64_t completions;
	int64_t slowest_us;
} Processor;

void sched_processor_init(Processor *p, const ConfigProcessor *config);
void sched_processor_free(Processor *p);

/*
 * sched_hold: the smallest safe_lsn over every processor's dirty keys and
 * in-flight batch; false when nothing is dirty or in flight.
 */
bool sched_hold(const Processor *procs, int n, Lsn *hold);

/* sched_dirty_total: dirty keys over all processors (in-flight excluded). */
size_t sched_dirty_total(const Processor *procs, int n);

/* sched_is_full: whether any processor holds dirty_keys_max or more keys. */
bool sched_is_full(const Processor *procs, int n, int64_t dirty_keys_max);

/*
 * sched_next: index of the processor to run now, or -1. When -1 and work is
 * pending, *wait_us is how long until some processor becomes ready;
 * otherwise it is left untouched.
 */
int sched_next(const Processor *procs, int n, int64_t now_us, int64_t *wait_us);

/*
 * sched_take: the batch processor p should run: its in-flight batch when it
 * has one (a retry), else up to batch_size oldest dirty keys, which become
 * its in-flight batch, covering changes up to received.
 */
Batch *sched_take(Processor *p, Lsn received);

/* sched_done: the in-flight batch committed. */
void sched_done(Processor *p);

/*
 * sched_failed: the in-flight batch failed; it is retried after a capped
 * exponential backoff with jitter. Returns the delay chosen.
 */
int64_t sched_failed(Processor *p, int64_t now_us, int64_t min_ms,
                     int64_t max_ms);

/* sched_backoff_ms: the capped exponential backoff with jitter. */
int64_t sched_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms);

#endif
