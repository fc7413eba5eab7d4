/*
 * test_config.c: unit tests for config.c. Covers config_parse_duration_ms,
 * config_parse_size and config_slot_name_is_valid on valid and invalid text;
 * config_set for every [reckon] setting with a good value (stored) and bad
 * ones (rejected, Config unchanged, the origin named in the log);
 * config_load_file(NULL), the embedded tools/reckon.conf, with config_finish:
 * its processors, lookups track_owner and playlist_owner and the derived
 * table list; a valid file written to a temp file (comments, CRLF, blanks, a
 * statement read from a file path); and broken files, each of which must
 * make config_load_file or config_finish return false and log a message
 * naming the problem and, for errors in the file, "FILE:LINE" (stderr is
 * captured by pointing fd 2 at a temp file around the call). Every Config
 * is released with config_free, so `make valgrind` checks the owned dsn and
 * SQL text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_reload.h"
#include "config_finish.h"
#include "config_keys.h"
#include "log.h"

#define CAPTURE_MAX 16384

/* Create a temp file; its name goes to path (caller unlinks), fd returned. */
static int
make_temp(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || dir[0] == '\0')
	{
		dir = "/tmp";
	}
	snprintf(path, size, "%s/reckon_test_config_XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

static void
write_temp(const char *text, char *path, size_t size)
{
	int fd = make_temp(path, size);
	size_t len = strlen(text);

	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

typedef struct Capture
{
	int saved_fd;
	char path[512];
	char text[CAPTURE_MAX];
} Capture;

/* Point fd 2 at a temp file. Nothing may fail a test until capture_end. */
static void
capture_begin(Capture *cap)
{
	int fd = make_temp(cap->path, sizeof(cap->path));

	fflush(stderr);
	cap->saved_fd = dup(STDERR_FILENO);
	assert_true(cap->saved_fd >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Restore fd 2 and read what was logged into cap->text. */
static const char *
capture_end(Capture *cap)
{
	FILE *f;
	size_t len;

	fflush(stderr);
	assert_int_equal(dup2(cap->saved_fd, STDERR_FILENO), STDERR_FILENO);
	close(cap->saved_fd);
	f = fopen(cap->path, "r");
	assert_non_null(f);
	len = fread(cap->text, 1, sizeof(cap->text) - 1, f);
	cap->text[len] = '\0';
	fclose(f);
	unlink(cap->path);
	return cap->text;
}

/*
 * needle is a message's text as config.c writes it; the log holds it in
 * logfmt's msg="...", where '"' and '\\' are escaped.
 */
static void
assert_contains(const char *haystack, const char *needle, const char *what)
{
	char escaped[2 * CAPTURE_MAX];
	size_t len = 0;

	for (const char *p = needle; *p != '\0' && len + 2 < sizeof(escaped); p++)
	{
		if (*p == '"' || *p == '\\')
		{
			escaped[len++] = '\\';
		}
		escaped[len++] = *p;
	}
	escaped[len] = '\0';
	if (strstr(haystack, escaped) == NULL)
	{
		fail_msg("%s: expected \"%s\" in the log, got: %s", what, escaped,
		         haystack);
	}
}

/* ---- durations, sizes, slot names -------------------------------------- */

typedef struct ParseCase
{
	const char *text;
	bool ok;
	int64_t expected;
} ParseCase;

static const ParseCase duration_cases[] = {
    {"20ms", true, 20},
    {"1.5s", true, 1500},
    {"2min", true, 120000},
    {"1h", true, 3600000},
    {"250", true, 250},
    {"0", true, 0},
    {"0ms", true, 0},
    {"10s", true, 10000},
    {"10 s", true, 10000},
    {"0.5min", true, 30000},
    {"8760h", true, INT64_C(31536000000)},
    {"8761h", false, 0},
    {"0x10", false, 0},
    {"1e3", false, 0},
    {"", false, 0},
    {"ms", false, 0},
    {"s", false, 0},
    {"-1s", false, 0},
    {"-1", false, 0},
    {"1 parsec", false, 0},
    {"1e400s", false, 0},
    {"1e400", false, 0},
    {"10000000000000000000", false, 0},
    {"3000000000000000h", false, 0},
    {" 1s", false, 0},
    {".5s", false, 0},
    {"+1s", false, 0},
    {"1S", false, 0},
    {"1sec", false, 0},
    {"1d", false, 0},
    {"1us", false, 0},
    {"1.5.5s", false, 0},
    {"nan", false, 0},
    {"inf", false, 0},
    {"1s1", false, 0},
};

static void
test_config_parse_duration(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]);
	     i++)
	{
		const ParseCase *c = &duration_cases[i];
		int64_t ms = -42;
		bool ok = config_parse_duration_ms(c->text, &ms);

		if (ok != c->ok)
		{
			fail_msg("config_parse_duration_ms(\"%s\") returned %d", c->text,
			         ok);
		}
		if (ok && ms != c->expected)
		{
			fail_msg("config_parse_duration_ms(\"%s\") = %lld, expected %lld",
			         c->text, (long long)ms, (long long)c->expected);
		}
		if (!ok && ms != -42)
		{
			fail_msg("config_parse_duration_ms(\"%s\") failed but wrote %lld",
			         c->text, (long long)ms);
		}
	}
}

static const ParseCase size_cases[] = {
    {"512", true, 512},
    {"0", true, 0},
    {"1B", true, 1},
    {"64kB", true, 65536},
    {"1.5kB", true, 1536},
    {"512MB", true, INT64_C(536870912)},
    {"4GB", true, INT64_C(4294967296)},
    {"2TB", true, INT64_C(2199023255552)},
    {"64 kB", true, 65536},
    {"", false, 0},
    {"kB", false, 0},
    {"-1kB", false, 0},
    {"64KB", false, 0},
    {"64kb", false, 0},
    {"64mb", false, 0},
    {"64 parsecs", false, 0},
    {"1e400GB", false, 0},
    {"9000000TB", false, 0},
    {" 64kB", false, 0},
    {"64kBB", false, 0},
    {"4G", false, 0},
};

static void
test_config_parse_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++)
	{
		const ParseCase *c = &size_cases[i];
		int64_t bytes = -42;
		bool ok = config_parse_size(c->text, &bytes);

		if (ok != c->ok)
		{
			fail_msg("config_parse_size(\"%s\") returned %d", c->text, ok);
		}
		if (ok && bytes != c->expected)
		{
			fail_msg("config_parse_size(\"%s\") = %lld, expected %lld", c->text,
			         (long long)bytes, (long long)c->expected);
		}
		if (!ok && bytes != -42)
		{
			fail_msg("config_parse_size(\"%s\") failed but wrote %lld", c->text,
			         (long long)bytes);
		}
	}
}

