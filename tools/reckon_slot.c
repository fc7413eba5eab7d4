/*
 * reckon_slot.c: reckon-slot, the operators' tool for replication slots:
 * list, create, drop, advance, check (a monitoring plugin) and peek. It sits
 * beside the pipeline, not in it: it talks SQL to the server through the
 * project's pgconn and slot modules (src/pgconn.c, src/slot.c), the same
 * code and queries the daemon uses, so the two never disagree on what a
 * slot's lag or state is.
 *
 * Exit status: 0 success, 1 a server-side or connection failure, 2 a usage
 * error; check uses the monitoring-plugin codes (0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "reckon-slot"
#include "common.h"
#include "config.h"
#include "config_finish.h"
#include "embedded.h"
#include "log.h"
#include "lsn.h"
#include "pgconn.h"
#include "slot.h"
#include "stream.h"

#define SLOT_TOOL_VERSION "0.1.0"

/* the monitoring-plugin exit codes of check */
#define CHECK_OK 0
#define CHECK_WARNING 1
#define CHECK_CRITICAL 2
#define CHECK_UNKNOWN 3

/* how long drop --force keeps terminating a holder that reconnects */
#define DROP_FORCE_ATTEMPTS 50
#define DROP_FORCE_PAUSE_NS (100 * 1000 * 1000)

typedef enum ToolOption
{
	OPT_JSON = 1 << 0,
	OPT_IF_NOT_EXISTS = 1 << 1,
	OPT_FORCE = 1 << 2,
	OPT_TO = 1 << 3,
	OPT_THRESHOLDS = 1 << 4,
	OPT_STATE_FILE = 1 << 5,
	OPT_COUNT = 1 << 6,
	OPT_CONFIG = 1 << 7
} ToolOption;

typedef struct ToolArgs
{
	const char *command;
	const char *name;
	const char *dsn;
	const char *config_path;
	const char *to;
	const char *state_file;
	unsigned given; /* ToolOption bits the user set */
	int64_t warn_lag, crit_lag, warn_retained, crit_retained; /* -1: unset */
	int64_t max_inactive_s;                                   /* -1: unset */
	int64_t count;
	int verbose;
} ToolArgs;

typedef struct ToolCommand
{
	const char *name;
	bool needs_name;
	unsigned allowed; /* ToolOption bits */
	int (*run)(Pgconn *conn, const ToolArgs *args);
} ToolCommand;

static void
tool_usage(FILE *out)
{
	fprintf(
	    out,
	    "reckon-slot manages PostgreSQL replication slots for reckon: see\n"
	    "them, create and drop them, move them, check them from monitoring\n"
	    "and peek at what they hold.\n"
	    "\n"
	    "Usage: reckon-slot [OPTION]... COMMAND [ARG]...\n"
	    "\n"
	    "Commands:\n"
	    "  list [--json]              every slot: plugin, database, holder,\n"
	    "                             LSNs, lag, retained WAL, wal_status\n"
	    "  create NAME [--if-not-exists]\n"
	    "                             a logical slot with wal2json\n"
	    "  drop NAME [--force]        drop a slot; --force first terminates\n"
	    "                             the process that holds it\n"
	    "  advance NAME --to LSN|now  move the slot forward, skipping changes\n"
	    "  check NAME [--warn-lag SIZE] [--crit-lag SIZE]\n"
	    "             [--warn-retained SIZE] [--crit-retained SIZE]\n"
	    "             [--max-inactive SECONDS [--state-file FILE]]\n"
	    "                             one status line, monitoring exit codes\n"
	    "  peek NAME [-n N] [-c FILE] the next N messages, not consumed\n"
	    "\n"
	    "Options:\n"
	    "  -d, --dsn=CONNINFO         connection string or URI (default:\n"
	    "                             libpq's PG* variables and .pgpass)\n"
	    "  -c, --config=FILE          reckon's configuration: its slot name\n"
	    "                             (which slot list marks as reckon's) and\n"
	    "                             tables (peek's add-tables); default\n"
	    "                             the built-in one\n"
	    "  -n, --count=N              peek: at most N messages (default 10)\n"
	    "  -v, --verbose              more logging\n"
	    "  -V, --version              print the version and exit\n"
	    "  -?, --help                 show this help and exit\n"
	    "\n"
	    "Sizes take units: 512kB, 64MB, 4GB (1024-based). Lag is the WAL\n"
	    "between the slot's confirmed_flush_lsn and the server's current\n"
	    "position (what the consumer still has to confirm); retained WAL is\n"
	    "from restart_lsn (what the server keeps on disk for the slot).\n"
	    "\n"
	    "check is CRITICAL when the slot is missing, its wal_status is lost,\n"
	    "or it has been inactive longer than --max-inactive. PostgreSQL 15\n"
	    "does not record when a slot went inactive, so check remembers when\n"
	    "it first saw it inactive in --state-file (default\n"
	    "$XDG_STATE_HOME/reckon-slot/, else ~/.local/state/reckon-slot/).\n"
	    "\n"
	    "Exit status: 0 success, 1 server or connection failure, 2 usage\n"
	    "error; check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n");
}

