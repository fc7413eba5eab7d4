/*
 * config_keys.h: the one table of the [reckon] section's settings. Each
 * entry says everything the code and the documentation need to know about
 * a key: its name, its type (duration, size, count, bool, enum, string),
 * where it goes in Config, its default as it is written in a file, its
 * bounds, whether a SIGHUP reload may change it, and its one-line --help
 * description.
 *
 * config.c drives from it the parsing of the [reckon] section (config_set),
 * the defaults (config_init) and the reload check (config_reload_check);
 * main.c prints its --help settings listing from it. tests/unit/
 * test_config.c checks that --help, tools/man/reckon.1 and
 * tools/reckon.conf name exactly these keys with these defaults, so the
 * documentation cannot drift from the code.
 */
#ifndef RECKON_CONFIG_KEYS_H
#define RECKON_CONFIG_KEYS_H

#include <stdio.h>

#include "common.h"
#include "config.h"

typedef enum ConfigKeyType
{
	CONFIG_KEY_DURATION, /* int64_t milliseconds: 20ms, 1.5s, 2min, 1h */
	CONFIG_KEY_SIZE,     /* int64_t bytes: 512, 64kB, 512MB, 4GB */
	CONFIG_KEY_COUNT,    /* int64_t or int: a whole decimal number */
	CONFIG_KEY_BOOL,     /* bool: on/off, true/false, yes/no, 1/0 */
	CONFIG_KEY_ENUM,     /* bool or int: the index of the value in names */
	CONFIG_KEY_STRING,   /* char * (owned): "" (or the default) is NULL */
	CONFIG_KEY_TEXT      /* char[size], in the Config itself */
} ConfigKeyType;

typedef struct ConfigKey ConfigKey;

/*
 * A key with a check of its own (a slot name, an address, a built-in
 * statement) sets it through this instead of its type's parser. It logs
 * "ORIGIN: reason" and leaves config unchanged on false.
 */
typedef bool (*ConfigKeySetFn)(Config *config, const ConfigKey *key,
                               const char *value, const char *origin);

struct ConfigKey
{
	const char *name;
	ConfigKeyType type;
	size_t offset; /* of the field in Config */
	size_t size;   /* of the field: tells int from int64_t, bool from int */
	/* as written in a file, --help and the man page: "10s", "", "reckon" */
	const char *default_text;
	int64_t min; /* numeric types, in ms, bytes or units */
	int64_t max;
	/*
	 * NULL: a reload applies a change. Otherwise what only a restart
	 * re-creates ("the slot"); the keys sharing it are named together in
	 * the reload's refusal ("slot or create_slot changed").
	 */
	const char *restart;
	/* a reconnect_* or retry_* bound: config_finish compares the pairs */
	bool is_bound;
	const char *const *names; /* CONFIG_KEY_ENUM's values, NULL-terminated */
	ConfigKeySetFn set;       /* NULL: the type's parser */
	const char *help;         /* one line for --help, no final period */
};

/* config_keys: the table, in --help's order; config_keys_count entries. */
extern const ConfigKey config_keys[];
extern const size_t config_keys_count;

/* config_keys_find: the entry of name (case-sensitive), or NULL. */
const ConfigKey *config_keys_find(const char *name);

/*
 * config_keys_set: parse value as key's type (or through key->set) into
 * config. On false it has logged "ORIGIN: reason" and changed nothing.
 */
bool config_keys_set(Config *config, const ConfigKey *key, const char *value,
                     const char *origin) WARN_UNUSED;

/* config_keys_equal: whether key's field holds the same value in a and b. */
bool config_keys_equal(const ConfigKey *key, const Config *a, const Config *b);

/*
 * config_keys_print_help: the settings listing of --help, one
 * "  NAME (DEFAULT)  description" line per key (wrapped under 80 columns),
 * the keys only a restart applies marked "(restart)".
 */
void config_keys_print_help(FILE *out);

/*
 * config_keys_set_rescan_keys: rescan_keys = NAME, a built-in statement, or
 * "none" (name "" and sql NULL); shared by the [reckon] key and the
 * [group] one. Logs "ORIGIN: reason" on false.
 */
bool config_keys_set_rescan_keys(char *name, const char **sql,
                                 const char *value,
                                 const char *origin) WARN_UNUSED;

#endif
