/*
 * recompute.c: the batch transaction (see recompute.h): a daemon batch or
 * a page, each one transaction in which either all of the batch's rows
 * are written or none; the batch stays in flight until one attempt
 * commits. With a read server (replica.c), a processor that has a read
 * statement (its rule, rule.h) reads its rows there and its write policy
 * (the APPLY form) writes them here, on the primary.
 *
 * Pipeline: sched -> [recompute] -> ack. It must never mark a batch done
 * (the caller does, after OK) nor account for a run before its commit.
 */
#include "recompute.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "recompute"
#include "log.h"

#define RECOMPUTE_COLUMNS                                                      \
	6 /* challenge_id, user_id, specifier, step,                               \
	   * is_complete, completed_now */

/*
 * Every composed statement's parameters (rule.h): $1 the batch's keys, $2
 * the challenge id, $3 create_min; an APPLY statement's arrays follow,
 * typed by its own casts (0).
 */
static const unsigned int
    recompute_param_types[RULE_PARAMS + RULE_COLUMNS_MAX] = {
        PGCONN_TYPE_INT8_ARRAY, PGCONN_TYPE_TEXT, PGCONN_TYPE_INT8};

/*
 * One batch's transaction in the making: what ran, kept for the
 * accounting after the commit.
 */
typedef struct RecomputeTxn
{
	Group *g;                   /* borrowed */
	Batch *batch;               /* borrowed */
	PgconnResult *const *reads; /* borrowed: NULL, or per member */
	const char *only;           /* a page's one member, or NULL: all */
	LogLevel level;             /* of the run lines: DEBUG for backfills */
	PgconnResult *results[CONFIG_PROCESSORS_MAX]; /* owned */
	int64_t elapsed_us[CONFIG_PROCESSORS_MAX];
	bool ran[CONFIG_PROCESSORS_MAX];
	PgconnResult *saturated; /* owned */
	int completions;         /* totals, once committed */
	int rows;
} RecomputeTxn;

void
recompute_init(Recompute *rc, const Config *config, PgconnWaitFn wait,
               void *wait_arg)
{
	*rc = (Recompute){.config = config};
	session_init(&rc->session, config, "reckon recompute", wait, wait_arg);
	replica_init(&rc->replica, config, wait, wait_arg);
}

void
recompute_free(Recompute *rc)
{
	session_close(&rc->session);
	free(rc->ids);
	rc->ids = NULL;
	replica_free(&rc->replica);
	recompute_rows_free(&rc->rows);
	visible_free(&rc->visible);
}

bool
recompute_is_connected(const Recompute *rc)
{
	return session_is_connected(&rc->session);
}

Session *
recompute_session(Recompute *rc)
{
	return &rc->session;
}

Replica *
recompute_replica(Recompute *rc)
{
	return &rc->replica;
}

static void
recompute_statement_name(const Processor *p, char *buf, size_t size)
{
	snprintf(buf, size, "reckon_%s", p->config->id);
}

/* Whether p has an APPLY statement (a read server, and p reads there). */
static bool
recompute_has_apply(const Recompute *rc, const Processor *p)
{
	return rc->config->read_dsn != NULL && p->config->apply_sql_text != NULL;
}

/*
 * Prepare p's statement as PREFIX + id and, when it has one, its APPLY
 * statement as PREFIX + "apply_" + id; suffix ends the error's wording.
 */
static PgconnStatus
recompute_prepare(Recompute *rc, const Processor *p, const char *prefix,
                  const char *suffix)
{
	char name[CONFIG_NAME_MAX + 32];
	char what[512];
	PgconnStatus status;

	snprintf(name, sizeof(name), "%s%s", prefix, p->config->id);
	snprintf(what, sizeof(what),
	         "prepare statement \"%s\" of processor \"%s\"%s",
	         p->config->sql_name, p->config->id, suffix);
	status = session_prepare(&rc->session, what, name, p->config->sql_text,
	                         RULE_PARAMS, recompute_param_types);
	if (status == PGCONN_OK && recompute_has_apply(rc, p))
	{
		snprintf(name, sizeof(name), "%sapply_%s", prefix, p->config->id);
		snprintf(what, sizeof(what),
		         "prepare the write of the reads of processor \"%s\" (rule "
		         "\"%s\", policy \"%s\")%s",
		         p->config->id, p->config->sql_name, p->config->policy_name,
		         suffix);
		status = session_prepare(
		    &rc->session, what, name, p->config->apply_sql_text,
		    RULE_PARAMS + p->config->read_columns, recompute_param_types);
	}
	return status;
}