/*
 * arg goes through pgconn_redact_word: with an unquoted -d, the
 * "password=..." word is taken for the command or an extra argument, and
 * a password must not be echoed.
 */
NORETURN static void
tool_usage_error(const char *message, const char *arg)
{
	char *shown = arg ? pgconn_redact_word(arg) : NULL;

	fprintf(stderr, "reckon-slot: %s%s%s%s\n", message, shown ? " \"" : "",
	        shown ? shown : "", shown ? "\"" : "");
	free(shown);
	fprintf(stderr, "Try \"reckon-slot --help\" for more information.\n");
	exit(EXIT_CODE_USAGE);
}

/* tool_bytes: 1536 -> "1.5 kB", 1024-based like the sizes we parse. */
/* The built-in statement sql/NAME.sql (embedded at build). */
static const char *
tool_sql(const char *name)
{
	const char *sql = embedded_find(embedded_sql, name);

	ASSERT(sql != NULL);
	return sql;
}

static const char *
tool_bytes(int64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB"};
	double v = (double)bytes;
	int u = 0;

	if (bytes < 0)
	{
		snprintf(buf, size, "-");
		return buf;
	}
	while (v >= 1024.0 && u < 4)
	{
		v /= 1024.0;
		u++;
	}
	if (u == 0)
	{
		snprintf(buf, size, "%" PRId64 " bytes", bytes);
	}
	else
	{
		snprintf(buf, size, "%.1f %s", v, units[u]);
	}
	return buf;
}

static const char *
tool_lsn(Lsn lsn, char *buf, size_t size)
{
	if (lsn == LSN_INVALID)
	{
		snprintf(buf, size, "-");
	}
	else
	{
		snprintf(buf, size, "%X/%X", LSN_FORMAT_ARGS(lsn));
	}
	return buf;
}

/* tool_json_string: str as a JSON string, escaped, on out. */
static void
tool_json_string(FILE *out, const char *str)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++)
	{
		if (*p == '"' || *p == '\\')
		{
			fprintf(out, "\\%c", *p);
		}
		else if (*p < 0x20)
		{
			fprintf(out, "\\u%04x", *p);
		}
		else
		{
			fputc(*p, out);
		}
	}
	fputc('"', out);
}

/*
 * A slot is reckon's when it is the slot reckon's configuration names, or a
 * process whose application_name is reckon holds it (another configuration).
 */
static bool
tool_is_reckons(const SlotInfo *s, const Config *config)
{
	return s->is_logical && strcmp(s->plugin, "wal2json") == 0 &&
	       (strcmp(s->name, config->slot) == 0 ||
	        strstr(s->holder, "(application reckon,") != NULL);
}

static bool
tool_load_config(const ToolArgs *args, Config *config)
{
	config_init(config);
	if (!config_load_file(config, args->config_path) || !config_finish(config))
	{
		config_free(config);
		return false;
	}
	return true;
}

