/*
 * poller_driver.c: the two designs reckon replaces, as benchmark baselines
 * (issue #6): a small driver that runs their SQL on a timer. Used by the
 * latency scenario (tools/bench/latency.sh, --mode poll) and the database
 * cost scenario (tools/bench/dbcost.sh, both modes).
 *
 *   --mode poll  the checkpoint-polling processor
 *                (tools/bench/baseline_polling.sql): every tick, for each
 *                processor p1, p2, p3 and c, in one transaction, a dirty
 *                scan of the rows past its checkpoint, the repo's own
 *                recompute statement (the rules play_milestone and
 *                first_weekly_comment of sql/rules/, composed with their
 *                write policies as reckon runs them, rule.h)
 *                for just the users found, and the checkpoint advanced;
 *   --mode scan  the full-scan processor (tools/bench/baseline_fullscan.sql):
 *                every tick, per tier p1, p2, p3 a GROUP BY over all plays
 *                and an upsert for every eligible user, then c over all
 *                comments; each statement in its own transaction.
 * Both write the rows reckon writes; the point of each is how it finds the
 * users, which is what the benchmark measures. The SQL files are split at
 * their "-- @statement NAME" lines and each part is prepared once.
 *
 * A tick starts every --tick ms from the start (the first at once); a tick
 * that overruns delays the next one, never runs two at a time. One line per
 * tick goes to stderr (tick ms, users recomputed, rows written). It stops
 * after --duration seconds (no tick starts past it) or on SIGTERM/SIGINT,
 * after the statement in flight, and exits 0; 1 on a SQL or connection
 * failure (a benchmark must not carry on with a broken baseline), 2 on bad
 * usage. It never retries: a failed tick would make its figures wrong.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "embedded.h"
#include "pgconn.h"
#include "rule.h"

#define LOG_MODULE "poller"
#include "log.h"

#define POLLER_STATEMENTS_MAX 16
#define POLLER_SQL_BYTES_MAX (1024 * 1024)
#define POLLER_MARKER "-- @statement "
/* A full scan of the large dataset takes seconds per tier; far above it. */
#define POLLER_STATEMENT_TIMEOUT_MS (30 * 60 * 1000)
#define POLLER_CONNECT_TIMEOUT_MS (60 * 1000)

typedef enum PollerMode
{
	POLLER_MODE_POLL,
	POLLER_MODE_SCAN
} PollerMode;

typedef struct PollerOptions
{
	const char *dsn; /* borrowed (argv) */
	PollerMode mode;
	int64_t tick_ms;
	int64_t duration_s;  /* 0: until a signal */
	const char *sql_dir; /* borrowed (argv), NULL: next to the binary */
} PollerOptions;

/* The statements of one SQL file, in file order. */
typedef struct PollerSql
{
	int count;
	char *names[POLLER_STATEMENTS_MAX]; /* owned */
	char *texts[POLLER_STATEMENTS_MAX]; /* owned */
} PollerSql;

/* One processor of the old catalogue: its challenge and source table. */
typedef struct PollerProcessor
{
	const char *challenge;
	const char *create_min;
	bool is_comments; /* c reads comments; the tiers read plays */
} PollerProcessor;

static const PollerProcessor poller_processors[] = {
    {"p1", "1", false},
    {"p2", "250", false},
    {"p3", "1000", false},
    {"c", "0", true},
};
#define POLLER_PROCESSORS                                                      \
	((int)(sizeof(poller_processors) / sizeof(poller_processors[0])))

/* What one tick did, for its log line. */
typedef struct PollerTick
{
	int64_t users;
	int64_t rows;
	int64_t source_rows; /* poll: new plays and comments found */
} PollerTick;

static volatile sig_atomic_t poller_stop_requested = 0;

static void
poller_on_signal(int signo)
{
	(void)signo;
	poller_stop_requested = 1;
}

