/*
 * config_reload.c: whether a configuration read on SIGHUP may replace the
 * running one (config_reload_check): the settings the stream, the slot
 * and the connections were built from need a restart, and say so; the
 * catalogue (groups, processors, their statements) may change. Pure: it
 * compares two Configs and touches nothing.
 */
#include "config_reload.h"

#include <stdio.h>
#include <string.h>

#include "config_keys.h"

static bool
config_has_table(const Config *config, const char *name)
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

static bool
config_rules_equal(const ConfigGroup *a, const ConfigGroup *b)
{
	if (a->nrules != b->nrules)
	{
		return false;
	}
	for (int r = 0; r < a->nrules; r++)
	{
		const ConfigRule *x = &a->rules[r];
		const ConfigRule *y = &b->rules[r];

		if (strcmp(x->schema, y->schema) || strcmp(x->table, y->table) ||
		    strcmp(x->column, y->column) || x->lookup != y->lookup ||
		    x->is_monotone != y->is_monotone)
		{
			return false;
		}
	}
	return strcmp(a->saturated_name, b->saturated_name) == 0 &&
	       strcmp(a->saturated_seed_name, b->saturated_seed_name) == 0;
}

static bool
config_lookups_equal(const Config *a, const Config *b)
{
	if (a->nlookups != b->nlookups)
	{
		return false;
	}
	for (int i = 0; i < a->nlookups; i++)
	{
		const ConfigLookup *x = &a->lookups[i];
		const ConfigLookup *y = &b->lookups[i];

		if (strcmp(x->name, y->name) || strcmp(x->schema, y->schema) ||
		    strcmp(x->table, y->table) ||
		    strcmp(x->key_column, y->key_column) ||
		    strcmp(x->value_column, y->value_column))
		{
			return false;
		}
	}
	return true;
}

/*
 * The [reckon] keys only a restart applies (the table's restart), named
 * with the keys that share what the restart re-creates: "slot or
 * create_slot". Empty when none changed.
 */
static void
config_restart_keys(const Config *old, const Config *new, char *out,
                    size_t size)
{
	const char *restart = NULL;
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < config_keys_count && restart == NULL; i++)
	{
		if (config_keys[i].restart != NULL &&
		    !config_keys_equal(&config_keys[i], old, new))
		{
			restart = config_keys[i].restart;
		}
	}
	for (size_t i = 0; i < config_keys_count && restart != NULL; i++)
	{
		if (config_keys[i].restart != NULL &&
		    strcmp(config_keys[i].restart, restart) == 0 && used < size)
		{
			used +=
			    (size_t)snprintf(out + used, size - used, "%s%s",
			                     used > 0 ? " or " : "", config_keys[i].name);
		}
	}
}

bool
config_reload_check(const Config *old, const Config *new, char *why,
                    size_t size)
{
	char keys[256];

	config_restart_keys(old, new, keys, sizeof(keys));
	if (keys[0] == '\0' && !config_lookups_equal(old, new))
	{
		snprintf(keys, sizeof(keys), "the [lookup] sections");
	}
	if (keys[0] != '\0')
	{
		snprintf(why, size, "%s changed, which only a restart applies", keys);
		return false;
	}
	/* the server filters by the table list given at START_REPLICATION */
	for (int i = 0; i < new->ntables; i++)
	{
		if (!config_has_table(old, new->tables[i]))
		{
			snprintf(why, size,
			         "table %s is not streamed yet, which only a restart "
			         "applies",
			         new->tables[i]);
			return false;
		}
	}
	for (int i = 0; i < new->ngroups; i++)
	{
		for (int j = 0; j < old->ngroups; j++)
		{
			if (strcmp(new->groups[i].name, old->groups[j].name) == 0 &&
			    !config_rules_equal(&new->groups[i], &old->groups[j]))
			{
				/* keys dirtied by the old rules are not yet acknowledged:
				 * a restart streams their changes again under the new */
				snprintf(why, size,
				         "the dirty or saturated rules of group \"%s\" "
				         "changed, which only a restart applies",
				         new->groups[i].name);
				return false;
			}
		}
	}
	return true;
}
