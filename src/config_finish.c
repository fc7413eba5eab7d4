/*
 * config_finish.c: the checks across the sections of a configuration once
 * every line is read (config_finish): each processor joins its group (or
 * is a group of one), its statements are composed from its rule and the
 * write policy the rule names (rule.h), each group has dirty rules, the
 * tables the stream must carry are listed. Runs once before the pipeline
 * starts, and again on SIGHUP before anything running is touched; an error
 * names the section and is a usage error (exit 2) for main().
 */
#include "config_finish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "config"
#include "embedded.h"
#include "log.h"
#include "rule.h"

static bool
config_add_table(Config *config, const char *schema, const char *table)
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
	if (config->ntables >= CONFIG_TABLES_MAX)
	{
		log_error("the rules read more than %d tables", CONFIG_TABLES_MAX);
		return false;
	}
	memcpy(config->tables[config->ntables++], name, sizeof(name));
	return true;
}

/*
 * Put p in its group: the [group] it names, or a new group of its own made
 * from its window, batch_size and dirty rules.
 */
static bool
config_join_group(Config *config, ConfigProcessor *p)
{
	ConfigGroup *g = NULL;

	if (p->group_name[0] != '\0')
	{
		if (p->has_batching)
		{
			log_error("%s: processor \"%s\" is in group \"%s\": its window, "
			          "batch_size and dirty rules belong to the group",
			          p->origin, p->id, p->group_name);
			return false;
		}
		for (int i = 0; i < config->ngroups && g == NULL; i++)
		{
			if (strcmp(config->groups[i].name, p->group_name) == 0)
			{
				g = &config->groups[i];
			}
		}
		if (g == NULL)
		{
			log_error("%s: processor \"%s\": unknown group \"%s\"", p->origin,
			          p->id, p->group_name);
			return false;
		}
	}
	else
	{
		if (p->nrules == 0)
		{
			log_error("%s: processor \"%s\": no \"dirty\" rule and no "
			          "group: nothing would ever run it",
			          p->origin, p->id);
			return false;
		}
		if (config->ngroups >= CONFIG_PROCESSORS_MAX)
		{
			log_error("%s: more than %d groups", p->origin,
			          CONFIG_PROCESSORS_MAX);
			return false;
		}
		g = &config->groups[config->ngroups++];
		memcpy(g->origin, p->origin, sizeof(g->origin));
		memcpy(g->name, p->id, sizeof(g->name));
		g->window_ms = p->window_ms;
		g->batch_size = p->batch_size;
		g->nrules = p->nrules;
		memcpy(g->rules, p->rules, sizeof(g->rules));
	}
	p->group = (int)(g - config->groups);
	g->members[g->nmembers++] = (int)(p - config->processors);
	return true;
}

/*
 * The processor's statements, composed from its rule (sql = NAME of
 * sql/rules/, or a file path) and the write policy the rule names
 * (sql/policies/): the primary's statement always; with read_sql unset,
 * also the read on a standby and the write of its rows (read_sql = none
 * keeps every read of the processor on the primary). See rule.h.
 */
static bool
config_compose(ConfigProcessor *p, const char *rule)
{
	char policy_name[RULE_POLICY_NAME_MAX];
	char err[256];
	char *policy;
	const char *frame;
	bool has_read = p->read_sql_name[0] == '\0';

	if (!rule_policy_name(rule, policy_name, sizeof(policy_name), err,
	                      sizeof(err)))
	{
		log_error("%s: processor \"%s\": rule \"%s\": %s", p->origin, p->id,
		          p->sql_name, err);
		return false;
	}
	frame = embedded_find(embedded_sql, "rule_frame");
	ASSERT(frame != NULL);
	if (embedded_find(embedded_policies, policy_name) == NULL)
	{
		char known[512];

		embedded_names(embedded_policies, known, sizeof(known));
		log_error("%s: processor \"%s\": rule \"%s\" names the unknown "
		          "write policy \"%s\" (the policies: %s)",
		          p->origin, p->id, p->sql_name, policy_name, known);
		return false;
	}
	snprintf(p->policy_name, sizeof(p->policy_name), "%s", policy_name);
	/* the policy, or the one it extends with it inside (rule.h) */
	policy = rule_policy_text(embedded_policies, policy_name, err, sizeof(err));
	if (policy == NULL)
	{
		log_error("%s: processor \"%s\": rule \"%s\": %s", p->origin, p->id,
		          p->sql_name, err);
		return false;
	}
	p->sql_text = rule_compose(rule, policy, frame, RULE_FORM_PRIMARY,
	                           &p->read_columns, err, sizeof(err));
	if (p->sql_text != NULL && has_read)
	{
		p->read_sql_text = rule_compose(rule, policy, frame, RULE_FORM_READ,
		                                NULL, err, sizeof(err));
		p->apply_sql_text =
		    p->read_sql_text == NULL
		        ? NULL
		        : rule_compose(rule, policy, frame, RULE_FORM_APPLY, NULL, err,
		                       sizeof(err));
	}
	free(policy);
	if (p->sql_text == NULL || (has_read && p->apply_sql_text == NULL))
	{
		log_error("%s: processor \"%s\": rule \"%s\" with policy \"%s\": %s",
		          p->origin, p->id, p->sql_name, policy_name, err);
		return false;
	}
	return true;
}

