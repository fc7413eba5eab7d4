/*
 * slot.h: inspect and create the logical replication slot, through SQL
 * functions with the slot name as a parameter. Shared by the daemon and
 * the slot tools.
 */
#ifndef RECKON_SLOT_H
#define RECKON_SLOT_H

#include "common.h"
#include "config.h"
#include "pgconn.h"

typedef struct SlotInfo
{
	bool exists;
	bool is_logical;
	bool is_this_database;
	char plugin[CONFIG_NAME_MAX];
	char wal_status[32];
	Lsn confirmed_flush;
} SlotInfo;

/* slot_inspect: what pg_replication_slots says about name. */
PgconnStatus slot_inspect(Pgconn *conn, const char *name,
                          SlotInfo *info) WARN_UNUSED;

/* slot_create: a wal2json logical slot; *consistent is where it starts. */
PgconnStatus slot_create(Pgconn *conn, const char *name,
                         Lsn *consistent) WARN_UNUSED;

/*
 * slot_prepare: make sure name exists (creating it when create is set) and
 * is a wal2json slot of this database that still has its WAL; returns its
 * confirmed_flush_lsn. FAIL with a message that says what to do otherwise.
 */
PgconnStatus slot_prepare(Pgconn *conn, const char *name, bool create,
                          Lsn *confirmed) WARN_UNUSED;

#endif
