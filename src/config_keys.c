/*
 * config_keys.c: the declarative table of the [reckon] section's settings
 * (see config_keys.h) and the code it drives: parsing a value by its type,
 * comparing a key across two Configs for a reload, and the --help listing.
 * It sits under config.c, which reads files and sections; it never reads a
 * file itself, and a key's facts (default, bounds, reload, help) are
 * written here once and nowhere else in the code: the man page and
 * tools/reckon.conf are checked against this table by test_config.c.
 */
#include "config_keys.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "config"
#include "embedded.h"
#include "log.h"

/* the largest count: far above any limit, and safe to add to */
#define CONFIG_KEY_COUNT_MAX (INT64_MAX / 2)
/* .max 0: the parser's own bound (config_parse_duration_ms refuses more
 * than a year, as every duration is later scaled to microseconds) */
#define CONFIG_KEY_NO_MAX INT64_MAX

#define FIELD(name)                                                            \
	.offset = offsetof(Config, name), .size = sizeof(((Config *)0)->name)

/* the restart reasons: what a key's new value would need re-created */
#define RESTART_CONNECTION "the connection"
#define RESTART_READ "the read connection"
#define RESTART_SLOT "the slot"
#define RESTART_HTTP "the HTTP endpoint"
#define RESTART_DECODER "the decoder's limits"

static bool config_keys_set_slot(Config *config, const ConfigKey *key,
                                 const char *value, const char *origin);
static bool config_keys_set_heartbeat(Config *config, const ConfigKey *key,
                                      const char *value, const char *origin);
static bool config_keys_set_rescan(Config *config, const ConfigKey *key,
                                   const char *value, const char *origin);
static bool config_keys_set_log_level(Config *config, const ConfigKey *key,
                                      const char *value, const char *origin);
static bool config_keys_set_log_format(Config *config, const ConfigKey *key,
                                       const char *value, const char *origin);
static bool config_keys_set_metrics_addr(Config *config, const ConfigKey *key,
                                         const char *value, const char *origin);

static const char *const backfill_names[] = {"all", "none", NULL};

/*
 * Every [reckon] key. Designated initializers: a field left out is 0,
 * NULL or false, i.e. no bound, reloadable, the type's own parser.
 */
