/*
 * recompute.c: one batch, one transaction (see recompute.h): either all of
 * the batch's rows are written or none, and the batch stays in flight until
 * one attempt commits. With a read server (replica.c), a processor that has
 * a read statement reads its rows there and its write policy (the APPLY
 * form, rule.h) writes them here, on the primary.
 */
#include "recompute.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"

#define LOG_MODULE "recompute"
#include "log.h"

#define RECOMPUTE_COLUMNS                                                      \
	6 /* challenge_id, user_id, specifier, step,                               \
	   * is_complete, completed_now */

void
recompute_init(Recompute *rc, const Config *config, PgconnWaitFn wait,
               void *wait_arg)
{
	*rc = (Recompute){.config = config, .wait = wait, .wait_arg = wait_arg};
	replica_init(&rc->replica, config, wait, wait_arg);
}

void
recompute_free(Recompute *rc)
{
	pgconn_finish(rc->conn);
	rc->conn = NULL;
	free(rc->ids);
	rc->ids = NULL;
	replica_free(&rc->replica);
	for (int i = 0; i < RULE_COLUMNS_MAX; i++)
	{
		free(rc->arrays[i]);
		rc->arrays[i] = NULL;
		rc->array_capacity[i] = 0;
	}
}

bool
recompute_is_connected(const Recompute *rc)
{
	return rc->conn != NULL && !pgconn_is_bad(rc->conn);
}

static void
recompute_statement_name(const Processor *p, char *buf, size_t size)
{
	snprintf(buf, size, "reckon_%s", p->config->id);
}

/* $1 the batch's keys, $2 the challenge id, $3 create_min */
static const unsigned int recompute_param_types[3] = {
    PGCONN_TYPE_INT8_ARRAY, PGCONN_TYPE_TEXT, PGCONN_TYPE_INT8};

static void
recompute_apply_name(const Processor *p, char *buf, size_t size)
{
	snprintf(buf, size, "reckon_apply_%s", p->config->id);
}

/*
 * Prepare p's statement and, with a read server, the APPLY form that
 * writes its reads: the rule's three parameters, then one array per
 * candidate column, typed by the statement's own casts (0).
 */
static PgconnStatus
recompute_prepare(Recompute *rc, const Processor *p, const char *prefix,
                  const char *suffix)
{
	unsigned int types[RULE_PARAMS + RULE_COLUMNS_MAX] = {0};
	char name[CONFIG_NAME_MAX + 16];
	char what[512];
	PgconnStatus status;

	memcpy(types, recompute_param_types, sizeof(recompute_param_types));
	snprintf(name, sizeof(name), "%s%s", prefix, p->config->id);
	snprintf(what, sizeof(what),
	         "prepare statement \"%s\" of processor \"%s\"%s",
	         p->config->sql_name, p->config->id, suffix);
	status = pgconn_prepare(rc->conn, what, name, p->config->sql_text,
	                        RULE_PARAMS, types);
	if (status == PGCONN_OK && rc->config->read_dsn != NULL &&
	    p->config->apply_sql_text != NULL)
	{
		snprintf(name, sizeof(name), "%sapply_%s", prefix, p->config->id);
		snprintf(what, sizeof(what),
		         "prepare the write of the reads of processor \"%s\" (rule "
		         "\"%s\", policy \"%s\")%s",
		         p->config->id, p->config->sql_name, p->config->policy_name,
		         suffix);
		status = pgconn_prepare(rc->conn, what, name, p->config->apply_sql_text,
		                        RULE_PARAMS + p->config->read_columns, types);
	}
	return status;
}

PgconnStatus
recompute_connect(Recompute *rc, const Processor *procs, int nprocs)
{
	PgconnStatus status;

	pgconn_finish(rc->conn);
	rc->conn = pgconn_connect(rc->config->dsn, "reckon recompute", false,
	                          rc->config->statement_timeout_ms, &status);
	if (rc->conn == NULL)
	{
		return status;
	}
	/*
	 * The built-in statements' session tables first (every built-in
	 * statement named *_setup, such as play_counts_setup): statements read
	 * them, and must prepare whatever the configuration, with or without
	 * the prelude that fills them.
	 */
	for (const EmbeddedFile *f = embedded_sql; f->name != NULL; f++)
	{
		size_t len = strlen(f->name);
		char what[CONFIG_NAME_MAX + 64];

		if (len < 6 || strcmp(f->name + len - 6, "_setup") != 0)
		{
			continue;
		}
		snprintf(what, sizeof(what), "session table setup \"%s\"", f->name);
		status = pgconn_exec(rc->conn, what, f->text, 0, NULL, NULL, NULL, NULL,
		                     60 * 1000);
		if (status != PGCONN_OK)
		{
			pgconn_finish(rc->conn);
			rc->conn = NULL;
			return status;
		}
	}
	for (int i = 0; i < nprocs; i++)
	{
		status = recompute_prepare(rc, &procs[i], "reckon_", "");
		if (status != PGCONN_OK)
		{
			pgconn_finish(rc->conn);
			rc->conn = NULL;
			return status;
		}
	}
	return PGCONN_OK;
}