/* Deallocate what recompute_prepare prepared for p under prefix. */
static PgconnStatus
recompute_deallocate(Recompute *rc, const Processor *p, const char *prefix)
{
	char name[CONFIG_NAME_MAX + 32];
	PgconnStatus status;

	snprintf(name, sizeof(name), "%s%s", prefix, p->config->id);
	status = session_deallocate(&rc->session, name);
	if (status == PGCONN_OK && recompute_has_apply(rc, p))
	{
		snprintf(name, sizeof(name), "%sapply_%s", prefix, p->config->id);
		status = session_deallocate(&rc->session, name);
	}
	return status;
}

PgconnStatus
recompute_connect(Recompute *rc, const Processor *procs, int nprocs)
{
	PgconnStatus status = session_open(&rc->session, rc->config->dsn);

	if (status == PGCONN_OK)
	{
		status = session_setup(&rc->session);
	}
	for (int i = 0; status == PGCONN_OK && i < nprocs; i++)
	{
		status = recompute_prepare(rc, &procs[i], "reckon_", "");
	}
	if (status != PGCONN_OK)
	{
		session_close(&rc->session);
	}
	return status;
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
			status = recompute_deallocate(rc, &procs[i], "reckon_check_");
		}
	}
	return status;
}

/* Whether two texts differ, either NULL. */
static bool
recompute_text_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Whether p is absent from procs or its statements differ there. */
static bool
recompute_is_changed(const Processor *p, const Processor *procs, int nprocs)
{
	const Processor *q = recompute_find(procs, nprocs, p->config->id);

	return q == NULL ||
	       recompute_text_differs(q->config->sql_text, p->config->sql_text) ||
	       recompute_text_differs(q->config->apply_sql_text,
	                              p->config->apply_sql_text);
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
	/* under the running configuration: it says what old prepared */
	for (int i = 0; i < nold && status == PGCONN_OK; i++)
	{
		if (recompute_is_changed(&old[i], procs, nprocs))
		{
			status = recompute_deallocate(rc, &old[i], "reckon_");
		}
	}
	rc->config = config;
	session_reload(&rc->session, config);
	replica_reload(&rc->replica, config);
	for (int i = 0; i < nprocs && status == PGCONN_OK; i++)
	{
		if (recompute_is_changed(&procs[i], old, nold))
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
		session_close(&rc->session);
	}
	return PGCONN_OK;
}

PgconnStatus
recompute_wait_visible(Recompute *rc, const uint32_t *xids, size_t n)
{
	if (!recompute_is_connected(rc))
	{
		return PGCONN_RETRY;
	}
	return visible_wait(&rc->visible, &rc->session, xids, n,
	                    rc->config->visibility_timeout_ms);
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
	status = session_exec_prepared(&rc->session, what, name, 3, values, res);
	if (status == PGCONN_OK &&
	    !pgconn_check_shape(*res, what, -1, RECOMPUTE_COLUMNS))
	{
		status = PGCONN_FAIL;
	}
	return status;
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
	char name[CONFIG_NAME_MAX + 32];
	char what[CONFIG_NAME_MAX + 64];
	char create_min[32];
	PgconnStatus status;

	snprintf(create_min, sizeof(create_min), "%" PRId64, p->config->create_min);
	values[0] = rc->ids;
	values[1] = p->config->challenge_id;
	values[2] = create_min;
	recompute_rows_format(&rc->rows, read, ncolumns, values + RULE_PARAMS);
	snprintf(name, sizeof(name), "reckon_apply_%s", p->config->id);
	snprintf(what, sizeof(what), "write of the reads of processor \"%s\"",
	         p->config->id);
	status = session_exec_prepared(&rc->session, what, name,
	                               RULE_PARAMS + ncolumns, values, res);
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
 * The group's statement sql (its prelude or its saturated statement,
 * described by what) on the batch's keys, in rc->ids; *res, when given,
 * gets its one-column result.
 */
static PgconnStatus
recompute_on_keys(Recompute *rc, const char *what, const char *sql,
                  PgconnResult **res)
{
	const char *values[1] = {rc->ids};
	PgconnStatus status = session_exec(&rc->session, what, sql, 1, values, res);

	if (status == PGCONN_OK && res != NULL &&
	    !pgconn_check_shape(*res, what, -1, 1))
	{
		status = PGCONN_FAIL;
	}
	return status;
}

void
recompute_mark_saturated(Group *g, const PgconnResult *res)
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
	return session_exec_short(&rc->session, "record the backfill batch",
	                          session_sql("backfill_record_batch"), 4, values,
	                          NULL);
}