const ConfigKey config_keys[] = {
    {.name = "dsn",
     .type = CONFIG_KEY_STRING,
     FIELD(dsn),
     .default_text = "",
     .restart = RESTART_CONNECTION,
     .help = "as --dsn; \"\" = libpq's PG* variables"},
    {.name = "read_dsn",
     .type = CONFIG_KEY_STRING,
     FIELD(read_dsn),
     .default_text = "",
     .restart = RESTART_READ,
     .help = "as --read-dsn; \"\" = none"},
    {.name = "slot",
     .type = CONFIG_KEY_TEXT,
     FIELD(slot),
     .default_text = "reckon",
     .restart = RESTART_SLOT,
     .set = config_keys_set_slot,
     .help = "replication slot, as --slot"},
    {.name = "create_slot",
     .type = CONFIG_KEY_BOOL,
     FIELD(create_slot),
     .default_text = "off",
     .restart = RESTART_SLOT,
     .help = "on or off, as --create-slot"},
    {.name = "backfill",
     .type = CONFIG_KEY_ENUM,
     FIELD(backfill_none),
     .default_text = "all",
     .names = backfill_names,
     .help = "all or none, as --backfill"},
    {.name = "status_interval",
     .type = CONFIG_KEY_DURATION,
     FIELD(status_interval_ms),
     .default_text = "10s",
     .min = 100,
     .help = "standby status update interval"},
    {.name = "stats_interval",
     .type = CONFIG_KEY_DURATION,
     FIELD(stats_interval_ms),
     .default_text = "60s",
     .help = "periodic stats line, 0 = off"},
    {.name = "slot_busy_timeout",
     .type = CONFIG_KEY_DURATION,
     FIELD(slot_busy_timeout_ms),
     .default_text = "60s",
     .help = "wait for a slot held by a killed reckon"},
    {.name = "replication_timeout",
     .type = CONFIG_KEY_DURATION,
     FIELD(replication_timeout_ms),
     .default_text = "60s",
     .help = "drop a replication connection the server is silent on, 0 = "
             "never"},
    {.name = "heartbeat_interval",
     .type = CONFIG_KEY_DURATION,
     FIELD(heartbeat_interval_ms),
     .default_text = "0",
     .set = config_keys_set_heartbeat,
     .help = "emit a heartbeat message this often and log the stream "
             "latency, 0 = off, else at least 100ms"},
    {.name = "reconnect_min",
     .type = CONFIG_KEY_DURATION,
     FIELD(reconnect_min_ms),
     .default_text = "100ms",
     .min = 1,
     .is_bound = true,
     .help = "reconnect backoff, lower bound"},
    {.name = "reconnect_max",
     .type = CONFIG_KEY_DURATION,
     FIELD(reconnect_max_ms),
     .default_text = "30s",
     .min = 1,
     .is_bound = true,
     .help = "reconnect backoff, upper bound"},
    {.name = "statement_timeout",
     .type = CONFIG_KEY_DURATION,
     FIELD(statement_timeout_ms),
     .default_text = "5min",
     .help = "bound of one recompute statement, 0 = none"},
    {.name = "visibility_timeout",
     .type = CONFIG_KEY_DURATION,
     FIELD(visibility_timeout_ms),
     .default_text = "30s",
     .min = 1,
     .help = "wait for a streamed commit to be visible"},
    {.name = "read_fence_timeout",
     .type = CONFIG_KEY_DURATION,
     FIELD(read_fence_timeout_ms),
     .default_text = "10s",
     .help = "wait for the read server to replay a batch's commits, then "
             "read on the primary"},
    {.name = "slow_threshold",
     .type = CONFIG_KEY_DURATION,
     FIELD(slow_ms),
     .default_text = "1s",
     .help = "runs longer are logged as slow"},
    {.name = "retry_min",
     .type = CONFIG_KEY_DURATION,
     FIELD(retry_min_ms),
     .default_text = "100ms",
     .min = 1,
     .is_bound = true,
     .help = "failed batch retry backoff, lower bound"},
    {.name = "retry_max",
     .type = CONFIG_KEY_DURATION,
     FIELD(retry_max_ms),
     .default_text = "60s",
     .min = 1,
     .is_bound = true,
     .help = "failed batch retry backoff, upper bound"},
    {.name = "trending_interval",
     .type = CONFIG_KEY_DURATION,
     FIELD(trending_interval_ms),
     .default_text = "1h",
     .help = "how often the trending job runs, 0 = never"},
    {.name = "dirty_keys_max",
     .type = CONFIG_KEY_COUNT,
     FIELD(dirty_keys_max),
     .default_text = "1000000",
     .min = 1,
     .max = CONFIG_KEY_COUNT_MAX,
     .help = "dirty keys per processor before the stream pauses"},
    {.name = "message_max_bytes",
     .type = CONFIG_KEY_SIZE,
     FIELD(message_max_bytes),
     .default_text = "64MB",
     .min = 1024,
     .restart = RESTART_DECODER,
     .help = "largest wal2json message accepted"},
    {.name = "columns_max",
     .type = CONFIG_KEY_COUNT,
     FIELD(columns_max),
     .default_text = "256",
     .min = 1,
     .max = 1600,
     .restart = RESTART_DECODER,
     .help = "columns of one row, 1 to 1600"},
    {.name = "rescan_keys",
     .type = CONFIG_KEY_TEXT,
     FIELD(rescan_keys_name),
     .default_text = "none",
     .set = config_keys_set_rescan,
     .help = "statement listing every key, run in pages after a TRUNCATE "
             "(the built-in catalogue: all_keys)"},
    {.name = "log_level",
     .type = CONFIG_KEY_ENUM,
     FIELD(log_level),
     .default_text = "info",
     .set = config_keys_set_log_level,
     .help = "trace, debug, info, warn or error"},
    {.name = "log_format",
     .type = CONFIG_KEY_ENUM,
     FIELD(log_format),
     .default_text = "logfmt",
     .set = config_keys_set_log_format,
     .help = "logfmt, json or text, as --log-format"},
    {.name = "metrics_addr",
     .type = CONFIG_KEY_TEXT,
     FIELD(metrics_addr),
     .default_text = "127.0.0.1:9752",
     .restart = RESTART_HTTP,
     .set = config_keys_set_metrics_addr,
     .help = "as --metrics-addr; \"\" = none"},
    {.name = "health_max_lag",
     .type = CONFIG_KEY_DURATION,
     FIELD(health_max_lag_ms),
     .default_text = "5min",
     .min = 1,
     .help = "/healthz is 503 past this replication lag"},
};