static void
test_config_slot_name(void **state)
{
	static const char *const valid[] = {
	    "reckon",
	    "a",
	    "0",
	    "_",
	    "slot_1",
	    "reckon_test_2025",
	    /* 63 characters */
	    "abcdefghijklmnopqrstuvwxyz0123456789_abcdefghijklmnopqrstuvwxyz",
	};
	static const char *const invalid[] = {
	    "",
	    "Reckon",
	    "re-ckon",
	    "re ckon",
	    "re.ckon",
	    "reckon;",
	    " reckon",
	    "reckon ",
	    "r\xc3\xa9"
	    "ckon",
	    "slot\n",
	    "\"reckon\"",
	    /* 64 characters */
	    "abcdefghijklmnopqrstuvwxyz0123456789_abcdefghijklmnopqrstuvwxyz0",
	};

	(void)state;
	assert_int_equal(strlen(valid[6]), 63);
	assert_int_equal(strlen(invalid[11]), 64);
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
	{
		if (!config_slot_name_is_valid(valid[i]))
		{
			fail_msg("slot name \"%s\" rejected", valid[i]);
		}
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
	{
		if (config_slot_name_is_valid(invalid[i]))
		{
			fail_msg("slot name \"%s\" accepted", invalid[i]);
		}
	}
}

/* ---- config_set -------------------------------------------------------- */

#define NO_FIELD ((size_t)-1)

typedef struct SetCase
{
	const char *key;
	const char *value;
	bool ok;
	size_t offset; /* int64_t field checked on success, or NO_FIELD */
	int64_t expected;
} SetCase;

#define I64(field) offsetof(Config, field)

static const SetCase set_cases[] = {
    {"status_interval", "1s", true, I64(status_interval_ms), 1000},
    {"status_interval", "100", true, I64(status_interval_ms), 100},
    {"status_interval", "99ms", false, NO_FIELD, 0},
    {"status_interval", "fast", false, NO_FIELD, 0},
    {"stats_interval", "0", true, I64(stats_interval_ms), 0},
    {"stats_interval", "5min", true, I64(stats_interval_ms), 300000},
    {"stats_interval", "-1s", false, NO_FIELD, 0},
    {"slot_busy_timeout", "2min", true, I64(slot_busy_timeout_ms), 120000},
    {"slot_busy_timeout", "1 parsec", false, NO_FIELD, 0},
    {"heartbeat_interval", "0", true, I64(heartbeat_interval_ms), 0},
    {"heartbeat_interval", "1s", true, I64(heartbeat_interval_ms), 1000},
    {"heartbeat_interval", "2min", true, I64(heartbeat_interval_ms), 120000},
    {"heartbeat_interval", "-1s", false, NO_FIELD, 0},
    {"heartbeat_interval", "often", false, NO_FIELD, 0},
    {"reconnect_min", "250", true, I64(reconnect_min_ms), 250},
    {"reconnect_min", "0", false, NO_FIELD, 0},
    {"reconnect_min", "0.5ms", false, NO_FIELD, 0},
    {"reconnect_max", "1h", true, I64(reconnect_max_ms), 3600000},
    {"reconnect_max", "", false, NO_FIELD, 0},
    {"statement_timeout", "1.5s", true, I64(statement_timeout_ms), 1500},
    {"statement_timeout", "0", true, I64(statement_timeout_ms), 0},
    {"statement_timeout", "1e400s", false, NO_FIELD, 0},
    {"visibility_timeout", "30s", true, I64(visibility_timeout_ms), 30000},
    {"visibility_timeout", "0ms", false, NO_FIELD, 0},
    {"slow_threshold", "0", true, I64(slow_ms), 0},
    {"slow_threshold", "250ms", true, I64(slow_ms), 250},
    {"slow_threshold", "ms", false, NO_FIELD, 0},
    {"retry_min", "10ms", true, I64(retry_min_ms), 10},
    {"retry_min", "0", false, NO_FIELD, 0},
    {"retry_max", "2min", true, I64(retry_max_ms), 120000},
    {"retry_max", "x", false, NO_FIELD, 0},
    {"dirty_keys_max", "5000", true, I64(dirty_keys_max), 5000},
    {"dirty_keys_max", "1", true, I64(dirty_keys_max), 1},
    {"dirty_keys_max", "0", false, NO_FIELD, 0},
    {"dirty_keys_max", "-5", false, NO_FIELD, 0},
    {"dirty_keys_max", "1.5", false, NO_FIELD, 0},
    {"dirty_keys_max", "1k", false, NO_FIELD, 0},
    {"dirty_keys_max", "", false, NO_FIELD, 0},
    {"dirty_keys_max", "99999999999999999999", false, NO_FIELD, 0},
    {"message_max_bytes", "64kB", true, I64(message_max_bytes), 65536},
    {"message_max_bytes", "1024", true, I64(message_max_bytes), 1024},
    {"message_max_bytes", "1023", false, NO_FIELD, 0},
    {"message_max_bytes", "1XB", false, NO_FIELD, 0},
    {"slot", "reckon_2", true, NO_FIELD, 0},
    {"slot", "Reckon", false, NO_FIELD, 0},
    {"slot", "", false, NO_FIELD, 0},
    {"slot", "a-b", false, NO_FIELD, 0},
    {"create_slot", "on", true, NO_FIELD, 0},
    {"create_slot", "maybe", false, NO_FIELD, 0},
    {"create_slot", "", false, NO_FIELD, 0},
    {"columns_max", "1600", true, NO_FIELD, 0},
    {"columns_max", "1", true, NO_FIELD, 0},
    {"columns_max", "0", false, NO_FIELD, 0},
    {"columns_max", "1601", false, NO_FIELD, 0},
    {"columns_max", "12x", false, NO_FIELD, 0},
    {"log_level", "debug", true, NO_FIELD, 0},
    {"log_level", "loud", false, NO_FIELD, 0},
    {"dsn", "host=/tmp dbname=reckon", true, NO_FIELD, 0},
    {"no_such_setting", "1", false, NO_FIELD, 0},
    {"", "1", false, NO_FIELD, 0},
    {"STATUS_INTERVAL", "1s", false, NO_FIELD, 0},
};

static void
check_set_case(const SetCase *c)
{
	Config config;
	Config before;
	Capture cap;
	char origin[128];
	const char *log;
	bool ok;

	snprintf(origin, sizeof(origin), "--%s", c->key);
	config_init(&config);
	before = config;
	capture_begin(&cap);
	ok = config_set(&config, c->key, c->value, origin);
	log = capture_end(&cap);
	log_min_level = LOG_LEVEL_INFO;

	if (ok != c->ok)
	{
		config_free(&config);
		fail_msg("config_set(\"%s\", \"%s\") returned %d", c->key, c->value,
		         ok);
	}
	if (!ok)
	{
		/* rejected: nothing changed, and the log names the origin */
		assert_memory_equal(&config, &before, sizeof(config));
		assert_contains(log, origin, c->key);
		assert_contains(log, "level=error", c->key);
	}
	else
	{
		assert_string_equal(log, "");
	}
	if (ok && c->offset != NO_FIELD)
	{
		int64_t got;

		memcpy(&got, (const char *)&config + c->offset, sizeof(got));
		if (got != c->expected)
		{
			fail_msg("config_set(\"%s\", \"%s\") stored %lld, expected %lld",
			         c->key, c->value, (long long)got, (long long)c->expected);
		}
	}
	config_free(&config);
}

static void
test_config_set_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++)
	{
		check_set_case(&set_cases[i]);
	}
}

