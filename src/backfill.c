/*
 * backfill.c: every key of some groups, in bounded batches, recorded so a
 * killed run resumes where it stopped (see backfill.h).
 *
 * The keys come from each group's rescan_keys statement, a page of
 * batch_size keys after the last one done, listed inside the batch's own
 * transaction (recompute_page). The batch's row in reckon.backfill_batches
 * commits with its recompute, so "done" is exact: the resumed run starts
 * after the last recorded key and the primary key (run_id, after_key)
 * would refuse a page recorded twice.
 *
 * Why a fresh snapshot is a safe fallback: every statement recomputes a
 * key's rows from the data it reads, not from deltas, and every change
 * after the slot's consistent point reaches the stream, which dirties its
 * keys again. A batch read later than the cut is recomputed again from the
 * stream; a batch read at the cut is not. The exported snapshot makes the
 * bootstrap exact and saves that second pass, it is not what makes it
 * correct.
 *
 * Pipeline: beside sched -> recompute (pages instead of dirty keys). It
 * must never confirm a position: the stream's ack is the daemon's.
 */
#include "backfill.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "backfill"
#include "log.h"

/* the class of the session lock that claims a run (the batch lock's + 1) */
#define BACKFILL_CLAIM_CLASS (SESSION_LOCK_CLASS + 1)
/* a non-terminal log line this often; a progress bar on a terminal */
#define BACKFILL_LOG_EVERY_US (10 * 1000 * 1000)
#define BACKFILL_BAR_EVERY_US (200 * 1000)
/* a batch that fails with the connection still up is tried this often */
#define BACKFILL_ATTEMPTS 5

static const char *const backfill_kind_names[] = {"bootstrap", "manual"};

void
backfill_init(Backfill *bf, Recompute *rc, const char *slot, BackfillKind kind,
              const char *only, volatile sig_atomic_t *stop)
{
	memset(bf, 0, sizeof(*bf));
	bf->rc = rc;
	bf->slot = slot;
	bf->kind = kind;
	bf->only = only;
	bf->stop = stop;
	bf->is_tty = isatty(STDERR_FILENO) == 1;
}

static PgconnStatus
backfill_exec(Backfill *bf, const char *what, const char *sql, int nparams,
              const char *const *values, PgconnResult **res)
{
	return session_exec(recompute_session(bf->rc), what, sql, nparams, values,
	                    res);
}

PgconnStatus
backfill_check(Backfill *bf, bool required)
{
	PgconnResult *res = NULL;
	PgconnStatus status;
	bool ok;

	status = backfill_exec(bf, "check the backfill tables",
	                       session_sql("backfill_check"), 0, NULL, &res);
	if (status != PGCONN_OK)
	{
		return status;
	}
	ok = pgconn_check_shape(res, "check the backfill tables", 1, 1) &&
	     strcmp(pgconn_result_value(res, 0, 0), "t") == 0;
	pgconn_result_free(res);
	if (!ok && required)
	{
		log_error("a backfill needs the tables reckon.backfill_runs and "
		          "reckon.backfill_batches, usable by this role: run "
		          "sql/state.sql (or sql/roles.sql, which includes it and "
		          "grants them) in the database, or start with "
		          "--backfill=none");
		return PGCONN_FAIL;
	}
	return PGCONN_OK;
}

/*
 * The session advisory lock that claims run_id for this process until it
 * disconnects or finishes the run: name is backfill_claim (*held: got it)
 * or backfill_release, of sql/.
 */
static PgconnStatus
backfill_run_lock(Backfill *bf, const char *name, int64_t run_id, bool *held)
{
	char class_id[32];
	char id[32];
	const char *values[2] = {class_id, id};
	PgconnResult *res = NULL;
	PgconnStatus status;

	snprintf(class_id, sizeof(class_id), "%d", BACKFILL_CLAIM_CLASS);
	snprintf(id, sizeof(id), "%d", (int32_t)run_id);
	status = backfill_exec(bf, "lock a backfill run", session_sql(name), 2,
	                       values, &res);
	*held = status == PGCONN_OK &&
	        pgconn_check_shape(res, "lock a backfill run", 1, 1) &&
	        strcmp(pgconn_result_value(res, 0, 0), "t") == 0;
	pgconn_result_free(res);
	return status;
}

