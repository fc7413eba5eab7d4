/*
 * trending.c: the trending cycle (see trending.h). Each (type, version) is
 * one transaction: the scores are staged in an ON COMMIT DROP temp table and
 * analyzed (autovacuum never analyzes temp tables, and the joins after it
 * need the statistics); one FULL JOIN against the stored scores lists the
 * rows to insert, update or delete in a second temp table; then exactly
 * those rows are written. An unchanged score table therefore costs no
 * tuple and almost no WAL, where the delete-all-then-insert it replaces
 * rewrote every row each hour.
 */
#include "trending.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_MODULE "trending"
#include "embedded.h"
#include "log.h"
#include "pgconn.h"

#define TRENDING_TIMEOUT_MS (6 * 3600 * 1000)

typedef struct TrendingKind
{
	const char *type;
	const char *version;
	const char *stage; /* sql/NAME.sql: $1 version, $2 now */
	const char *diff;  /* $1 version; fills the diff table */
	const char *apply; /* $1 version; one row: inserted, updated, deleted */
} TrendingKind;

static const TrendingKind trending_kinds[] = {
    {"TRACKS", "pnagD", "trending_stage_tracks", "trending_diff_tracks",
     "trending_apply_tracks"},
    {"TRACKS", "AnlGe", "trending_stage_tracks", "trending_diff_tracks",
     "trending_apply_tracks"},
    {"PLAYLISTS", "pnagD", "trending_stage_playlists",
     "trending_diff_playlists", "trending_apply_playlists"},
};

static const char *const trending_matviews[] = {
    "public.aggregate_interval_plays", "public.trending_params"};

/* Run one statement; *rows gets the number of rows it returned. */
static bool
trending_exec(Pgconn *conn, const char *what, const char *sql, int nparams,
              const char *const *values, int *rows)
{
	PgconnResult *res = NULL;
	PgconnStatus status = pgconn_exec(conn, what, sql, nparams, values, &res,
	                                  NULL, NULL, TRENDING_TIMEOUT_MS);

	if (rows != NULL)
	{
		*rows = pgconn_result_rows(res);
	}
	pgconn_result_free(res);
	return status == PGCONN_OK;
}

static bool
trending_exec_named(Pgconn *conn, const char *name, int nparams,
                    const char *const *values, int *rows)
{
	const char *sql = embedded_find(embedded_sql, name);

	/* the cycle's statements are part of the build, not of the config */
	ASSERT(sql != NULL);
	return trending_exec(conn, name, sql, nparams, values, rows);
}

/*
 * REFRESH ... CONCURRENTLY keeps the matview readable while it runs; it
 * cannot run on a never-populated matview (0A000) or one without a unique
 * index (55000), where only the plain refresh, which locks readers out,
 * will do.
 */
static bool
trending_refresh(Pgconn *conn, const char *matview)
{
	char sql[256];
	const char *state;

	snprintf(sql, sizeof(sql), "REFRESH MATERIALIZED VIEW CONCURRENTLY %s",
	         matview);
	if (trending_exec(conn, "refresh", sql, 0, NULL, NULL))
	{
		return true;
	}
	state = pgconn_last_sqlstate(conn);
	if (strcmp(state, "0A000") != 0 && strcmp(state, "55000") != 0)
	{
		return false;
	}
	log_warn("%s cannot be refreshed concurrently (SQLSTATE %s): falling "
	         "back to a plain refresh, which blocks its readers",
	         matview, state);
	snprintf(sql, sizeof(sql), "REFRESH MATERIALIZED VIEW %s", matview);
	return trending_exec(conn, "refresh", sql, 0, NULL, NULL);
}

/*
 * ANALYZE one temp table with a statistics target of 10: it samples 3,000
 * rows instead of 30,000, enough for the row count and the coarse histogram
 * the joins need, and took ANALYZE of a 58,000-row stage from 39 ms to 5 ms
 * (psql \timing, the small dataset of tools/bench/trending.sh).
 */
static bool
trending_analyze(Pgconn *conn, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "ANALYZE pg_temp.%s", table);
	return trending_exec(
	           conn, "analyze",
	           embedded_find(embedded_sql, "trending_statistics_target"), 0,
	           NULL, NULL) &&
	       trending_exec(conn, "analyze", sql, 0, NULL, NULL);
}

/*
 * Run the apply statement; it returns one row with the rows inserted,
 * updated and deleted.
 */
