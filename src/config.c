/*
 * config.c: configuration file, embedded default and command-line settings
 * -> Config (see config.h for the format). Runs once before the pipeline
 * starts, and again on SIGHUP; every error names the file and line, or the
 * option, and is a usage error (exit 2) for main(). The [reckon] keys are
 * declared in config_keys.c, whose table this file's config_init and
 * config_set follow; the [lookup], [group] and [processor] sections are
 * parsed here. config_finish.c checks across sections and composes each
 * processor's statements; config_reload.c judges a reload.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "config"
#include "config_keys.h"
#include "embedded.h"
#include "log.h"

/*
 * The defaults are the table's default_text, parsed as a file's value
 * would be: what --help and the man page print is what runs.
 */
void
config_init(Config *config)
{
	memset(config, 0, sizeof(*config));
	for (size_t i = 0; i < config_keys_count; i++)
	{
		const ConfigKey *key = &config_keys[i];
		bool ok = config_keys_set(config, key, key->default_text, key->name);

		ASSERT(ok);
	}
}

void
config_free(Config *config)
{
	free(config->dsn);
	config->dsn = NULL;
	free(config->read_dsn);
	config->read_dsn = NULL;
	for (int i = 0; i < config->nprocessors; i++)
	{
		ConfigProcessor *p = &config->processors[i];

		free(p->sql_text);
		p->sql_text = NULL;
		free(p->read_sql_text);
		p->read_sql_text = NULL;
		free(p->apply_sql_text);
		p->apply_sql_text = NULL;
	}
}

bool
config_slot_name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= CONFIG_NAME_MAX)
	{
		return false;
	}
	for (size_t i = 0; i < len; i++)
	{
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
		{
			return false;
		}
	}
	return true;
}

/* An unquoted SQL identifier: what the rules accept for names. */
static bool
config_identifier_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= CONFIG_NAME_MAX)
	{
		return false;
	}
	if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
	{
		return false;
	}
	for (size_t i = 1; i < len; i++)
	{
		unsigned char c = (unsigned char)name[i];

		if (!(isalnum(c) || c == '_' || c == '$'))
		{
			return false;
		}
	}
	return true;
}

/* Parse a decimal number with an optional fraction; returns the suffix. */
static bool
config_parse_scaled(const char *text, const char *const *units,
                    const double *factors, int nunits, double max, double *out)
{
	const char *p = text;
	char *end;
	double value;

	/* plain decimal only: strtod alone would take "0x10" and "1e3" */
	while (isdigit((unsigned char)*p) || *p == '.')
	{
		p++;
	}
	if (p == text || !isdigit((unsigned char)*text))
	{
		return false;
	}
	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end != p)
	{
		return false;
	}
	while (*end == ' ')
	{
		end++;
	}
	for (int i = 0; i < nunits; i++)
	{
		if (strcmp(end, units[i]) == 0)
		{
			*out = value * factors[i];
			return *out <= max;
		}
	}
	return false;
}

bool
config_parse_duration_ms(const char *text, int64_t *ms)
{
	static const char *const units[] = {"", "ms", "s", "min", "h"};
	static const double factors[] = {1, 1, 1000, 60000, 3600000};
	double value;

	/* at most a year: every duration is later scaled to microseconds */
	if (!config_parse_scaled(text, units, factors, 5, 365.0 * 86400000, &value))
	{
		return false;
	}
	*ms = (int64_t)value;
	return true;
}

bool
config_parse_size(const char *text, int64_t *bytes)
{
	static const char *const units[] = {"", "B", "kB", "MB", "GB", "TB"};
	static const double factors[] = {1,
	                                 1,
	                                 1024.0,
	                                 1024.0 * 1024,
	                                 1024.0 * 1024 * 1024,
	                                 1024.0 * 1024 * 1024 * 1024};
	double value;

	if (!config_parse_scaled(text, units, factors, 6,
	                         1024.0 * 1024 * 1024 * 1024 * 1024, &value))
	{
		return false;
	}
	*bytes = (int64_t)value;
	return true;
}

bool
config_parse_count(const char *text, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long value;

	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
	{
		return false;
	}
	*out = value;
	return true;
}