static void
test_config_set_special(void **state)
{
	static const char *const on[] = {"on", "true", "yes", "1"};
	static const char *const off[] = {"off", "false", "no", "0"};
	Config config;

	(void)state;
	config_init(&config);
	assert_string_equal(config.slot, "reckon");
	assert_null(config.dsn);

	assert_true(config_set(&config, "slot", "other_slot", "t"));
	assert_string_equal(config.slot, "other_slot");

	for (int i = 0; i < 4; i++)
	{
		assert_true(config_set(&config, "create_slot", on[i], "t"));
		assert_true(config.create_slot);
		assert_true(config_set(&config, "create_slot", off[i], "t"));
		assert_false(config.create_slot);
	}

	assert_true(config_set(&config, "columns_max", "77", "t"));
	assert_int_equal(config.columns_max, 77);

	/* set twice: the first copy is freed (valgrind) */
	assert_true(config_set(&config, "dsn", "dbname=a", "t"));
	assert_true(config_set(&config, "dsn", "dbname=b", "t"));
	assert_string_equal(config.dsn, "dbname=b");

	/* kept in the configuration: main() applies them once it is valid */
	assert_true(config_set(&config, "log_level", "WARN", "t"));
	assert_int_equal(config.log_level, LOG_LEVEL_WARN);
	assert_true(config_set(&config, "log_level", "trace", "t"));
	assert_int_equal(config.log_level, LOG_LEVEL_TRACE);
	assert_int_equal(log_min_level, LOG_LEVEL_INFO);
	assert_false(config_set(&config, "log_level", "loud", "t"));
	assert_true(config_set(&config, "log_format", "json", "t"));
	assert_int_equal(config.log_format, LOG_FORMAT_JSON);
	assert_false(config_set(&config, "log_format", "xml", "t"));

	/* the HTTP endpoint's address: checked when set, "" turns it off */
	assert_string_equal(config.metrics_addr, "127.0.0.1:9752");
	assert_true(config_set(&config, "metrics_addr", "0.0.0.0:9100", "t"));
	assert_string_equal(config.metrics_addr, "0.0.0.0:9100");
	assert_true(config_set(&config, "metrics_addr", "[::1]:9752", "t"));
	assert_true(config_set(&config, "metrics_addr", ":9752", "t"));
	assert_true(config_set(&config, "metrics_addr", "", "t"));
	assert_string_equal(config.metrics_addr, "");
	assert_false(config_set(&config, "metrics_addr", "localhost", "t"));
	assert_false(config_set(&config, "metrics_addr", "host:0", "t"));
	assert_false(config_set(&config, "metrics_addr", "host:65536", "t"));
	assert_false(config_set(&config, "metrics_addr", "host:+80", "t"));
	assert_false(config_set(&config, "metrics_addr", "::1:9752", "t"));
	assert_false(config_set(&config, "metrics_addr", "[::1]9752", "t"));
	assert_true(config_set(&config, "health_max_lag", "30s", "t"));
	assert_int_equal(config.health_max_lag_ms, 30000);
	assert_false(config_set(&config, "health_max_lag", "0", "t"));

	config_free(&config);
	assert_null(config.dsn);
}

/* ---- the embedded default ---------------------------------------------- */

static bool
has_table(const Config *config, const char *name)
{
	for (int i = 0; i < config->ntables; i++)
	{
		if (strcmp(config->tables[i], name) == 0)
		{
			return true;
		}
	}
	return false;
}

