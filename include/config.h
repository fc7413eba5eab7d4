/*
 * config.h: the daemon's configuration: file (or the embedded default) then
 * command line -> Config, read-only once loaded.
 *
 * The file is INI-like, simple enough to need no parser library:
 *
 *     [reckon]                      daemon-wide settings (key = value)
 *     [lookup NAME]                 an in-memory map key -> value kept from
 *                                   the stream (table, key, value)
 *     [group NAME]                  processors that share their dirty keys
 *                                   and run in order in one transaction per
 *                                   batch: window, batch_size, "dirty" lines
 *     [processor ID]                one recompute rule: challenge, sql,
 *                                   create_min, and either "group = NAME"
 *                                   or its own window, batch_size and
 *                                   "dirty" lines (a group of one)
 *
 * A value is the rest of the line, trimmed, and never unquoted, except that
 * "" is the empty value (metrics_addr = "": no HTTP endpoint). The keys of
 * [reckon], their types, defaults and reload rules are in config_keys.h.
 *
 * A dirty line names which change dirties which key:
 *     dirty = SCHEMA.TABLE.COLUMN                  the column holds the key
 *     dirty = SCHEMA.TABLE.COLUMN -> LOOKUP        the key is LOOKUP[column]
 * Every INSERT, UPDATE and DELETE of the table dirties the key taken from the
 * new row and, when the message carries it, the old row.
 */
#ifndef RECKON_CONFIG_H
#define RECKON_CONFIG_H

#include "common.h"
#include "log.h"

#define CONFIG_NAME_MAX 64 /* PostgreSQL's NAMEDATALEN */
#define CONFIG_PROCESSORS_MAX 64
#define CONFIG_LOOKUPS_MAX 16
#define CONFIG_RULES_MAX 16
#define CONFIG_TABLES_MAX 64
#define CONFIG_ORIGIN_MAX 512       /* "FILE:LINE" */
#define CONFIG_HEARTBEAT_MIN_MS 100 /* a heartbeat_interval other than 0 */

typedef struct ConfigRule
{
	char schema[CONFIG_NAME_MAX];
	char table[CONFIG_NAME_MAX];
	char column[CONFIG_NAME_MAX];
	int lookup; /* index into Config.lookups, or -1 for a direct column */
	/*
	 * dirty_monotone: an INSERT through this rule can only move the group's
	 * rows towards what its saturated statement reports, so it is skipped
	 * for a saturated key (see sched.h). UPDATE and DELETE dirty as usual.
	 */
	bool is_monotone;
} ConfigRule;

typedef struct ConfigLookup
{
	/* "FILE:LINE" of the section, for messages */
	char origin[CONFIG_ORIGIN_MAX];
	char name[CONFIG_NAME_MAX];
	char schema[CONFIG_NAME_MAX];
	char table[CONFIG_NAME_MAX];
	char key_column[CONFIG_NAME_MAX];
	char value_column[CONFIG_NAME_MAX];
} ConfigLookup;

typedef struct ConfigProcessor
{
	/* "FILE:LINE" of the section, for messages */
	char origin[CONFIG_ORIGIN_MAX];
	char id[CONFIG_NAME_MAX];
	char group_name[CONFIG_NAME_MAX]; /* empty: a group of its own */
	int group;                        /* index into Config.groups */
	char challenge_id[CONFIG_NAME_MAX];
	/* the rule: a name in sql/rules/ or a file path (key "sql") */
	char sql_name[256];
	/* the write policy the rule names (sql/policies/, rule.h) */
	char policy_name[64];
	/* owned: the statement that runs on the primary (rule.h's PRIMARY) */
	char *sql_text;
	/*
	 * With a read server (Config.read_dsn): the rule alone, read there
	 * (READ), and the policy that writes its rows on the primary (APPLY),
	 * both owned; NULL with read_sql = none: the processor's statement
	 * runs on the primary. read_sql_name is "none" or empty.
	 */
	char read_sql_name[256];
	char *read_sql_text;
	char *apply_sql_text;
	int read_columns; /* the columns READ returns and APPLY takes */
	int64_t create_min;
	/* a processor of its own group: that group's settings */
	bool has_batching; /* window, batch_size or dirty was given */
	int64_t window_ms;
	int batch_size;
	int nrules;
	ConfigRule rules[CONFIG_RULES_MAX];
} ConfigProcessor;

