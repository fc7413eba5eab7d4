/*
 * slot.c: slot inspection, listing and creation through SQL (see slot.h),
 * on a plain connection. The daemon inspects its slot before the stream
 * starts and again when START_REPLICATION fails (busy, lost); it creates
 * the slot on the replication connection instead (stream_create_slot:
 * CREATE_REPLICATION_SLOT, which can export a snapshot for the backfill),
 * so slot_create serves reckon-slot.
 */
#include "slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "slot"
#include "embedded.h"
#include "log.h"
#include "lsn.h"

/* the columns of sql/slot_inspect.sql, one query for inspect and list */
#define SLOT_COLUMNS 14

/* The built-in statement sql/NAME.sql. */
static const char *
slot_sql(const char *name)
{
	const char *sql = embedded_find(embedded_sql, name);

	ASSERT(sql != NULL);
	return sql;
}

static void
slot_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* slot_parse_int64: a bigint column's text (negative allowed: -1 = NULL) */
static bool
slot_parse_int64(const char *text, int64_t *out)
{
	return config_parse_count(text, INT64_MIN, INT64_MAX, out);
}

static bool
slot_parse_row(const PgconnResult *res, int row, SlotInfo *info)
{
	int64_t pid = 0;

	memset(info, 0, sizeof(*info));
	info->exists = true;
	slot_copy(info->name, sizeof(info->name), pgconn_result_value(res, row, 0));
	info->is_logical = strcmp(pgconn_result_value(res, row, 1), "t") == 0;
	slot_copy(info->plugin, sizeof(info->plugin),
	          pgconn_result_value(res, row, 2));
	slot_copy(info->database, sizeof(info->database),
	          pgconn_result_value(res, row, 3));
	info->is_this_database = strcmp(pgconn_result_value(res, row, 4), "t") == 0;
	info->is_active = strcmp(pgconn_result_value(res, row, 5), "t") == 0;
	if (!slot_parse_int64(pgconn_result_value(res, row, 6), &pid) || pid < 0 ||
	    pid > INT32_MAX)
	{
		return false;
	}
	info->active_pid = (int)pid;
	/* an empty text is a NULL LSN: leave LSN_INVALID */
	if ((*pgconn_result_value(res, row, 7) &&
	     !lsn_parse(pgconn_result_value(res, row, 7), &info->restart_lsn)) ||
	    (*pgconn_result_value(res, row, 8) &&
	     !lsn_parse(pgconn_result_value(res, row, 8), &info->confirmed_flush)))
	{
		return false;
	}
	slot_copy(info->wal_status, sizeof(info->wal_status),
	          pgconn_result_value(res, row, 9));
	if (*pgconn_result_value(res, row, 10))
	{
		info->has_safe_wal_size = slot_parse_int64(
		    pgconn_result_value(res, row, 10), &info->safe_wal_size);
		if (!info->has_safe_wal_size)
		{
			return false;
		}
	}
	slot_copy(info->holder, sizeof(info->holder),
	          pgconn_result_value(res, row, 13));
	return slot_parse_int64(pgconn_result_value(res, row, 11),
	                        &info->lag_bytes) &&
	       slot_parse_int64(pgconn_result_value(res, row, 12),
	                        &info->retained_bytes);
}

/* slot_query_rows: run slot_inspect.sql for name (NULL: all) and parse its
 * rows. */