/* Take the rescan_keys rows of res into batch: ascending keys after after. */
static PgconnStatus
recompute_take_keys(Group *g, Batch *batch, const PgconnResult *res,
                    int64_t after, const char *what)
{
	int rows = pgconn_result_rows(res);

	/* more rows than asked for would break "a short page is the last" */
	if (rows > g->config->batch_size)
	{
		log_error("%s returned %d rows for a page of %d", what, rows,
		          g->config->batch_size);
		return PGCONN_FAIL;
	}
	batch_reserve(batch, rows > 0 ? rows : 1);
	for (int r = 0; r < rows; r++)
	{
		const char *text = pgconn_result_value(res, r, 0);
		int64_t key;

		if (text == NULL ||
		    !config_parse_count(text, INT64_MIN, INT64_MAX, &key) ||
		    key <= after ||
		    (batch->nkeys > 0 && key <= batch->keys[batch->nkeys - 1]))
		{
			log_error("%s: row %d is \"%s\", not a key after %" PRId64
			          " in ascending order",
			          what, r, text ? text : "NULL", after);
			return PGCONN_FAIL;
		}
		batch->keys[batch->nkeys] = key;
		batch->commit_us[batch->nkeys++] = g->rescan_commit_us;
		/* its rows are judged anew by this batch */
		lookup_delete(&g->saturated, key);
	}
	return PGCONN_OK;
}

/*
 * A page's keys: the group's rescan_keys statement lists the next
 * batch_size keys after `after`, inside the batch's transaction, so the
 * keys and their recompute come from one snapshot (one that sees the
 * TRUNCATE, for a rescan). None left: the batch stays empty, the end.
 */