bool
config_set(Config *config, const char *key, const char *value,
           const char *origin)
{
	const ConfigKey *entry = config_keys_find(key);

	if (entry == NULL)
	{
		log_error("%s: unknown setting \"%s\"", origin, key);
		return false;
	}
	if (!config_keys_set(config, entry, value, origin))
	{
		/* error already logged */
		return false;
	}
	/* config_finish names this line if the bounds cross */
	if (entry->is_bound)
	{
		snprintf(config->bounds_origin, sizeof(config->bounds_origin), "%s",
		         origin);
	}
	return true;
}

/* Split "schema.table.column" into its three identifiers. */
static bool
config_parse_qualified(const char *text, int parts, char out[][CONFIG_NAME_MAX])
{
	const char *p = text;

	for (int i = 0; i < parts; i++)
	{
		const char *dot = (i < parts - 1) ? strchr(p, '.') : p + strlen(p);
		size_t len;

		if (dot == NULL)
		{
			return false;
		}
		len = (size_t)(dot - p);
		if (len >= CONFIG_NAME_MAX)
		{
			return false;
		}
		memcpy(out[i], p, len);
		out[i][len] = '\0';
		if (!config_identifier_is_valid(out[i]))
		{
			return false;
		}
		p = dot + 1;
	}
	return true;
}

static int
config_find_lookup(const Config *config, const char *name)
{
	for (int i = 0; i < config->nlookups; i++)
	{
		if (strcmp(config->lookups[i].name, name) == 0)
		{
			return i;
		}
	}
	return -1;
}

/* "SCHEMA.TABLE.COLUMN [-> LOOKUP]" */
static bool
config_parse_rule(Config *config, ConfigRule *rules, int *nrules, char *value,
                  const char *origin)
{
	char names[3][CONFIG_NAME_MAX];
	char *arrow = strstr(value, "->");
	ConfigRule *rule;

	if (*nrules >= CONFIG_RULES_MAX)
	{
		log_error("%s: more than %d dirty rules", origin, CONFIG_RULES_MAX);
		return false;
	}
	rule = &rules[*nrules];
	rule->lookup = -1;
	rule->is_monotone = false;
	if (arrow != NULL)
	{
		char *name = arrow + 2;
		char *end = arrow;

		while (*name == ' ' || *name == '\t')
		{
			name++;
		}
		while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		{
			end--;
		}
		*end = '\0';
		rule->lookup = config_find_lookup(config, name);
		if (rule->lookup < 0)
		{
			log_error("%s: unknown lookup \"%s\" (define [lookup %s] before "
			          "the processors that use it)",
			          origin, name, name);
			return false;
		}
	}
	if (!config_parse_qualified(value, 3, names))
	{
		log_error("%s: invalid dirty rule \"%s\": expected "
		          "SCHEMA.TABLE.COLUMN [-> LOOKUP]",
		          origin, value);
		return false;
	}
	memcpy(rule->schema, names[0], CONFIG_NAME_MAX);
	memcpy(rule->table, names[1], CONFIG_NAME_MAX);
	memcpy(rule->column, names[2], CONFIG_NAME_MAX);
	(*nrules)++;
	return true;
}

/*
 * The settings a group has, in a [group] section or in the section of a
 * processor that is a group of its own. *found tells whether key was one.
 */
static bool
config_set_batching(Config *config, int64_t *window_ms, int *batch_size,
                    ConfigRule *rules, int *nrules, const char *key,
                    char *value, const char *origin, bool *found)
{
	int64_t n;

	*found = true;
	if (strcmp(key, "window") == 0)
	{
		if (!config_parse_duration_ms(value, window_ms))
		{
			log_error("%s: invalid window \"%s\" (a duration: 20ms, 1s)",
			          origin, value);
			return false;
		}
		return true;
	}
	if (strcmp(key, "batch_size") == 0)
	{
		if (!config_parse_count(value, 1, 1000000, &n))
		{
			log_error("%s: batch_size must be 1 to 1000000, not \"%s\"", origin,
			          value);
			return false;
		}
		*batch_size = (int)n;
		return true;
	}
	if (strcmp(key, "dirty") == 0 || strcmp(key, "dirty_monotone") == 0)
	{
		if (!config_parse_rule(config, rules, nrules, value, origin))
		{
			return false;
		}
		rules[*nrules - 1].is_monotone = strcmp(key, "dirty_monotone") == 0;
		return true;
	}
	*found = false;
	return false;
}