static PgconnStatus
backfill_claim(Backfill *bf, int64_t run_id)
{
	bool claimed = false;
	PgconnStatus status =
	    backfill_run_lock(bf, "backfill_claim", run_id, &claimed);

	if (status == PGCONN_OK && !claimed)
	{
		log_error("backfill run %" PRId64 " of slot \"%s\" is being run by "
		          "another process (see pg_locks, locktype advisory, "
		          "classid %d): wait for it to end",
		          run_id, bf->slot, BACKFILL_CLAIM_CLASS);
		return PGCONN_FAIL;
	}
	return status;
}

static Group *
backfill_find_group(Group *groups, int ngroups, const char *name)
{
	for (int i = 0; i < ngroups; i++)
	{
		if (strcmp(groups[i].config->name, name) == 0)
		{
			return &groups[i];
		}
	}
	return NULL;
}

static bool
backfill_has_member(const Group *g, const char *processor)
{
	for (int i = 0; i < g->nmembers; i++)
	{
		if (strcmp(g->members[i]->config->id, processor) == 0)
		{
			return true;
		}
	}
	return false;
}

/* Add a run to bf, claimed; FAIL if another process holds it. */
static PgconnStatus
backfill_add(Backfill *bf, int64_t run_id, Group *g, const char *processor)
{
	BackfillRun *run;

	ASSERT(bf->nruns < CONFIG_PROCESSORS_MAX);
	run = &bf->runs[bf->nruns];
	memset(run, 0, sizeof(*run));
	run->run_id = run_id;
	run->group = g;
	run->after = INT64_MIN;
	snprintf(run->processor, sizeof(run->processor), "%s", processor);
	bf->nruns++;
	return backfill_claim(bf, run_id);
}

PgconnStatus
backfill_load(Backfill *bf, Group *groups, int ngroups)
{
	const char *values[3] = {bf->slot, backfill_kind_names[bf->kind],
	                         bf->only != NULL ? bf->only : ""};
	PgconnResult *res = NULL;
	PgconnStatus status;

	status = backfill_exec(bf, "load the unfinished backfill runs",
	                       session_sql("backfill_load"), 3, values, &res);
	if (status == PGCONN_OK &&
	    !pgconn_check_shape(res, "load the unfinished backfill runs", -1, 5))
	{
		status = PGCONN_FAIL;
	}
	for (int r = 0; status == PGCONN_OK && r < pgconn_result_rows(res); r++)
	{
		int64_t run_id = strtoll(pgconn_result_value(res, r, 0), NULL, 10);
		const char *name = pgconn_result_value(res, r, 1);
		Group *g = backfill_find_group(groups, ngroups, name);
		BackfillRun *run;

		if (g == NULL ||
		    (bf->only != NULL && !backfill_has_member(g, bf->only)))
		{
			log_warn("backfill run %" PRId64 " is for group \"%s\"%s%s%s, "
			         "which the configuration no longer has: left "
			         "unfinished (delete it from reckon.backfill_runs once "
			         "its keys are recomputed another way)",
			         run_id, name, bf->only ? " and processor \"" : "",
			         bf->only ? bf->only : "", bf->only ? "\"" : "");
			continue;
		}
		if (bf->nruns == CONFIG_PROCESSORS_MAX)
		{
			log_error("more than %d unfinished backfill runs for slot "
			          "\"%s\" in reckon.backfill_runs",
			          CONFIG_PROCESSORS_MAX, bf->slot);
			status = PGCONN_FAIL;
			break;
		}
		status = backfill_add(bf, run_id, g, bf->only ? bf->only : "");
		run = &bf->runs[bf->nruns - 1];
		run->after = strtoll(pgconn_result_value(res, r, 2), NULL, 10);
		run->batches_before = strtoll(pgconn_result_value(res, r, 3), NULL, 10);
		run->keys_before = strtoll(pgconn_result_value(res, r, 4), NULL, 10);
		if (status == PGCONN_OK)
		{
			log_info("resuming %s backfill run %" PRId64 " of group \"%s\" "
			         "after key %" PRId64 ": %" PRId64 " batches (%" PRId64
			         " keys) were done before and are not redone",
			         backfill_kind_names[bf->kind], run_id, name, run->after,
			         run->batches_before, run->keys_before);
		}
	}
	pgconn_result_free(res);
	return status;
}

