/*
 * lookup.c: the int64 -> int64 maps (see lookup.h).
 *
 * An open-addressing table with linear probing, not uthash: a lookup map
 * holds a row per track (12.7M in production) for the daemon's whole life,
 * and uthash's per-entry handle (56 bytes on x86-64) plus a malloc per entry
 * came to about 90 bytes per track, where a slot here is the 16 bytes of
 * the pair itself and the table stays between 3/8 and 3/4 full (21 to 43
 * bytes per entry; tools/bench/memory.sh measures it). Deletion shifts the
 * following entries back instead of leaving tombstones, so a map kept from
 * the stream for months never degrades.
 *
 * INT64_MIN marks an empty slot; the one key equal to it (not a real id,
 * but a bigint column can hold it) is kept beside the table.
 */
#include "lookup.h"

#include <stdlib.h>

#define LOOKUP_EMPTY INT64_MIN
#define LOOKUP_MIN_CAPACITY 16

struct LookupSlot
{
	int64_t key;
	int64_t value;
};

/* splitmix64's finalizer: ids are dense and sequential, so spread them */
static size_t
lookup_hash(int64_t key)
{
	uint64_t h = (uint64_t)key;

	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return (size_t)h;
}

void
lookup_init(Lookup *lookup)
{
	lookup->slots = NULL;
	lookup->capacity = 0;
	lookup->count = 0;
	lookup->has_empty_key = false;
	lookup->empty_key_value = 0;
}

void
lookup_clear(Lookup *lookup)
{
	free(lookup->slots);
	lookup_init(lookup);
}

/* The slot holding key, or the empty slot where it would go. */
static LookupSlot *
lookup_find(const Lookup *lookup, int64_t key)
{
	size_t mask = lookup->capacity - 1;
	size_t i = lookup_hash(key) & mask;

	while (lookup->slots[i].key != key && lookup->slots[i].key != LOOKUP_EMPTY)
	{
		i = (i + 1) & mask;
	}
	return &lookup->slots[i];
}

static void
lookup_resize(Lookup *lookup, size_t capacity)
{
	LookupSlot *old = lookup->slots;
	size_t old_capacity = lookup->capacity;

	lookup->slots = malloc(capacity * sizeof(LookupSlot));
	if (lookup->slots == NULL)
	{
		common_out_of_memory("lookup table");
	}
	lookup->capacity = capacity;
	for (size_t i = 0; i < capacity; i++)
	{
		lookup->slots[i].key = LOOKUP_EMPTY;
	}
	for (size_t i = 0; i < old_capacity; i++)
	{
		if (old[i].key != LOOKUP_EMPTY)
		{
			*lookup_find(lookup, old[i].key) = old[i];
		}
	}
	free(old);
}

/* The capacity that keeps n entries at most 3/4 full. */
static size_t
lookup_capacity_for(size_t n)
{
	size_t capacity = LOOKUP_MIN_CAPACITY;

	while (capacity / 4 * 3 < n)
	{
		capacity *= 2;
	}
	return capacity;
}

void
lookup_reserve(Lookup *lookup, size_t n)
{
	size_t capacity = lookup_capacity_for(n);

	if (capacity > lookup->capacity)
	{
		lookup_resize(lookup, capacity);
	}
}

void
lookup_set(Lookup *lookup, int64_t key, int64_t value)
{
	LookupSlot *slot;

	if (key == LOOKUP_EMPTY)
	{
		lookup->count += lookup->has_empty_key ? 0 : 1;
		lookup->has_empty_key = true;
		lookup->empty_key_value = value;
		return;
	}
	if (lookup->capacity == 0 || lookup->capacity / 4 * 3 < lookup->count + 1)
	{
		lookup_resize(lookup, lookup_capacity_for(lookup->count + 1));
	}
	slot = lookup_find(lookup, key);
	if (slot->key == LOOKUP_EMPTY)
	{
		slot->key = key;
		lookup->count++;
	}
	slot->value = value;
}

void
lookup_delete(Lookup *lookup, int64_t key)
{
	size_t mask = lookup->capacity - 1;
	LookupSlot *slot;
	size_t hole;
	size_t i;

	if (key == LOOKUP_EMPTY)
	{
		lookup->count -= lookup->has_empty_key ? 1 : 0;
		lookup->has_empty_key = false;
		return;
	}
	if (lookup->capacity == 0)
	{
		return;
	}
	slot = lookup_find(lookup, key);
	if (slot->key != key)
	{
		return;
	}
	hole = (size_t)(slot - lookup->slots);
	lookup->count--;
	/*
	 * Backward shift: move each following entry of the run into the hole
	 * when the hole lies between its home slot and where it sits, so every
	 * entry stays reachable from its home without tombstones.
	 */
	for (i = (hole + 1) & mask; lookup->slots[i].key != LOOKUP_EMPTY;
	     i = (i + 1) & mask)
	{
		size_t home = lookup_hash(lookup->slots[i].key) & mask;

		if (((i - home) & mask) >= ((i - hole) & mask))
		{
			lookup->slots[hole] = lookup->slots[i];
			hole = i;
		}
	}
	lookup->slots[hole].key = LOOKUP_EMPTY;
}

bool
lookup_get(const Lookup *lookup, int64_t key, int64_t *value)
{
	const LookupSlot *slot;

	if (key == LOOKUP_EMPTY)
	{
		if (lookup->has_empty_key)
		{
			*value = lookup->empty_key_value;
		}
		return lookup->has_empty_key;
	}
	if (lookup->capacity == 0)
	{
		return false;
	}
	slot = lookup_find(lookup, key);
	if (slot->key != key)
	{
		return false;
	}
	*value = slot->value;
	return true;
}