static bool
config_set_group(Config *config, ConfigGroup *g, const char *key, char *value,
                 const char *origin)
{
	bool found;
	bool ok =
	    config_set_batching(config, &g->window_ms, &g->batch_size, g->rules,
	                        &g->nrules, key, value, origin, &found);

	if (found)
	{
		return ok;
	}
	if (strcmp(key, "saturated") == 0 || strcmp(key, "saturated_seed") == 0)
	{
		bool is_seed = strcmp(key, "saturated_seed") == 0;
		const char *sql = embedded_find(embedded_sql, value);

		if (sql == NULL)
		{
			log_error("%s: group \"%s\": no built-in statement \"%s\" for "
			          "\"%s\"",
			          origin, g->name, value, key);
			return false;
		}
		snprintf(is_seed ? g->saturated_seed_name : g->saturated_name,
		         CONFIG_NAME_MAX, "%s", value);
		*(is_seed ? &g->saturated_seed_sql : &g->saturated_sql) = sql;
		return true;
	}
	if (strcmp(key, "prelude") == 0)
	{
		g->prelude_sql = embedded_find(embedded_sql, value);
		if (g->prelude_sql == NULL)
		{
			log_error("%s: group \"%s\": no built-in statement \"%s\" for "
			          "\"prelude\"",
			          origin, g->name, value);
			return false;
		}
		snprintf(g->prelude_name, CONFIG_NAME_MAX, "%s", value);
		return true;
	}
	if (strcmp(key, "rescan_keys") == 0)
	{
		/* "none" here is distinct from "not set" (the [reckon] default) */
		g->has_rescan_keys = true;
		return config_keys_set_rescan_keys(g->rescan_keys_name,
		                                   &g->rescan_keys_sql, value, origin);
	}
	log_error("%s: unknown group setting \"%s\"", origin, key);
	return false;
}

static bool
config_set_processor(Config *config, ConfigProcessor *p, const char *key,
                     char *value, const char *origin)
{
	if (strcmp(key, "challenge") == 0)
	{
		snprintf(p->challenge_id, sizeof(p->challenge_id), "%s", value);
		return true;
	}
	if (strcmp(key, "sql") == 0)
	{
		snprintf(p->sql_name, sizeof(p->sql_name), "%s", value);
		return true;
	}
	if (strcmp(key, "read_sql") == 0)
	{
		snprintf(p->read_sql_name, sizeof(p->read_sql_name), "%s", value);
		return true;
	}
	if (strcmp(key, "group") == 0)
	{
		if (!config_identifier_is_valid(value))
		{
			log_error("%s: invalid group name \"%s\"", origin, value);
			return false;
		}
		snprintf(p->group_name, sizeof(p->group_name), "%s", value);
		return true;
	}
	if (strcmp(key, "create_min") == 0)
	{
		if (!config_parse_count(value, 0, INT64_MAX / 2, &p->create_min))
		{
			log_error("%s: create_min must be a non-negative integer, "
			          "not \"%s\"",
			          origin, value);
			return false;
		}
		return true;
	}
	bool found;
	bool ok =
	    config_set_batching(config, &p->window_ms, &p->batch_size, p->rules,
	                        &p->nrules, key, value, origin, &found);

	if (found)
	{
		p->has_batching = true;
		return ok;
	}
	log_error("%s: unknown processor setting \"%s\"", origin, key);
	return false;
}

static bool
config_set_lookup(ConfigLookup *l, const char *key, const char *value,
                  const char *origin)
{
	char *target;

	if (strcmp(key, "table") == 0)
	{
		char names[2][CONFIG_NAME_MAX];

		if (!config_parse_qualified(value, 2, names))
		{
			log_error("%s: invalid table \"%s\": expected SCHEMA.TABLE", origin,
			          value);
			return false;
		}
		memcpy(l->schema, names[0], CONFIG_NAME_MAX);
		memcpy(l->table, names[1], CONFIG_NAME_MAX);
		return true;
	}
	if (strcmp(key, "key") == 0)
	{
		target = l->key_column;
	}
	else if (strcmp(key, "value") == 0)
	{
		target = l->value_column;
	}
	else
	{
		log_error("%s: unknown lookup setting \"%s\"", origin, key);
		return false;
	}
	if (!config_identifier_is_valid(value))
	{
		log_error("%s: invalid column name \"%s\"", origin, value);
		return false;
	}
	snprintf(target, CONFIG_NAME_MAX, "%s", value);
	return true;
}