const size_t config_keys_count = sizeof(config_keys) / sizeof(config_keys[0]);

const ConfigKey *
config_keys_find(const char *name)
{
	for (size_t i = 0; i < config_keys_count; i++)
	{
		if (strcmp(config_keys[i].name, name) == 0)
		{
			return &config_keys[i];
		}
	}
	return NULL;
}

static bool
config_keys_parse_bool(const char *text, bool *out)
{
	if (strcmp(text, "on") == 0 || strcmp(text, "true") == 0 ||
	    strcmp(text, "yes") == 0 || strcmp(text, "1") == 0)
	{
		*out = true;
		return true;
	}
	if (strcmp(text, "off") == 0 || strcmp(text, "false") == 0 ||
	    strcmp(text, "no") == 0 || strcmp(text, "0") == 0)
	{
		*out = false;
		return true;
	}
	return false;
}

/* The field of key in config, which the table's offset and size locate. */
static void *
config_keys_field(Config *config, const ConfigKey *key)
{
	ASSERT(key->offset + key->size <= sizeof(Config));
	return (char *)config + key->offset;
}

/* Store a number in an int64_t or an int field (columns_max). */
static void
config_keys_store_int(Config *config, const ConfigKey *key, int64_t value)
{
	void *field = config_keys_field(config, key);

	if (key->size == sizeof(int64_t))
	{
		memcpy(field, &value, sizeof(value));
	}
	else
	{
		int narrow = (int)value;

		ASSERT(key->size == sizeof(int));
		ASSERT(value >= INT32_MIN);
		ASSERT(value <= INT32_MAX);
		memcpy(field, &narrow, sizeof(narrow));
	}
}

/* A duration, a size or a count, with the hint the message gives. */
static bool
config_keys_set_number(Config *config, const ConfigKey *key, const char *value,
                       const char *origin)
{
	int64_t max = key->max != 0 ? key->max : CONFIG_KEY_NO_MAX;
	int64_t parsed = 0;
	bool ok = false;
	char hint[96];

	switch (key->type)
	{
		case CONFIG_KEY_DURATION:
			ok = config_parse_duration_ms(value, &parsed);
			snprintf(hint, sizeof(hint), "a duration: 20ms, 10s, 2min");
			break;
		case CONFIG_KEY_SIZE:
			ok = config_parse_size(value, &parsed);
			snprintf(hint, sizeof(hint), "a size: 64kB, 512MB, 4GB");
			break;
		default:
			ASSERT(key->type == CONFIG_KEY_COUNT);
			ok = config_parse_count(value, 0, CONFIG_KEY_COUNT_MAX, &parsed);
			if (max < CONFIG_KEY_COUNT_MAX)
			{
				snprintf(hint, sizeof(hint), "a whole number from %lld to %lld",
				         (long long)key->min, (long long)max);
			}
			else
			{
				snprintf(hint, sizeof(hint), "a positive integer");
			}
			break;
	}
	if (!ok || parsed < key->min || parsed > max)
	{
		log_error("%s: invalid value \"%s\" for \"%s\" (%s)", origin, value,
		          key->name, hint);
		return false;
	}
	config_keys_store_int(config, key, parsed);
	return true;
}

/* "all or none", "a, b or c": an enum's values for its message */
static void
config_keys_list_names(const ConfigKey *key, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; key->names[i] != NULL && used < size; i++)
	{
		const char *sep = i == 0                      ? ""
		                  : key->names[i + 1] == NULL ? " or "
		                                              : ", ";

		used += (size_t)snprintf(out + used, size - used, "%s%s", sep,
		                         key->names[i]);
	}
}