static void
tool_list_json(const SlotInfo *slots, int n, const Config *config)
{
	char a[32], b[32];

	printf("[");
	for (int i = 0; i < n; i++)
	{
		const SlotInfo *s = &slots[i];

		printf("%s\n  {\"slot_name\": ", i ? "," : "");
		tool_json_string(stdout, s->name);
		printf(", \"slot_type\": \"%s\", \"plugin\": ",
		       s->is_logical ? "logical" : "physical");
		if (s->plugin[0])
		{
			tool_json_string(stdout, s->plugin);
		}
		else
		{
			printf("null");
		}
		printf(", \"database\": ");
		if (s->database[0])
		{
			tool_json_string(stdout, s->database);
		}
		else
		{
			printf("null");
		}
		printf(", \"active\": %s, \"active_pid\": ",
		       s->is_active ? "true" : "false");
		if (s->active_pid)
		{
			printf("%d", s->active_pid);
		}
		else
		{
			printf("null");
		}
		printf(", \"holder\": ");
		tool_json_string(stdout, s->holder);
		tool_lsn(s->restart_lsn, a, sizeof(a));
		tool_lsn(s->confirmed_flush, b, sizeof(b));
		printf(", \"restart_lsn\": %s%s%s, \"confirmed_flush_lsn\": %s%s%s",
		       s->restart_lsn ? "\"" : "", s->restart_lsn ? a : "null",
		       s->restart_lsn ? "\"" : "", s->confirmed_flush ? "\"" : "",
		       s->confirmed_flush ? b : "null", s->confirmed_flush ? "\"" : "");
		if (s->lag_bytes >= 0)
		{
			printf(", \"lag_bytes\": %" PRId64, s->lag_bytes);
		}
		else
		{
			printf(", \"lag_bytes\": null");
		}
		if (s->retained_bytes >= 0)
		{
			printf(", \"retained_bytes\": %" PRId64, s->retained_bytes);
		}
		else
		{
			printf(", \"retained_bytes\": null");
		}
		printf(", \"wal_status\": ");
		if (s->wal_status[0])
		{
			tool_json_string(stdout, s->wal_status);
		}
		else
		{
			printf("null");
		}
		if (s->has_safe_wal_size)
		{
			printf(", \"safe_wal_size\": %" PRId64, s->safe_wal_size);
		}
		else
		{
			printf(", \"safe_wal_size\": null");
		}
		printf(", \"reckon\": %s}",
		       tool_is_reckons(s, config) ? "true" : "false");
	}
	printf("%s]\n", n ? "\n" : "");
}

static void
tool_list_table(const SlotInfo *slots, int n, const Config *config)
{
	static const char *const heads[] = {
	    "slot",    "type",     "plugin",      "database",
	    "active",  "pid",      "restart_lsn", "confirmed_flush_lsn",
	    "lag",     "retained", "wal_status",  "safe_wal_size",
	    "reckon's"};
	enum
	{
		NCOLS = sizeof(heads) / sizeof(heads[0])
	};
	char(*cells)[NCOLS][64] = calloc((size_t)(n > 0 ? n : 1), sizeof(*cells));
	int width[NCOLS];

	if (cells == NULL)
	{
		common_out_of_memory("slot list");
	}
	for (int c = 0; c < NCOLS; c++)
	{
		width[c] = (int)strlen(heads[c]);
	}
	for (int i = 0; i < n; i++)
	{
		const SlotInfo *s = &slots[i];
		char(*row)[64] = cells[i];

		snprintf(row[0], 64, "%s", s->name);
		snprintf(row[1], 64, "%s", s->is_logical ? "logical" : "physical");
		snprintf(row[2], 64, "%s", s->plugin[0] ? s->plugin : "-");
		snprintf(row[3], 64, "%s", s->database[0] ? s->database : "-");
		snprintf(row[4], 64, "%s", s->is_active ? "yes" : "no");
		if (s->active_pid)
		{
			snprintf(row[5], 64, "%d", s->active_pid);
		}
		else
		{
			snprintf(row[5], 64, "-");
		}
		tool_lsn(s->restart_lsn, row[6], 64);
		tool_lsn(s->confirmed_flush, row[7], 64);
		tool_bytes(s->lag_bytes, row[8], 64);
		tool_bytes(s->retained_bytes, row[9], 64);
		snprintf(row[10], 64, "%s", s->wal_status[0] ? s->wal_status : "-");
		tool_bytes(s->has_safe_wal_size ? s->safe_wal_size : -1, row[11], 64);
		snprintf(row[12], 64, "%s", tool_is_reckons(s, config) ? "yes" : "no");
		for (int c = 0; c < NCOLS; c++)
		{
			int len = (int)strlen(row[c]);

			width[c] = len > width[c] ? len : width[c];
		}
	}
	for (int c = 0; c < NCOLS; c++)
	{
		printf("%-*s%s", width[c], heads[c], c + 1 < NCOLS ? "  " : "\n");
	}
	for (int i = 0; i < n; i++)
	{
		for (int c = 0; c < NCOLS; c++)
		{
			printf("%-*s%s", width[c], cells[i][c],
			       c + 1 < NCOLS ? "  " : "\n");
		}
	}
	if (n == 0)
	{
		printf("(no replication slots)\n");
	}
	free(cells);
}

static int
tool_list(Pgconn *conn, const ToolArgs *args)
{
	SlotInfo *slots = NULL;
	int n = 0;
	Config config;

	if (!tool_load_config(args, &config))
	{
		return EXIT_CODE_USAGE;
	}
	if (slot_list(conn, &slots, &n) != PGCONN_OK)
	{
		config_free(&config);
		return EXIT_CODE_RUNTIME;
	}
	if (args->given & OPT_JSON)
	{
		tool_list_json(slots, n, &config);
	}
	else
	{
		tool_list_table(slots, n, &config);
	}
	free(slots);
	config_free(&config);
	return EXIT_CODE_OK;
}