static char *
config_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
	{
		s++;
	}
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
	                   end[-1] == '\n'))
	{
		*--end = '\0';
	}
	return s;
}

typedef enum SectionKind
{
	SECTION_NONE,
	SECTION_RECKON,
	SECTION_LOOKUP,
	SECTION_GROUP,
	SECTION_PROCESSOR
} SectionKind;

typedef struct ConfigParser
{
	Config *config;
	SectionKind section;
	int index;
	char origin[CONFIG_ORIGIN_MAX];
} ConfigParser;

/* [lookup NAME]: a new map, named once */
static bool
config_begin_lookup(ConfigParser *cp, const char *name)
{
	Config *config = cp->config;

	if (config_find_lookup(config, name) >= 0 ||
	    config->nlookups >= CONFIG_LOOKUPS_MAX)
	{
		log_error("%s: lookup \"%s\" is defined twice or there are more "
		          "than %d lookups",
		          cp->origin, name, CONFIG_LOOKUPS_MAX);
		return false;
	}
	cp->section = SECTION_LOOKUP;
	cp->index = config->nlookups++;
	snprintf(config->lookups[cp->index].name, CONFIG_NAME_MAX, "%s", name);
	snprintf(config->lookups[cp->index].origin, CONFIG_ORIGIN_MAX, "%s",
	         cp->origin);
	return true;
}

/* [group NAME]: a new group, with the defaults of its batching */
static bool
config_begin_group(ConfigParser *cp, const char *name)
{
	Config *config = cp->config;

	for (int i = 0; i < config->ngroups; i++)
	{
		if (strcmp(config->groups[i].name, name) == 0)
		{
			log_error("%s: group \"%s\" is defined twice", cp->origin, name);
			return false;
		}
	}
	if (config->ngroups >= CONFIG_PROCESSORS_MAX)
	{
		log_error("%s: more than %d groups", cp->origin, CONFIG_PROCESSORS_MAX);
		return false;
	}
	cp->section = SECTION_GROUP;
	cp->index = config->ngroups++;
	ConfigGroup *g = &config->groups[cp->index];
	snprintf(g->name, CONFIG_NAME_MAX, "%s", name);
	snprintf(g->origin, sizeof(g->origin), "%s", cp->origin);
	g->window_ms = 20;
	g->batch_size = 1000;
	return true;
}

/* [processor ID]: a new processor, its challenge its id until it says */
static bool
config_begin_processor(ConfigParser *cp, const char *name)
{
	Config *config = cp->config;

	for (int i = 0; i < config->nprocessors; i++)
	{
		if (strcmp(config->processors[i].id, name) == 0)
		{
			log_error("%s: processor \"%s\" is defined twice", cp->origin,
			          name);
			return false;
		}
	}
	if (config->nprocessors >= CONFIG_PROCESSORS_MAX)
	{
		log_error("%s: more than %d processors", cp->origin,
		          CONFIG_PROCESSORS_MAX);
		return false;
	}
	cp->section = SECTION_PROCESSOR;
	cp->index = config->nprocessors++;
	ConfigProcessor *p = &config->processors[cp->index];
	snprintf(p->id, CONFIG_NAME_MAX, "%s", name);
	snprintf(p->origin, sizeof(p->origin), "%s", cp->origin);
	snprintf(p->challenge_id, CONFIG_NAME_MAX, "%s", name);
	p->window_ms = 20;
	p->batch_size = 1000;
	p->create_min = 1;
	return true;
}

static bool
config_begin_section(ConfigParser *cp, char *header)
{
	char *name = strchr(header, ' ');

	if (name != NULL)
	{
		*name++ = '\0';
		name = config_trim(name);
	}
	if (strcmp(header, "reckon") == 0 && name == NULL)
	{
		cp->section = SECTION_RECKON;
		return true;
	}
	if (name == NULL || !config_identifier_is_valid(name))
	{
		log_error("%s: invalid section header: expected [reckon], "
		          "[lookup NAME], [group NAME] or [processor ID]",
		          cp->origin);
		return false;
	}
	if (strcmp(header, "lookup") == 0)
	{
		return config_begin_lookup(cp, name);
	}
	if (strcmp(header, "group") == 0)
	{
		return config_begin_group(cp, name);
	}
	if (strcmp(header, "processor") == 0)
	{
		return config_begin_processor(cp, name);
	}
	log_error("%s: unknown section \"[%s]\"", cp->origin, header);
	return false;
}