PgconnStatus
backfill_plan(Backfill *bf, Group *groups, int ngroups)
{
	const char *drop[1] = {bf->slot};
	PgconnStatus status;

	status = backfill_exec(bf, "plan the backfill", "BEGIN", 0, NULL, NULL);
	if (status == PGCONN_OK && bf->kind == BACKFILL_BOOTSTRAP)
	{
		status = backfill_exec(
		    bf, "drop the old slot's unfinished bootstrap runs",
		    session_sql("backfill_drop_bootstrap"), 1, drop, NULL);
	}
	for (int i = 0; status == PGCONN_OK && i < ngroups; i++)
	{
		Group *g = &groups[i];
		const char *only = bf->only != NULL ? bf->only : "";
		const char *values[4] = {bf->slot, g->config->name, only,
		                         backfill_kind_names[bf->kind]};
		PgconnResult *res = NULL;

		if (bf->only != NULL && !backfill_has_member(g, bf->only))
		{
			continue;
		}
		if (g->config->rescan_keys_sql == NULL)
		{
			log_error("group \"%s\" has no \"rescan_keys\" statement to "
			          "list its keys for the backfill: set rescan_keys in "
			          "[reckon] or the group's section%s",
			          g->config->name,
			          bf->kind == BACKFILL_BOOTSTRAP
			              ? ", or start with --backfill=none"
			              : "");
			status = PGCONN_FAIL;
			break;
		}
		status =
		    backfill_exec(bf, "plan the backfill",
		                  session_sql("backfill_plan_run"), 4, values, &res);
		if (status == PGCONN_OK &&
		    !pgconn_check_shape(res, "plan the backfill", 1, 1))
		{
			status = PGCONN_FAIL;
		}
		if (status == PGCONN_OK)
		{
			status = backfill_add(
			    bf, strtoll(pgconn_result_value(res, 0, 0), NULL, 10), g, only);
		}
		pgconn_result_free(res);
	}
	if (status == PGCONN_OK)
	{
		status =
		    backfill_exec(bf, "plan the backfill", "COMMIT", 0, NULL, NULL);
	}
	else if (recompute_is_connected(bf->rc))
	{
		(void)backfill_exec(bf, "plan the backfill", "ROLLBACK", 0, NULL, NULL);
	}
	if (status == PGCONN_OK && bf->nruns == 0)
	{
		log_error("no group has processor \"%s\"", bf->only);
		status = PGCONN_FAIL;
	}
	return status;
}

/*
 * How many keys run still has, from its group's rescan_keys statement
 * with no page limit: an estimate (counted outside the snapshot) for the
 * progress line only. -1 if it cannot be counted.
 */
static int64_t
backfill_count(Backfill *bf, const BackfillRun *run)
{
	const ConfigGroup *gc = run->group->config;
	char after[32];
	char limit[32];
	const char *values[2] = {after, limit};
	char *sql;
	size_t len = strlen(gc->rescan_keys_sql);
	PgconnResult *res = NULL;
	int64_t count = -1;

	/* a trailing ';' or comment of the statement must not end the wrapper */
	while (len > 0 && (gc->rescan_keys_sql[len - 1] == ';' ||
	                   gc->rescan_keys_sql[len - 1] == ' ' ||
	                   gc->rescan_keys_sql[len - 1] == '\n' ||
	                   gc->rescan_keys_sql[len - 1] == '\t'))
	{
		len--;
	}
	sql = malloc(len + 64);
	if (sql == NULL)
	{
		common_out_of_memory("the backfill count");
	}
	/*
	 * Formatted at run time, as a wrapper around a configured statement
	 * (its parameters stay $1 and $2): the one place it is written.
	 */
	snprintf(sql, len + 64, "SELECT count(*) FROM (\n%.*s\n) AS keys", (int)len,
	         gc->rescan_keys_sql);
	snprintf(after, sizeof(after), "%" PRId64, run->after);
	snprintf(limit, sizeof(limit), "%" PRId64, INT64_MAX);
	if (backfill_exec(bf, "count the keys to backfill", sql, 2, values, &res) ==
	        PGCONN_OK &&
	    pgconn_check_shape(res, "count the keys to backfill", 1, 1))
	{
		count = strtoll(pgconn_result_value(res, 0, 0), NULL, 10);
	}
	pgconn_result_free(res);
	free(sql);
	return count;
}