static PgconnStatus
slot_query_rows(Pgconn *conn, const char *name, SlotInfo **slots, int *nslots)
{
	const char *values[1] = {name};
	PgconnResult *res = NULL;
	PgconnStatus status;
	int n;

	*slots = NULL;
	*nslots = 0;
	status =
	    pgconn_exec(conn, "inspect replication slots", slot_sql("slot_inspect"),
	                1, values, &res, NULL, NULL, 60 * 1000);
	if (status != PGCONN_OK)
	{
		return status;
	}
	n = pgconn_result_rows(res);
	if (n > 0 && pgconn_result_columns(res) != SLOT_COLUMNS)
	{
		log_error("inspect replication slots: expected %d columns, got %d",
		          SLOT_COLUMNS, pgconn_result_columns(res));
		pgconn_result_free(res);
		return PGCONN_FAIL;
	}
	*slots = calloc((size_t)(n > 0 ? n : 1), sizeof(SlotInfo));
	if (*slots == NULL)
	{
		common_out_of_memory("replication slot list");
	}
	for (int i = 0; i < n; i++)
	{
		if (!slot_parse_row(res, i, &(*slots)[i]))
		{
			log_error("inspect replication slots: unexpected values in the "
			          "row of slot \"%s\"",
			          pgconn_result_value(res, i, 0));
			pgconn_result_free(res);
			free(*slots);
			*slots = NULL;
			return PGCONN_FAIL;
		}
	}
	*nslots = n;
	pgconn_result_free(res);
	return PGCONN_OK;
}

PgconnStatus
slot_inspect(Pgconn *conn, const char *name, SlotInfo *info)
{
	SlotInfo *slots = NULL;
	int n = 0;
	PgconnStatus status = slot_query_rows(conn, name, &slots, &n);

	memset(info, 0, sizeof(*info));
	if (status == PGCONN_OK && n == 1)
	{
		*info = slots[0];
	}
	free(slots);
	return status;
}

PgconnStatus
slot_list(Pgconn *conn, SlotInfo **slots, int *nslots)
{
	return slot_query_rows(conn, NULL, slots, nslots);
}

void
slot_describe_holder(Pgconn *conn, const char *name, char *buf, size_t size)
{
	SlotInfo info;

	if (slot_inspect(conn, name, &info) != PGCONN_OK)
	{
		slot_copy(buf, size, "an unknown process");
		return;
	}
	slot_copy(buf, size, info.holder[0] ? info.holder : "no process");
}

const char *
slot_lost_steps(void)
{
	return "the changes it still had to deliver are gone: drop the slot "
	       "(reckon-slot drop NAME) if it still exists, then start reckon "
	       "--create-slot, which recomputes every key from the new slot's "
	       "snapshot before it streams (see \"Operating the slot\" in "
	       "README.md)";
}

PgconnStatus
slot_create(Pgconn *conn, const char *name, Lsn *consistent)
{
	const char *values[1] = {name};
	PgconnResult *res = NULL;
	PgconnStatus status;
	char what[CONFIG_NAME_MAX + 32];
	bool ok;

	snprintf(what, sizeof(what), "create replication slot \"%s\"", name);
	status = pgconn_exec(conn, what, slot_sql("slot_create"), 1, values, &res,
	                     NULL, NULL, 5 * 60 * 1000);
	if (status != PGCONN_OK)
	{
		return status;
	}
	ok = pgconn_check_shape(res, what, 1, 1) &&
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

bool
slot_check(const SlotInfo *info, const char *name, Lsn *confirmed)
{
	if (!info->exists)
	{
		log_error("replication slot \"%s\" does not exist: start reckon "
		          "with --create-slot to create it (if it existed before, "
		          "the changes since reckon last ran are lost with it; "
		          "--create-slot also recomputes every key, see "
		          "\"Operating the slot\" in README.md)",
		          name);
		return false;
	}
	if (!info->is_logical || strcmp(info->plugin, "wal2json") != 0)
	{
		log_error("replication slot \"%s\" is not a wal2json logical slot "
		          "(plugin \"%s\")",
		          name, info->plugin);
		return false;
	}
	if (!info->is_this_database)
	{
		log_error("replication slot \"%s\" belongs to another database", name);
		return false;
	}
	if (strcmp(info->wal_status, "lost") == 0)
	{
		log_error("replication slot \"%s\" was invalidated (wal_status "
		          "lost: the server removed WAL it needed): %s",
		          name, slot_lost_steps());
		return false;
	}
	*confirmed = info->confirmed_flush;
	log_info("replication slot \"%s\" confirmed up to %X/%X", name,
	         LSN_FORMAT_ARGS(*confirmed));
	return true;
}