/*
 * A group: one dirty set, one coalescing window and batch bound, and the
 * processors that run on each of its batches, in order.
 */
typedef struct ConfigGroup
{
	char origin[CONFIG_ORIGIN_MAX];
	char name[CONFIG_NAME_MAX];
	int64_t window_ms;
	int batch_size;
	int nrules;
	ConfigRule rules[CONFIG_RULES_MAX];
	int nmembers;
	int members[CONFIG_PROCESSORS_MAX]; /* indexes into Config.processors */
	/*
	 * saturated: the built-in statement ($1 bigint[] of the batch's keys)
	 * run after the members in the batch's transaction, returning the keys
	 * whose rows no dirty_monotone INSERT can change any more; "" = none.
	 */
	char saturated_name[CONFIG_NAME_MAX];
	const char *saturated_sql; /* embedded, borrowed */
	/*
	 * saturated_seed: the built-in statement (no parameters) run once at
	 * start, returning the keys saturated already; "" = none.
	 */
	char saturated_seed_name[CONFIG_NAME_MAX];
	const char *saturated_seed_sql; /* embedded, borrowed */
	/*
	 * rescan_keys: the built-in statement ($1 the last key done, $2 how
	 * many) listing every key of the group in ascending order; after a
	 * TRUNCATE of a table the group's rules read, the stream carries no
	 * rows, so every key is recomputed in batches from it. None ("" here,
	 * "none" in the file): such a TRUNCATE stops reckon without
	 * acknowledging it.
	 */
	/*
	 * prelude: the built-in statement ($1 bigint[] of the batch's keys) run
	 * first in the batch's transaction, before the members, to compute once
	 * what several of them need (play_counts: N for p1, p2 and p3) into a
	 * session temporary table (created at connect by the built-in
	 * statements named *_setup, see recompute_connect); "" = none.
	 */
	char prelude_name[CONFIG_NAME_MAX];
	const char *prelude_sql; /* embedded, borrowed */
	bool has_rescan_keys;    /* set in the section, else the [reckon] one */
	char rescan_keys_name[CONFIG_NAME_MAX];
	const char *rescan_keys_sql; /* embedded, borrowed */
} ConfigGroup;

