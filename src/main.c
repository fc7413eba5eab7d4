/*
 * main.c: reckon's entry point: options, configuration, then daemon_run().
 * The only place that exits. Usage and configuration errors exit 2,
 * runtime failures 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "main"
#include "common.h"
#include "config.h"
#include "config_finish.h"
#include "config_keys.h"
#include "daemon.h"
#include "log.h"
#include "lsn.h"
#include "pgconn.h"
#include "stream.h"
#include "trending.h"

/* --help's first half: what reckon is, its usage and options. */
static void
main_usage(FILE *out)
{
	fprintf(
	    out,
	    "reckon streams a PostgreSQL database's changes through a logical\n"
	    "replication slot (wal2json) and recomputes the derived rows\n"
	    "(challenges) of just the users those changes touch.\n"
	    "\n"
	    "Usage: reckon [OPTION]...\n"
	    "       reckon backfill [--processor=ID] [OPTION]...\n"
	    "       reckon trending --once [--now=TIMESTAMP] [OPTION]...\n"
	    "\n"
	    "Options:\n"
	    "  -d, --dsn=CONNINFO   connection string or URI of the database\n"
	    "                       (default: libpq's PG* variables, .pgpass)\n"
	    "      --read-dsn=CONNINFO\n"
	    "                       a hot standby of the database for the\n"
	    "                       recompute reads (writes go to --dsn)\n"
	    "  -S, --slot=NAME      replication slot (default \"reckon\")\n"
	    "      --create-slot    create the slot (wal2json) if it is missing\n"
	    "      --backfill=WHAT  for a slot reckon creates: all (default)\n"
	    "                       recomputes every key from the slot's\n"
	    "                       snapshot first, none starts from now\n"
	    "  -c, --config=FILE    configuration file (default: the built-in\n"
	    "                       catalogue, see tools/reckon.conf)\n"
	    "  -E, --endpos=LSN     exit 0 once every change up to LSN is\n"
	    "                       recomputed and acknowledged\n"
	    "      --metrics-addr=HOST:PORT\n"
	    "                       serve /metrics, /healthz and /readyz here\n"
	    "                       (default 127.0.0.1:9752; \"\" for none)\n"
	    "      --log-format=FORMAT\n"
	    "                       logfmt (default), json (one object per\n"
	    "                       line) or text\n"
	    "      --plugin-options print the wal2json options reckon streams\n"
	    "                       with, one NAME=VALUE per line (for\n"
	    "                       pg_recvlogical -o), and exit\n"
	    "      --print-sql=ID[:FORM]\n"
	    "                       print the statement processor ID runs, as\n"
	    "                       composed from its rule and write policy:\n"
	    "                       FORM primary (default), read (on a\n"
	    "                       standby) or apply (the write of a read),\n"
	    "                       and exit\n"
	    "      --processor=ID   (backfill) only this processor, not every\n"
	    "                       group\n"
	    "  -v, --verbose        more logging (-v debug, -vv trace)\n"
	    "  -V, --version        print the version and exit\n"
	    "  -?, --help           show this help and exit\n"
	    "\n");
}

/* --help's second half: the configuration, signals, exit codes. */
static void
main_usage_config(FILE *out)
{
	fprintf(out,
	        "Configuration file settings ([reckon] section, default in\n"
	        "parentheses; SIGHUP refuses a change of those marked restart):\n");
	/* from the one table of keys, as the man page's list is checked to be */
	config_keys_print_help(out);
	fprintf(
	    out,
	    "Sections [lookup NAME] (table, key, value), [group NAME] (window,\n"
	    "batch_size, dirty, dirty_monotone, saturated, saturated_seed,\n"
	    "prelude, rescan_keys) and [processor ID] (challenge, sql, read_sql,\n"
	    "group, window, batch_size, create_min, dirty) describe the catalogue; "
	    "see\n"
	    "the comments of tools/reckon.conf.\n"
	    "\n"
	    "Signals: SIGTERM and SIGINT finish the running batch and stop;\n"
	    "SIGHUP reloads the configuration file (or keeps the running one\n"
	    "and logs why).\n"
	    "\n"
	    "Subcommands: backfill recomputes every key of every group (or of\n"
	    "--processor's) on an existing slot, safely beside a running\n"
	    "reckon, and resumes where an interrupted one stopped; trending\n"
	    "--once runs the trending job once.\n"
	    "\n"
	    "Exit status: 0 stopped cleanly or reached --endpos, 1 runtime\n"
	    "failure, 2 usage or configuration error.\n");
}

/*
 * arg goes through pgconn_redact_word: the word echoed may be the
 * "password=..." half of an unquoted --dsn, or a mistyped option holding a
 * connection URI, and a password must not reach the terminal or the logs.
 */
NORETURN static void
main_usage_error(const char *message, const char *arg)
{
	char *shown = pgconn_redact_word(arg);

	fprintf(stderr, "reckon: %s \"%s\"\n", message, shown);
	free(shown);
	fprintf(stderr, "Try \"reckon --help\" for more information.\n");
	exit(EXIT_CODE_USAGE);
}

