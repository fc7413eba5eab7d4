/*
 * trending.h: the trending job, run every trending_interval (an hour by
 * default): refresh the trending matviews, restage every trending score and
 * write only those that changed, prune the rest, then pay the weekly
 * winners (Fridays) and the tastemakers.
 *
 * It sits beside the stream pipeline, not in it: the daemon runs each cycle
 * in a child process on its own connection (trending_spawn), so a cycle of
 * minutes never blocks the stream or the stream-driven processors, and
 * `reckon trending --once` runs one cycle in the foreground.
 */
#ifndef RECKON_TRENDING_H
#define RECKON_TRENDING_H

#include <sys/types.h>

#include "common.h"
#include "config.h"
#include "metrics.h"

/* What one cycle did, for the metrics. */
typedef struct TrendingResult
{
	bool ok;
	int64_t upserted; /* scores inserted or updated */
	int64_t pruned;   /* scores deleted */
} TrendingResult;

/*
 * trending_run_once: connect and run one full cycle. now_text is the
 * reference time for the windows and the Friday check ("now", or a
 * timestamp for tests). Returns false after logging on any failure; nothing
 * of a failed (type, version) step is committed. result (zeroed by the
 * caller) adds up the rows of the steps committed.
 */
bool trending_run_once(const Config *config, const char *now_text,
                       TrendingResult *result) WARN_UNUSED;

/*
 * trending_spawn: fork a child that runs one cycle and exits 0 or 1.
 * Returns its pid and, in *result_fd, the pipe its TrendingResult comes
 * back on; or -1 (logged). The child never touches the parent's
 * connections; the caller reaps it with trending_reap().
 */
pid_t trending_spawn(const Config *config, int *result_fd);

/*
 * trending_reap: whether the child pid has ended; it is then reaped, its
 * outcome logged, its figures read into result (all zero, ok false, when
 * it failed) and result_fd closed. False while it runs.
 */
bool trending_reap(pid_t pid, int result_fd, TrendingResult *result);

/* trending_stop: ask a running child to stop, wait for it, close the fd. */
void trending_stop(pid_t pid, int result_fd);

/* The daemon's trending child: never two at once, on its own clock. */
typedef struct TrendingJob
{
	pid_t pid; /* the running cycle, or 0 */
	int fd;    /* its TrendingResult pipe */
	int64_t started_us;
	int64_t due_us; /* monotonic: the next cycle */
} TrendingJob;

/*
 * trending_tick: reap a finished cycle into m's trending figures, then
 * start the next one when due (trending_interval_ms; 0: never). Never
 * waits for a cycle, so it never gets in the way of the stream.
 */
void trending_tick(TrendingJob *job, const Config *config, MetricsSnapshot *m,
                   int64_t now_us);

#endif
