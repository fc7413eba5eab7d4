/*
 * fuzz_config.c: libFuzzer target for the configuration parser
 * (src/config.c), which runs once before the pipeline starts; built and run
 * by `make fuzz` (tests/fuzz/fuzz.mk).
 *
 * The input is the text of a configuration file. Each run does what main()
 * does with --config: config_init, config_load_buffer (config_load_file
 * minus the read), config_finish when the load succeeded, config_free on
 * every path, so that LeakSanitizer sees anything a path forgets. A
 * configuration config_finish accepts is then checked against what
 * apply_init() and sched rely on without checking: every index in range,
 * every table a rule or lookup reads in the derived table list, every name
 * terminated. A broken check calls abort() so that libFuzzer saves the
 * input.
 *
 * Parse errors are the common case and are logged at ERROR; the target runs
 * at FATAL so that the fuzzer's output stays readable (assertion failures
 * still show). An input's own "log_level" raises it again until the end of
 * that input, which is why `make fuzz` also passes -close_fd_mask=2. Set
 * FUZZ_LOG=1 to see every message when replaying an input.
 * A "sql" containing '/' makes config_finish read that file: `make fuzz`
 * runs with stdin from /dev/null, so "/dev/stdin" cannot block.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_finish.h"
#include "log.h"

/* the name messages give the input, in place of a file name */
#define FUZZ_ORIGIN "fuzz.conf"
/* config_parse_duration_ms's bound: every duration fits a year */
#define FUZZ_DURATION_MAX_MS (INT64_C(365) * 86400000)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static LogLevel fuzz_log_level = LOG_LEVEL_FATAL;

/* A Config is large (hundreds of kB): keep it off the stack. */
static Config fuzz_config;

#define fuzz_check(cond) ((cond) ? (void)0 : fuzz_failed(#cond, __LINE__))

static void
fuzz_failed(const char *what, int line)
{
	fprintf(stderr, "fuzz_config.c:%d: check failed: %s\n", line, what);
	abort();
}

/* A fixed-size name field: terminated inside its array. */
#define fuzz_check_name(field) fuzz_check(memchr(field, '\0', sizeof(field)))

static bool
fuzz_table_is_listed(const Config *config, const char *schema,
                     const char *table)
{
	char name[2 * CONFIG_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s.%s", schema, table);
	for (int i = 0; i < config->ntables; i++)
	{
		if (strcmp(config->tables[i], name) == 0)
		{
			return true;
		}
	}
	return false;
}

/* The daemon-wide settings: each within the bounds config.c documents. */
static void
fuzz_check_settings(const Config *config)
{
	const int64_t *durations[] = {
	    &config->status_interval_ms,    &config->stats_interval_ms,
	    &config->slot_busy_timeout_ms,  &config->reconnect_min_ms,
	    &config->reconnect_max_ms,      &config->statement_timeout_ms,
	    &config->visibility_timeout_ms, &config->slow_ms,
	    &config->retry_min_ms,          &config->retry_max_ms,
	    &config->trending_interval_ms,  &config->heartbeat_interval_ms,
	};

	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++)
	{
		fuzz_check(*durations[i] >= 0);
		fuzz_check(*durations[i] <= FUZZ_DURATION_MAX_MS);
	}
	fuzz_check_name(config->slot);
	fuzz_check(config_slot_name_is_valid(config->slot));
	fuzz_check(config->reconnect_min_ms <= config->reconnect_max_ms);
	fuzz_check(config->retry_min_ms <= config->retry_max_ms);
	fuzz_check(config->heartbeat_interval_ms == 0 ||
	           config->heartbeat_interval_ms >= CONFIG_HEARTBEAT_MIN_MS);
	fuzz_check(config->dirty_keys_max >= 1);
	fuzz_check(config->message_max_bytes >= 1024);
	/* decode_create() asserts this range */
	fuzz_check(config->columns_max >= 1);
	fuzz_check(config->columns_max <= 1600);
}

static void
fuzz_check_lookups(const Config *config)
{
	fuzz_check(config->nlookups >= 0);
	fuzz_check(config->nlookups <= CONFIG_LOOKUPS_MAX);
	for (int i = 0; i < config->nlookups; i++)
	{
		const ConfigLookup *l = &config->lookups[i];

		fuzz_check_name(l->origin);
		fuzz_check_name(l->name);
		fuzz_check_name(l->schema);
		fuzz_check_name(l->table);
		fuzz_check_name(l->key_column);
		fuzz_check_name(l->value_column);
		fuzz_check(l->key_column[0] != '\0');
		fuzz_check(l->value_column[0] != '\0');
		/* apply_init() asserts that it finds every lookup's table */
		fuzz_check(fuzz_table_is_listed(config, l->schema, l->table));
	}
}

