/*
 * dirty.c: the dirty sets (see dirty.h). A uthash table keyed by int64;
 * dirty.c owns the entries, allocates them on add and frees them on take.
 * It must never reorder entries: acknowledgement relies on the head being
 * the oldest.
 */
#include "dirty.h"

#include <stdlib.h>

#include "hash.h"

struct DirtyEntry
{
	int64_t key;
	Lsn safe_lsn;
	int64_t dirty_us;
	int64_t commit_us;
	Lsn commit_lsn;
	UT_hash_handle hh;
};

void
dirty_set_init(DirtySet *set)
{
	set->entries = NULL;
	set->count = 0;
}

void
dirty_set_clear(DirtySet *set)
{
	DirtyEntry *e;
	DirtyEntry *tmp;

	HASH_ITER(hh, set->entries, e, tmp)
	{
		HASH_DEL(set->entries, e);
		free(e);
	}
	set->count = 0;
}

void
dirty_set_add(DirtySet *set, int64_t key, Lsn safe_lsn, int64_t now_us,
              int64_t commit_us, Lsn commit_lsn)
{
	DirtyEntry *e;

	HASH_FIND(hh, set->entries, &key, sizeof(key), e);
	if (e != NULL)
	{
		if (commit_us > e->commit_us)
		{
			e->commit_us = commit_us;
		}
		if (commit_lsn > e->commit_lsn)
		{
			e->commit_lsn = commit_lsn;
		}
		return;
	}
	e = malloc(sizeof(*e));
	if (e == NULL)
	{
		common_out_of_memory("dirty set entry");
	}
	e->key = key;
	e->safe_lsn = safe_lsn;
	e->dirty_us = now_us;
	e->commit_us = commit_us;
	e->commit_lsn = commit_lsn;
	HASH_ADD(hh, set->entries, key, sizeof(e->key), e);
	set->count++;
}

bool
dirty_set_head(const DirtySet *set, Lsn *safe_lsn, int64_t *dirty_us)
{
	if (set->entries == NULL)
	{
		return false;
	}
	*safe_lsn = set->entries->safe_lsn;
	*dirty_us = set->entries->dirty_us;
	return true;
}

bool
dirty_set_contains(const DirtySet *set, int64_t key)
{
	DirtyEntry *e;

	HASH_FIND(hh, set->entries, &key, sizeof(key), e);
	return e != NULL;
}

void
batch_reserve(Batch *batch, int capacity)
{
	if (batch->capacity >= capacity)
	{
		return;
	}
	int64_t *keys = realloc(batch->keys, sizeof(int64_t) * (size_t)capacity);
	if (keys == NULL)
	{
		common_out_of_memory("batch keys");
	}
	batch->keys = keys;
	int64_t *times =
	    realloc(batch->commit_us, sizeof(int64_t) * (size_t)capacity);
	if (times == NULL)
	{
		common_out_of_memory("batch keys");
	}
	batch->commit_us = times;
	batch->capacity = capacity;
}

int
dirty_set_take(DirtySet *set, Batch *batch, int max_keys)
{
	DirtyEntry *e;
	DirtyEntry *tmp;

	ASSERT(max_keys > 0);
	batch_reserve(batch, max_keys);
	batch->nkeys = 0;
	batch->safe_lsn = LSN_INVALID;
	batch->commit_lsn = LSN_INVALID;
	batch->first_dirty_us = 0;
	HASH_ITER(hh, set->entries, e, tmp)
	{
		if (batch->nkeys == max_keys)
		{
			break;
		}
		if (batch->nkeys == 0)
		{
			batch->safe_lsn = e->safe_lsn;
			batch->first_dirty_us = e->dirty_us;
		}
		/* insertion order makes safe_lsn non-decreasing along the list */
		ASSERT(e->safe_lsn >= batch->safe_lsn);
		batch->commit_us[batch->nkeys] = e->commit_us;
		if (e->commit_lsn > batch->commit_lsn)
		{
			batch->commit_lsn = e->commit_lsn;
		}
		batch->keys[batch->nkeys++] = e->key;
		HASH_DEL(set->entries, e);
		free(e);
		set->count--;
	}
	return batch->nkeys;
}

void
batch_free(Batch *batch)
{
	free(batch->keys);
	free(batch->commit_us);
	batch->keys = NULL;
	batch->commit_us = NULL;
	batch->nkeys = 0;
	batch->capacity = 0;
}