static void
test_config_embedded_default(void **state)
{
	static const char *const ids[] = {"p1", "p2", "p3", "c",  "u",  "p",
	                                  "fp", "v",  "m",  "rd", "rv", "r",
	                                  "cp", "b",  "s",  "e",  "cs", "w"};
	static const char *const tables[] = {
	    "public.plays",         "public.tracks",    "public.users",
	    "public.comments",      "public.follows",   "public.reposts",
	    "public.saves",         "public.playlists", "public.user_events",
	    "public.sol_purchases", "public.remixes",   "public.events"};
	Config config;

	(void)state;
	config_init(&config);
	assert_true(config_load_file(&config, NULL));
	assert_true(config_finish(&config));

	assert_string_equal(config.slot, "reckon");
	assert_int_equal(config.status_interval_ms, 10000);
	assert_int_equal(config.statement_timeout_ms, 300000);
	assert_int_equal(config.message_max_bytes, 64 * 1024 * 1024);
	/* off unless asked for: it writes WAL every interval */
	assert_int_equal(config.heartbeat_interval_ms, 0);

	assert_int_equal(config.nlookups, 2);
	assert_string_equal(config.lookups[0].name, "track_owner");
	assert_string_equal(config.lookups[0].schema, "public");
	assert_string_equal(config.lookups[0].table, "tracks");
	assert_string_equal(config.lookups[0].key_column, "track_id");
	assert_string_equal(config.lookups[0].value_column, "owner_id");
	assert_string_equal(config.lookups[1].name, "playlist_owner");
	assert_string_equal(config.lookups[1].table, "playlists");
	assert_string_equal(config.lookups[1].key_column, "playlist_id");
	assert_string_equal(config.lookups[1].value_column, "playlist_owner_id");

	assert_int_equal(config.nprocessors, 18);
	for (int i = 0; i < 18; i++)
	{
		const ConfigProcessor *p = &config.processors[i];

		assert_string_equal(p->id, ids[i]);
		assert_non_null(p->sql_text);
		assert_true(p->sql_text[0] != '\0');
		/* composed from a built-in rule and the policy it names */
		assert_non_null(strstr(p->sql_text, "\nrule AS ("));
		assert_non_null(p->read_sql_text);
		assert_non_null(p->apply_sql_text);
		assert_true(p->read_columns >= 2);
		assert_true(config.groups[p->group].nrules >= 1);
		assert_true(config.groups[p->group].batch_size >= 1);
	}
	/* p1, p2, p3: one group, in that order */
	const ConfigGroup *plays = &config.groups[config.processors[0].group];
	assert_string_equal(plays->name, "plays");
	assert_int_equal(plays->nmembers, 3);
	for (int i = 0; i < 3; i++)
	{
		assert_int_equal(plays->members[i], i);
	}
	/* rd, rv, r: the referrals group, in that order; c, u, p, fp, v, m,
	 * cp, e, cs and w: groups of their own */
	const ConfigGroup *referrals = &config.groups[config.processors[9].group];
	assert_string_equal(referrals->name, "referrals");
	assert_int_equal(referrals->nmembers, 3);
	assert_int_equal(referrals->members[0], 9);
	assert_int_equal(referrals->members[2], 11);
	assert_int_equal(config.ngroups, 14);
	assert_int_equal(config.groups[config.processors[3].group].nmembers, 1);
	/* e: keyed by the listener (plays.user_id), not in the plays group */
	const ConfigGroup *streak = &config.groups[config.processors[15].group];
	assert_int_equal(streak->nmembers, 1);
	assert_int_equal(streak->batch_size, 250);
	assert_string_equal(streak->rules[0].table, "plays");
	assert_string_equal(streak->rules[0].column, "user_id");
	assert_int_equal(streak->rules[0].lookup, -1);
	assert_int_equal(config.processors[15].read_columns, 3);
	/* p1: a play dirties its track's owner through the lookup */
	assert_string_equal(config.processors[0].sql_name, "play_milestone");
	assert_int_equal(config.processors[0].create_min, 1);
	assert_int_equal(config.processors[1].create_min, 250);
	assert_int_equal(config.processors[2].create_min, 1000);
	assert_string_equal(plays->rules[0].table, "plays");
	assert_string_equal(plays->rules[0].column, "play_item_id");
	assert_int_equal(plays->rules[0].lookup, 0);
	assert_int_equal(plays->rules[1].lookup, -1);
	/* s: a purchase's content_id dirties its owner as a track and as a
	 * playlist, two rules on one column through two lookups; p's policy
	 * extends sticky (its facts columns follow sticky's) */
	const ConfigGroup *seller = &config.groups[config.processors[14].group];
	assert_string_equal(seller->rules[0].column, "content_id");
	assert_string_equal(seller->rules[1].column, "content_id");
	assert_int_equal(seller->rules[0].lookup, 0);
	assert_int_equal(seller->rules[1].lookup, 1);
	assert_string_equal(config.processors[5].policy_name, "profile_facts");
	assert_int_equal(config.processors[5].read_columns, 10);
	assert_non_null(strstr(config.processors[5].sql_text,
	                       "INSERT INTO public.challenge_profile_completion"));
	assert_null(
	    strstr(config.processors[5].sql_text, "\n-- reckon: extension\n"));

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
	{
		if (!has_table(&config, tables[i]))
		{
			fail_msg("table list lacks %s", tables[i]);
		}
	}
	/* distinct */
	for (int i = 0; i < config.ntables; i++)
	{
		for (int j = i + 1; j < config.ntables; j++)
		{
			assert_string_not_equal(config.tables[i], config.tables[j]);
		}
	}
	config_free(&config);
}

/* ---- files ------------------------------------------------------------- */

