/*
 * lookup.c: the int64 -> int64 maps (see lookup.h); owns its entries.
 */
#include "lookup.h"

#include <stdlib.h>

#include "hash.h"

struct LookupEntry
{
	int64_t key;
	int64_t value;
	UT_hash_handle hh;
};

void
lookup_init(Lookup *lookup)
{
	lookup->entries = NULL;
	lookup->count = 0;
}

void
lookup_clear(Lookup *lookup)
{
	LookupEntry *e;
	LookupEntry *tmp;

	HASH_ITER(hh, lookup->entries, e, tmp)
	{
		HASH_DEL(lookup->entries, e);
		free(e);
	}
	lookup->count = 0;
}

void
lookup_set(Lookup *lookup, int64_t key, int64_t value)
{
	LookupEntry *e;

	HASH_FIND(hh, lookup->entries, &key, sizeof(key), e);
	if (e != NULL)
	{
		e->value = value;
		return;
	}
	e = malloc(sizeof(*e));
	if (e == NULL)
	{
		common_out_of_memory("lookup entry");
	}
	e->key = key;
	e->value = value;
	HASH_ADD(hh, lookup->entries, key, sizeof(e->key), e);
	lookup->count++;
}

void
lookup_delete(Lookup *lookup, int64_t key)
{
	LookupEntry *e;

	HASH_FIND(hh, lookup->entries, &key, sizeof(key), e);
	if (e != NULL)
	{
		HASH_DEL(lookup->entries, e);
		free(e);
		lookup->count--;
	}
}

bool
lookup_get(const Lookup *lookup, int64_t key, int64_t *value)
{
	LookupEntry *e;

	HASH_FIND(hh, lookup->entries, &key, sizeof(key), e);
	if (e == NULL)
	{
		return false;
	}
	*value = e->value;
	return true;
}