/* tool_inspect: the slot, or an error naming it when it does not exist. */
static bool
tool_inspect(Pgconn *conn, const char *name, SlotInfo *info)
{
	if (slot_inspect(conn, name, info) != PGCONN_OK)
	{
		return false;
	}
	if (!info->exists)
	{
		log_error("replication slot \"%s\" does not exist (reckon-slot list "
		          "shows the slots there are)",
		          name);
		return false;
	}
	return true;
}

/* The server's reasons for refusing a slot, with what to do about each. */
static void
tool_create_hint(const char *sqlstate, const char *name)
{
	if (sqlstate == NULL)
	{
		return;
	}
	if (strcmp(sqlstate, "55000") == 0)
	{
		log_error("hint: logical slots need wal_level = logical: set it in "
		          "postgresql.conf and restart the server");
	}
	else if (strcmp(sqlstate, "53400") == 0)
	{
		log_error("hint: every slot allowed by max_replication_slots is "
		          "taken: drop an unused one (reckon-slot list) or raise the "
		          "setting and restart the server");
	}
	else if (strcmp(sqlstate, "42501") == 0)
	{
		log_error("hint: the role needs the REPLICATION attribute: ALTER ROLE "
		          "... REPLICATION");
	}
	else if (strcmp(sqlstate, "42710") == 0)
	{
		log_error("hint: slot \"%s\" already exists: use --if-not-exists to "
		          "accept it",
		          name);
	}
	else if (strcmp(sqlstate, "58P01") == 0)
	{
		log_error("hint: the wal2json output plugin is not installed on the "
		          "server (Debian: postgresql-15-wal2json)");
	}
}

static int
tool_create(Pgconn *conn, const ToolArgs *args)
{
	SlotInfo info;
	Lsn consistent = LSN_INVALID;

	if (slot_inspect(conn, args->name, &info) != PGCONN_OK)
	{
		return EXIT_CODE_RUNTIME;
	}
	if (info.exists && (args->given & OPT_IF_NOT_EXISTS))
	{
		if (!info.is_logical || strcmp(info.plugin, "wal2json") != 0 ||
		    !info.is_this_database)
		{
			log_error("replication slot \"%s\" exists but is not a wal2json "
			          "slot of this database (%s, plugin \"%s\", database "
			          "\"%s\")",
			          args->name, info.is_logical ? "logical" : "physical",
			          info.plugin, info.database);
			return EXIT_CODE_RUNTIME;
		}
		printf("replication slot \"%s\" already exists (wal2json, database "
		       "\"%s\")\n",
		       args->name, info.database);
		return EXIT_CODE_OK;
	}
	/* an existing slot without the flag: let the server refuse (42710) */
	if (slot_create(conn, args->name, &consistent) != PGCONN_OK)
	{
		tool_create_hint(pgconn_last_sqlstate(conn), args->name);
		return EXIT_CODE_RUNTIME;
	}
	printf("created replication slot \"%s\" (wal2json) at %X/%X\n", args->name,
	       LSN_FORMAT_ARGS(consistent));
	return EXIT_CODE_OK;
}

/* tool_say_loss: what dropping or advancing a slot gives up, on stderr. */
static void
tool_say_loss(const SlotInfo *info, const char *action)
{
	char lag[32], kept[32], at[32];

	log_warn("%s replication slot \"%s\" (confirmed up to %s; %s not yet "
	         "confirmed, %s of WAL retained): changes its consumer has not "
	         "processed will never be recomputed from it; afterwards run "
	         "reckon backfill, or start reckon --create-slot on a new slot "
	         "(see \"Operating the slot\" in reckon's README.md)",
	         action, info->name,
	         tool_lsn(info->confirmed_flush, at, sizeof(at)),
	         tool_bytes(info->lag_bytes, lag, sizeof(lag)),
	         tool_bytes(info->retained_bytes, kept, sizeof(kept)));
}