static void
test_config_file_valid(void **state)
{
	Config config;
	char path[512];
	char sql_path[512];
	char text[2048];
	const ConfigProcessor *p;

	(void)state;
	write_temp("-- reckon: policy once\n"
	           "select 1::bigint AS user_id, ''::text AS specifier\n"
	           "  where $1::bigint[] is not null;\n",
	           sql_path, sizeof(sql_path));
	snprintf(text, sizeof(text),
	         "# a comment\r\n"
	         "; another comment\n"
	         "\n"
	         "[reckon]\n"
	         "  slot   =   test_slot  \n"
	         "status_interval = 2s\r\n"
	         "create_slot = yes\n"
	         "dsn = host=/tmp port=5433\n"
	         "\n"
	         "[lookup owner]\n"
	         "table = app.tracks\n"
	         "key = id\n"
	         "value = owner\n"
	         "[processor fast]\n"
	         "challenge = ch1\n"
	         "sql = %s\n"
	         "window = 1.5s\n"
	         "batch_size = 10\n"
	         "create_min = 0\n"
	         "dirty = app.plays.track_id -> owner\n"
	         "dirty = app.users.user_id\n"
	         "[processor  other ]\n"
	         "sql = track_upload\n"
	         "dirty = app.tracks.owner",
	         sql_path);
	write_temp(text, path, sizeof(path));

	config_init(&config);
	assert_true(config_load_file(&config, path));
	assert_true(config_finish(&config));

	assert_string_equal(config.slot, "test_slot");
	assert_int_equal(config.status_interval_ms, 2000);
	assert_true(config.create_slot);
	assert_string_equal(config.dsn, "host=/tmp port=5433");
	assert_int_equal(config.nlookups, 1);
	assert_string_equal(config.lookups[0].schema, "app");
	assert_string_equal(config.lookups[0].table, "tracks");

	assert_int_equal(config.nprocessors, 2);
	p = &config.processors[0];
	assert_string_equal(p->id, "fast");
	assert_string_equal(p->challenge_id, "ch1");
	assert_int_equal(p->window_ms, 1500);
	assert_int_equal(p->batch_size, 10);
	assert_int_equal(p->create_min, 0);
	assert_int_equal(p->nrules, 2);
	assert_string_equal(p->rules[0].schema, "app");
	assert_string_equal(p->rules[0].table, "plays");
	assert_string_equal(p->rules[0].column, "track_id");
	assert_int_equal(p->rules[0].lookup, 0);
	assert_int_equal(p->rules[1].lookup, -1);
	/* a rule from a file: the once policy around it, the read is the rule
	 * without its final semicolon after the frame */
	assert_string_equal(p->policy_name, "once");
	assert_non_null(strstr(p->sql_text, "where $1::bigint[] is not null\n)"));
	assert_non_null(strstr(p->read_sql_text,
	                       ",\nrule AS (\n-- reckon: policy once\n"
	                       "select 1::bigint AS user_id, ''::text AS "
	                       "specifier\n"
	                       "  where $1::bigint[] is not null\n)\n"
	                       "SELECT * FROM rule"));
	assert_int_equal(p->read_columns, 2);
	/* the apply form: the read's rows come in as one array per column */
	assert_non_null(strstr(p->apply_sql_text,
	                       "rule AS (\n"
	                       "\tSELECT * FROM unnest($4::bigint[], $5::text[]) "
	                       "AS input (user_id, specifier)\n)"));

	/* defaults of a processor section */
	p = &config.processors[1];
	assert_string_equal(p->id, "other");
	assert_string_equal(p->challenge_id, "other");
	assert_int_equal(p->window_ms, 20);
	assert_int_equal(p->batch_size, 1000);
	assert_int_equal(p->create_min, 1);
	assert_string_equal(p->policy_name, "sticky");
	assert_string_equal(p->rules[0].column, "owner");

	assert_int_equal(config.ntables, 3);
	assert_true(has_table(&config, "app.tracks"));
	assert_true(has_table(&config, "app.plays"));
	assert_true(has_table(&config, "app.users"));

	config_free(&config);
	assert_null(config.processors[0].sql_text);
	unlink(path);
	unlink(sql_path);
}

typedef enum Stage
{
	STAGE_LOAD,  /* config_load_file must fail */
	STAGE_FINISH /* config_load_file succeeds, config_finish fails */
} Stage;

typedef struct FileCase
{
	const char *name;
	const char *text;
	Stage stage;
	int line;           /* the line the log must name; 0: no line */
	const char *reason; /* a fragment of the message */
} FileCase;

#define GOOD_PROC                                                              \
	"[processor x]\nsql = play_milestone\ndirty = public.users.user_id\n"