typedef struct MainOptions
{
	bool is_trending;
	bool is_once;
	bool is_plugin_options;
	bool is_backfill;
	const char *print_sql;
	const char *processor;
	const char *backfill;
	const char *now;
	const char *config_path;
	const char *dsn;
	const char *read_dsn;
	const char *slot;
	const char *metrics_addr;
	const char *log_format;
	bool create_slot;
	Lsn endpos;
	int verbose;
} MainOptions;

static void main_option_other(int c, char **argv, MainOptions *opts);

/* One option getopt_long returned (c, with optarg); exits on a bad one. */
static void
main_option(int c, char **argv, MainOptions *opts)
{
	switch (c)
	{
		case 'd':
			opts->dsn = optarg;
			break;
		case 'S':
			opts->slot = optarg;
			break;
		case 9:
			opts->read_dsn = optarg;
			break;
		case 10:
			opts->print_sql = optarg;
			break;
		case 1:
			opts->create_slot = true;
			break;
		case 2:
			opts->is_once = true;
			break;
		case 3:
			opts->now = optarg;
			break;
		case 4:
			opts->is_plugin_options = true;
			break;
		case 5:
			opts->metrics_addr = optarg;
			break;
		case 6:
			/* at once, so configuration errors come in this format */
			if (!log_format_parse(optarg, &log_format))
			{
				main_usage_error("invalid --log-format (logfmt, json or "
				                 "text):",
				                 optarg);
			}
			opts->log_format = optarg;
			break;
		case 7:
			opts->backfill = optarg;
			break;
		case 8:
			opts->processor = optarg;
			break;
		case 'c':
			opts->config_path = optarg;
			break;
		default:
			main_option_other(c, argv, opts);
	}
}

/*
 * The options that parse their value or exit (--endpos, -v, -V, --help),
 * and what getopt_long did not know.
 */
static void
main_option_other(int c, char **argv, MainOptions *opts)
{
	switch (c)
	{
		case 'E':
			if (!lsn_parse(optarg, &opts->endpos) ||
			    opts->endpos == LSN_INVALID)
			{
				main_usage_error("invalid --endpos (expected an LSN such "
				                 "as 0/16B3748):",
				                 optarg);
			}
			break;
		case 'v':
			opts->verbose++;
			break;
		case 'V':
			printf("reckon %s\n", RECKON_VERSION);
			exit(EXIT_CODE_OK);
		case '?':
			/* getopt_long reports unknown options as '?' too */
			if (strcmp(argv[optind - 1], "--help") == 0 ||
			    strcmp(argv[optind - 1], "-?") == 0)
			{
				main_usage(stdout);
				main_usage_config(stdout);
				exit(EXIT_CODE_OK);
			}
			main_usage_error("invalid option", argv[optind - 1]);
			break;
		default:
			main_usage_error("invalid option", argv[optind - 1]);
	}
}

/* The combinations of options and subcommands that make no sense. */
static void
main_check_options(const MainOptions *opts)
{
	if (opts->is_trending != opts->is_once)
	{
		main_usage_error(opts->is_once ? "--once needs the subcommand"
		                               : "the trending subcommand needs",
		                 opts->is_once ? "trending" : "--once");
	}
	if (opts->now != NULL && !opts->is_trending)
	{
		main_usage_error("this option needs the trending subcommand", "--now");
	}
	if (opts->processor != NULL && !opts->is_backfill)
	{
		main_usage_error("this option needs the backfill subcommand",
		                 "--processor");
	}
	if (opts->is_backfill && (opts->create_slot || opts->backfill != NULL ||
	                          opts->endpos != LSN_INVALID))
	{
		main_usage_error("the backfill subcommand runs on an existing slot "
		                 "and takes none of",
		                 "--create-slot --backfill --endpos");
	}
}

static void
main_parse(int argc, char **argv, MainOptions *opts)
{
	static const struct option long_options[] = {
	    {"dsn", required_argument, NULL, 'd'},
	    {"slot", required_argument, NULL, 'S'},
	    {"create-slot", no_argument, NULL, 1},
	    {"config", required_argument, NULL, 'c'},
	    {"endpos", required_argument, NULL, 'E'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, '?'},
	    {"once", no_argument, NULL, 2},
	    {"now", required_argument, NULL, 3},
	    {"plugin-options", no_argument, NULL, 4},
	    {"metrics-addr", required_argument, NULL, 5},
	    {"log-format", required_argument, NULL, 6},
	    {"backfill", required_argument, NULL, 7},
	    {"processor", required_argument, NULL, 8},
	    {"read-dsn", required_argument, NULL, 9},
	    {"print-sql", required_argument, NULL, 10},
	    {NULL, 0, NULL, 0}};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:S:c:E:vV?", long_options, NULL)) !=
	       -1)
	{
		main_option(c, argv, opts);
	}
	/* the subcommand after an option (getopt_long moves it here) */
	if (optind < argc && !opts->is_trending && !opts->is_backfill &&
	    (strcmp(argv[optind], "trending") == 0 ||
	     strcmp(argv[optind], "backfill") == 0))
	{
		opts->is_trending = strcmp(argv[optind], "trending") == 0;
		opts->is_backfill = !opts->is_trending;
		optind++;
	}
	if (optind < argc)
	{
		main_usage_error("unexpected argument", argv[optind]);
	}
	main_check_options(opts);
}