static int
tool_drop(Pgconn *conn, const ToolArgs *args)
{
	const char *values[1] = {args->name};
	struct timespec pause = {0, DROP_FORCE_PAUSE_NS};
	SlotInfo info;
	PgconnResult *res = NULL;
	PgconnStatus status;
	const char *state;

	if (!tool_inspect(conn, args->name, &info))
	{
		return EXIT_CODE_RUNTIME;
	}
	if (info.is_active && !(args->given & OPT_FORCE))
	{
		log_error("replication slot \"%s\" is in use by %s: stop that "
		          "consumer first, or use --force to terminate it",
		          args->name, info.holder[0] ? info.holder : "a process");
		return EXIT_CODE_RUNTIME;
	}
	tool_say_loss(&info, "dropping");
	/*
	 * A terminated consumer may reconnect (reckon does, after its backoff)
	 * and take the slot again before the drop: terminate and drop in a loop
	 * until the drop wins or the attempts run out.
	 */
	for (int attempt = 0; attempt < DROP_FORCE_ATTEMPTS; attempt++)
	{
		if (args->given & OPT_FORCE)
		{
			status = pgconn_exec(conn, "terminate the slot's holder",
			                     tool_sql("slot_terminate_holder"), 1, values,
			                     &res, NULL, NULL, 60 * 1000);
			pgconn_result_free(res);
			res = NULL;
			if (status != PGCONN_OK)
			{
				return EXIT_CODE_RUNTIME;
			}
		}
		status =
		    pgconn_exec(conn, "drop replication slot", tool_sql("slot_drop"), 1,
		                values, &res, NULL, NULL, 60 * 1000);
		pgconn_result_free(res);
		res = NULL;
		if (status == PGCONN_OK)
		{
			printf("dropped replication slot \"%s\"\n", args->name);
			return EXIT_CODE_OK;
		}
		state = pgconn_last_sqlstate(conn);
		if (!(args->given & OPT_FORCE) || state == NULL ||
		    strcmp(state, "55006") != 0)
		{
			return EXIT_CODE_RUNTIME;
		}
		nanosleep(&pause, NULL);
	}
	log_error("replication slot \"%s\" was taken again after each of %d "
	          "terminations: stop its consumer",
	          args->name, DROP_FORCE_ATTEMPTS);
	return EXIT_CODE_RUNTIME;
}

static int
tool_advance(Pgconn *conn, const ToolArgs *args)
{
	const char *values[2] = {args->name, NULL};
	SlotInfo info;
	PgconnResult *res = NULL;
	Lsn to = LSN_INVALID;
	char from[32];

	if (strcmp(args->to, "now") != 0)
	{
		if (!lsn_parse(args->to, &to) || to == LSN_INVALID)
		{
			tool_usage_error("invalid --to (expected an LSN such as 0/16B3748 "
			                 "or now):",
			                 args->to);
		}
		values[1] = args->to;
	}
	if (!tool_inspect(conn, args->name, &info))
	{
		return EXIT_CODE_RUNTIME;
	}
	if (info.is_active)
	{
		log_error("replication slot \"%s\" is in use by %s: stop that "
		          "consumer before advancing it",
		          args->name, info.holder[0] ? info.holder : "a process");
		return EXIT_CODE_RUNTIME;
	}
	tool_say_loss(&info, "advancing");
	/* a logical slot decodes up to the target to find a consistent point:
	 * no client-side bound, the server's statement_timeout (none) applies */
	if (pgconn_exec(conn, "advance replication slot", tool_sql("slot_advance"),
	                2, values, &res, NULL, NULL,
	                24 * 3600 * 1000LL) != PGCONN_OK ||
	    !pgconn_check_shape(res, "advance replication slot", 1, 1))
	{
		pgconn_result_free(res);
		return EXIT_CODE_RUNTIME;
	}
	printf("advanced replication slot \"%s\" from %s to %s\n", args->name,
	       tool_lsn(info.confirmed_flush, from, sizeof(from)),
	       pgconn_result_value(res, 0, 0));
	pgconn_result_free(res);
	return EXIT_CODE_OK;
}

/*
 * tool_state_path: check's memory of when it first saw the slot inactive,
 * one file per server port and slot. The server does not keep it before
 * PostgreSQL 17 (pg_replication_slots.inactive_since).
 */