static const FileCase file_cases[] = {
    {"unknown section", "[reckon]\nslot = a\n[widget w]\n", STAGE_LOAD, 3,
     "unknown section \"[widget]\""},
    {"section without a name", "\n\n[widget]\n", STAGE_LOAD, 3,
     "invalid section header"},
    {"processor without an id", "[processor]\n", STAGE_LOAD, 1,
     "invalid section header"},
    {"processor with a bad id", "[processor a-b]\n", STAGE_LOAD, 1,
     "invalid section header"},
    {"unterminated section", "[reckon\n", STAGE_LOAD, 1,
     "unterminated section header"},
    {"text after a section header", "[reckon] x\n", STAGE_LOAD, 1,
     "unterminated section header"},
    {"unknown key", "[reckon]\nslot = a\nfrobnicate = 1\n", STAGE_LOAD, 3,
     "unknown setting \"frobnicate\""},
    {"unknown processor key", GOOD_PROC "colour = red\n", STAGE_LOAD, 4,
     "unknown processor setting \"colour\""},
    {"unknown lookup key", "[lookup l]\ntable = public.t\nkind = x\n",
     STAGE_LOAD, 3, "unknown lookup setting \"kind\""},
    {"line without =", "[reckon]\nslot\n", STAGE_LOAD, 2,
     "expected \"key = value\""},
    {"bad duration", "[reckon]\n\nstatus_interval = 10 parsecs\n", STAGE_LOAD,
     3, "invalid value \"10 parsecs\" for \"status_interval\""},
    {"bad window", GOOD_PROC "window = soon\n", STAGE_LOAD, 4,
     "invalid window \"soon\""},
    {"bad batch_size", GOOD_PROC "batch_size = 0\n", STAGE_LOAD, 4,
     "batch_size must be 1 to 1000000"},
    {"bad create_min", GOOD_PROC "create_min = -1\n", STAGE_LOAD, 4,
     "create_min must be a non-negative integer"},
    {"dirty rule with unknown lookup",
     "[processor x]\nsql = play_milestone\n"
     "dirty = public.plays.play_item_id -> nobody\n",
     STAGE_LOAD, 3, "unknown lookup \"nobody\""},
    {"lookup defined after its user",
     "[processor x]\nsql = play_milestone\n"
     "dirty = public.plays.play_item_id -> late\n"
     "[lookup late]\ntable = public.tracks\nkey = track_id\nvalue = owner_id\n",
     STAGE_LOAD, 3, "unknown lookup \"late\""},
    {"malformed rule plays.x",
     "[processor x]\nsql = play_milestone\n"
     "dirty = plays.x\n",
     STAGE_LOAD, 3, "invalid dirty rule \"plays.x\""},
    {"rule with four parts", "[processor x]\ndirty = a.b.c.d\n", STAGE_LOAD, 2,
     "invalid dirty rule"},
    {"rule with an empty part", "[processor x]\ndirty = public..user_id\n",
     STAGE_LOAD, 2, "invalid dirty rule"},
    {"rule with a bad identifier", "[processor x]\ndirty = public.t.1col\n",
     STAGE_LOAD, 2, "invalid dirty rule"},
    {"lookup table without schema", "[lookup l]\ntable = tracks\n", STAGE_LOAD,
     2, "invalid table \"tracks\""},
    {"lookup bad column", "[lookup l]\nkey = track id\n", STAGE_LOAD, 2,
     "invalid column name \"track id\""},
    {"duplicate lookup",
     "[lookup l]\ntable = public.t\nkey = a\nvalue = b\n[lookup l]\n",
     STAGE_LOAD, 5, "lookup \"l\" is defined twice"},
    {"duplicate processor", GOOD_PROC "\n[processor x]\n", STAGE_LOAD, 5,
     "processor \"x\" is defined twice"},
    {"setting outside a section", "# header comment\nslot = a\n", STAGE_LOAD, 2,
     "setting \"slot\" outside of a section"},
    {"invalid slot name", "[reckon]\nslot = Bad-Name\n", STAGE_LOAD, 2,
     "invalid slot name \"Bad-Name\""},
    {"bad create_slot", "[reckon]\ncreate_slot = perhaps\n", STAGE_LOAD, 2,
     "\"create_slot\" must be on or off"},
    /*
     * The two below are found by config_finish, which knows the processor
     * but not the file and line (see the report): only the processor is
     * asserted here.
     */
    {"processor without sql",
     "[reckon]\n[processor nosql]\ndirty = public.users.user_id\n",
     STAGE_FINISH, 0, "processor \"nosql\": missing \"sql\""},
    {"unknown built-in sql name",
     "[processor x]\nsql = no_such_statement\ndirty = public.users.user_id\n",
     STAGE_FINISH, 0, "no built-in rule \"no_such_statement\""},
    {"read_sql other than none",
     "[processor x]\nsql = play_milestone\nread_sql = play_milestone_read\n"
     "dirty = public.users.user_id\n",
     STAGE_FINISH, 0, "read_sql is \"none\" or unset, not "},
    {"processor without a dirty rule", "[processor x]\nsql = play_milestone\n",
     STAGE_FINISH, 1, "processor \"x\": no \"dirty\" rule"},
    {"processor in an unknown group",
     "[processor x]\nsql = play_milestone\ngroup = nowhere\n", STAGE_FINISH, 1,
     "unknown group \"nowhere\""},
    {"processor in a group with its own dirty rule",
     "[group g]\ndirty = public.users.user_id\n[processor x]\n"
     "sql = play_milestone\ngroup = g\nwindow = 1s\n",
     STAGE_FINISH, 3, "belong to the group"},
    {"group without processors",
     "[group g]\ndirty = public.users.user_id\n" GOOD_PROC, STAGE_FINISH, 1,
     "group \"g\" has no processor"},
    {"group without a dirty rule",
     "[group g]\nwindow = 5ms\n[processor x]\nsql = play_milestone\n"
     "group = g\n",
     STAGE_FINISH, 1, "group \"g\" has no \"dirty\" rule"},
    {"unknown group setting", "[group g]\nsql = play_milestone\n", STAGE_LOAD,
     2, "unknown group setting \"sql\""},
    {"sql file that does not exist",
     "[processor x]\nsql = /nonexistent/reckon/q.sql\n"
     "dirty = public.users.user_id\n",
     STAGE_FINISH, 0, "could not open \"/nonexistent/reckon/q.sql\""},
    {"lookup without key",
     "[lookup l]\ntable = public.t\nvalue = b\n" GOOD_PROC, STAGE_FINISH, 0,
     "lookup \"l\": \"table\", \"key\" and \"value\""},
    {"no processor", "[reckon]\nslot = a\n", STAGE_FINISH, 0,
     "no processor is configured"},
    {"retry_min above retry_max",
     "[reckon]\nretry_min = 10s\nretry_max = 1s\n" GOOD_PROC, STAGE_FINISH, 3,
     "must not exceed"},
    {"heartbeat_interval below 100ms",
     "[reckon]\nheartbeat_interval = 10ms\n" GOOD_PROC, STAGE_LOAD, 2,
     "heartbeat_interval must be 0 (off) or at least 100 ms"},
};

static void
check_file_case(const FileCase *c)
{
	Config config;
	Capture cap;
	char path[512];
	char where[600];
	const char *log;
	bool loaded;
	bool finished = false;

	write_temp(c->text, path, sizeof(path));
	config_init(&config);
	capture_begin(&cap);
	loaded = config_load_file(&config, path);
	if (loaded)
	{
		finished = config_finish(&config);
	}
	log = capture_end(&cap);
	config_free(&config);
	unlink(path);

	if (c->stage == STAGE_LOAD && loaded)
	{
		fail_msg("%s: config_load_file accepted it", c->name);
	}
	if (c->stage == STAGE_FINISH && !loaded)
	{
		fail_msg("%s: config_load_file failed early: %s", c->name, log);
	}
	if (finished)
	{
		fail_msg("%s: config_finish accepted it", c->name);
	}
	assert_contains(log, "level=error", c->name);
	assert_contains(log, c->reason, c->name);
	if (c->line > 0)
	{
		snprintf(where, sizeof(where), "%s:%d: ", path, c->line);
		assert_contains(log, where, c->name);
	}
}

static void
test_config_file_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++)
	{
		check_file_case(&file_cases[i]);
	}
}

static void
test_config_file_unreadable(void **state)
{
	Config config;
	Capture cap;
	char path[512];
	char *text;
	const char *log;
	bool ok;

	(void)state;
	/* a missing file */
	config_init(&config);
	capture_begin(&cap);
	ok = config_load_file(&config, "/nonexistent/reckon.conf");
	log = capture_end(&cap);
	config_free(&config);
	assert_false(ok);
	assert_contains(log, "could not open \"/nonexistent/reckon.conf\"",
	                "missing file");

	/* a line longer than the parser's buffer */
	text = malloc(6000);
	assert_non_null(text);
	memcpy(text, "[reckon]\ndsn = ", 15);
	memset(text + 15, 'x', 5000);
	strcpy(text + 5015, "\n");
	write_temp(text, path, sizeof(path));
	free(text);
	config_init(&config);
	capture_begin(&cap);
	ok = config_load_file(&config, path);
	log = capture_end(&cap);
	config_free(&config);
	assert_false(ok);
	{
		char where[600];

		snprintf(where, sizeof(where), "%s:2: line longer than", path);
		assert_contains(log, where, "long line");
	}
	unlink(path);
}