static bool
config_parse_line(ConfigParser *cp, char *line)
{
	char *s = config_trim(line);
	char *eq;
	char *key;
	char *value;

	if (*s == '\0' || *s == '#' || *s == ';')
	{
		return true;
	}
	if (*s == '[')
	{
		char *close = strchr(s, ']');

		if (close == NULL || config_trim(close + 1)[0] != '\0')
		{
			log_error("%s: unterminated section header", cp->origin);
			return false;
		}
		*close = '\0';
		return config_begin_section(cp, config_trim(s + 1));
	}
	eq = strchr(s, '=');
	if (eq == NULL)
	{
		log_error("%s: expected \"key = value\"", cp->origin);
		return false;
	}
	*eq = '\0';
	key = config_trim(s);
	value = config_trim(eq + 1);
	/* metrics_addr = "", as --help writes an empty value: no quoting
	 * otherwise, so that a dsn's own quotes reach libpq untouched */
	if (strcmp(value, "\"\"") == 0)
	{
		value[0] = '\0';
	}
	switch (cp->section)
	{
		case SECTION_RECKON:
			return config_set(cp->config, key, value, cp->origin);
		case SECTION_LOOKUP:
			return config_set_lookup(&cp->config->lookups[cp->index], key,
			                         value, cp->origin);
		case SECTION_GROUP:
			return config_set_group(cp->config, &cp->config->groups[cp->index],
			                        key, value, cp->origin);
		case SECTION_PROCESSOR:
			return config_set_processor(cp->config,
			                            &cp->config->processors[cp->index], key,
			                            value, cp->origin);
		case SECTION_NONE:
			break;
	}
	log_error("%s: setting \"%s\" outside of a section", cp->origin, key);
	return false;
}

static bool
config_parse_text(Config *config, const char *name, const char *text,
                  size_t text_len)
{
	ConfigParser cp = {.config = config, .section = SECTION_NONE};
	const char *p = text;
	const char *end = text + text_len;
	int lineno = 0;

	while (p < end)
	{
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[4096];

		lineno++;
		snprintf(cp.origin, sizeof(cp.origin), "%s:%d", name, lineno);
		if (len >= sizeof(line))
		{
			log_error("%s: line longer than %zu bytes", cp.origin,
			          sizeof(line) - 1);
			return false;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (!config_parse_line(&cp, line))
		{
			/* error already logged */
			return false;
		}
		p = nl ? nl + 1 : end;
	}
	return true;
}

char *
config_read_file(const char *path, size_t max_bytes)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t len;

	if (f == NULL)
	{
		log_error("could not open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(max_bytes + 1);
	if (buf == NULL)
	{
		fclose(f);
		log_error("out of memory reading \"%s\"", path);
		return NULL;
	}
	len = fread(buf, 1, max_bytes + 1, f);
	if (ferror(f) || len > max_bytes)
	{
		log_error("could not read \"%s\": %s", path,
		          ferror(f) ? strerror(errno) : "file too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len)
	{
		log_error("\"%s\" contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * config_load_buffer exists so that the parser can be fed from memory (the
 * fuzz target tests/fuzz/fuzz_config.c) through the very path a file takes:
 * config_load_file reads the file, then calls it.
 */
bool
config_load_buffer(Config *config, const char *name, const char *text,
                   size_t len)
{
	ASSERT(name != NULL);
	ASSERT(text != NULL);

	snprintf(config->source, sizeof(config->source), "%s", name);
	/* config_read_file refuses the same for a file: lines are C strings */
	if (memchr(text, '\0', len) != NULL)
	{
		log_error("\"%s\" contains a NUL byte", name);
		return false;
	}
	return config_parse_text(config, name, text, len);
}

bool
config_load_file(Config *config, const char *path)
{
	bool ok;
	char *text;

	if (path == NULL)
	{
		const char *embedded = embedded_find(embedded_config, "reckon");

		return config_load_buffer(config, "(embedded default)", embedded,
		                          strlen(embedded));
	}
	text = config_read_file(path, 1024 * 1024);
	if (text == NULL)
	{
		return false;
	}
	ok = config_load_buffer(config, path, text, strlen(text));
	free(text);
	return ok;
}