static bool
tool_state_path(Pgconn *conn, const ToolArgs *args, char *path, size_t size)
{
	PgconnResult *res = NULL;
	const char *base = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char dir[2048];

	if (args->state_file)
	{
		snprintf(path, size, "%s", args->state_file);
		return true;
	}
	if (base && base[0])
	{
		snprintf(dir, sizeof(dir), "%s/reckon-slot", base);
	}
	else if (home && home[0])
	{
		/* the parents too, as mkdir -p: a fresh HOME has no ~/.local */
		snprintf(dir, sizeof(dir), "%s/.local", home);
		(void)mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/.local/state", home);
		(void)mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/.local/state/reckon-slot", home);
	}
	else
	{
		log_error("--max-inactive needs --state-file: neither XDG_STATE_HOME "
		          "nor HOME is set");
		return false;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
	{
		log_error("could not create the state directory \"%s\": %s", dir,
		          strerror(errno));
		return false;
	}
	if (pgconn_exec(conn, "server port", tool_sql("server_port"), 0, NULL, &res,
	                NULL, NULL, 60 * 1000) != PGCONN_OK ||
	    !pgconn_check_shape(res, "server port", 1, 1))
	{
		pgconn_result_free(res);
		return false;
	}
	snprintf(path, size, "%s/%s.port%s.inactive", dir, args->name,
	         pgconn_result_value(res, 0, 0));
	pgconn_result_free(res);
	return true;
}

/*
 * tool_inactive_seconds: how long the slot has been seen inactive, from the
 * state file (written with the current time on first sight, removed when the
 * slot is active). -1 when the file cannot be used.
 */
static int64_t
tool_inactive_seconds(const char *path, bool is_active)
{
	time_t now = time(NULL);
	long long since = 0;
	FILE *f;
	int fd;

	if (is_active)
	{
		(void)unlink(path);
		return 0;
	}
	f = fopen(path, "r");
	if (f != NULL)
	{
		int got = fscanf(f, "%lld", &since);

		fclose(f);
		if (got == 1 && since > 0 && since <= (long long)now)
		{
			return (int64_t)now - since;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0 || dprintf(fd, "%lld\n", (long long)now) < 0)
	{
		log_error("could not write the state file \"%s\": %s", path,
		          strerror(errno));
		if (fd >= 0)
		{
			close(fd);
		}
		return -1;
	}
	close(fd);
	return 0;
}

static int
tool_level(int64_t value, int64_t warn, int64_t crit)
{
	if (crit >= 0 && value >= crit)
	{
		return CHECK_CRITICAL;
	}
	if (warn >= 0 && value >= warn)
	{
		return CHECK_WARNING;
	}
	return CHECK_OK;
}

static void
tool_perf_limit(char *buf, size_t size, int64_t v)
{
	if (v >= 0)
	{
		snprintf(buf, size, "%" PRId64, v);
	}
	else
	{
		buf[0] = '\0';
	}
}

static int
tool_check(Pgconn *conn, const ToolArgs *args)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	SlotInfo info;
	char why[512] = "";
	char lag[32], kept[32], wl[24], cl[24], wr[24], cr[24];
	char state_path[4096];
	int64_t inactive_s = 0;
	int code = CHECK_OK;
	int level;

	if (slot_inspect(conn, args->name, &info) != PGCONN_OK)
	{
		printf("RECKON-SLOT UNKNOWN - could not read slot \"%s\" (see the "
		       "error above)\n",
		       args->name);
		return CHECK_UNKNOWN;
	}
	if (!info.exists)
	{
		printf("RECKON-SLOT CRITICAL - replication slot \"%s\" does not "
		       "exist\n",
		       args->name);
		return CHECK_CRITICAL;
	}
	if (args->max_inactive_s >= 0)
	{
		if (!tool_state_path(conn, args, state_path, sizeof(state_path)) ||
		    (inactive_s = tool_inactive_seconds(state_path, info.is_active)) <
		        0)
		{
			printf("RECKON-SLOT UNKNOWN - cannot track how long slot \"%s\" "
			       "has been inactive (see the error above)\n",
			       args->name);
			return CHECK_UNKNOWN;
		}
	}
	if (strcmp(info.wal_status, "lost") == 0)
	{
		code = CHECK_CRITICAL;
		snprintf(why, sizeof(why), "; invalidated (wal_status lost): %s",
		         slot_lost_steps());
	}
	level = tool_level(info.lag_bytes, args->warn_lag, args->crit_lag);
	if (level > CHECK_OK)
	{
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		         "; lag over the %s threshold", words[level]);
		code = level > code ? level : code;
	}
	level = tool_level(info.retained_bytes, args->warn_retained,
	                   args->crit_retained);
	if (level > CHECK_OK)
	{
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		         "; retained WAL over the %s threshold", words[level]);
		code = level > code ? level : code;
	}
	if (args->max_inactive_s >= 0 && !info.is_active &&
	    inactive_s > args->max_inactive_s)
	{
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		         "; inactive for over %" PRId64 " s", args->max_inactive_s);
		code = CHECK_CRITICAL;
	}
	tool_perf_limit(wl, sizeof(wl), args->warn_lag);
	tool_perf_limit(cl, sizeof(cl), args->crit_lag);
	tool_perf_limit(wr, sizeof(wr), args->warn_retained);
	tool_perf_limit(cr, sizeof(cr), args->crit_retained);
	printf("RECKON-SLOT %s - slot \"%s\": lag %s, retained %s, %s, "
	       "wal_status %s%s | lag=%" PRId64 "B;%s;%s retained=%" PRId64
	       "B;%s;%s\n",
	       words[code], args->name,
	       tool_bytes(info.lag_bytes, lag, sizeof(lag)),
	       tool_bytes(info.retained_bytes, kept, sizeof(kept)),
	       info.is_active ? "active" : "inactive",
	       info.wal_status[0] ? info.wal_status : "-", why,
	       info.lag_bytes < 0 ? 0 : info.lag_bytes, wl, cl,
	       info.retained_bytes < 0 ? 0 : info.retained_bytes, wr, cr);
	return code;
}