typedef struct Config
{
	/* connection and slot; dsn NULL means libpq's defaults (PG*) */
	char *dsn; /* owned */
	/*
	 * A hot standby of the primary for the recompute reads (--read-dsn);
	 * NULL: read on the primary. Its lag is fenced: a batch waits until the
	 * standby has replayed its newest commit, at most read_fence_timeout,
	 * then reads on the primary.
	 */
	char *read_dsn; /* owned */
	int64_t read_fence_timeout_ms;
	char slot[CONFIG_NAME_MAX];
	bool create_slot;
	/*
	 * backfill = all (the default): a slot reckon creates is created with
	 * an exported snapshot, and every key of every group is recomputed
	 * from it before the stream starts; none: the slot starts from now.
	 */
	bool backfill_none;
	Lsn endpos; /* LSN_INVALID: run until stopped */

	/* timing, all in milliseconds */
	int64_t status_interval_ms;
	int64_t stats_interval_ms;
	int64_t slot_busy_timeout_ms;
	/* server silent this long: the replication connection is dropped and
	 * reconnected (a reply is asked for at half of it); 0 = never */
	int64_t replication_timeout_ms;
	int64_t reconnect_min_ms;
	int64_t reconnect_max_ms;
	int64_t statement_timeout_ms;
	int64_t visibility_timeout_ms;
	int64_t slow_ms;
	int64_t retry_min_ms;
	int64_t retry_max_ms;
	int64_t trending_interval_ms; /* 0: the daemon runs no trending job */
	/*
	 * 0 (the default): no heartbeat. Otherwise the daemon emits a
	 * non-transactional logical message this often and logs the stream
	 * latency it sees when the message comes back through the slot.
	 */
	int64_t heartbeat_interval_ms;

	/* rescan_keys of the groups that name none (see ConfigGroup) */
	char rescan_keys_name[CONFIG_NAME_MAX];
	const char *rescan_keys_sql; /* embedded, borrowed */

	/*
	 * The HTTP endpoint (/metrics, /healthz, /readyz): "HOST:PORT",
	 * "[IPV6]:PORT" or "" for none; 127.0.0.1:9752 by default.
	 */
	char metrics_addr[CONFIG_ORIGIN_MAX];
	/* /healthz is 503 past this replication lag (seconds behind) */
	int64_t health_max_lag_ms;

	/* logging; applied by main() once the whole configuration is valid */
	LogLevel log_level;
	LogFormat log_format;

	/* limits */
	int64_t dirty_keys_max;    /* per processor; the stream pauses above it */
	int64_t message_max_bytes; /* one wal2json message */
	int columns_max;           /* columns of one row in a message */

	int nlookups;
	ConfigLookup lookups[CONFIG_LOOKUPS_MAX];
	int nprocessors;
	ConfigProcessor processors[CONFIG_PROCESSORS_MAX];
	int ngroups; /* explicit [group] sections first, then one per
	              * processor without a group */
	ConfigGroup groups[CONFIG_PROCESSORS_MAX];

	/* for messages: the file loaded ("(embedded default)"), and the
	 * "FILE:LINE" of the last reconnect_* or retry_* setting */
	char source[CONFIG_ORIGIN_MAX];
	char bounds_origin[CONFIG_ORIGIN_MAX];

	/* derived: distinct "schema.table" the rules and lookups read */
	int ntables;
	char tables[CONFIG_TABLES_MAX][2 * CONFIG_NAME_MAX + 1];
} Config;

/* config_init: defaults for every setting; no processors. */
void config_init(Config *config);

/*
 * config_load_file: read path (or the embedded default when path is NULL)
 * into config. On error logs "FILE:LINE: reason" and returns false; config
 * is then left partially filled and must only be freed.
 */
bool config_load_file(Config *config, const char *path) WARN_UNUSED;

/*
 * config_load_buffer: as config_load_file, from len bytes of text in memory
 * (not NULL, need not be NUL-terminated; a NUL byte is refused, as in a
 * file). name stands for the file in messages ("NAME:LINE: reason").
 */
bool config_load_buffer(Config *config, const char *name, const char *text,
                        size_t len) WARN_UNUSED;

/*
 * config_set: apply one "key = value" of the [reckon] section, also used for
 * command-line options. origin names where it came from for the error.
 */
bool config_set(Config *config, const char *key, const char *value,
                const char *origin) WARN_UNUSED;

/*
 * config_read_file: a whole file of at most max_bytes, NUL-terminated and
 * without a NUL inside, malloc'd (the caller frees it); NULL, logged, when
 * it cannot be read.
 */
char *config_read_file(const char *path, size_t max_bytes);

/* config_free: release what config owns (not config itself). */
void config_free(Config *config);

/* config_parse_duration_ms: "20ms", "1.5s", "2min", "1h", plain = ms. */
bool config_parse_duration_ms(const char *text, int64_t *ms) WARN_UNUSED;

/* config_parse_size: "512", "64kB", "512MB", "4GB" (1024-based). */
bool config_parse_size(const char *text, int64_t *bytes) WARN_UNUSED;

/* config_parse_count: a whole decimal number in [min, max], nothing else. */
bool config_parse_count(const char *text, int64_t min, int64_t max,
                        int64_t *out) WARN_UNUSED;

/* config_slot_name_is_valid: PostgreSQL's rule, [a-z0-9_]{1,63}. */
bool config_slot_name_is_valid(const char *name);

#endif