static void
poller_usage(FILE *out)
{
	fprintf(out,
	        "Usage: poller_driver --dsn CONNINFO --mode poll|scan "
	        "--tick DURATION_MS\n"
	        "         [--duration SECONDS] [--sql-dir DIR]\n"
	        "\n"
	        "Runs a baseline processor of the benchmark every tick:\n"
	        "  poll  checkpoint polling (baseline_polling.sql): per processor\n"
	        "        p1, p2, p3, c a dirty scan past its checkpoint, the\n"
	        "        recompute of the users found, the checkpoint advanced\n"
	        "  scan  full scan (baseline_fullscan.sql): per tier a GROUP BY\n"
	        "        over all plays, then all comments, upserting every row\n"
	        "Connects as application_name bench_poll or bench_scan. Logs one\n"
	        "line per tick to stderr. Stops after --duration seconds or on\n"
	        "SIGTERM/SIGINT (exit 0); 1 on a SQL failure, 2 on bad usage.\n"
	        "--sql-dir defaults to tools/bench of the binary's repository.\n");
}

static bool WARN_UNUSED
poller_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
	{
		return false;
	}
	*out = v;
	return true;
}

static bool WARN_UNUSED
poller_parse_option(PollerOptions *opt, const char *name, const char *value)
{
	if (strcmp(name, "--dsn") == 0)
	{
		opt->dsn = value;
		return true;
	}
	if (strcmp(name, "--mode") == 0)
	{
		opt->mode =
		    strcmp(value, "scan") == 0 ? POLLER_MODE_SCAN : POLLER_MODE_POLL;
		return strcmp(value, "scan") == 0 || strcmp(value, "poll") == 0;
	}
	if (strcmp(name, "--tick") == 0)
	{
		return poller_parse_int64(value, 1, 24 * 3600 * 1000, &opt->tick_ms);
	}
	if (strcmp(name, "--duration") == 0)
	{
		return poller_parse_int64(value, 1, 365 * 24 * 3600, &opt->duration_s);
	}
	if (strcmp(name, "--sql-dir") == 0)
	{
		opt->sql_dir = value;
		return true;
	}
	return false;
}

/*
 * poller_parse_options: "--name value" or "--name=value"; --dsn, --mode and
 * --tick are required. Complains on stderr and returns false on bad usage.
 */
static bool WARN_UNUSED
poller_parse_options(int argc, char **argv, PollerOptions *opt)
{
	bool has_mode = false;
	char name[64];

	*opt = (PollerOptions){0};
	for (int i = 1; i < argc; i++)
	{
		const char *eq = strchr(argv[i], '=');
		const char *value;

		if (eq != NULL && (size_t)(eq - argv[i]) < sizeof(name))
		{
			snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]), argv[i]);
			value = eq + 1;
		}
		else if (i + 1 < argc)
		{
			snprintf(name, sizeof(name), "%s", argv[i]);
			value = argv[++i];
		}
		else
		{
			fprintf(stderr, "poller_driver: option \"%s\" needs a value\n",
			        argv[i]);
			return false;
		}
		if (!poller_parse_option(opt, name, value))
		{
			fprintf(stderr, "poller_driver: bad option \"%s\" \"%s\"\n", name,
			        value);
			return false;
		}
		has_mode = has_mode || strcmp(name, "--mode") == 0;
	}
	if (opt->dsn == NULL || !has_mode || opt->tick_ms == 0)
	{
		fprintf(stderr, "poller_driver: --dsn, --mode and --tick are "
		                "required\n");
		return false;
	}
	return true;
}

/*
 * poller_default_sql_dir: tools/bench of the repository the binary was
 * built in (build/bench/poller_driver -> ../../tools/bench), so the driver
 * works from any current directory. Writes into buf; false if unknown.
 */