static void
backfill_format_duration(char *buf, size_t size, double seconds)
{
	long s = seconds < 0 ? 0 : (long)(seconds + 0.5);

	if (s >= 3600)
	{
		snprintf(buf, size, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
	}
	else if (s >= 60)
	{
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	}
	else
	{
		snprintf(buf, size, "%lds", s);
	}
}

/*
 * The progress: a bar redrawn on a terminal, a log line every
 * BACKFILL_LOG_EVERY_US otherwise, with the rate and the ETA over every
 * run of this process. force: now (a group's end).
 */
static void
backfill_progress(Backfill *bf, const BackfillRun *run, bool force)
{
	int64_t now_us = common_monotonic_us();
	double elapsed = (double)(now_us - bf->started_us) / 1e6;
	double rate = elapsed > 0 ? (double)bf->keys / elapsed : 0.0;
	int64_t total = bf->keys_total > bf->keys ? bf->keys_total : bf->keys;
	double fraction = total > 0 ? (double)bf->keys / (double)total : 1.0;
	char eta[32] = "?";

	if (!force && now_us < bf->progress_due_us)
	{
		return;
	}
	bf->progress_due_us =
	    now_us + (bf->is_tty ? BACKFILL_BAR_EVERY_US : BACKFILL_LOG_EVERY_US);
	if (rate > 0)
	{
		backfill_format_duration(eta, sizeof(eta),
		                         (double)(total - bf->keys) / rate);
	}
	if (bf->is_tty)
	{
		char bar[31];
		int filled = (int)(fraction * 30.0);

		for (int i = 0; i < 30; i++)
		{
			bar[i] = i < filled ? '#' : '-';
		}
		bar[30] = '\0';
		fprintf(stderr,
		        "\r\033[Kbackfill [%s] %3.0f%% %" PRId64 "/%" PRId64
		        " keys, %.0f keys/s, ETA %s, group %s",
		        bar, fraction * 100.0, bf->keys, total, rate, eta,
		        run->group->config->name);
		fflush(stderr);
		return;
	}
	log_info("backfill: %" PRId64 " of %" PRId64 " keys (%.0f%%), %.0f "
	         "keys/s, ETA %s; group \"%s\" after key %" PRId64,
	         bf->keys, total, fraction * 100.0, rate, eta,
	         run->group->config->name, run->after);
}

static PgconnStatus
backfill_finish_run(Backfill *bf, BackfillRun *run)
{
	bool unlocked;
	char id[32];
	const char *values[1] = {id};
	PgconnStatus status;

	snprintf(id, sizeof(id), "%" PRId64, run->run_id);
	status = backfill_exec(bf, "finish a backfill run",
	                       session_sql("backfill_finish_run"), 1, values, NULL);
	if (status != PGCONN_OK)
	{
		return status;
	}
	run->is_finished = true;
	(void)backfill_run_lock(bf, "backfill_release", run->run_id, &unlocked);
	if (bf->is_tty)
	{
		fprintf(stderr, "\r\033[K");
	}
	log_info("backfill run %" PRId64 " of group \"%s\"%s%s%s done: %" PRId64
	         " keys in %" PRId64 " batches, %" PRId64 " rows written, %" PRId64
	         " completed (%" PRId64 " batches done before)",
	         run->run_id, run->group->config->name,
	         run->processor[0] ? ", processor \"" : "", run->processor,
	         run->processor[0] ? "\"" : "", run->keys, run->batches, run->rows,
	         run->completions, run->batches_before);
	return PGCONN_OK;
}

/* Sleep ms, in slices, returning early if a stop is asked for. */
static void
backfill_sleep(Backfill *bf, int64_t ms)
{
	while (ms > 0 && !*bf->stop)
	{
		int64_t slice = ms > 100 ? 100 : ms;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = slice * 1000000L};

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

/* One run to its end (OK), or stopped/failed. */
static PgconnStatus
backfill_one(Backfill *bf, BackfillRun *run, const char **snapshot,
             Batch *batch)
{
	int attempts = 0;

	while (!run->is_finished)
	{
		RecomputePage page = {.snapshot = *snapshot,
		                      .run_id = run->run_id,
		                      .after = run->after,
		                      .only =
		                          run->processor[0] ? run->processor : NULL};
		PgconnStatus status;

		if (*bf->stop)
		{
			return PGCONN_RETRY;
		}
		status = recompute_page(bf->rc, run->group, batch, &page);
		if (status == PGCONN_OK && batch->nkeys == 0)
		{
			status = backfill_finish_run(bf, run);
			if (status != PGCONN_OK)
			{
				return status;
			}
			break;
		}
		if (status == PGCONN_OK)
		{
			attempts = 0;
			run->after = batch->keys[batch->nkeys - 1];
			run->batches++;
			run->keys += batch->nkeys;
			run->completions += page.completions;
			run->rows += page.rows;
			bf->keys += batch->nkeys;
			backfill_progress(bf, run, false);
			continue;
		}
		if (!recompute_is_connected(bf->rc))
		{
			return PGCONN_RETRY;
		}
		if (*snapshot != NULL && (*snapshot)[0] != '\0')
		{
			log_warn("backfill batch of group \"%s\" after key %" PRId64
			         " could not read from the slot's snapshot (SQLSTATE "
			         "%s): this batch and the rest read from fresh "
			         "snapshots; the stream recomputes whatever changed "
			         "after the slot's consistent point",
			         run->group->config->name, run->after,
			         session_last_sqlstate(recompute_session(bf->rc)));
			*snapshot = NULL;
			bf->snapshot_fallbacks++;
			continue;
		}
		if (status == PGCONN_FAIL || ++attempts >= BACKFILL_ATTEMPTS)
		{
			log_error("backfill of group \"%s\" stopped after key %" PRId64
			          ": its batch failed %d times",
			          run->group->config->name, run->after, attempts);
			return PGCONN_FAIL;
		}
		bf->retries++;
		backfill_sleep(bf, sched_backoff_ms(attempts, 100, 5000));
	}
	return PGCONN_OK;
}

PgconnStatus
backfill_execute(Backfill *bf, const char *snapshot)
{
	Batch batch;
	PgconnStatus status = PGCONN_OK;
	int64_t keys_before = 0;
	int64_t batches_before = 0;
	double elapsed;

	memset(&batch, 0, sizeof(batch));
	bf->started_us = common_monotonic_us();
	for (int i = 0; i < bf->nruns; i++)
	{
		int64_t left = backfill_count(bf, &bf->runs[i]);

		bf->keys_total += left > 0 ? left : 0;
		keys_before += bf->runs[i].keys_before;
		batches_before += bf->runs[i].batches_before;
	}
	log_info("backfill of %d group%s for slot \"%s\" (%s%s): about %" PRId64
	         " keys to go, batch sizes of the groups, %s",
	         bf->nruns, bf->nruns == 1 ? "" : "s", bf->slot,
	         backfill_kind_names[bf->kind],
	         bf->only != NULL ? ", one processor" : "", bf->keys_total,
	         snapshot != NULL && snapshot[0] != '\0'
	             ? "reading from the slot's exported snapshot"
	             : "each batch reading from its own snapshot");
	for (int i = 0; i < bf->nruns && status == PGCONN_OK; i++)
	{
		status = backfill_one(bf, &bf->runs[i], &snapshot, &batch);
	}
	batch_free(&batch);
	if (bf->is_tty)
	{
		fprintf(stderr, "\r\033[K");
	}
	elapsed = (double)(common_monotonic_us() - bf->started_us) / 1e6;
	if (status == PGCONN_OK)
	{
		log_info(
		    "backfill done: %" PRId64 " keys in %.1f s (%.0f keys/s), "
		    "%" PRId64 " batches of an earlier process not redone (%" PRId64
		    " keys), %" PRId64 " snapshot fallbacks, %" PRId64 " retries",
		    bf->keys, elapsed, elapsed > 0 ? (double)bf->keys / elapsed : 0,
		    batches_before, keys_before, bf->snapshot_fallbacks, bf->retries);
	}
	else
	{
		log_warn("backfill stopped after %" PRId64 " keys in %.1f s; every "
		         "committed batch is recorded: %s resumes after the last",
		         bf->keys, elapsed,
		         bf->kind == BACKFILL_BOOTSTRAP
		             ? "starting reckon again"
		             : "running the same reckon backfill again");
	}
	return status;
}