/* DEALLOCATE a statement recompute_connect or a reload prepared. */
static PgconnStatus
recompute_deallocate(Recompute *rc, const char *name)
{
	char sql[CONFIG_NAME_MAX + 64];

	/* name is "reckon_" and a processor id, an identifier config checked */
	snprintf(sql, sizeof(sql), "DEALLOCATE \"%s\"", name);
	return pgconn_exec(rc->conn, "deallocate", sql, 0, NULL, NULL, rc->wait,
	                   rc->wait_arg, 60 * 1000);
}

static const Processor *
recompute_find(const Processor *procs, int nprocs, const char *id)
{
	for (int i = 0; i < nprocs; i++)
	{
		if (strcmp(procs[i].config->id, id) == 0)
		{
			return &procs[i];
		}
	}
	return NULL;
}

/* Whether p has an APPLY statement prepared (a read server, a read). */
static bool
recompute_has_apply(const Recompute *rc, const Processor *p)
{
	return rc->config->read_dsn != NULL && p->config->apply_sql_text != NULL;
}

/* Deallocate p's statements prepared under prefix. */
static PgconnStatus
recompute_deallocate_all(Recompute *rc, const Processor *p, const char *prefix)
{
	char name[CONFIG_NAME_MAX + 32];
	PgconnStatus status;

	snprintf(name, sizeof(name), "%s%s", prefix, p->config->id);
	status = recompute_deallocate(rc, name);
	if (status == PGCONN_OK && recompute_has_apply(rc, p))
	{
		snprintf(name, sizeof(name), "%sapply_%s", prefix, p->config->id);
		status = recompute_deallocate(rc, name);
	}
	return status;
}

/* Whether a and b run different statements. */
static bool
recompute_changed(const Processor *a, const Processor *b)
{
	const char *x = a->config->apply_sql_text;
	const char *y = b->config->apply_sql_text;

	return strcmp(a->config->sql_text, b->config->sql_text) != 0 ||
	       (x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0);
}

/*
 * Prepare each of procs under "reckon_check_ID" and deallocate it: whether
 * every statement of a reloaded configuration prepares, before anything
 * running is touched.
 */
static PgconnStatus
recompute_check(Recompute *rc, const Processor *procs, int nprocs)
{
	PgconnStatus status = PGCONN_OK;

	for (int i = 0; i < nprocs && status == PGCONN_OK; i++)
	{
		status = recompute_prepare(rc, &procs[i], "reckon_check_", " (reload)");
		if (status == PGCONN_OK)
		{
			status = recompute_deallocate_all(rc, &procs[i], "reckon_check_");
		}
	}
	return status;
}

PgconnStatus
recompute_reprepare(Recompute *rc, const Config *config, const Processor *old,
                    int nold, const Processor *procs, int nprocs)
{
	PgconnStatus status;

	if (!recompute_is_connected(rc))
	{
		log_error("the SQL connection is down, so the reloaded statements "
		          "cannot be checked");
		return PGCONN_RETRY;
	}
	status = recompute_check(rc, procs, nprocs);
	if (status != PGCONN_OK)
	{
		return status;
	}
	for (int i = 0; i < nold && status == PGCONN_OK; i++)
	{
		const Processor *p = recompute_find(procs, nprocs, old[i].config->id);

		if (p == NULL || recompute_changed(p, &old[i]))
		{
			status = recompute_deallocate_all(rc, &old[i], "reckon_");
		}
	}
	rc->config = config;
	replica_reload(&rc->replica, config);
	for (int i = 0; i < nprocs && status == PGCONN_OK; i++)
	{
		const Processor *o = recompute_find(old, nold, procs[i].config->id);

		if (o == NULL || recompute_changed(o, &procs[i]))
		{
			status = recompute_prepare(rc, &procs[i], "reckon_", " (reload)");
		}
	}
	if (status != PGCONN_OK)
	{
		/*
		 * Checked a moment ago, so the connection failed: the reconnect
		 * prepares the new configuration's statements from the start.
		 */
		pgconn_finish(rc->conn);
		rc->conn = NULL;
	}
	return PGCONN_OK;
}