static bool
trending_apply(Pgconn *conn, const TrendingKind *kind,
               const char *const *values, int64_t counts[3])
{
	const char *sql = embedded_find(embedded_sql, kind->apply);
	PgconnResult *res = NULL;
	bool ok;

	ASSERT(sql != NULL);
	ok = pgconn_exec(conn, kind->apply, sql, 1, values, &res, NULL, NULL,
	                 TRENDING_TIMEOUT_MS) == PGCONN_OK &&
	     pgconn_check_shape(res, kind->apply, 1, 3);
	for (int i = 0; ok && i < 3; i++)
	{
		ok = config_parse_count(pgconn_result_value(res, 0, i), 0, INT64_MAX,
		                        &counts[i]);
		if (!ok)
		{
			log_error("%s returned \"%s\" where a row count was expected",
			          kind->apply, pgconn_result_value(res, 0, i));
		}
	}
	pgconn_result_free(res);
	return ok;
}

/* One (type, version): stage, analyze, diff, analyze, apply. */
static bool
trending_scores(Pgconn *conn, const TrendingKind *kind, const char *now_text,
                TrendingResult *result)
{
	const char *values[2] = {kind->version, now_text};
	int64_t start_us = common_monotonic_us();
	int64_t counts[3] = {0, 0, 0}; /* inserted, updated, deleted */
	bool ok;

	ok = trending_exec(conn, "begin", "BEGIN", 0, NULL, NULL) &&
	     trending_exec_named(conn, "trending_stage_create", 0, NULL, NULL) &&
	     trending_exec_named(conn, "trending_diff_create", 0, NULL, NULL) &&
	     trending_exec_named(conn, kind->stage, 2, values, NULL) &&
	     trending_analyze(conn, "reckon_trending_stage") &&
	     trending_exec_named(conn, kind->diff, 1, values, NULL) &&
	     trending_analyze(conn, "reckon_trending_diff") &&
	     trending_apply(conn, kind, values, counts) &&
	     trending_exec(conn, "commit", "COMMIT", 0, NULL, NULL);
	if (!ok)
	{
		/* error already logged; a broken connection rolls back itself */
		(void)trending_exec(conn, "rollback", "ROLLBACK", 0, NULL, NULL);
		return false;
	}
	result->upserted += counts[0] + counts[1];
	result->pruned += counts[2];
	log_info("scores %s/%s: %" PRId64 " rows written, %" PRId64
	         " pruned in %.1f ms (%" PRId64 " new, %" PRId64 " changed)",
	         kind->type, kind->version, counts[0] + counts[1], counts[2],
	         (double)(common_monotonic_us() - start_us) / 1000.0, counts[0],
	         counts[1]);
	return true;
}

/*
 * The weekly winners are paid on Fridays (UTC) of the reference time; the
 * statement itself skips a week trending_results already holds, so a second
 * run on the same Friday changes nothing.
 */
static bool
trending_winners(Pgconn *conn, const char *now_text)
{
	static const char *const kinds[] = {"tt", "tut", "tp"};
	const char *values[2] = {now_text, NULL};
	PgconnResult *res = NULL;
	char friday[16];
	bool is_friday;

	if (pgconn_exec(conn, "weekly winners",
	                embedded_find(embedded_sql, "trending_weekday"), 1, values,
	                &res, NULL, NULL, 60 * 1000) != PGCONN_OK ||
	    !pgconn_check_shape(res, "weekly winners", 1, 2))
	{
		pgconn_result_free(res);
		return false;
	}
	is_friday = strcmp(pgconn_result_value(res, 0, 0), "t") == 0;
	snprintf(friday, sizeof(friday), "%s", pgconn_result_value(res, 0, 1));
	pgconn_result_free(res);
	if (!is_friday)
	{
		return true;
	}
	values[0] = friday;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
	{
		int rows = 0;

		values[1] = kinds[i];
		if (!trending_exec_named(conn, "trending_winners", 2, values, &rows))
		{
			return false;
		}
		log_info("weekly winners \"%s\" of %s: %d rows written", kinds[i],
		         friday, rows);
	}
	return true;
}