/*
 * config_load_buffer: text that is not NUL-terminated is read up to len
 * only, errors name the buffer and line, and a NUL byte is refused.
 */
static void
test_config_load_buffer(void **state)
{
	static const char text[] = "[reckon]\nslot = from_buffer\nGARBAGE";
	Config config;
	Capture cap;
	const char *log;
	bool ok;

	(void)state;
	/* len stops before "GARBAGE", which would be an error */
	config_init(&config);
	ok = config_load_buffer(&config, "buf", text, strlen(text) - 7);
	assert_true(ok);
	assert_string_equal(config.slot, "from_buffer");
	config_free(&config);

	config_init(&config);
	capture_begin(&cap);
	ok = config_load_buffer(&config, "buf", text, strlen(text));
	log = capture_end(&cap);
	config_free(&config);
	assert_false(ok);
	assert_contains(log, "buf:3:", "the buffer's name and line");

	config_init(&config);
	capture_begin(&cap);
	ok = config_load_buffer(&config, "buf", "[reckon]\0slot = x\n", 18);
	log = capture_end(&cap);
	config_free(&config);
	assert_false(ok);
	assert_contains(log, "NUL byte", "a NUL byte");
}

/*
 * config_reload_check on the [reckon] keys: a key only a restart applies
 * is refused with the keys that share its reason, any other is taken.
 */
static void
test_config_reload_keys(void **state)
{
	static const struct
	{
		const char *key;
		const char *value;
		const char *why; /* NULL: the reload is taken */
	} cases[] = {
	    {"status_interval", "1s", NULL},
	    {"log_level", "debug", NULL},
	    {"rescan_keys", "all_keys", NULL},
	    {"dsn", "dbname=other", "dsn changed, which only a restart applies"},
	    {"read_dsn", "dbname=standby", "read_dsn changed"},
	    {"slot", "other", "slot or create_slot changed"},
	    {"create_slot", "on", "slot or create_slot changed"},
	    {"metrics_addr", "", "metrics_addr changed"},
	    {"columns_max", "10", "message_max_bytes or columns_max changed"},
	};
	Config old;
	Config new;
	char why[512];

	(void)state;
	config_init(&old);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		bool ok;

		config_init(&new);
		assert_true(config_set(&new, cases[i].key, cases[i].value, "t"));
		why[0] = '\0';
		ok = config_reload_check(&old, &new, why, sizeof(why));
		config_free(&new);
		if (ok != (cases[i].why == NULL))
		{
			fail_msg("%s = %s: reload %s (%s)", cases[i].key, cases[i].value,
			         ok ? "taken" : "refused", why);
		}
		if (!ok && strstr(why, cases[i].why) == NULL)
		{
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].key, why,
			         cases[i].why);
		}
	}
	config_free(&old);
}

/* "" is the empty value in a file, as on the command line */
static void
test_config_file_empty_value(void **state)
{
	static const char text[] = "[reckon]\nmetrics_addr = \"\"\n"
	                           "read_dsn = \"\"\ndsn = \"\"\n";
	Config config;

	(void)state;
	config_init(&config);
	assert_true(config_set(&config, "read_dsn", "dbname=x", "t"));
	assert_true(config_load_buffer(&config, "buf", text, strlen(text)));
	assert_string_equal(config.metrics_addr, "");
	assert_null(config.read_dsn);
	assert_null(config.dsn);
	config_free(&config);
}

/* ---- the documentation agrees with the table ---------------------------- */

#define DOC_MENTIONS_MAX 256

/* One "key (default)" of a document, as the table's key would be. */
typedef struct DocMention
{
	char key[64];
	char value[128];
} DocMention;

typedef struct DocMentions
{
	const char *doc; /* for messages */
	int n;
	DocMention at[DOC_MENTIONS_MAX];
} DocMentions;

/*
 * A file of the source tree, found from this file's own path (make unit
 * runs from the top, but the test need not): the caller frees it.
 */