/*
 * main_load_config: the configuration file (or the embedded default), then
 * the command line over it: at start, and again on SIGHUP. False (logged,
 * naming the file and line or the option) when it is not valid; config is
 * then only to be freed.
 */
static bool
main_load_config(void *arg, Config *config)
{
	const MainOptions *opts = arg;

	config_init(config);
	if (!config_load_file(config, opts->config_path) ||
	    (opts->dsn && !config_set(config, "dsn", opts->dsn, "--dsn")) ||
	    (opts->read_dsn &&
	     !config_set(config, "read_dsn", opts->read_dsn, "--read-dsn")) ||
	    (opts->slot && !config_set(config, "slot", opts->slot, "--slot")) ||
	    (opts->metrics_addr &&
	     !config_set(config, "metrics_addr", opts->metrics_addr,
	                 "--metrics-addr")) ||
	    (opts->log_format &&
	     !config_set(config, "log_format", opts->log_format, "--log-format")) ||
	    (opts->backfill &&
	     !config_set(config, "backfill", opts->backfill, "--backfill")) ||
	    !config_finish(config))
	{
		return false;
	}
	config->create_slot = config->create_slot || opts->create_slot;
	config->endpos = opts->endpos;
	if (opts->verbose > 0)
	{
		config->log_level =
		    opts->verbose > 1 ? LOG_LEVEL_TRACE : LOG_LEVEL_DEBUG;
	}
	return true;
}

/*
 * --print-sql=ID[:FORM]: the statement processor ID of the configuration
 * runs in FORM (rule.h), for psql sessions, tests and benchmarks that must
 * run exactly what reckon runs.
 */
static int
main_print_sql(const Config *config, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t id_len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	const char *form = colon != NULL ? colon + 1 : "primary";

	for (int i = 0; i < config->nprocessors; i++)
	{
		const ConfigProcessor *p = &config->processors[i];
		const char *text = NULL;

		if (strlen(p->id) != id_len || strncmp(p->id, arg, id_len) != 0)
		{
			continue;
		}
		if (strcmp(form, "primary") == 0)
		{
			text = p->sql_text;
		}
		else if (strcmp(form, "read") == 0 || strcmp(form, "apply") == 0)
		{
			text = form[0] == 'r' ? p->read_sql_text : p->apply_sql_text;
			if (text == NULL)
			{
				fprintf(stderr,
				        "reckon: processor \"%s\" reads on the primary "
				        "(read_sql = none): it has no %s statement\n",
				        p->id, form);
				return EXIT_CODE_USAGE;
			}
		}
		else
		{
			main_usage_error("invalid --print-sql form (primary, read or "
			                 "apply):",
			                 form);
		}
		printf("%s\n", text);
		return EXIT_CODE_OK;
	}
	fprintf(stderr, "reckon: no processor \"%.*s\" in the configuration\n",
	        (int)id_len, arg);
	return EXIT_CODE_USAGE;
}

int
main(int argc, char **argv)
{
	MainOptions opts = {0};
	Config config;
	int code;

	if (argc > 1 &&
	    (strcmp(argv[1], "trending") == 0 || strcmp(argv[1], "backfill") == 0))
	{
		opts.is_trending = strcmp(argv[1], "trending") == 0;
		opts.is_backfill = !opts.is_trending;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	main_parse(argc, argv, &opts);
	if (!main_load_config(&opts, &config))
	{
		/* error already logged */
		config_free(&config);
		exit(EXIT_CODE_USAGE);
	}
	log_min_level = config.log_level;
	log_format = config.log_format;
	if (opts.is_plugin_options)
	{
		char options[STREAM_OPTIONS_MAX];

		stream_plugin_options(&config, STREAM_OPTIONS_LINES, options,
		                      sizeof(options));
		fputs(options, stdout);
		code = EXIT_CODE_OK;
	}
	else if (opts.print_sql != NULL)
	{
		code = main_print_sql(&config, opts.print_sql);
	}
	else if (opts.is_backfill)
	{
		code = daemon_backfill(&config, opts.processor);
	}
	else if (opts.is_trending)
	{
		TrendingResult result = {0};

		code = trending_run_once(&config, opts.now ? opts.now : "now", &result)
		           ? EXIT_CODE_OK
		           : EXIT_CODE_RUNTIME;
	}
	else
	{
		code = daemon_run(&config, main_load_config, &opts);
	}
	config_free(&config);
	exit(code);
}