static bool
config_finish_processor(Config *config, ConfigProcessor *p)
{
	const char *rule;
	bool ok;

	if (p->sql_name[0] == '\0')
	{
		log_error("%s: processor \"%s\": missing \"sql\" (the name of a rule "
		          "in sql/rules/, or a file path)",
		          p->origin, p->id);
		return false;
	}
	if (p->read_sql_name[0] != '\0' && strcmp(p->read_sql_name, "none") != 0)
	{
		log_error("%s: processor \"%s\": read_sql is \"none\" or unset, not "
		          "\"%s\": the read on a standby is composed from the rule",
		          p->origin, p->id, p->read_sql_name);
		return false;
	}
	if (strchr(p->sql_name, '/') != NULL)
	{
		char *text = config_read_file(p->sql_name, 1024 * 1024);

		ok = text != NULL && config_compose(p, text);
		free(text);
	}
	else
	{
		rule = embedded_find(embedded_rules, p->sql_name);
		if (rule == NULL)
		{
			log_error("%s: processor \"%s\": no built-in rule \"%s\" (a file "
			          "path must contain a \"/\")",
			          p->origin, p->id, p->sql_name);
			return false;
		}
		ok = config_compose(p, rule);
	}
	return ok && config_join_group(config, p);
}

/*
 * Each group (explicit, or made for a processor of its own): members and
 * rules, the [reckon] rescan_keys unless it names its own, the statements
 * its dirty_monotone rules need, and the tables it reads.
 */
static bool
config_finish_groups(Config *config)
{
	for (int i = 0; i < config->ngroups; i++)
	{
		ConfigGroup *g = &config->groups[i];

		if (g->nmembers == 0 || g->nrules == 0)
		{
			log_error("%s: group \"%s\" has %s", g->origin, g->name,
			          g->nmembers == 0 ? "no processor" : "no \"dirty\" rule");
			return false;
		}
		if (!g->has_rescan_keys)
		{
			memcpy(g->rescan_keys_name, config->rescan_keys_name,
			       CONFIG_NAME_MAX);
			g->rescan_keys_sql = config->rescan_keys_sql;
		}
		if (g->saturated_seed_sql != NULL && g->saturated_sql == NULL)
		{
			log_error("%s: group \"%s\": saturated_seed needs a \"saturated\" "
			          "statement too",
			          g->origin, g->name);
			return false;
		}
		for (int r = 0; r < g->nrules; r++)
		{
			/* without it nothing ever becomes saturated: say so */
			if (g->rules[r].is_monotone && g->saturated_sql == NULL)
			{
				log_error("%s: group \"%s\": dirty_monotone needs a "
				          "\"saturated\" statement in a [group] section",
				          g->origin, g->name);
				return false;
			}
			if (!config_add_table(config, g->rules[r].schema,
			                      g->rules[r].table))
			{
				return false;
			}
		}
	}
	return true;
}

bool
config_finish(Config *config)
{
	if (config->nprocessors == 0)
	{
		log_error("%s: no processor is configured", config->source);
		return false;
	}
	if (config->reconnect_min_ms > config->reconnect_max_ms ||
	    config->retry_min_ms > config->retry_max_ms)
	{
		/* the line of the last of the four set, the likeliest culprit */
		log_error("%s: reconnect_min/retry_min must not exceed "
		          "reconnect_max/retry_max",
		          config->bounds_origin[0] ? config->bounds_origin
		                                   : config->source);
		return false;
	}
	/* each heartbeat is a statement and a WAL record: not every loop turn
	 * (its setter in config_keys.c refuses a smaller value with its line) */
	ASSERT(config->heartbeat_interval_ms == 0 ||
	       config->heartbeat_interval_ms >= CONFIG_HEARTBEAT_MIN_MS);
	for (int i = 0; i < config->nlookups; i++)
	{
		ConfigLookup *l = &config->lookups[i];

		if (l->table[0] == '\0' || l->key_column[0] == '\0' ||
		    l->value_column[0] == '\0')
		{
			log_error("%s: lookup \"%s\": \"table\", \"key\" and \"value\" are "
			          "all required",
			          l->origin, l->name);
			return false;
		}
		if (!config_add_table(config, l->schema, l->table))
		{
			return false;
		}
	}
	for (int i = 0; i < config->nprocessors; i++)
	{
		if (!config_finish_processor(config, &config->processors[i]))
		{
			/* error already logged */
			return false;
		}
	}
	return config_finish_groups(config);
}
