/*
 * dirty.h: per-group set of dirty keys (user ids, or another entity a
 * group's processors recompute by), and the Batch sched takes from it for
 * a recompute.
 *
 * Pipeline: decode -> apply -> [dirty] -> sched -> recompute -> ack.
 * Each entry remembers safe_lsn, the position that was safe to confirm just
 * before the commit that first dirtied it since its last recompute: while
 * the entry waits, nothing at or past that commit may be acknowledged. Keys
 * leave the set oldest-dirtied first (uthash keeps insertion order), so the
 * head of the set holds the smallest safe_lsn and no key starves.
 */
#ifndef RECKON_DIRTY_H
#define RECKON_DIRTY_H

#include "common.h"

typedef struct DirtyEntry DirtyEntry;

typedef struct DirtySet
{
	DirtyEntry *entries; /* owned; uthash head, oldest first */
	size_t count;
} DirtySet;

typedef struct Batch
{
	int64_t *keys;      /* owned */
	int64_t *commit_us; /* owned; per key, newest commit time that dirtied it */
	int nkeys;
	int capacity;
	Lsn safe_lsn;           /* smallest safe_lsn of the keys */
	int64_t first_dirty_us; /* monotonic time the oldest key was dirtied */
	Lsn upto_lsn;           /* received position when the batch was taken */
	/*
	 * The newest commit among the keys' (the end of its commit record):
	 * a standby that has replayed it sees every change the batch is for.
	 * LSN_INVALID when unknown (a rescan page, a stream without
	 * include-lsn).
	 */
	Lsn commit_lsn;
} Batch;

void dirty_set_init(DirtySet *set);
/* dirty_set_clear: free every entry; the set is empty and reusable. */
void dirty_set_clear(DirtySet *set);

/*
 * dirty_set_add: mark key dirty. A key already dirty keeps its safe_lsn and
 * place in line; only its newest commit time and LSN move. now_us is the
 * monotonic time, commit_us the commit's timestamp (0 if unknown),
 * commit_lsn the end of its commit record (LSN_INVALID if unknown). Aborts
 * through the OOM handler if memory runs out.
 */
void dirty_set_add(DirtySet *set, int64_t key, Lsn safe_lsn, int64_t now_us,
                   int64_t commit_us, Lsn commit_lsn);

/* dirty_set_head: the oldest entry's safe_lsn and dirty time; false if empty */
bool dirty_set_head(const DirtySet *set, Lsn *safe_lsn, int64_t *dirty_us);

bool dirty_set_contains(const DirtySet *set, int64_t key);

/*
 * dirty_set_take: move up to max_keys oldest keys into batch (emptied
 * first). Returns the number taken. The batch keeps its key array across
 * uses; batch_free releases it.
 */
int dirty_set_take(DirtySet *set, Batch *batch, int max_keys);

/* batch_reserve: room for capacity keys; aborts through the OOM handler. */
void batch_reserve(Batch *batch, int capacity);

void batch_free(Batch *batch);

#endif
