/*
 * trending.h: the hourly trending job: refresh the trending matviews,
 * restage every trending score and write only those that changed, prune
 * the rest, then pay the weekly winners (Fridays) and the tastemakers.
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

/*
 * trending_run_once: connect and run one full cycle. now_text is the
 * reference time for the windows and the Friday check ("now", or a
 * timestamp for tests). Returns false after logging on any failure; nothing
 * of a failed (type, version) step is committed.
 */
bool trending_run_once(const Config *config, const char *now_text) WARN_UNUSED;

/*
 * trending_spawn: fork a child that runs one cycle and exits 0 or 1.
 * Returns its pid, or -1 (logged). The child never touches the parent's
 * connections; the caller reaps it with trending_reap().
 */
pid_t trending_spawn(const Config *config);

/*
 * trending_reap: whether the child pid has ended (it is then reaped and
 * its outcome logged); false while it runs.
 */
bool trending_reap(pid_t pid);

/* trending_stop: ask a running child to stop and wait for it. */
void trending_stop(pid_t pid);

#endif