static int
tool_peek(Pgconn *conn, const ToolArgs *args)
{
	char count[24];
	char options[STREAM_OPTIONS_MAX + 2];
	const char *values[3] = {args->name, count, options};
	PgconnResult *res = NULL;
	Config config;
	const char *state;

	if (!tool_load_config(args, &config))
	{
		return EXIT_CODE_USAGE;
	}
	snprintf(count, sizeof(count), "%" PRId64, args->count);
	/* the options as the elements of a text[] literal */
	options[0] = '{';
	stream_plugin_options(&config, STREAM_OPTIONS_ARRAY, options + 1,
	                      sizeof(options) - 2);
	strcat(options, "}");
	config_free(&config);
	if (pgconn_exec(conn, "peek at replication slot", tool_sql("slot_peek"), 3,
	                values, &res, NULL, NULL, 10 * 60 * 1000) != PGCONN_OK)
	{
		state = pgconn_last_sqlstate(conn);
		if (state && strcmp(state, "55006") == 0)
		{
			log_error("hint: peek needs the slot \"%s\" free for a moment: "
			          "it is in use by its consumer",
			          args->name);
		}
		else if (state && strcmp(state, "42704") == 0)
		{
			log_error("hint: replication slot \"%s\" does not exist",
			          args->name);
		}
		return EXIT_CODE_RUNTIME;
	}
	for (int i = 0; i < pgconn_result_rows(res); i++)
	{
		printf("%s\t%s\n", pgconn_result_value(res, i, 0),
		       pgconn_result_value(res, i, 1));
	}
	if (pgconn_result_rows(res) == 0)
	{
		fprintf(stderr,
		        "reckon-slot: slot \"%s\" holds no change for "
		        "reckon's tables\n",
		        args->name);
	}
	pgconn_result_free(res);
	return EXIT_CODE_OK;
}

static const ToolCommand tool_commands[] = {
    {"list", false, OPT_JSON | OPT_CONFIG, tool_list},
    {"create", true, OPT_IF_NOT_EXISTS, tool_create},
    {"drop", true, OPT_FORCE, tool_drop},
    {"advance", true, OPT_TO, tool_advance},
    {"check", true, OPT_THRESHOLDS | OPT_STATE_FILE, tool_check},
    {"peek", true, OPT_COUNT | OPT_CONFIG, tool_peek},
};

static int64_t
tool_parse_size(const char *option, const char *text)
{
	int64_t bytes = 0;

	if (!config_parse_size(text, &bytes) || bytes < 0)
	{
		tool_usage_error(option, text);
	}
	return bytes;
}

static int64_t
tool_parse_count(const char *option, const char *text, int64_t max)
{
	int64_t v = 0;

	if (!config_parse_count(text, 0, max, &v))
	{
		tool_usage_error(option, text);
	}
	return v;
}