static char *
read_source_file(const char *rel)
{
	static const char self[] = "tests/unit/test_config.c";
	const char *file = __FILE__;
	size_t root_len = strlen(file) - (sizeof(self) - 1);
	char path[1024];
	char *text;
	FILE *f;
	long len;

	assert_string_equal(file + root_len, self);
	snprintf(path, sizeof(path), "%.*s%s", (int)root_len, file, rel);
	f = fopen(path, "r");
	if (f == NULL)
	{
		fail_msg("cannot open %s", path);
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

/* The default as the documents write it: "" for an empty one. */
static const char *
doc_default(const ConfigKey *key)
{
	return key->default_text[0] != '\0' ? key->default_text : "\"\"";
}

static void
doc_add(DocMentions *m, const char *key, size_t key_len, const char *value,
        size_t value_len)
{
	DocMention *at;

	assert_true(m->n < DOC_MENTIONS_MAX);
	at = &m->at[m->n++];
	snprintf(at->key, sizeof(at->key), "%.*s", (int)key_len, key);
	snprintf(at->value, sizeof(at->value), "%.*s", (int)value_len, value);
}

/*
 * Every mention names a key of the table, and every key is mentioned with
 * its default; is_once: exactly once (--help, the man page), else at least
 * (tools/reckon.conf may also set another value, as rescan_keys).
 */
static void
doc_check(const DocMentions *m, bool is_once)
{
	for (int i = 0; i < m->n; i++)
	{
		if (config_keys_find(m->at[i].key) == NULL)
		{
			fail_msg("%s names \"%s\", which is no [reckon] key", m->doc,
			         m->at[i].key);
		}
	}
	for (size_t k = 0; k < config_keys_count; k++)
	{
		const ConfigKey *key = &config_keys[k];
		int with_default = 0;
		int mentions = 0;

		for (int i = 0; i < m->n; i++)
		{
			if (strcmp(m->at[i].key, key->name) == 0)
			{
				mentions++;
				with_default += strcmp(m->at[i].value, doc_default(key)) == 0;
			}
		}
		if (with_default == 0 || (is_once && mentions != 1))
		{
			fail_msg("%s: \"%s\" is mentioned %d times, %d with the default "
			         "\"%s\"",
			         m->doc, key->name, mentions, with_default,
			         doc_default(key));
		}
	}
}

/* --help's listing: "  KEY (DEFAULT)  description" lines */
static void
doc_scan_help(DocMentions *m, const char *text)
{
	for (const char *line = text; *line != '\0';)
	{
		const char *nl = strchr(line, '\n');
		size_t key_len = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz_");

		if (strncmp(line, "  ", 2) == 0 && key_len > 0 &&
		    strncmp(line + 2 + key_len, " (", 2) == 0)
		{
			const char *value = line + 2 + key_len + 2;
			const char *close = strchr(value, ')');

			assert_non_null(close);
			doc_add(m, line + 2, key_len, value, (size_t)(close - value));
		}
		line = nl != NULL ? nl + 1 : line + strlen(line);
	}
}

/* troff to text for the tags: \- is -, \(dq is " */
static void
doc_untroff(char *s)
{
	char *out = s;

	for (const char *p = s; *p != '\0';)
	{
		if (strncmp(p, "\\-", 2) == 0)
		{
			*out++ = '-';
			p += 2;
		}
		else if (strncmp(p, "\\(dq", 4) == 0)
		{
			*out++ = '"';
			p += 4;
		}
		else
		{
			*out++ = *p++;
		}
	}
	*out = '\0';
}

/*
 * The man page's [reckon] list: from the line that introduces it to the
 * next .PP, each .TP tag is `.BR KEY " (DEFAULT)"` and nothing else.
 */
static void
doc_scan_man(DocMentions *m, char *text)
{
	char *start = strstr(text, "section holds the daemon's settings");
	char *end;

	assert_non_null(start);
	end = strstr(start, "\n.PP\n");
	assert_non_null(end);
	*end = '\0';
	doc_untroff(start);
	for (char *tp = strstr(start, "\n.TP\n"); tp != NULL;
	     tp = strstr(tp + 1, "\n.TP\n"))
	{
		char *tag = tp + 5;
		size_t key_len = strspn(tag + 4, "abcdefghijklmnopqrstuvwxyz_");
		char *close = strstr(tag, ")\"\n");

		if (strncmp(tag, ".BR ", 4) != 0 || key_len == 0 ||
		    strncmp(tag + 4 + key_len, " \" (", 4) != 0 || close == NULL ||
		    strchr(tag, '\n') != close + 2)
		{
			fail_msg("reckon.1: a tag not of the form .BR KEY \" (DEFAULT)\": "
			         "%.40s",
			         tag);
		}
		doc_add(m, tag + 4, key_len, tag + 4 + key_len + 4,
		        (size_t)(close - (tag + 4 + key_len + 4)));
	}
}

/*
 * tools/reckon.conf's [reckon] section: each "KEY = VALUE" line, set or
 * commented out ("# KEY = VALUE"); prose comments start otherwise.
 */
static void
doc_scan_conf(DocMentions *m, const char *text)
{
	const char *line = strstr(text, "\n[reckon]\n");

	assert_non_null(line);
	for (line += strlen("\n[reckon]\n"); *line != '\0' && *line != '[';)
	{
		const char *nl = strchr(line, '\n');
		const char *p = line;
		size_t key_len;

		p += strspn(p, "# ");
		key_len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (key_len > 0 && strncmp(p + key_len, " = ", 3) == 0)
		{
			const char *value = p + key_len + 3;
			size_t len = nl != NULL ? (size_t)(nl - value) : strlen(value);

			doc_add(m, p, key_len, value, len);
		}
		line = nl != NULL ? nl + 1 : line + strlen(line);
	}
}

static void
test_config_docs_agree(void **state)
{
	static DocMentions m;
	char *help = NULL;
	size_t help_len = 0;
	FILE *f;
	char *text;

	(void)state;
	f = open_memstream(&help, &help_len);
	assert_non_null(f);
	config_keys_print_help(f);
	fclose(f);
	m = (DocMentions){.doc = "reckon --help"};
	doc_scan_help(&m, help);
	doc_check(&m, true);
	free(help);

	text = read_source_file("tools/man/reckon.1");
	m = (DocMentions){.doc = "tools/man/reckon.1"};
	doc_scan_man(&m, text);
	doc_check(&m, true);
	free(text);

	text = read_source_file("tools/reckon.conf");
	m = (DocMentions){.doc = "tools/reckon.conf"};
	doc_scan_conf(&m, text);
	doc_check(&m, false);
	free(text);
}

/*
 * Each default parses (config_init asserts it) and is what a file saying
 * it sets; a key's type matches the size of its field.
 */
static void
test_config_keys_table(void **state)
{
	Config init;
	Config set;

	(void)state;
	config_init(&init);
	for (size_t i = 0; i < config_keys_count; i++)
	{
		const ConfigKey *key = &config_keys[i];

		config_init(&set);
		assert_true(config_set(&set, key->name, key->default_text, "t"));
		assert_true(config_keys_equal(key, &init, &set));
		assert_ptr_equal(config_keys_find(key->name), key);
		assert_non_null(key->help);
		if (key->type == CONFIG_KEY_DURATION || key->type == CONFIG_KEY_SIZE)
		{
			assert_int_equal(key->size, sizeof(int64_t));
		}
		config_free(&set);
	}
	config_free(&init);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_parse_duration),
	    cmocka_unit_test(test_config_parse_size),
	    cmocka_unit_test(test_config_slot_name),
	    cmocka_unit_test(test_config_set_table),
	    cmocka_unit_test(test_config_set_special),
	    cmocka_unit_test(test_config_embedded_default),
	    cmocka_unit_test(test_config_file_valid),
	    cmocka_unit_test(test_config_load_buffer),
	    cmocka_unit_test(test_config_file_errors),
	    cmocka_unit_test(test_config_file_unreadable),
	    cmocka_unit_test(test_config_keys_table),
	    cmocka_unit_test(test_config_reload_keys),
	    cmocka_unit_test(test_config_file_empty_value),
	    cmocka_unit_test(test_config_docs_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