static bool WARN_UNUSED
poller_default_sql_dir(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
	{
		log_error("could not read /proc/self/exe: %s", strerror(errno));
		return false;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
	{
		return false;
	}
	*slash = '\0';
	return snprintf(buf, size, "%s/../../tools/bench", exe) < (int)size;
}

/* poller_read_file: the whole file, NUL-terminated; caller frees. */
static char *
poller_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;

	if (f == NULL)
	{
		log_error("could not open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	text = malloc(POLLER_SQL_BYTES_MAX + 1);
	if (text == NULL)
	{
		common_out_of_memory("sql file");
	}
	n = fread(text, 1, POLLER_SQL_BYTES_MAX + 1, f);
	fclose(f);
	if (n > POLLER_SQL_BYTES_MAX)
	{
		log_error("\"%s\" is larger than %d bytes", path, POLLER_SQL_BYTES_MAX);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

static void
poller_sql_destroy(PollerSql *sql)
{
	for (int i = 0; i < sql->count; i++)
	{
		free(sql->names[i]);
		free(sql->texts[i]);
	}
	sql->count = 0;
}

/* poller_sql_append: a copy of [start, end) as statement name. */
static bool WARN_UNUSED
poller_sql_append(PollerSql *sql, const char *name, size_t name_len,
                  const char *start, const char *end)
{
	/* A trailing ";" and blank lines would make an empty second query. */
	while (end > start && (end[-1] == ';' || end[-1] == '\n' ||
	                       end[-1] == ' ' || end[-1] == '\t'))
	{
		end--;
	}
	if (sql->count == POLLER_STATEMENTS_MAX || name_len == 0 || end == start)
	{
		log_error("statement \"%.*s\": empty, or more than %d statements",
		          (int)name_len, name, POLLER_STATEMENTS_MAX);
		return false;
	}
	sql->names[sql->count] = strndup(name, name_len);
	sql->texts[sql->count] = strndup(start, (size_t)(end - start));
	if (sql->names[sql->count] == NULL || sql->texts[sql->count] == NULL)
	{
		common_out_of_memory("sql statement");
	}
	sql->count++;
	return true;
}

/*
 * poller_sql_load: split dir/file at its marker lines ("-- @statement
 * NAME"); the text before the first marker (the file's header) is dropped.
 * The comments inside a statement are sent with it: the server skips them,
 * and pg_stat_statements shows each statement with its own explanation.
 */
static bool WARN_UNUSED
poller_sql_load(const char *dir, const char *file, PollerSql *sql)
{
	char path[PATH_MAX];
	char *text;
	const char *p, *name = NULL, *body = NULL;
	size_t name_len = 0;
	bool is_ok = true;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
	{
		log_error("path too long: \"%s/%s\"", dir, file);
		return false;
	}
	text = poller_read_file(path);
	if (text == NULL)
	{
		return false; /* error already logged */
	}
	for (p = text; is_ok && *p != '\0';
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
	{
		if (strncmp(p, POLLER_MARKER, strlen(POLLER_MARKER)) != 0)
		{
			continue;
		}
		if (name != NULL)
		{
			is_ok = poller_sql_append(sql, name, name_len, body, p);
		}
		name = p + strlen(POLLER_MARKER);
		name_len = strcspn(name, " \t\n");
		body = name + strcspn(name, "\n");
	}
	if (is_ok && name != NULL)
	{
		is_ok = poller_sql_append(sql, name, name_len, body, p);
	}
	free(text);
	if (is_ok && sql->count == 0)
	{
		log_error("\"%s\" has no \"%s\" line", path, POLLER_MARKER "NAME");
		is_ok = false;
	}
	return is_ok;
}

/* poller_sql_find: the text of statement name, or NULL (logged). */
static const char *
poller_sql_find(const PollerSql *sql, const char *name)
{
	for (int i = 0; i < sql->count; i++)
	{
		if (strcmp(sql->names[i], name) == 0)
		{
			return sql->texts[i];
		}
	}
	log_error("no statement \"%s\" in the baseline's SQL file", name);
	return NULL;
}

/*
 * The statement reckon runs for the built-in rule name on the primary,
 * composed as config.c composes it (rule.h); malloc'd, NULL when it
 * cannot be (logged).
 */
static char *
poller_repo_statement(const char *name)
{
	const char *rule = embedded_find(embedded_rules, name);
	const char *frame = embedded_find(embedded_sql, "rule_frame");
	char policy[RULE_POLICY_NAME_MAX];
	char err[256];
	char *text = NULL;

	if (rule != NULL && frame != NULL &&
	    rule_policy_name(rule, policy, sizeof(policy), err, sizeof(err)))
	{
		char *pol =
		    rule_policy_text(embedded_policies, policy, err, sizeof(err));

		text = pol == NULL ? NULL
		                   : rule_compose(rule, pol, frame, RULE_FORM_PRIMARY,
		                                  NULL, err, sizeof(err));
		free(pol);
	}
	if (text == NULL)
	{
		log_error("no built-in rule sql/rules/%s.sql to compose", name);
	}
	return text;
}

/*
 * poller_prepare: prepare statement name from sql (or, when from_repo, the
 * statement reckon composes from the built-in rule name) with the given
 * parameter types.
 */
static bool WARN_UNUSED
poller_prepare(Pgconn *conn, const PollerSql *sql, const char *name,
               bool from_repo, int nparams, const unsigned int *types)
{
	char *composed = from_repo ? poller_repo_statement(name) : NULL;
	const char *text = from_repo ? composed : poller_sql_find(sql, name);
	bool ok;

	if (text == NULL)
	{
		return false; /* error already logged */
	}
	ok = pgconn_prepare(conn, name, name, text, nparams, types) == PGCONN_OK;
	free(composed);
	return ok;
}

/*
 * poller_run: execute prepared statement name; *result (may be NULL: not
 * wanted) is freed by the caller with pgconn_result_free.
 */
static bool WARN_UNUSED
poller_run(Pgconn *conn, const char *name, int nparams,
           const char *const *values, PgconnResult **result)
{
	PgconnResult *res = NULL;
	PgconnStatus status =
	    pgconn_exec_prepared(conn, name, name, nparams, values, &res, NULL,
	                         NULL, POLLER_STATEMENT_TIMEOUT_MS);

	if (status != PGCONN_OK)
	{
		pgconn_result_free(res);
		return false; /* error already logged */
	}
	if (result != NULL)
	{
		*result = res;
	}
	else
	{
		pgconn_result_free(res);
	}
	return true;
}

/* poller_simple: a statement without parameters (BEGIN, COMMIT, DDL). */
static bool WARN_UNUSED
poller_simple(Pgconn *conn, const char *sql)
{
	PgconnResult *res = NULL;
	PgconnStatus status = pgconn_exec(conn, sql, sql, 0, NULL, &res, NULL, NULL,
	                                  POLLER_STATEMENT_TIMEOUT_MS);

	pgconn_result_free(res);
	return status == PGCONN_OK;
}

static int64_t
poller_value_int64(const PgconnResult *res, int row, int col)
{
	const char *v = pgconn_result_value(res, row, col);

	return v == NULL ? 0 : strtoll(v, NULL, 10);
}

/* poller_array_length: elements of a bigint[] in text form ("{1,2}"). */
static int64_t
poller_array_length(const char *array)
{
	int64_t n = 1;

	if (array == NULL || strcmp(array, "{}") == 0)
	{
		return 0;
	}
	for (const char *p = array; *p != '\0'; p++)
	{
		n += *p == ',';
	}
	return n;
}

/*
 * poller_setup_poll: the checkpoint table, the statements, and each
 * processor's checkpoint (at the current end of its source table when new).
 */
static bool WARN_UNUSED
poller_setup_poll(Pgconn *conn, const PollerSql *sql)
{
	static const unsigned int text1[] = {PGCONN_TYPE_TEXT};
	static const unsigned int advance[] = {PGCONN_TYPE_TEXT, PGCONN_TYPE_INT8};
	static const unsigned int repo[] = {PGCONN_TYPE_INT8_ARRAY,
	                                    PGCONN_TYPE_TEXT, PGCONN_TYPE_INT8};
	const char *setup = poller_sql_find(sql, "poll_setup");
	/*
	 * play_milestone reads the session's play counts table; left empty,
	 * each tier sums N itself, as the polling processors do
	 */
	const char *counts = embedded_find(embedded_sql, "play_counts_setup");

	if (setup == NULL || counts == NULL || !poller_simple(conn, setup) ||
	    !poller_simple(conn, counts) ||
	    !poller_prepare(conn, sql, "poll_init_plays", false, 1, text1) ||
	    !poller_prepare(conn, sql, "poll_init_comments", false, 1, text1) ||
	    !poller_prepare(conn, sql, "poll_dirty_plays", false, 1, text1) ||
	    !poller_prepare(conn, sql, "poll_dirty_comments", false, 1, text1) ||
	    !poller_prepare(conn, sql, "poll_advance", false, 2, advance) ||
	    !poller_prepare(conn, sql, "play_milestone", true, 3, repo) ||
	    !poller_prepare(conn, sql, "first_weekly_comment", true, 3, repo))
	{
		return false; /* error already logged */
	}
	for (int i = 0; i < POLLER_PROCESSORS; i++)
	{
		const PollerProcessor *p = &poller_processors[i];
		const char *values[1] = {p->challenge};

		if (!poller_run(
		        conn, p->is_comments ? "poll_init_comments" : "poll_init_plays",
		        1, values, NULL))
		{
			return false; /* error already logged */
		}
	}
	return true;
}

static bool WARN_UNUSED
poller_setup_scan(Pgconn *conn, const PollerSql *sql)
{
	static const unsigned int milestone[] = {PGCONN_TYPE_TEXT,
	                                         PGCONN_TYPE_INT8};
	static const unsigned int comment[] = {PGCONN_TYPE_TEXT};

	return poller_prepare(conn, sql, "scan_milestone", false, 2, milestone) &&
	       poller_prepare(conn, sql, "scan_weekly_comment", false, 1, comment);
}

/*
 * poller_recompute: inside the processor's transaction, the repo's
 * statement for the users the dirty scan found (keys may be NULL: the new
 * plays name no known track), then the checkpoint moved to last_id.
 */
static bool WARN_UNUSED
poller_recompute(Pgconn *conn, const PollerProcessor *p, const char *keys,
                 const char *last_id, PollerTick *tick)
{
	const char *values[3] = {keys, p->challenge, p->create_min};
	const char *advance[2] = {p->challenge, last_id};
	PgconnResult *res = NULL;

	if (keys != NULL)
	{
		if (!poller_run(conn,
		                p->is_comments ? "first_weekly_comment"
		                               : "play_milestone",
		                3, values, &res))
		{
			return false; /* error already logged */
		}
		tick->rows += res != NULL ? pgconn_result_rows(res) : 0;
		tick->users += poller_array_length(keys);
		pgconn_result_free(res);
	}
	return poller_run(conn, "poll_advance", 2, advance, NULL);
}

/* poller_poll_one: one processor's tick, in one transaction. */
static bool WARN_UNUSED
poller_poll_one(Pgconn *conn, const PollerProcessor *p, PollerTick *tick)
{
	const char *values[1] = {p->challenge};
	PgconnResult *res = NULL;
	bool is_ok;

	if (!poller_simple(conn, "BEGIN"))
	{
		return false; /* error already logged */
	}
	is_ok =
	    poller_run(conn,
	               p->is_comments ? "poll_dirty_comments" : "poll_dirty_plays",
	               1, values, &res) &&
	    pgconn_check_shape(res, "dirty scan", 1, 3);
	if (is_ok && poller_value_int64(res, 0, 2) > 0)
	{
		tick->source_rows += poller_value_int64(res, 0, 2);
		is_ok = poller_recompute(conn, p, pgconn_result_value(res, 0, 0),
		                         pgconn_result_value(res, 0, 1), tick);
	}
	pgconn_result_free(res);
	/* An empty window ends with COMMIT too: the checkpoint's row lock goes */
	return is_ok && poller_simple(conn, "COMMIT");
}

/* poller_scan_one: one full-scan tier (or c), in its own transaction. */
static bool WARN_UNUSED
poller_scan_one(Pgconn *conn, const PollerProcessor *p, PollerTick *tick)
{
	const char *values[2] = {p->challenge, p->create_min};
	PgconnResult *res = NULL;
	bool is_ok;

	is_ok = poller_run(
	            conn, p->is_comments ? "scan_weekly_comment" : "scan_milestone",
	            p->is_comments ? 1 : 2, values, &res) &&
	        pgconn_check_shape(res, "full scan", 1, 2);
	if (is_ok)
	{
		tick->users += poller_value_int64(res, 0, 0);
		tick->rows += poller_value_int64(res, 0, 1);
	}
	pgconn_result_free(res);
	return is_ok;
}

/* poller_tick: every processor once; a stop request skips the rest. */
static bool WARN_UNUSED
poller_tick(Pgconn *conn, PollerMode mode, PollerTick *tick)
{
	for (int i = 0; i < POLLER_PROCESSORS && !poller_stop_requested; i++)
	{
		const PollerProcessor *p = &poller_processors[i];
		bool is_ok = mode == POLLER_MODE_POLL ? poller_poll_one(conn, p, tick)
		                                      : poller_scan_one(conn, p, tick);

		if (!is_ok)
		{
			log_error("tick failed in processor %s", p->challenge);
			return false;
		}
	}
	return true;
}

/* poller_sleep_until: sleep towards the monotonic deadline, in short steps
 * so that a stop request or the end of --duration is seen promptly. */
static void
poller_sleep_until(int64_t deadline_us)
{
	int64_t remain_us = deadline_us - common_monotonic_us();
	struct timespec ts;

	if (remain_us <= 0)
	{
		return;
	}
	if (remain_us > 100 * 1000)
	{
		remain_us = 100 * 1000;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(remain_us * 1000);
	(void)nanosleep(&ts, NULL); /* EINTR: the loop checks the stop flag */
}

/* poller_loop: ticks until --duration or a stop request. */
static bool WARN_UNUSED
poller_loop(Pgconn *conn, const PollerOptions *opt)
{
	int64_t start_us = common_monotonic_us();
	int64_t next_us = start_us;
	int64_t ticks = 0, users = 0, rows = 0, busy_us = 0;

	while (!poller_stop_requested)
	{
		int64_t now_us = common_monotonic_us();
		PollerTick tick = {0};

		if (opt->duration_s > 0 &&
		    now_us - start_us >= opt->duration_s * 1000000)
		{
			break;
		}
		if (now_us < next_us)
		{
			poller_sleep_until(next_us);
			continue;
		}
		if (!poller_tick(conn, opt->mode, &tick))
		{
			return false; /* error already logged */
		}
		int64_t took_us = common_monotonic_us() - now_us;
		ticks++;
		users += tick.users;
		rows += tick.rows;
		busy_us += took_us;
		log_info("tick %" PRId64 ": %.1f ms, %" PRId64 " users recomputed, "
		         "%" PRId64 " rows written, %" PRId64 " new source rows",
		         ticks, (double)took_us / 1000.0, tick.users, tick.rows,
		         tick.source_rows);
		/* An overrun tick delays the next; ticks never pile up. */
		next_us += opt->tick_ms * 1000;
		if (next_us < common_monotonic_us())
		{
			next_us = common_monotonic_us();
		}
	}
	log_info("stopped after %" PRId64 " ticks: %.1f ms in ticks, %" PRId64
	         " users recomputed, %" PRId64 " rows written",
	         ticks, (double)busy_us / 1000.0, users, rows);
	return true;
}

static void
poller_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = poller_on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a sleep ends at once on SIGTERM */
	sa.sa_flags = 0;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
}

/* poller_start: load the SQL, connect, prepare; *conn is set on success. */
static bool WARN_UNUSED
poller_start(const PollerOptions *opt, PollerSql *sql, Pgconn **conn)
{
	char dir[PATH_MAX];
	PgconnStatus status;
	bool is_poll = opt->mode == POLLER_MODE_POLL;

	if (opt->sql_dir != NULL)
	{
		snprintf(dir, sizeof(dir), "%s", opt->sql_dir);
	}
	else if (!poller_default_sql_dir(dir, sizeof(dir)))
	{
		log_error("cannot find the SQL directory, pass --sql-dir");
		return false;
	}
	if (!poller_sql_load(
	        dir, is_poll ? "baseline_polling.sql" : "baseline_fullscan.sql",
	        sql))
	{
		return false; /* error already logged */
	}
	*conn = pgconn_connect(opt->dsn, is_poll ? "bench_poll" : "bench_scan",
	                       false, POLLER_STATEMENT_TIMEOUT_MS, &status);
	if (*conn == NULL)
	{
		return false; /* error already logged */
	}
	log_info("connected %s, mode %s, tick %" PRId64 " ms",
	         pgconn_describe(*conn), is_poll ? "poll" : "scan", opt->tick_ms);
	return is_poll ? poller_setup_poll(*conn, sql)
	               : poller_setup_scan(*conn, sql);
}

int
main(int argc, char **argv)
{
	PollerOptions opt;
	PollerSql sql = {0};
	Pgconn *conn = NULL;
	bool is_ok;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
	{
		poller_usage(stdout);
		return EXIT_CODE_OK;
	}
	if (!poller_parse_options(argc, argv, &opt))
	{
		fprintf(stderr, "Try \"poller_driver --help\".\n");
		return EXIT_CODE_USAGE;
	}
	poller_signals();
	is_ok = poller_start(&opt, &sql, &conn) && poller_loop(conn, &opt);
	if (conn != NULL)
	{
		pgconn_finish(conn);
	}
	poller_sql_destroy(&sql);
	return is_ok ? EXIT_CODE_OK : EXIT_CODE_RUNTIME;
}