static bool
config_keys_set_enum(Config *config, const ConfigKey *key, const char *value,
                     const char *origin)
{
	char names[256];

	ASSERT(key->names != NULL);
	for (int i = 0; key->names[i] != NULL; i++)
	{
		if (strcmp(value, key->names[i]) == 0)
		{
			if (key->size == sizeof(bool))
			{
				bool is_set = i != 0;

				memcpy(config_keys_field(config, key), &is_set, sizeof(bool));
				return true;
			}
			config_keys_store_int(config, key, i);
			return true;
		}
	}
	config_keys_list_names(key, names, sizeof(names));
	log_error("%s: \"%s\" must be %s, not \"%s\"", origin, key->name, names,
	          value);
	return false;
}

/* A string kept in the Config: owned (dsn) or in place (an address). */
static bool
config_keys_set_string(Config *config, const ConfigKey *key, const char *value,
                       const char *origin)
{
	char *field = config_keys_field(config, key);

	if (key->type == CONFIG_KEY_TEXT)
	{
		if (strlen(value) >= key->size)
		{
			log_error("%s: \"%s\" is too long", origin, key->name);
			return false;
		}
		memcpy(field, value, strlen(value) + 1);
		return true;
	}
	char *copy = NULL;
	char *old;

	/* "" (as --read-dsn="" gives it): the key's absence, libpq's or none */
	if (value[0] != '\0')
	{
		copy = strdup(value);
		if (copy == NULL)
		{
			common_out_of_memory("a configuration string");
		}
	}
	memcpy(&old, field, sizeof(old));
	free(old);
	memcpy(field, &copy, sizeof(copy));
	return true;
}

bool
config_keys_set(Config *config, const ConfigKey *key, const char *value,
                const char *origin)
{
	if (key->set != NULL)
	{
		return key->set(config, key, value, origin);
	}
	switch (key->type)
	{
		case CONFIG_KEY_DURATION:
		case CONFIG_KEY_SIZE:
		case CONFIG_KEY_COUNT:
			return config_keys_set_number(config, key, value, origin);
		case CONFIG_KEY_BOOL:
		{
			bool parsed;

			if (!config_keys_parse_bool(value, &parsed))
			{
				log_error("%s: \"%s\" must be on or off, not \"%s\"", origin,
				          key->name, value);
				return false;
			}
			memcpy(config_keys_field(config, key), &parsed, sizeof(parsed));
			return true;
		}
		case CONFIG_KEY_ENUM:
			return config_keys_set_enum(config, key, value, origin);
		case CONFIG_KEY_STRING:
		case CONFIG_KEY_TEXT:
			return config_keys_set_string(config, key, value, origin);
	}
	ASSERT(!"unknown configuration key type");
	return false;
}

bool
config_keys_equal(const ConfigKey *key, const Config *a, const Config *b)
{
	const char *x = (const char *)a + key->offset;
	const char *y = (const char *)b + key->offset;

	switch (key->type)
	{
		case CONFIG_KEY_STRING:
		{
			const char *sx;
			const char *sy;

			memcpy(&sx, x, sizeof(sx));
			memcpy(&sy, y, sizeof(sy));
			return (sx == NULL && sy == NULL) ||
			       (sx != NULL && sy != NULL && strcmp(sx, sy) == 0);
		}
		case CONFIG_KEY_TEXT:
			/* what follows the terminator is not the value */
			return strncmp(x, y, key->size) == 0;
		default:
			return memcmp(x, y, key->size) == 0;
	}
}

/* ---- keys with a check of their own -------------------------------------- */

static bool
config_keys_set_slot(Config *config, const ConfigKey *key, const char *value,
                     const char *origin)
{
	if (!config_slot_name_is_valid(value))
	{
		log_error("%s: invalid slot name \"%s\": use 1 to 63 of a-z, 0-9 and _",
		          origin, value);
		return false;
	}
	return config_keys_set_string(config, key, value, origin);
}

/*
 * Each heartbeat is a statement and a WAL record: not every loop turn.
 * Checked here, where the line is known; config_finish asserts it.
 */
static bool
config_keys_set_heartbeat(Config *config, const ConfigKey *key,
                          const char *value, const char *origin)
{
	int64_t ms;

	if (config_parse_duration_ms(value, &ms) && ms != 0 &&
	    ms < CONFIG_HEARTBEAT_MIN_MS)
	{
		log_error("%s: heartbeat_interval must be 0 (off) or at least "
		          "%d ms, not \"%s\"",
		          origin, CONFIG_HEARTBEAT_MIN_MS, value);
		return false;
	}
	return config_keys_set_number(config, key, value, origin);
}

