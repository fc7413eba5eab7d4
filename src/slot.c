/*
 * slot.c: slot inspection and creation (see slot.h). Runs before the stream
 * starts; the stream itself only names the slot in START_REPLICATION.
 */
#include "slot.h"

#include <stdio.h>
#include <string.h>

#define LOG_MODULE "slot"
#include "log.h"
#include "lsn.h"

PgconnStatus
slot_inspect(Pgconn *conn, const char *name, SlotInfo *info)
{
	const char *values[1] = {name};
	PgconnResult *res = NULL;
	PgconnStatus status;

	memset(info, 0, sizeof(*info));
	status = pgconn_exec(
	    conn, "inspect replication slot",
	    "SELECT slot_type = 'logical', coalesce(plugin, ''), "
	    "database IS NOT DISTINCT FROM pg_catalog.current_database(), "
	    "coalesce(wal_status, ''), coalesce(confirmed_flush_lsn::text, '') "
	    "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
	    1, values, &res, NULL, NULL, 60 * 1000);
	if (status != PGCONN_OK)
	{
		return status;
	}
	if (pgconn_result_rows(res) == 0)
	{
		pgconn_result_free(res);
		return PGCONN_OK;
	}
	if (!pgconn_check_shape(res, "inspect replication slot", 1, 5))
	{
		pgconn_result_free(res);
		return PGCONN_FAIL;
	}
	info->exists = true;
	info->is_logical = strcmp(pgconn_result_value(res, 0, 0), "t") == 0;
	snprintf(info->plugin, sizeof(info->plugin), "%s",
	         pgconn_result_value(res, 0, 1));
	info->is_this_database = strcmp(pgconn_result_value(res, 0, 2), "t") == 0;
	snprintf(info->wal_status, sizeof(info->wal_status), "%s",
	         pgconn_result_value(res, 0, 3));
	if (!lsn_parse(pgconn_result_value(res, 0, 4), &info->confirmed_flush))
	{
		info->confirmed_flush = LSN_INVALID;
	}
	pgconn_result_free(res);
	return PGCONN_OK;
}

PgconnStatus
slot_create(Pgconn *conn, const char *name, Lsn *consistent)
{
	const char *values[1] = {name};
	PgconnResult *res = NULL;
	PgconnStatus status;
	bool ok;

	status = pgconn_exec(conn, "create replication slot",
	                     "SELECT lsn::text FROM "
	                     "pg_catalog.pg_create_logical_replication_slot($1, "
	                     "'wal2json')",
	                     1, values, &res, NULL, NULL, 5 * 60 * 1000);
	if (status != PGCONN_OK)
	{
		return status;
	}
	ok = pgconn_check_shape(res, "create replication slot", 1, 1) &&
	     lsn_parse(pgconn_result_value(res, 0, 0), consistent);
	pgconn_result_free(res);
	if (!ok)
	{
		return PGCONN_FAIL;
	}
	log_info("created replication slot \"%s\" with wal2json at %X/%X", name,
	         LSN_FORMAT_ARGS(*consistent));
	return PGCONN_OK;
}

PgconnStatus
slot_prepare(Pgconn *conn, const char *name, bool create, Lsn *confirmed)
{
	SlotInfo info;
	PgconnStatus status = slot_inspect(conn, name, &info);

	if (status != PGCONN_OK)
	{
		return status;
	}
	if (!info.exists)
	{
		if (!create)
		{
			log_error("replication slot \"%s\" does not exist: start reckon "
			          "with --create-slot to create it",
			          name);
			return PGCONN_FAIL;
		}
		return slot_create(conn, name, confirmed);
	}
	if (!info.is_logical || strcmp(info.plugin, "wal2json") != 0)
	{
		log_error("replication slot \"%s\" is not a wal2json logical slot "
		          "(plugin \"%s\")",
		          name, info.plugin);
		return PGCONN_FAIL;
	}
	if (!info.is_this_database)
	{
		log_error("replication slot \"%s\" belongs to another database", name);
		return PGCONN_FAIL;
	}
	if (strcmp(info.wal_status, "lost") == 0)
	{
		log_error("replication slot \"%s\" has lost WAL it needs (wal_status "
		          "lost): changes are missing, drop and recreate it and "
		          "recompute everything",
		          name);
		return PGCONN_FAIL;
	}
	*confirmed = info.confirmed_flush;
	log_info("replication slot \"%s\" confirmed up to %X/%X", name,
	         LSN_FORMAT_ARGS(*confirmed));
	return PGCONN_OK;
}
