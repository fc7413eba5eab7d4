/*
 * loaders.c: the start-up loads (see loaders.h): a lookup map through a
 * cursor, a page of rows at a time, and the saturated seeds.
 *
 * Pipeline: before stream -> decode -> apply; they fill what apply and
 * sched read. They must never run once the stream has started: a lookup
 * reloaded then would miss the changes the stream already applied.
 */
#include "loaders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "recompute.h"

#define LOG_MODULE "recompute"
#include "log.h"

/* Run one statement of the lookup load; *res gets its result if asked. */
static PgconnStatus
loaders_exec(Session *s, const char *what, const char *sql, int nparams,
             const char *const *values, PgconnResult **res)
{
	PgconnResult *own = NULL;
	PgconnStatus status =
	    session_exec(s, what, sql, nparams, values, res ? res : &own);

	pgconn_result_free(own);
	return status;
}

/* Add one FETCH's rows to lookup index; *rows gets their number. */
static void
loaders_lookup_add(Apply *apply, int index, PgconnResult *res, int *rows)
{
	*rows = pgconn_result_rows(res);
	for (int r = 0; r < *rows; r++)
	{
		const char *key = pgconn_result_value(res, r, 0);
		const char *value = pgconn_result_value(res, r, 1);

		if (key != NULL && value != NULL)
		{
			apply_lookup_set(apply, index, strtoll(key, NULL, 10),
			                 strtoll(value, NULL, 10));
		}
	}
}

/* The table's planner estimate sizes the map, so loading never rehashes. */
static PgconnStatus
loaders_lookup_reserve(Session *s, Apply *apply, int index,
                       const char *regclass, const char *what)
{
	const char *values[1] = {regclass};
	PgconnResult *res = NULL;
	PgconnStatus status =
	    loaders_exec(s, what, session_sql("lookup_estimate"), 1, values, &res);

	if (status == PGCONN_OK && pgconn_check_shape(res, what, 1, 1))
	{
		apply_lookup_reserve(
		    apply, index,
		    (size_t)strtoll(pgconn_result_value(res, 0, 0), NULL, 10));
	}
	pgconn_result_free(res);
	return status;
}

/* FETCH the cursor's pages into lookup index until none is left. */
static PgconnStatus
loaders_lookup_fetch(Session *s, Apply *apply, int index, const char *what,
                     int64_t *total)
{
	PgconnStatus status = PGCONN_OK;
	int rows = 0;

	while (status == PGCONN_OK)
	{
		PgconnResult *res = NULL;

		status =
		    loaders_exec(s, what, session_sql("lookup_fetch"), 0, NULL, &res);
		if (status == PGCONN_OK && !pgconn_check_shape(res, what, -1, 2))
		{
			status = PGCONN_FAIL;
		}
		if (status == PGCONN_OK)
		{
			loaders_lookup_add(apply, index, res, &rows);
			*total += rows;
		}
		pgconn_result_free(res);
		if (rows == 0)
		{
			break;
		}
	}
	return status;
}

/*
 * Load one lookup map through a cursor (sql/lookup_fetch.sql's page at a
 * time): one result holding a whole tracks table took more memory than
 * the map itself.
 */
static PgconnStatus
loaders_lookup(Session *s, const ConfigLookup *l, Apply *apply, int index,
               bool is_replica)
{
	char sql[512];
	char what[CONFIG_NAME_MAX + 32];
	char regclass[2 * CONFIG_NAME_MAX + 8];
	PgconnStatus status;
	int64_t total = 0;

	snprintf(what, sizeof(what), "load lookup \"%s\"", l->name);
	snprintf(regclass, sizeof(regclass), "\"%s\".\"%s\"", l->schema, l->table);
	/*
	 * The one statement here formatted at run time: identifiers cannot be
	 * parameters; config.c admits only plain identifiers
	 * ([A-Za-z_][A-Za-z0-9_$]*), which quoting keeps inert.
	 */
	snprintf(sql, sizeof(sql),
	         "DECLARE reckon_lookup NO SCROLL CURSOR FOR "
	         "SELECT \"%s\"::bigint, \"%s\"::bigint FROM %s",
	         l->key_column, l->value_column, regclass);
	status = loaders_lookup_reserve(s, apply, index, regclass, what);
	if (status != PGCONN_OK ||
	    (status = loaders_exec(s, what, "BEGIN", 0, NULL, NULL)) != PGCONN_OK)
	{
		return status;
	}
	status = loaders_exec(s, what, sql, 0, NULL, NULL);
	if (status == PGCONN_OK)
	{
		status = loaders_lookup_fetch(s, apply, index, what, &total);
	}
	if (status != PGCONN_OK)
	{
		/* error already logged; a broken connection rolls back itself */
		(void)loaders_exec(s, what, "ROLLBACK", 0, NULL, NULL);
		return status;
	}
	status = loaders_exec(s, what, "COMMIT", 0, NULL, NULL);
	if (status == PGCONN_OK)
	{
		log_info("lookup \"%s\" loaded: %" PRId64 " entries from %s.%s%s",
		         l->name, total, l->schema, l->table,
		         is_replica ? " on the read server" : "");
	}
	return status;
}

PgconnStatus
loaders_lookups(Session *primary, Replica *replica, const Config *config,
                Apply *apply, Lsn start)
{
	Session *s = primary;

	if (config->nlookups > 0 && replica_is_configured(replica) &&
	    replica_fence(replica, start, "the lookups"))
	{
		s = replica_session(replica);
	}
	for (int i = 0; i < config->nlookups; i++)
	{
		PgconnStatus status =
		    loaders_lookup(s, &config->lookups[i], apply, i, s != primary);

		if (status != PGCONN_OK)
		{
			return status;
		}
	}
	return PGCONN_OK;
}

PgconnStatus
loaders_saturated(Session *s, Group *groups, int ngroups)
{
	for (int i = 0; i < ngroups; i++)
	{
		Group *g = &groups[i];
		char what[2 * CONFIG_NAME_MAX + 64];
		PgconnResult *res = NULL;
		PgconnStatus status;

		if (g->config->saturated_seed_sql == NULL)
		{
			continue;
		}
		snprintf(what, sizeof(what), "saturated_seed \"%s\" of group \"%s\"",
		         g->config->saturated_seed_name, g->config->name);
		status =
		    session_exec(s, what, g->config->saturated_seed_sql, 0, NULL, &res);
		if (status == PGCONN_OK && !pgconn_check_shape(res, what, -1, 1))
		{
			status = PGCONN_FAIL;
		}
		if (status == PGCONN_OK)
		{
			recompute_mark_saturated(g, res);
			log_info("group \"%s\": %zu saturated keys at start",
			         g->config->name, g->saturated.count);
		}
		pgconn_result_free(res);
		if (status != PGCONN_OK)
		{
			return status;
		}
	}
	return PGCONN_OK;
}
