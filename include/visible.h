/*
 * visible.h: the visibility fence before a batch reads.
 *
 * Pipeline: apply (pending xids) -> sched -> [visible] -> recompute. A
 * commit is streamed once its WAL is flushed, which can be just before the
 * committing backend leaves the proc array; a snapshot taken in that gap
 * would miss it while we acknowledged it. So before a batch reads, every
 * commit that dirtied something and has not been seen visible yet must be
 * visible to a new snapshot (pg_current_snapshot()). It never changes the
 * pending list itself: the caller consumes what was seen.
 */
#ifndef RECKON_VISIBLE_H
#define RECKON_VISIBLE_H

#include "common.h"
#include "session.h"

/* The copy of the xids waited for (the caller's list may move meanwhile). */
typedef struct Visible
{
	uint32_t *xids; /* owned */
	size_t capacity;
} Visible;

void visible_free(Visible *v);

/*
 * visible_wait: wait until each of the n xids (32-bit, as wal2json sends
 * them; copied first) is visible to a new snapshot on s, asking again
 * after session_pause. OK: all visible; RETRY after timeout_ms (logged) or
 * a failed query; FAIL when the snapshot cannot be read.
 */
PgconnStatus visible_wait(Visible *v, Session *s, const uint32_t *xids,
                          size_t n, int64_t timeout_ms) WARN_UNUSED;

/*
 * visible_parse_snapshot: pg_current_snapshot()'s "xmin:xmax:xip,...":
 * *xip (caller frees) and *nxip; false when text is not one.
 */
bool visible_parse_snapshot(const char *text, uint64_t *xmax, uint64_t **xip,
                            size_t *nxip) WARN_UNUSED;

#endif