/* Parse pg_current_snapshot()'s "xmin:xmax:xip,xip,..." */
static bool
recompute_parse_snapshot(const char *text, uint64_t *xmax, uint64_t **xip,
                         size_t *nxip)
{
	const char *p = strchr(text, ':');
	char *end;
	size_t cap = 0;

	*xip = NULL;
	*nxip = 0;
	if (p == NULL)
	{
		return false;
	}
	*xmax = strtoull(p + 1, &end, 10);
	if (*end != ':')
	{
		return false;
	}
	p = end + 1;
	while (*p != '\0')
	{
		uint64_t x = strtoull(p, &end, 10);

		if (end == p || (*end != ',' && *end != '\0'))
		{
			free(*xip);
			return false;
		}
		if (*nxip == cap)
		{
			cap = cap ? cap * 2 : 64;
			uint64_t *grown = realloc(*xip, cap * sizeof(uint64_t));
			if (grown == NULL)
			{
				common_out_of_memory("snapshot");
			}
			*xip = grown;
		}
		(*xip)[(*nxip)++] = x;
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

/*
 * Whether every one of the n pending xids (32-bit, as wal2json sends them)
 * is visible in the snapshot. They are all committed, so visible means
 * below xmax (at or past it, the snapshot predates the commit's completion)
 * and not in progress (in xip). A pending xid is recent, within 2^31 of
 * xmax, so the signed 32-bit distance places it in the right epoch.
 */
static bool
recompute_all_visible(const Apply *apply, size_t n, uint64_t xmax,
                      const uint64_t *xip, size_t nxip, uint32_t *invisible)
{
	for (size_t i = 0; i < n; i++)
	{
		uint32_t xid = apply->pending_xids[i];
		int32_t distance = (int32_t)(xid - (uint32_t)xmax);
		uint64_t full = xmax - (uint64_t)(-(int64_t)distance);

		*invisible = xid;
		if (distance >= 0)
		{
			return false;
		}
		for (size_t j = 0; j < nxip; j++)
		{
			if (xip[j] == full)
			{
				return false;
			}
		}
	}
	return true;
}

static PgconnStatus
recompute_wait_visible(Recompute *rc, Apply *apply)
{
	size_t n = apply->npending;
	int64_t start_us = common_monotonic_us();

	while (n > 0)
	{
		PgconnResult *res = NULL;
		uint64_t xmax;
		uint64_t *xip;
		size_t nxip;
		uint32_t invisible = 0;
		PgconnStatus status;
		bool visible;

		status = pgconn_exec(rc->conn, "snapshot",
		                     "SELECT pg_catalog.pg_current_snapshot()::text", 0,
		                     NULL, &res, rc->wait, rc->wait_arg, 60 * 1000);
		if (status != PGCONN_OK)
		{
			return status;
		}
		if (!pgconn_check_shape(res, "snapshot", 1, 1) ||
		    !recompute_parse_snapshot(pgconn_result_value(res, 0, 0), &xmax,
		                              &xip, &nxip))
		{
			pgconn_result_free(res);
			return PGCONN_FAIL;
		}
		pgconn_result_free(res);
		visible = recompute_all_visible(apply, n, xmax, xip, nxip, &invisible);
		free(xip);
		if (visible)
		{
			apply_pending_consume(apply, n);
			return PGCONN_OK;
		}
		if (common_monotonic_us() - start_us >
		    rc->config->visibility_timeout_ms * 1000)
		{
			log_error("transaction %u was streamed as committed but is still "
			          "not visible after %lld ms",
			          invisible, (long long)rc->config->visibility_timeout_ms);
			return PGCONN_RETRY;
		}
		log_debug("transaction %u streamed as committed but not yet visible "
		          "to a new snapshot, waiting",
		          invisible);
		rc->wait(rc->wait_arg, -1, 1);
	}
	return PGCONN_OK;
}

static void
recompute_format_ids(Recompute *rc, const Batch *batch)
{
	size_t need = 3 + (size_t)batch->nkeys * 21;
	size_t used = 0;

	if (rc->ids_capacity < need)
	{
		char *grown = realloc(rc->ids, need);

		if (grown == NULL)
		{
			common_out_of_memory("batch parameter");
		}
		rc->ids = grown;
		rc->ids_capacity = need;
	}
	rc->ids[used++] = '{';
	for (int i = 0; i < batch->nkeys; i++)
	{
		used += (size_t)snprintf(rc->ids + used, need - used, "%s%" PRId64,
		                         i > 0 ? "," : "", batch->keys[i]);
	}
	rc->ids[used++] = '}';
	rc->ids[used] = '\0';
}

/*
 * The commit time behind a completion: that of the user's own key, or, when
 * the batch is keyed by another entity (a referrer, a track owner), the
 * newest commit of the batch.
 */
static int64_t
recompute_commit_us(const Batch *batch, const char *user_id)
{
	int64_t key = strtoll(user_id, NULL, 10);
	int64_t newest = 0;

	for (int i = 0; i < batch->nkeys; i++)
	{
		if (batch->keys[i] == key)
		{
			return batch->commit_us[i];
		}
		if (batch->commit_us[i] > newest)
		{
			newest = batch->commit_us[i];
		}
	}
	return newest;
}

/* Log each completion with its commit-to-completion latency; count them. */
static int
recompute_report(const Processor *p, const Batch *batch,
                 const PgconnResult *res, int64_t done_us, LogLevel level)
{
	int completions = 0;

	for (int r = 0; r < pgconn_result_rows(res); r++)
	{
		const char *completed_now = pgconn_result_value(res, r, 5);
		const char *user_id = pgconn_result_value(res, r, 1);
		int64_t commit_us;

		if (completed_now == NULL || strcmp(completed_now, "t") != 0 ||
		    user_id == NULL)
		{
			continue;
		}
		completions++;
		commit_us = recompute_commit_us(batch, user_id);
		LOG_AT(level,
		       "completed challenge \"%s\" specifier \"%s\" user %s, "
		       "%.1f ms after its commit",
		       p->config->challenge_id, pgconn_result_value(res, r, 2), user_id,
		       commit_us > 0 ? (double)(done_us - commit_us) / 1000.0 : 0.0);
	}
	return completions;
}

/* Run one member's statement on the batch's keys (already in rc->ids). */
static PgconnStatus
recompute_member(Recompute *rc, const Processor *p, PgconnResult **res)
{
	char name[CONFIG_NAME_MAX + 16];
	char what[CONFIG_NAME_MAX + 64];
	char create_min[32];
	const char *values[3] = {rc->ids, p->config->challenge_id, create_min};
	PgconnStatus status;

	snprintf(create_min, sizeof(create_min), "%" PRId64, p->config->create_min);
	recompute_statement_name(p, name, sizeof(name));
	snprintf(what, sizeof(what), "recompute of processor \"%s\"",
	         p->config->id);
	log_trace("%s: keys %s", what, rc->ids);
	status = pgconn_exec_prepared(rc->conn, what, name, 3, values, res,
	                              rc->wait, rc->wait_arg,
	                              rc->config->statement_timeout_ms + 30 * 1000);
	if (status == PGCONN_OK &&
	    !pgconn_check_shape(*res, what, -1, RECOMPUTE_COLUMNS))
	{
		status = PGCONN_FAIL;
	}
	return status;
}

/* Append text to array i of rc->arrays, growing it; aborts on OOM. */
static void
recompute_array_append(Recompute *rc, int i, size_t *used, const char *text,
                       size_t len)
{
	if (*used + len + 1 > rc->array_capacity[i])
	{
		size_t capacity = rc->array_capacity[i] ? rc->array_capacity[i] : 256;
		char *grown;

		while (*used + len + 1 > capacity)
		{
			capacity *= 2;
		}
		grown = realloc(rc->arrays[i], capacity);
		if (grown == NULL)
		{
			common_out_of_memory("apply parameter");
		}
		rc->arrays[i] = grown;
		rc->array_capacity[i] = capacity;
	}
	memcpy(rc->arrays[i] + *used, text, len);
	*used += len;
	rc->arrays[i][*used] = '\0';
}

/*
 * A read's rows as the APPLY statement's array literals, one per column:
 * every element double-quoted with '"' and '\\' escaped (valid for each
 * element type, and for whatever text a custom rule returns), NULL as NULL.
 */
static void
recompute_format_arrays(Recompute *rc, const PgconnResult *read, int ncolumns)
{
	int rows = pgconn_result_rows(read);

	ASSERT(ncolumns <= RULE_COLUMNS_MAX);
	for (int c = 0; c < ncolumns; c++)
	{
		size_t used = 0;

		recompute_array_append(rc, c, &used, "{", 1);
		for (int r = 0; r < rows; r++)
		{
			const char *v = pgconn_result_value(read, r, c);

			if (r > 0)
			{
				recompute_array_append(rc, c, &used, ",", 1);
			}
			if (v == NULL)
			{
				recompute_array_append(rc, c, &used, "NULL", 4);
				continue;
			}
			recompute_array_append(rc, c, &used, "\"", 1);
			for (const char *x = v; *x != '\0'; x++)
			{
				if (*x == '"' || *x == '\\')
				{
					recompute_array_append(rc, c, &used, "\\", 1);
				}
				recompute_array_append(rc, c, &used, x, 1);
			}
			recompute_array_append(rc, c, &used, "\"", 1);
		}
		recompute_array_append(rc, c, &used, "}", 1);
	}
}

/*
 * Write one member's rows, read on the read server, with its APPLY
 * statement: its write policy over the rows its rule returned there, the
 * same comparison with the existing rows and the same upsert as the
 * member's own statement, and the same result shape.
 */
static PgconnStatus
recompute_apply_rows(Recompute *rc, const Processor *p,
                     const PgconnResult *read, PgconnResult **res)
{
	const char *values[RULE_PARAMS + RULE_COLUMNS_MAX];
	int ncolumns = p->config->read_columns;
	char name[CONFIG_NAME_MAX + 16];
	char what[CONFIG_NAME_MAX + 64];
	char create_min[32];
	PgconnStatus status;

	recompute_format_arrays(rc, read, ncolumns);
	snprintf(create_min, sizeof(create_min), "%" PRId64, p->config->create_min);
	values[0] = rc->ids;
	values[1] = p->config->challenge_id;
	values[2] = create_min;
	for (int c = 0; c < ncolumns; c++)
	{
		values[RULE_PARAMS + c] = rc->arrays[c];
	}
	recompute_apply_name(p, name, sizeof(name));
	snprintf(what, sizeof(what), "write of the reads of processor \"%s\"",
	         p->config->id);
	status = pgconn_exec_prepared(rc->conn, what, name, RULE_PARAMS + ncolumns,
	                              values, res, rc->wait, rc->wait_arg,
	                              rc->config->statement_timeout_ms + 30 * 1000);
	if (status == PGCONN_OK &&
	    !pgconn_check_shape(*res, what, -1, RECOMPUTE_COLUMNS))
	{
		status = PGCONN_FAIL;
	}
	return status;
}

/*
 * After the commit: log each member's run and count it. A backfill's runs
 * and completions (level DEBUG) would be a line per user of the database;
 * backfill.c reports their totals instead.
 */
static int
recompute_account(Recompute *rc, Processor *p, const Batch *batch,
                  const PgconnResult *res, int64_t elapsed_us, LogLevel level)
{
	int rows = pgconn_result_rows(res);
	int completions = recompute_report(p, batch, res, common_now_us(), level);

	LOG_AT(level,
	       "processor \"%s\": %d keys, %d rows written, %d completed in "
	       "%.1f ms, LSN %X/%X..%X/%X",
	       p->config->id, batch->nkeys, rows, completions,
	       (double)elapsed_us / 1000.0, LSN_FORMAT_ARGS(batch->safe_lsn),
	       LSN_FORMAT_ARGS(batch->upto_lsn));
	if (elapsed_us >= rc->config->slow_ms * 1000)
	{
		log_warn("slow run of processor \"%s\" (challenge \"%s\"): %.0f ms "
		         "for %d keys",
		         p->config->id, p->config->challenge_id,
		         (double)elapsed_us / 1000.0, batch->nkeys);
	}
	p->runs++;
	p->keys_done += batch->nkeys;
	p->rows_written += rows;
	p->completions += completions;
	metrics_histogram_observe(&p->duration, METRICS_BUCKETS_RECOMPUTE,
	                          elapsed_us);
	if (elapsed_us > p->slowest_us)
	{
		p->slowest_us = elapsed_us;
	}
	return completions;
}

/*
 * The group's saturated statement on the batch's keys (in rc->ids), after
 * its members and in their transaction, so it judges the rows they just
 * wrote. *res keeps the keys it returned until the commit.
 */
static PgconnStatus
recompute_saturated(Recompute *rc, const Group *g, PgconnResult **res)
{
	const char *values[1] = {rc->ids};
	char what[2 * CONFIG_NAME_MAX + 64];
	PgconnStatus status;

	snprintf(what, sizeof(what), "saturated statement \"%s\" of group \"%s\"",
	         g->config->saturated_name, g->config->name);
	status = pgconn_exec(rc->conn, what, g->config->saturated_sql, 1, values,
	                     res, rc->wait, rc->wait_arg,
	                     rc->config->statement_timeout_ms + 30 * 1000);
	if (status == PGCONN_OK && !pgconn_check_shape(*res, what, -1, 1))
	{
		status = PGCONN_FAIL;
	}
	return status;
}

/* After the commit: mark the keys the saturated statement returned. */
static void
recompute_saturate(Group *g, const PgconnResult *res)
{
	int rows = pgconn_result_rows(res);

	for (int r = 0; r < rows; r++)
	{
		const char *text = pgconn_result_value(res, r, 0);
		int64_t key;

		if (text != NULL &&
		    config_parse_count(text, INT64_MIN, INT64_MAX, &key))
		{
			sched_saturate(g, &key, 1);
		}
	}
}

static PgconnStatus
recompute_simple(Recompute *rc, const char *command)
{
	return pgconn_exec(rc->conn, command, command, 0, NULL, NULL, rc->wait,
	                   rc->wait_arg, 60 * 1000);
}

/*
 * Every batch's transaction starts by taking its group's advisory lock
 * (released at COMMIT), in the daemon and in `reckon backfill` alike, so
 * two processes never recompute one group at once: each batch reads, in
 * statements after the lock, everything the one before it committed. A
 * backfill batch that read before a change and wrote after the daemon's
 * recompute of it would otherwise write the older result last.
 *
 * BEGIN and the lock go in one simple-protocol string: one round trip.
 * The key is two integers computed here (a constant and a hash of the
 * group's name), never text from outside; the snapshot name was checked
 * for hex digits and dashes (stream_create_slot). SET TRANSACTION
 * SNAPSHOT must be the transaction's first statement, in REPEATABLE READ.
 */
static PgconnStatus
recompute_begin(Recompute *rc, const Group *g, const char *snapshot)
{
	char command[256];
	char isolation[160] = "";
	uint32_t hash = 2166136261u; /* FNV-1a */

	for (const char *c = g->config->name; *c != '\0'; c++)
	{
		hash = (hash ^ (uint8_t)*c) * 16777619u;
	}
	if (snapshot != NULL && snapshot[0] != '\0')
	{
		snprintf(isolation, sizeof(isolation),
		         " ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION "
		         "SNAPSHOT '%s'",
		         snapshot);
	}
	snprintf(command, sizeof(command),
	         "BEGIN%s; SELECT pg_catalog.pg_advisory_xact_lock(%d, %d)",
	         isolation, RECOMPUTE_LOCK_CLASS, (int32_t)hash);
	return pgconn_exec(rc->conn, "BEGIN", command, 0, NULL, NULL, rc->wait,
	                   rc->wait_arg,
	                   rc->config->statement_timeout_ms + 30 * 1000);
}

/* A backfill batch's record, in its transaction: it is never run twice. */
static PgconnStatus
recompute_record_page(Recompute *rc, const Batch *batch,
                      const RecomputePage *page)
{
	char run[32], after[32], last[32], keys[32];
	const char *values[4] = {run, after, last, keys};

	snprintf(run, sizeof(run), "%" PRId64, page->run_id);
	snprintf(after, sizeof(after), "%" PRId64, page->after);
	snprintf(last, sizeof(last), "%" PRId64, batch->keys[batch->nkeys - 1]);
	snprintf(keys, sizeof(keys), "%d", batch->nkeys);
	return pgconn_exec(rc->conn, "record the backfill batch",
	                   "INSERT INTO reckon.backfill_batches "
	                   "(run_id, after_key, last_key, keys) "
	                   "VALUES ($1, $2, $3, $4)",
	                   4, values, NULL, rc->wait, rc->wait_arg, 60 * 1000);
}

/* The group's prelude on the batch's keys (in rc->ids), before its members. */
static PgconnStatus
recompute_prelude(Recompute *rc, const Group *g)
{
	const char *values[1] = {rc->ids};
	char what[2 * CONFIG_NAME_MAX + 64];

	snprintf(what, sizeof(what), "prelude \"%s\" of group \"%s\"",
	         g->config->prelude_name, g->config->name);
	return pgconn_exec(rc->conn, what, g->config->prelude_sql, 1, values, NULL,
	                   rc->wait, rc->wait_arg,
	                   rc->config->statement_timeout_ms + 30 * 1000);
}

/*
 * A rescan (or backfill) page: the group's rescan_keys statement lists the
 * next batch_size keys after `after`, inside the batch's transaction, so
 * the keys and their recompute come from one snapshot (one that sees the
 * TRUNCATE, for a rescan). None left: the batch stays empty and the rescan
 * ends.
 */
static PgconnStatus
recompute_rescan_page(Recompute *rc, Group *g, Batch *batch, int64_t after_key)
{
	char after[32];
	char limit[32];
	const char *values[2] = {after, limit};
	char what[2 * CONFIG_NAME_MAX + 64];
	PgconnResult *res = NULL;
	PgconnStatus status;

	snprintf(after, sizeof(after), "%" PRId64, after_key);
	snprintf(limit, sizeof(limit), "%d", g->config->batch_size);
	snprintf(what, sizeof(what), "rescan_keys \"%s\" of group \"%s\"",
	         g->config->rescan_keys_name, g->config->name);
	status = pgconn_exec(rc->conn, what, g->config->rescan_keys_sql, 2, values,
	                     &res, rc->wait, rc->wait_arg,
	                     rc->config->statement_timeout_ms + 30 * 1000);
	if (status == PGCONN_OK && !pgconn_check_shape(res, what, -1, 1))
	{
		status = PGCONN_FAIL;
	}
	batch->nkeys = 0;
	if (status == PGCONN_OK)
	{
		int rows = pgconn_result_rows(res);

		/* more rows than asked for would break "a short page is the last" */
		if (rows > g->config->batch_size)
		{
			log_error("%s returned %d rows for a page of %d", what, rows,
			          g->config->batch_size);
			status = PGCONN_FAIL;
		}
		batch_reserve(batch, rows > 0 ? rows : 1);
		for (int r = 0; status == PGCONN_OK && r < rows; r++)
		{
			const char *text = pgconn_result_value(res, r, 0);
			int64_t key;

			if (text == NULL ||
			    !config_parse_count(text, INT64_MIN, INT64_MAX, &key) ||
			    key <= after_key ||
			    (batch->nkeys > 0 && key <= batch->keys[batch->nkeys - 1]))
			{
				log_error("%s: row %d is \"%s\", not a key after %" PRId64
				          " in ascending order",
				          what, r, text ? text : "NULL", after_key);
				status = PGCONN_FAIL;
				break;
			}
			batch->keys[batch->nkeys] = key;
			batch->commit_us[batch->nkeys++] = g->rescan_commit_us;
			/* its rows are judged anew by this batch */
			lookup_delete(&g->saturated, key);
		}
	}
	pgconn_result_free(res);
	if (status != PGCONN_OK)
	{
		batch->nkeys = 0;
	}
	return status;
}

/* Whether every member of g has its rows in reads (none runs its own). */
static bool
recompute_all_read(const Group *g, PgconnResult *const *reads)
{
	for (int i = 0; i < g->nmembers; i++)
	{
		if (reads[i] == NULL)
		{
			return false;
		}
	}
	return true;
}

/*
 * One batch of g in one transaction: a daemon batch (page NULL: the dirty
 * keys in batch, or a rescan page) or a backfill page. reads: NULL, or
 * per member the rows its read statement returned on the read server
 * (NULL: the member runs its own statement). Nothing is committed unless
 * everything ran.
 */
static PgconnStatus
recompute_transaction(Recompute *rc, Group *g, Batch *batch,
                      RecomputePage *page, PgconnResult **reads)
{
	PgconnResult *results[CONFIG_PROCESSORS_MAX] = {NULL};
	PgconnResult *saturated = NULL;
	int64_t elapsed_us[CONFIG_PROCESSORS_MAX];
	bool ran[CONFIG_PROCESSORS_MAX] = {false};
	bool is_page = page != NULL || g->inflight_is_rescan;
	LogLevel level = page != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	PgconnStatus status;

	status = recompute_begin(rc, g, page != NULL ? page->snapshot : NULL);
	if (status == PGCONN_OK && is_page)
	{
		status = recompute_rescan_page(
		    rc, g, batch, page != NULL ? page->after : g->rescan_after);
	}
	if (reads == NULL)
	{
		/* with reads, recompute_with_reads formatted them for the reads */
		recompute_format_ids(rc, batch);
	}
	/* the prelude feeds the members' own statements, not their reads */
	if (status == PGCONN_OK && g->config->prelude_sql != NULL &&
	    batch->nkeys > 0 && (reads == NULL || !recompute_all_read(g, reads)))
	{
		status = recompute_prelude(rc, g);
	}
	/* a group's members run in order, all or none of them committed */
	for (int i = 0; status == PGCONN_OK && i < g->nmembers && batch->nkeys > 0;
	     i++)
	{
		int64_t start_us = common_monotonic_us();

		if (page != NULL && page->only != NULL &&
		    strcmp(page->only, g->members[i]->config->id) != 0)
		{
			continue;
		}
		if (reads != NULL && reads[i] != NULL)
		{
			/* nothing read, nothing to write: no round trip */
			status = pgconn_result_rows(reads[i]) == 0
			             ? PGCONN_OK
			             : recompute_apply_rows(rc, g->members[i], reads[i],
			                                    &results[i]);
		}
		else
		{
			status = recompute_member(rc, g->members[i], &results[i]);
		}
		elapsed_us[i] = common_monotonic_us() - start_us;
		ran[i] = true;
	}
	if (status == PGCONN_OK && g->config->saturated_sql != NULL &&
	    batch->nkeys > 0)
	{
		status = recompute_saturated(rc, g, &saturated);
	}
	if (status == PGCONN_OK && page != NULL && batch->nkeys > 0)
	{
		status = recompute_record_page(rc, batch, page);
	}
	if (status == PGCONN_OK)
	{
		status = recompute_simple(rc, "COMMIT");
	}
	else if (recompute_is_connected(rc))
	{
		(void)recompute_simple(rc, "ROLLBACK");
	}
	for (int i = 0; i < g->nmembers; i++)
	{
		if (ran[i] && status == PGCONN_OK)
		{
			int completions = recompute_account(
			    rc, g->members[i], batch, results[i], elapsed_us[i], level);

			if (page != NULL)
			{
				page->completions += completions;
				page->rows += pgconn_result_rows(results[i]);
			}
		}
		pgconn_result_free(results[i]);
	}
	if (status == PGCONN_OK && saturated != NULL)
	{
		recompute_saturate(g, saturated);
	}
	pgconn_result_free(saturated);
	return status;
}

/*
 * A daemon batch of a group with read statements: the reads on the read
 * server once it has replayed the batch's commits, the writes here. A
 * fence that times out, or reads that fail, send the whole batch to the
 * primary instead (replica.c counts and logs it).
 */
static PgconnStatus
recompute_with_reads(Recompute *rc, Group *g, Batch *batch)
{
	PgconnResult *reads[CONFIG_PROCESSORS_MAX] = {NULL};
	char what[CONFIG_NAME_MAX + 32];
	PgconnStatus status;

	snprintf(what, sizeof(what), "group \"%s\"", g->config->name);
	if (!replica_fence(&rc->replica, batch->commit_lsn, what))
	{
		return recompute_transaction(rc, g, batch, NULL, NULL);
	}
	recompute_format_ids(rc, batch);
	if (replica_read(&rc->replica, g, rc->ids, reads) != PGCONN_OK)
	{
		replica_fallback(&rc->replica, "its reads on the read server failed");
		return recompute_transaction(rc, g, batch, NULL, NULL);
	}
	status = recompute_transaction(rc, g, batch, NULL, reads);
	for (int i = 0; i < g->nmembers; i++)
	{
		pgconn_result_free(reads[i]);
	}
	return status;
}

PgconnStatus
recompute_run(Recompute *rc, Group *g, Batch *batch, Apply *apply)
{
	PgconnStatus status;

	ASSERT(batch->nkeys > 0 || g->inflight_is_rescan);
	if (!recompute_is_connected(rc))
	{
		return PGCONN_RETRY;
	}
	status = recompute_wait_visible(rc, apply);
	if (status != PGCONN_OK)
	{
		return status;
	}
	if (replica_is_configured(&rc->replica) && !g->inflight_is_rescan &&
	    replica_group_reads(g))
	{
		return recompute_with_reads(rc, g, batch);
	}
	return recompute_transaction(rc, g, batch, NULL, NULL);
}

PgconnStatus
recompute_page(Recompute *rc, Group *g, Batch *batch, RecomputePage *page)
{
	PgconnStatus status;

	if (!recompute_is_connected(rc))
	{
		return PGCONN_RETRY;
	}
	page->completions = 0;
	page->rows = 0;
	status = recompute_transaction(rc, g, batch, page, NULL);
	if (status != PGCONN_OK)
	{
		batch->nkeys = 0;
	}
	return status;
}

/* rows per FETCH while loading a lookup map: bounds the result in memory */
#define RECOMPUTE_LOOKUP_FETCH 10000

/* Run one statement of the lookup load; *res gets its result if asked. */
static PgconnStatus
recompute_lookup_exec(Recompute *rc, Pgconn *conn, const char *what,
                      const char *sql, int nparams, const char *const *values,
                      PgconnResult **res)
{
	PgconnResult *own = NULL;
	PgconnStatus status =
	    pgconn_exec(conn, what, sql, nparams, values, res ? res : &own, NULL,
	                NULL, rc->config->statement_timeout_ms + 30 * 1000);

	pgconn_result_free(own);
	return status;
}

/* Add one FETCH's rows to lookup index; *rows gets their number. */
static void
recompute_lookup_add(Apply *apply, int index, PgconnResult *res, int *rows)
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

/*
 * Load one lookup map through a cursor, RECOMPUTE_LOOKUP_FETCH rows at a
 * time: one result holding a whole tracks table took more memory than the
 * map itself. The table's planner estimate sizes the map up front, so it
 * is not rehashed while loading.
 */
static PgconnStatus
recompute_load_lookup(Recompute *rc, Pgconn *conn, Apply *apply, int index)
{
	const ConfigLookup *l = &rc->config->lookups[index];
	char sql[512];
	char what[CONFIG_NAME_MAX + 32];
	char regclass[2 * CONFIG_NAME_MAX + 8];
	const char *values[1] = {regclass};
	PgconnResult *res = NULL;
	PgconnStatus status;
	int64_t total = 0;
	int rows = 0;

	snprintf(what, sizeof(what), "load lookup \"%s\"", l->name);
	snprintf(regclass, sizeof(regclass), "\"%s\".\"%s\"", l->schema, l->table);
	/*
	 * Identifiers cannot be parameters; config.c admits only plain
	 * identifiers ([A-Za-z_][A-Za-z0-9_$]*), which quoting keeps inert.
	 */
	snprintf(sql, sizeof(sql),
	         "DECLARE reckon_lookup NO SCROLL CURSOR FOR "
	         "SELECT \"%s\"::bigint, \"%s\"::bigint FROM %s",
	         l->key_column, l->value_column, regclass);
	status = recompute_lookup_exec(
	    rc, conn, what,
	    "SELECT greatest(reltuples, 0)::bigint FROM pg_catalog.pg_class "
	    "WHERE oid = $1::regclass",
	    1, values, &res);
	if (status == PGCONN_OK && pgconn_check_shape(res, what, 1, 1))
	{
		apply_lookup_reserve(
		    apply, index,
		    (size_t)strtoll(pgconn_result_value(res, 0, 0), NULL, 10));
	}
	pgconn_result_free(res);
	if (status != PGCONN_OK ||
	    (status = recompute_lookup_exec(rc, conn, what, "BEGIN", 0, NULL,
	                                    NULL)) != PGCONN_OK)
	{
		return status;
	}
	status = recompute_lookup_exec(rc, conn, what, sql, 0, NULL, NULL);
	snprintf(sql, sizeof(sql), "FETCH FORWARD %d FROM reckon_lookup",
	         RECOMPUTE_LOOKUP_FETCH);
	while (status == PGCONN_OK)
	{
		res = NULL;
		status = recompute_lookup_exec(rc, conn, what, sql, 0, NULL, &res);
		if (status == PGCONN_OK && !pgconn_check_shape(res, what, -1, 2))
		{
			status = PGCONN_FAIL;
		}
		if (status == PGCONN_OK)
		{
			recompute_lookup_add(apply, index, res, &rows);
			total += rows;
		}
		pgconn_result_free(res);
		if (rows == 0)
		{
			break;
		}
	}
	if (status != PGCONN_OK)
	{
		/* error already logged; a broken connection rolls back itself */
		(void)recompute_lookup_exec(rc, conn, what, "ROLLBACK", 0, NULL, NULL);
		return status;
	}
	status = recompute_lookup_exec(rc, conn, what, "COMMIT", 0, NULL, NULL);
	if (status == PGCONN_OK)
	{
		log_info("lookup \"%s\" loaded: %" PRId64 " entries from %s.%s%s",
		         l->name, total, l->schema, l->table,
		         conn == rc->conn ? "" : " on the read server");
	}
	return status;
}

PgconnStatus
recompute_seed_saturated(Recompute *rc, Group *groups, int ngroups)
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
		status = pgconn_exec(rc->conn, what, g->config->saturated_seed_sql, 0,
		                     NULL, &res, NULL, NULL,
		                     rc->config->statement_timeout_ms + 30 * 1000);
		if (status == PGCONN_OK && !pgconn_check_shape(res, what, -1, 1))
		{
			status = PGCONN_FAIL;
		}
		if (status == PGCONN_OK)
		{
			recompute_saturate(g, res);
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

PgconnStatus
recompute_load_lookups(Recompute *rc, Apply *apply, Lsn start)
{
	Pgconn *conn = rc->conn;

	if (rc->config->nlookups > 0 && replica_is_configured(&rc->replica) &&
	    replica_fence(&rc->replica, start, "the lookups"))
	{
		conn = replica_conn(&rc->replica);
	}
	for (int i = 0; i < rc->config->nlookups; i++)
	{
		PgconnStatus status = recompute_load_lookup(rc, conn, apply, i);

		if (status != PGCONN_OK)
		{
			return status;
		}
	}
	return PGCONN_OK;
}
