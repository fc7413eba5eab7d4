/*
 * lookup.h: an in-memory int64 -> int64 map kept from the stream, such as
 * track_id -> owner_id, so that a play can dirty its track's owner without
 * a query per message.
 *
 * Pipeline: loaded once at start by pgconn (the current table), then kept
 * by apply from the same table's INSERT/UPDATE/DELETE messages. A map that
 * is briefly ahead of or behind the stream is harmless: recomputes read
 * current data, and an ownership change dirties both the old and the new
 * owner, so every user whose rows may differ is still dirtied.
 */
#ifndef RECKON_LOOKUP_H
#define RECKON_LOOKUP_H

#include "common.h"

typedef struct LookupEntry LookupEntry;

typedef struct Lookup
{
	LookupEntry *entries; /* owned; uthash head */
	size_t count;
} Lookup;

void lookup_init(Lookup *lookup);
void lookup_clear(Lookup *lookup);
/* lookup_set: insert or replace; aborts through the OOM handler. */
void lookup_set(Lookup *lookup, int64_t key, int64_t value);
void lookup_delete(Lookup *lookup, int64_t key);
bool lookup_get(const Lookup *lookup, int64_t key, int64_t *value);

#endif