bool
config_keys_set_rescan_keys(char *name, const char **sql, const char *value,
                            const char *origin)
{
	if (strcmp(value, "none") == 0)
	{
		name[0] = '\0';
		*sql = NULL;
		return true;
	}
	*sql = embedded_find(embedded_sql, value);
	if (*sql == NULL)
	{
		log_error("%s: no built-in statement \"%s\" for \"rescan_keys\"",
		          origin, value);
		return false;
	}
	snprintf(name, CONFIG_NAME_MAX, "%s", value);
	return true;
}

static bool
config_keys_set_rescan(Config *config, const ConfigKey *key, const char *value,
                       const char *origin)
{
	(void)key;
	return config_keys_set_rescan_keys(config->rescan_keys_name,
	                                   &config->rescan_keys_sql, value, origin);
}

/* log.c's parsers: they also take the upper-case names (WARN) */
static bool
config_keys_set_log_level(Config *config, const ConfigKey *key,
                          const char *value, const char *origin)
{
	(void)key;
	if (!log_level_parse(value, &config->log_level))
	{
		log_error("%s: unknown log_level \"%s\"", origin, value);
		return false;
	}
	return true;
}

static bool
config_keys_set_log_format(Config *config, const ConfigKey *key,
                           const char *value, const char *origin)
{
	(void)key;
	if (!log_format_parse(value, &config->log_format))
	{
		log_error("%s: unknown log_format \"%s\" (logfmt, json or text)",
		          origin, value);
		return false;
	}
	return true;
}

/* metrics_addr = HOST:PORT, [IPV6]:PORT, :PORT, or "" for no endpoint */
static bool
config_keys_set_metrics_addr(Config *config, const ConfigKey *key,
                             const char *value, const char *origin)
{
	char host[CONFIG_ORIGIN_MAX];
	char port[8];

	if (value[0] != '\0' &&
	    !common_split_addr(value, host, sizeof(host), port, sizeof(port)))
	{
		log_error("%s: invalid metrics_addr \"%s\": use HOST:PORT, "
		          "[IPV6]:PORT, or \"\" for no HTTP endpoint",
		          origin, value);
		return false;
	}
	return config_keys_set_string(config, key, value, origin);
}

/* ---- --help -------------------------------------------------------------- */

#define HELP_COLUMN 31 /* where descriptions start */
#define HELP_WIDTH 79

/*
 * The description from column HELP_COLUMN, wrapped at spaces; col is where
 * the cursor is on entry.
 */
static void
config_keys_print_wrapped(FILE *out, int col, const char *text)
{
	const char *p = text;

	while (*p != '\0')
	{
		const char *end = p + strlen(p);

		if (end - p > HELP_WIDTH - HELP_COLUMN)
		{
			end = p + (HELP_WIDTH - HELP_COLUMN);
			while (end > p && *end != ' ')
			{
				end--;
			}
			/* a word longer than the column: let it overflow */
			end = end > p ? end : p + strcspn(p, " ");
		}
		fprintf(out, "%*s%.*s\n", HELP_COLUMN - col, "", (int)(end - p), p);
		col = 0;
		p = *end == ' ' ? end + 1 : end;
	}
}

void
config_keys_print_help(FILE *out)
{
	for (size_t i = 0; i < config_keys_count; i++)
	{
		const ConfigKey *key = &config_keys[i];
		char left[128];
		char text[256];
		int col;

		snprintf(left, sizeof(left), "  %s (%s)", key->name,
		         key->default_text[0] != '\0' ? key->default_text : "\"\"");
		fputs(left, out);
		col = (int)strlen(left);
		/* at least two spaces before the description: test_install.sh's
		 * sed tells the key from it by them */
		if (col > HELP_COLUMN - 2)
		{
			fputc('\n', out);
			col = 0;
		}
		snprintf(text, sizeof(text), "%s%s", key->help,
		         key->restart != NULL ? " (restart)" : "");
		config_keys_print_wrapped(out, col, text);
	}
}
