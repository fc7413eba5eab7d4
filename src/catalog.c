/*
 * catalog.c: the configuration's tables and columns checked against the
 * catalog at start (see catalog.h). One small query per rule or lookup
 * column: a configuration names a few dozen, and clear messages matter
 * more here than one round trip.
 */
#include "catalog.h"

#include <stdio.h>
#include <string.h>

#include "embedded.h"

#define LOG_MODULE "catalog"
#include "log.h"

/* sql/catalog_column.sql: the catalog's facts about one column */
static const char *
catalog_sql(void)
{
	const char *sql = embedded_find(embedded_sql, "catalog_column");

	ASSERT(sql != NULL);
	return sql;
}

/* the types apply.c can read a key from (decode_column_int64) */
static bool
catalog_type_is_integer(const char *typname)
{
	return strcmp(typname, "int2") == 0 || strcmp(typname, "int4") == 0 ||
	       strcmp(typname, "int8") == 0;
}

/*
 * Check one column. where: "FILE:LINE: group \"plays\"" and the like.
 * is_rule: a dirty rule, whose UPDATE may move a row between keys, so
 * the old key must come with the change.
 */
static PgconnStatus
catalog_check_column(Pgconn *conn, const char *where, const char *schema,
                     const char *table, const char *column, bool is_rule,
                     bool *ok)
{
	const char *values[3] = {schema, table, column};
	PgconnResult *res = NULL;
	PgconnStatus status;
	const char *exists;
	const char *type;
	const char *identity;
	const char *in_identity;

	status = pgconn_exec(conn, "catalog check", catalog_sql(), 3, values, &res,
	                     NULL, NULL, 60 * 1000);
	if (status != PGCONN_OK)
	{
		return status;
	}
	if (!pgconn_check_shape(res, "catalog check", 1, 4))
	{
		pgconn_result_free(res);
		return PGCONN_FAIL;
	}
	exists = pgconn_result_value(res, 0, 0);
	type = pgconn_result_value(res, 0, 1);
	identity = pgconn_result_value(res, 0, 2);
	in_identity = pgconn_result_value(res, 0, 3);
	if (exists == NULL || strcmp(exists, "t") != 0)
	{
		log_error("%s: table %s.%s does not exist in this database", where,
		          schema, table);
		*ok = false;
	}
	else if (type == NULL)
	{
		log_error("%s: table %s.%s has no column \"%s\"", where, schema, table,
		          column);
		*ok = false;
	}
	else if (!catalog_type_is_integer(type))
	{
		log_error("%s: column \"%s\" of %s.%s is of type %s; a key must be an "
		          "integer (smallint, integer or bigint)",
		          where, column, schema, table, type);
		*ok = false;
	}
	else if (is_rule && identity != NULL && strcmp(identity, "f") != 0 &&
	         (in_identity == NULL || strcmp(in_identity, "t") != 0))
	{
		/*
		 * Under DEFAULT the old row carries only the primary key: an
		 * UPDATE that changes this column dirties the new key only, and
		 * the old key's rows keep what they had. Fine for a column that
		 * never changes (a play's track), wrong for one that does.
		 */
		log_warn("%s: %s.%s has REPLICA IDENTITY %s, so an UPDATE that "
		         "changes \"%s\" dirties only the new key; if that column "
		         "can change, run ALTER TABLE %s.%s REPLICA IDENTITY FULL",
		         where, schema, table,
		         strcmp(identity, "n") == 0   ? "NOTHING"
		         : strcmp(identity, "i") == 0 ? "USING INDEX"
		                                      : "DEFAULT",
		         column, schema, table);
	}
	pgconn_result_free(res);
	return PGCONN_OK;
}

PgconnStatus
catalog_check(Pgconn *conn, const Config *config)
{
	char where[CONFIG_ORIGIN_MAX + 2 * CONFIG_NAME_MAX + 64];
	PgconnStatus status = PGCONN_OK;
	bool ok = true;

	for (int i = 0; status == PGCONN_OK && i < config->nlookups; i++)
	{
		const ConfigLookup *l = &config->lookups[i];

		snprintf(where, sizeof(where), "%s: lookup \"%s\"", l->origin, l->name);
		status = catalog_check_column(conn, where, l->schema, l->table,
		                              l->key_column, false, &ok);
		if (status == PGCONN_OK)
		{
			status = catalog_check_column(conn, where, l->schema, l->table,
			                              l->value_column, false, &ok);
		}
	}
	for (int i = 0; status == PGCONN_OK && i < config->ngroups; i++)
	{
		const ConfigGroup *g = &config->groups[i];

		for (int r = 0; status == PGCONN_OK && r < g->nrules; r++)
		{
			const ConfigRule *rule = &g->rules[r];

			snprintf(where, sizeof(where),
			         "%s: group \"%s\", dirty rule %s.%s.%s", g->origin,
			         g->name, rule->schema, rule->table, rule->column);
			status = catalog_check_column(conn, where, rule->schema,
			                              rule->table, rule->column, true, &ok);
		}
	}
	if (status == PGCONN_OK && !ok)
	{
		log_error("the configuration does not match the database (see "
		          "above); nothing was streamed");
		return PGCONN_FAIL;
	}
	return status;
}