static PgconnStatus
recompute_list_keys(Recompute *rc, Group *g, Batch *batch, int64_t after)
{
	char after_text[32];
	char limit[32];
	const char *values[2] = {after_text, limit};
	char what[2 * CONFIG_NAME_MAX + 64];
	PgconnResult *res = NULL;
	PgconnStatus status;

	snprintf(after_text, sizeof(after_text), "%" PRId64, after);
	snprintf(limit, sizeof(limit), "%d", g->config->batch_size);
	snprintf(what, sizeof(what), "rescan_keys \"%s\" of group \"%s\"",
	         g->config->rescan_keys_name, g->config->name);
	status = session_exec(&rc->session, what, g->config->rescan_keys_sql, 2,
	                      values, &res);
	if (status == PGCONN_OK && !pgconn_check_shape(res, what, -1, 1))
	{
		status = PGCONN_FAIL;
	}
	batch->nkeys = 0;
	if (status == PGCONN_OK)
	{
		status = recompute_take_keys(g, batch, res, after, what);
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

/* Member i of t's group: its read rows written, or its own statement. */
static PgconnStatus
recompute_one(Recompute *rc, RecomputeTxn *t, int i)
{
	const Processor *p = t->g->members[i];

	if (t->reads != NULL && t->reads[i] != NULL)
	{
		/* nothing read, nothing to write: no round trip */
		return pgconn_result_rows(t->reads[i]) == 0
		           ? PGCONN_OK
		           : recompute_apply_rows(rc, p, t->reads[i], &t->results[i]);
	}
	return recompute_member(rc, p, &t->results[i]);
}

/*
 * The body of every batch's transaction, once its keys are in rc->ids:
 * the group's prelude, its members in order, its saturated statement.
 */
static PgconnStatus
recompute_body(Recompute *rc, RecomputeTxn *t)
{
	const ConfigGroup *gc = t->g->config;
	char what[2 * CONFIG_NAME_MAX + 64];
	PgconnStatus status = PGCONN_OK;

	if (t->batch->nkeys == 0)
	{
		return PGCONN_OK;
	}
	/* the prelude feeds the members' own statements, not their reads */
	if (gc->prelude_sql != NULL &&
	    (t->reads == NULL || !recompute_all_read(t->g, t->reads)))
	{
		snprintf(what, sizeof(what), "prelude \"%s\" of group \"%s\"",
		         gc->prelude_name, gc->name);
		status = recompute_on_keys(rc, what, gc->prelude_sql, NULL);
	}
	for (int i = 0; status == PGCONN_OK && i < t->g->nmembers; i++)
	{
		int64_t start_us = common_monotonic_us();

		if (t->only != NULL &&
		    strcmp(t->only, t->g->members[i]->config->id) != 0)
		{
			continue;
		}
		status = recompute_one(rc, t, i);
		t->elapsed_us[i] = common_monotonic_us() - start_us;
		t->ran[i] = true;
	}
	if (status == PGCONN_OK && gc->saturated_sql != NULL)
	{
		snprintf(what, sizeof(what),
		         "saturated statement \"%s\" of group \"%s\"",
		         gc->saturated_name, gc->name);
		status = recompute_on_keys(rc, what, gc->saturated_sql, &t->saturated);
	}
	return status;
}

/*
 * The end of every batch's transaction: COMMIT (or ROLLBACK), then, once
 * committed, each member's run accounted and the saturated keys marked.
 */
static PgconnStatus
recompute_close(Recompute *rc, RecomputeTxn *t, PgconnStatus status)
{
	status = session_end(&rc->session, status);
	for (int i = 0; i < t->g->nmembers; i++)
	{
		if (t->ran[i] && status == PGCONN_OK)
		{
			t->completions +=
			    recompute_account(rc, t->g->members[i], t->batch, t->results[i],
			                      t->elapsed_us[i], t->level);
			t->rows += pgconn_result_rows(t->results[i]);
		}
		pgconn_result_free(t->results[i]);
	}
	if (status == PGCONN_OK && t->saturated != NULL)
	{
		recompute_mark_saturated(t->g, t->saturated);
	}
	pgconn_result_free(t->saturated);
	return status;
}

/*
 * A daemon batch: the dirty keys in batch. reads: NULL, or per member the
 * rows its read statement returned on the read server (NULL: the member
 * runs its own statement), with rc->ids formatted for them already.
 */
static PgconnStatus
recompute_batch(Recompute *rc, Group *g, Batch *batch,
                PgconnResult *const *reads)
{
	RecomputeTxn t = {
	    .g = g, .batch = batch, .reads = reads, .level = LOG_LEVEL_INFO};
	PgconnStatus status =
	    session_begin_locked(&rc->session, g->config->name, NULL);

	if (reads == NULL)
	{
		recompute_format_ids(rc, batch);
	}
	if (status == PGCONN_OK)
	{
		status = recompute_body(rc, &t);
	}
	return recompute_close(rc, &t, status);
}

/*
 * A page: the keys listed first (rescan_keys after after), then the body.
 * page: a backfill's (recorded, from its snapshot, run lines at DEBUG), or
 * NULL for a daemon's rescan page.
 */
static PgconnStatus
recompute_page_txn(Recompute *rc, Group *g, Batch *batch, int64_t after,
                   RecomputePage *page)
{
	RecomputeTxn t = {.g = g,
	                  .batch = batch,
	                  .only = page != NULL ? page->only : NULL,
	                  .level = page != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO};
	PgconnStatus status = session_begin_locked(
	    &rc->session, g->config->name, page != NULL ? page->snapshot : NULL);

	if (status == PGCONN_OK)
	{
		status = recompute_list_keys(rc, g, batch, after);
	}
	recompute_format_ids(rc, batch);
	if (status == PGCONN_OK)
	{
		status = recompute_body(rc, &t);
	}
	if (status == PGCONN_OK && page != NULL && batch->nkeys > 0)
	{
		status = recompute_record_page(rc, batch, page);
	}
	status = recompute_close(rc, &t, status);
	if (page != NULL)
	{
		page->completions += t.completions;
		page->rows += t.rows;
	}
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
		return recompute_batch(rc, g, batch, NULL);
	}
	recompute_format_ids(rc, batch);
	if (replica_read(&rc->replica, g, rc->ids, reads) != PGCONN_OK)
	{
		replica_fallback(&rc->replica, "its reads on the read server failed");
		return recompute_batch(rc, g, batch, NULL);
	}
	status = recompute_batch(rc, g, batch, reads);
	for (int i = 0; i < g->nmembers; i++)
	{
		pgconn_result_free(reads[i]);
	}
	return status;
}

PgconnStatus
recompute_run(Recompute *rc, Group *g, Batch *batch)
{
	ASSERT(batch->nkeys > 0 || g->inflight_is_rescan);
	if (!recompute_is_connected(rc))
	{
		return PGCONN_RETRY;
	}
	if (g->inflight_is_rescan)
	{
		return recompute_page_txn(rc, g, batch, g->rescan_after, NULL);
	}
	if (replica_is_configured(&rc->replica) && replica_group_reads(g))
	{
		return recompute_with_reads(rc, g, batch);
	}
	return recompute_batch(rc, g, batch, NULL);
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
	status = recompute_page_txn(rc, g, batch, page->after, page);
	if (status != PGCONN_OK)
	{
		batch->nkeys = 0;
	}
	return status;
}
