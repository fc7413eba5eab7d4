/*
 * lookup.h: an in-memory int64 -> int64 map kept from the stream, such as
 * track_id -> owner_id, so that a play can dirty its track's owner without
 * a query per message.
 *
 * Pipeline: loaded once at start from the current table by recompute.c
 * (recompute_load_lookup, into apply's maps with apply_lookup_set), then
 * kept by apply from the same table's INSERT/UPDATE/DELETE messages and
 * emptied by its TRUNCATE. A map that is briefly ahead of or behind the
 * stream is harmless: recomputes read current data, and an ownership change
 * dirties both the old and the new owner (the old row comes with REPLICA
 * IDENTITY FULL), so every user whose rows may differ is still dirtied.
 */
#ifndef RECKON_LOOKUP_H
#define RECKON_LOOKUP_H

#include "common.h"

typedef struct LookupSlot LookupSlot;

typedef struct Lookup
{
	LookupSlot *slots; /* owned; open addressing, capacity a power of 2 */
	size_t capacity;
	size_t count; /* entries, the empty-marker key included */
	bool has_empty_key;
	int64_t empty_key_value;
} Lookup;

void lookup_init(Lookup *lookup);
/* lookup_clear: frees everything; the map is empty and reusable. */
void lookup_clear(Lookup *lookup);
/* lookup_reserve: room for n entries without growing (a sizing hint). */
void lookup_reserve(Lookup *lookup, size_t n);
/* lookup_set: insert or replace; aborts through the OOM handler. */
void lookup_set(Lookup *lookup, int64_t key, int64_t value);
void lookup_delete(Lookup *lookup, int64_t key);
bool lookup_get(const Lookup *lookup, int64_t key, int64_t *value);

#endif