static void
fuzz_check_rules(const Config *config, const ConfigGroup *g)
{
	fuzz_check(g->nrules >= 1);
	fuzz_check(g->nrules <= CONFIG_RULES_MAX);
	for (int r = 0; r < g->nrules; r++)
	{
		const ConfigRule *rule = &g->rules[r];

		fuzz_check_name(rule->schema);
		fuzz_check_name(rule->table);
		fuzz_check_name(rule->column);
		fuzz_check(rule->column[0] != '\0');
		fuzz_check(rule->lookup >= -1);
		fuzz_check(rule->lookup < config->nlookups);
		fuzz_check(!rule->is_monotone || g->saturated_sql != NULL);
		/* apply_init() asserts that it finds every rule's table */
		fuzz_check(fuzz_table_is_listed(config, rule->schema, rule->table));
	}
}

/* Groups and processors: each processor in exactly the group it names. */
static void
fuzz_check_groups(const Config *config)
{
	int nmembers = 0;

	fuzz_check(config->nprocessors >= 1);
	fuzz_check(config->nprocessors <= CONFIG_PROCESSORS_MAX);
	fuzz_check(config->ngroups >= 1);
	fuzz_check(config->ngroups <= CONFIG_PROCESSORS_MAX);
	for (int i = 0; i < config->ngroups; i++)
	{
		const ConfigGroup *g = &config->groups[i];

		fuzz_check_name(g->origin);
		fuzz_check_name(g->name);
		fuzz_check_name(g->saturated_name);
		fuzz_check_name(g->saturated_seed_name);
		fuzz_check(g->window_ms >= 0);
		fuzz_check(g->batch_size >= 1);
		fuzz_check(g->saturated_seed_sql == NULL || g->saturated_sql != NULL);
		fuzz_check(g->nmembers >= 1);
		fuzz_check(g->nmembers <= CONFIG_PROCESSORS_MAX);
		for (int m = 0; m < g->nmembers; m++)
		{
			fuzz_check(g->members[m] >= 0);
			fuzz_check(g->members[m] < config->nprocessors);
			fuzz_check(config->processors[g->members[m]].group == i);
		}
		nmembers += g->nmembers;
		fuzz_check_rules(config, g);
	}
	fuzz_check(nmembers == config->nprocessors);
	for (int i = 0; i < config->nprocessors; i++)
	{
		const ConfigProcessor *p = &config->processors[i];

		fuzz_check_name(p->origin);
		fuzz_check_name(p->id);
		fuzz_check_name(p->group_name);
		fuzz_check_name(p->challenge_id);
		fuzz_check_name(p->sql_name);
		fuzz_check(p->sql_text != NULL);
		fuzz_check(p->group >= 0);
		fuzz_check(p->group < config->ngroups);
		fuzz_check(p->create_min >= 0);
	}
}

/* What a configuration config_finish() accepted promises the daemon. */
static void
fuzz_check_config(const Config *config)
{
	fuzz_check_settings(config);
	fuzz_check(config->ntables >= 1);
	fuzz_check(config->ntables <= CONFIG_TABLES_MAX);
	for (int i = 0; i < config->ntables; i++)
	{
		fuzz_check_name(config->tables[i]);
		for (int j = 0; j < i; j++)
		{
			fuzz_check(strcmp(config->tables[i], config->tables[j]) != 0);
		}
	}
	fuzz_check_lookups(config);
	fuzz_check_groups(config);
}

/* fuzz_load: one configuration, every step main() takes, nothing kept. */
static bool
fuzz_load(const char *text, size_t len)
{
	bool ok;

	/* a "log_level" setting of the previous input changed it */
	log_min_level = fuzz_log_level;
	config_init(&fuzz_config);
	if (text == NULL)
	{
		ok = config_load_file(&fuzz_config, NULL);
	}
	else
	{
		ok = config_load_buffer(&fuzz_config, FUZZ_ORIGIN, text, len);
	}
	if (ok)
	{
		ok = config_finish(&fuzz_config);
	}
	if (ok)
	{
		fuzz_check_config(&fuzz_config);
	}
	config_free(&fuzz_config);
	log_min_level = fuzz_log_level;
	return ok;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("FUZZ_LOG") != NULL)
	{
		fuzz_log_level = LOG_LEVEL_TRACE;
	}
	/* the embedded default must pass, or every check below is moot */
	fuzz_check(fuzz_load(NULL, 0));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's buffer is exactly size bytes: ASan guards its end */
	(void)fuzz_load((const char *)data, size);
	return 0;
}