bool
trending_run_once(const Config *config, const char *now_text,
                  TrendingResult *result)
{
	int64_t start_us = common_monotonic_us();
	PgconnStatus status;
	Pgconn *conn =
	    pgconn_connect(config->dsn, "reckon trending", false, 0, &status);
	bool ok = conn != NULL;
	int tastemakers = 0;

	for (size_t i = 0; ok && i < sizeof(trending_matviews) / sizeof(char *);
	     i++)
	{
		ok = trending_refresh(conn, trending_matviews[i]);
	}
	for (size_t i = 0;
	     ok && i < sizeof(trending_kinds) / sizeof(trending_kinds[0]); i++)
	{
		ok = trending_scores(conn, &trending_kinds[i], now_text, result);
	}
	ok = ok && trending_winners(conn, now_text) &&
	     trending_exec_named(conn, "tastemaker", 0, NULL, &tastemakers);
	pgconn_finish(conn);
	if (ok)
	{
		log_info("trending cycle done in %.1f ms, %d tastemaker rows written",
		         (double)(common_monotonic_us() - start_us) / 1000.0,
		         tastemakers);
	}
	return ok;
}

/*
 * The child's figures travel back through a pipe, as one TrendingResult
 * written at its end: far below PIPE_BUF, so the write is atomic, and a
 * child that dies first leaves the pipe empty (counted as failed).
 */
pid_t
trending_spawn(const Config *config, int *result_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0)
	{
		log_error("could not create a pipe for the trending job: %m");
		return -1;
	}
	/* reckon execs nothing, so this only keeps the fd out of tidiness */
	(void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0)
	{
		log_error("could not fork the trending job: %m");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
	{
		TrendingResult result = {0};
		ssize_t written;

		/*
		 * The child: default signals, so the parent's SIGTERM stops it, and
		 * _exit, so nothing of the parent's (its libpq connections above
		 * all) is closed or flushed from here.
		 */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		close(fds[0]);
		result.ok = trending_run_once(config, "now", &result);
		written = write(fds[1], &result, sizeof(result));
		_exit(result.ok && written == (ssize_t)sizeof(result)
		          ? EXIT_CODE_OK
		          : EXIT_CODE_RUNTIME);
	}
	close(fds[1]);
	*result_fd = fds[0];
	log_info("trending job started, pid %d", (int)pid);
	return pid;
}

bool
trending_reap(pid_t pid, int result_fd, TrendingResult *result)
{
	int wstatus;
	pid_t done = waitpid(pid, &wstatus, WNOHANG);

	if (done == 0)
	{
		return false;
	}
	memset(result, 0, sizeof(*result));
	if (done < 0)
	{
		log_error("could not wait for the trending job %d: %m", (int)pid);
	}
	else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
	{
		log_error("trending job %d failed (%s %d); it runs again at the next "
		          "interval",
		          (int)pid, WIFEXITED(wstatus) ? "exit" : "signal",
		          WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
		                             : WTERMSIG(wstatus));
	}
	else if (read(result_fd, result, sizeof(*result)) !=
	         (ssize_t)sizeof(*result))
	{
		log_error("trending job %d exited without its figures", (int)pid);
		memset(result, 0, sizeof(*result));
	}
	close(result_fd);
	return true;
}

void
trending_stop(pid_t pid, int result_fd)
{
	int wstatus;

	kill(pid, SIGTERM);
	(void)waitpid(pid, &wstatus, 0);
	close(result_fd);
	log_info("trending job %d stopped", (int)pid);
}

void
trending_tick(TrendingJob *job, const Config *config, MetricsSnapshot *m,
              int64_t now_us)
{
	TrendingResult result;

	if (job->pid > 0 && trending_reap(job->pid, job->fd, &result))
	{
		job->pid = 0;
		m->trending_runs++;
		m->trending_failures += result.ok ? 0 : 1;
		m->trending_upserted += result.upserted;
		m->trending_pruned += result.pruned;
		metrics_histogram_observe(&m->trending_duration,
		                          METRICS_BUCKETS_TRENDING,
		                          now_us - job->started_us);
		if (!result.ok)
		{
			metrics_count_error(m, METRICS_SOURCE_TRENDING, "exit");
		}
	}
	if (config->trending_interval_ms == 0 || job->pid > 0 ||
	    now_us < job->due_us)
	{
		return;
	}
	job->due_us = now_us + config->trending_interval_ms * 1000;
	job->started_us = now_us;
	job->pid = trending_spawn(config, &job->fd);
	if (job->pid < 0)
	{
		job->pid = 0;
	}
}