static const ToolCommand *
tool_parse(int argc, char **argv, ToolArgs *args)
{
	static const struct option long_options[] = {
	    {"dsn", required_argument, NULL, 'd'},
	    {"config", required_argument, NULL, 'c'},
	    {"count", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 1},
	    {"if-not-exists", no_argument, NULL, 2},
	    {"force", no_argument, NULL, 3},
	    {"to", required_argument, NULL, 4},
	    {"warn-lag", required_argument, NULL, 5},
	    {"crit-lag", required_argument, NULL, 6},
	    {"warn-retained", required_argument, NULL, 7},
	    {"crit-retained", required_argument, NULL, 8},
	    {"max-inactive", required_argument, NULL, 9},
	    {"state-file", required_argument, NULL, 10},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, '?'},
	    {NULL, 0, NULL, 0}};
	const ToolCommand *command = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:c:n:vV?", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				args->dsn = optarg;
				break;
			case 'c':
				args->config_path = optarg;
				args->given |= OPT_CONFIG;
				break;
			case 'n':
				args->count =
				    tool_parse_count("invalid --count:", optarg, 1000000000);
				args->given |= OPT_COUNT;
				break;
			case 1:
				args->given |= OPT_JSON;
				break;
			case 2:
				args->given |= OPT_IF_NOT_EXISTS;
				break;
			case 3:
				args->given |= OPT_FORCE;
				break;
			case 4:
				args->to = optarg;
				args->given |= OPT_TO;
				break;
			case 5:
				args->warn_lag = tool_parse_size("invalid --warn-lag:", optarg);
				args->given |= OPT_THRESHOLDS;
				break;
			case 6:
				args->crit_lag = tool_parse_size("invalid --crit-lag:", optarg);
				args->given |= OPT_THRESHOLDS;
				break;
			case 7:
				args->warn_retained =
				    tool_parse_size("invalid --warn-retained:", optarg);
				args->given |= OPT_THRESHOLDS;
				break;
			case 8:
				args->crit_retained =
				    tool_parse_size("invalid --crit-retained:", optarg);
				args->given |= OPT_THRESHOLDS;
				break;
			case 9:
				args->max_inactive_s = tool_parse_count(
				    "invalid --max-inactive (seconds):", optarg, INT32_MAX);
				args->given |= OPT_THRESHOLDS;
				break;
			case 10:
				args->state_file = optarg;
				args->given |= OPT_STATE_FILE;
				break;
			case 'v':
				args->verbose++;
				break;
			case 'V':
				printf("reckon-slot %s\n", SLOT_TOOL_VERSION);
				exit(EXIT_CODE_OK);
			case '?':
				if (strcmp(argv[optind - 1], "--help") == 0 ||
				    strcmp(argv[optind - 1], "-?") == 0)
				{
					tool_usage(stdout);
					exit(EXIT_CODE_OK);
				}
				tool_usage_error("invalid option", argv[optind - 1]);
				break;
			default:
				tool_usage_error("invalid option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
	{
		tool_usage_error("a command is needed: list, create, drop, advance, "
		                 "check or peek",
		                 NULL);
	}
	args->command = argv[optind++];
	for (size_t i = 0; i < sizeof(tool_commands) / sizeof(tool_commands[0]);
	     i++)
	{
		if (strcmp(args->command, tool_commands[i].name) == 0)
		{
			command = &tool_commands[i];
		}
	}
	if (command == NULL)
	{
		tool_usage_error("unknown command", args->command);
	}
	if (command->needs_name)
	{
		if (optind >= argc)
		{
			tool_usage_error("this command needs a slot name:", args->command);
		}
		args->name = argv[optind++];
		if (!config_slot_name_is_valid(args->name))
		{
			tool_usage_error("invalid slot name (lower-case letters, digits "
			                 "and _, at most 63):",
			                 args->name);
		}
	}
	if (optind < argc)
	{
		tool_usage_error("unexpected argument", argv[optind]);
	}
	if (args->given & ~command->allowed)
	{
		tool_usage_error("an option given does not apply to", args->command);
	}
	if (command->run == tool_advance && args->to == NULL)
	{
		tool_usage_error("advance needs --to LSN or --to now", NULL);
	}
	if ((args->given & OPT_STATE_FILE) && args->max_inactive_s < 0)
	{
		tool_usage_error("--state-file only serves", "--max-inactive");
	}
	if ((args->warn_lag >= 0 && args->crit_lag >= 0 &&
	     args->warn_lag > args->crit_lag) ||
	    (args->warn_retained >= 0 && args->crit_retained >= 0 &&
	     args->warn_retained > args->crit_retained))
	{
		tool_usage_error("a WARNING threshold is above its CRITICAL one", NULL);
	}
	return command;
}

int
main(int argc, char **argv)
{
	ToolArgs args = {.warn_lag = -1,
	                 .crit_lag = -1,
	                 .warn_retained = -1,
	                 .crit_retained = -1,
	                 .max_inactive_s = -1,
	                 .count = 10};
	const ToolCommand *command;
	PgconnStatus status;
	Pgconn *conn;
	int code;

	log_program = "reckon-slot";
	command = tool_parse(argc, argv, &args);
	log_min_level = args.verbose > 0 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	conn = pgconn_connect(args.dsn, "reckon-slot", false, 0, &status);
	if (conn == NULL)
	{
		if (command->run == tool_check)
		{
			printf("RECKON-SLOT UNKNOWN - could not connect to the server "
			       "(see the error above)\n");
			return CHECK_UNKNOWN;
		}
		return EXIT_CODE_RUNTIME;
	}
	code = command->run(conn, &args);
	pgconn_finish(conn);
	return code;
}
