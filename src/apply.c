/*
 * apply.c: decoded changes -> dirty keys, lookups and received position
 * (see apply.h). Runs once per wal2json message, so it does no allocation
 * in steady state beyond new dirty entries, and no I/O.
 */
#include "apply.h"

#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "apply"
#include "log.h"

typedef struct ApplyRoute
{
	int group;              /* index into groups */
	const ConfigRule *rule; /* borrowed from the config */
} ApplyRoute;

struct ApplyTable
{
	const char *schema; /* borrowed */
	const char *table;  /* borrowed */
	int nroutes;
	ApplyRoute routes[CONFIG_PROCESSORS_MAX * CONFIG_RULES_MAX];
	int nlookups;
	int lookups[CONFIG_LOOKUPS_MAX];
	int64_t counts[METRICS_ACTIONS]; /* row messages received, by action */
};

static ApplyTable *
apply_table_for(Apply *apply, const char *schema, const char *table)
{
	for (int i = 0; i < apply->config->ntables; i++)
	{
		ApplyTable *t = &apply->tables[i];

		if (t->schema == NULL)
		{
			t->schema = schema;
			t->table = table;
			return t;
		}
		if (strcmp(t->schema, schema) == 0 && strcmp(t->table, table) == 0)
		{
			return t;
		}
	}
	ASSERT(!"config_finish lists every table a rule or lookup reads");
	return NULL;
}

/*
 * The routing of config: one ApplyTable per table a rule or lookup reads,
 * in a new array (the caller frees the old one). NULL on OOM.
 */
static ApplyTable *
apply_route(Apply *apply, const Config *config)
{
	ApplyTable *old = apply->tables;
	const Config *old_config = apply->config;
	ApplyTable *tables = calloc((size_t)config->ntables, sizeof(ApplyTable));

	if (tables == NULL)
	{
		return NULL;
	}
	apply->tables = tables;
	apply->config = config;
	/* the daemon's groups are config's, in the same order */
	for (int g = 0; g < config->ngroups; g++)
	{
		for (int r = 0; r < config->groups[g].nrules; r++)
		{
			const ConfigRule *rule = &config->groups[g].rules[r];
			ApplyTable *t = apply_table_for(apply, rule->schema, rule->table);

			t->routes[t->nroutes++] = (ApplyRoute){.group = g, .rule = rule};
		}
	}
	for (int l = 0; l < config->nlookups; l++)
	{
		const ConfigLookup *lk = &config->lookups[l];
		ApplyTable *t = apply_table_for(apply, lk->schema, lk->table);

		t->lookups[t->nlookups++] = l;
	}
	/* a reload: the counters follow their table */
	for (int i = 0; old != NULL && i < old_config->ntables; i++)
	{
		for (int j = 0; old[i].schema != NULL && j < config->ntables; j++)
		{
			if (tables[j].schema != NULL &&
			    strcmp(tables[j].schema, old[i].schema) == 0 &&
			    strcmp(tables[j].table, old[i].table) == 0)
			{
				memcpy(tables[j].counts, old[i].counts, sizeof(old[i].counts));
			}
		}
	}
	return tables;
}

bool
apply_init(Apply *apply, const Config *config, Group *groups, int ngroups,
           Ack *ack)
{
	memset(apply, 0, sizeof(*apply));
	apply->groups = groups;
	apply->ngroups = ngroups;
	apply->decoder = decode_create(config->columns_max);
	ASSERT(ngroups == config->ngroups);
	if (apply->decoder == NULL || apply_route(apply, config) == NULL)
	{
		log_error("out of memory setting up the change router");
		apply->config = config;
		apply_free(apply);
		return false;
	}
	for (int l = 0; l < config->nlookups; l++)
	{
		lookup_init(&apply->lookups[l]);
	}
	apply->ack = ack;
	return true;
}

void
apply_reconfigure(Apply *apply, const Config *config)
{
	ApplyTable *old = apply->tables;

	ASSERT(config->nlookups == apply->config->nlookups);
	if (apply_route(apply, config) == NULL)
	{
		common_out_of_memory("routing the reloaded configuration");
	}
	free(old);
	apply->ngroups = config->ngroups;
}

bool
apply_table_counts(const Apply *apply, int index, const char **schema,
                   const char **table, const int64_t **counts)
{
	if (apply->config == NULL || index < 0 || index >= apply->config->ntables ||
	    apply->tables[index].schema == NULL)
	{
		return false;
	}
	*schema = apply->tables[index].schema;
	*table = apply->tables[index].table;
	*counts = apply->tables[index].counts;
	return true;
}

void
apply_free(Apply *apply)
{
	if (apply->config != NULL)
	{
		for (int l = 0; l < apply->config->nlookups; l++)
		{
			lookup_clear(&apply->lookups[l]);
		}
	}
	free(apply->tables);
	apply->tables = NULL;
	decode_destroy(apply->decoder);
	apply->decoder = NULL;
	free(apply->pending_xids);
	apply->pending_xids = NULL;
}

static ApplyTable *
apply_find_table(const Apply *apply, DecodeSpan schema, DecodeSpan table)
{
	for (int i = 0; i < apply->config->ntables; i++)
	{
		ApplyTable *t = &apply->tables[i];

		if (t->schema != NULL && decode_span_equals(table, t->table) &&
		    decode_span_equals(schema, t->schema))
		{
			return t;
		}
	}
	return NULL;
}

static void
apply_pending_push(Apply *apply, uint32_t xid)
{
	if (apply->npending == apply->pending_capacity)
	{
		size_t cap =
		    apply->pending_capacity ? apply->pending_capacity * 2 : 1024;
		uint32_t *xids = realloc(apply->pending_xids, cap * sizeof(uint32_t));

		if (xids == NULL)
		{
			common_out_of_memory("pending transaction ids");
		}
		apply->pending_xids = xids;
		apply->pending_capacity = cap;
	}
	apply->pending_xids[apply->npending++] = xid;
}

void
apply_pending_consume(Apply *apply, size_t n)
{
	ASSERT(n <= apply->npending);
	memmove(apply->pending_xids, apply->pending_xids + n,
	        (apply->npending - n) * sizeof(uint32_t));
	apply->npending -= n;
}

/*
 * Read the int64 in column name of a row; *found false when SQL NULL.
 * group (a dirty rule's) or lookup names who needs the column, for the
 * error when it is missing.
 */
static bool
apply_column_value(const DecodeColumn *cols, int ncols, const char *name,
                   const DecodeEvent *ev, const ConfigGroup *group,
                   const ConfigLookup *lookup, bool *found, int64_t *value)
{
	const DecodeColumn *col = decode_find_column(cols, ncols, name);

	*found = false;
	if (col == NULL && cols == ev->identity)
	{
		/*
		 * The old row holds only the replica identity's columns (the
		 * primary key under REPLICA IDENTITY DEFAULT): nothing to dirty.
		 */
		return true;
	}
	if (col == NULL)
	{
		log_error("a %c message of %.*s.%.*s has no column \"%s\": was it "
		          "dropped or renamed? %s \"%s\" (%s) needs it; reckon "
		          "stops here without acknowledging this change: restore "
		          "the column, or change the configuration and restart",
		          ev->action, (int)ev->schema.len, ev->schema.ptr,
		          (int)ev->table.len, ev->table.ptr, name,
		          group ? "the dirty rule of group" : "lookup",
		          group ? group->name : lookup->name,
		          group ? group->origin : lookup->origin);
		return false;
	}
	if (col->kind == DECODE_VALUE_NULL)
	{
		return true;
	}
	if (!decode_column_int64(col, value))
	{
		log_error("column \"%s\" of %.*s.%.*s holds \"%.*s\", not a bigint",
		          name, (int)ev->schema.len, ev->schema.ptr, (int)ev->table.len,
		          ev->table.ptr, (int)col->raw.len, col->raw.ptr);
		return false;
	}
	*found = true;
	return true;
}

static bool
apply_rules(Apply *apply, const ApplyTable *t, const DecodeEvent *ev,
            const DecodeColumn *cols, int ncols, int64_t now_us)
{
	for (int i = 0; i < t->nroutes; i++)
	{
		const ApplyRoute *route = &t->routes[i];
		int64_t key;
		bool found;

		if (!apply_column_value(cols, ncols, route->rule->column, ev,
		                        apply->groups[route->group].config, NULL,
		                        &found, &key))
		{
			return false;
		}
		if (!found)
		{
			continue;
		}
		/* an unknown track dirties nobody: its insert will, later */
		if (route->rule->lookup >= 0 &&
		    !lookup_get(&apply->lookups[route->rule->lookup], key, &key))
		{
			continue;
		}
		/* nothing to recompute: the key's rows are already final */
		if (route->rule->is_monotone && ev->action == DECODE_ACTION_INSERT &&
		    sched_is_saturated(&apply->groups[route->group], key))
		{
			apply->groups[route->group].saturated_skips++;
			continue;
		}
		dirty_set_add(&apply->groups[route->group].dirty, key,
		              ack_received(apply->ack), now_us, apply->commit_us,
		              apply->commit_lsn);
		if (!apply->txn_dirtied && apply->has_xid)
		{
			apply->txn_dirtied = true;
			apply_pending_push(apply, apply->xid);
		}
	}
	return true;
}

static bool
apply_lookups(Apply *apply, const ApplyTable *t, const DecodeEvent *ev)
{
	for (int i = 0; i < t->nlookups; i++)
	{
		const ConfigLookup *cl = &apply->config->lookups[t->lookups[i]];
		Lookup *lookup = &apply->lookups[t->lookups[i]];
		int64_t old_key = 0;
		int64_t key = 0;
		int64_t value = 0;
		bool has_old = false;
		bool has_key = false;
		bool has_value = false;

		if (ev->nidentity > 0 &&
		    !apply_column_value(ev->identity, ev->nidentity, cl->key_column, ev,
		                        NULL, cl, &has_old, &old_key))
		{
			return false;
		}
		if (ev->action != DECODE_ACTION_DELETE &&
		    (!apply_column_value(ev->columns, ev->ncolumns, cl->key_column, ev,
		                         NULL, cl, &has_key, &key) ||
		     !apply_column_value(ev->columns, ev->ncolumns, cl->value_column,
		                         ev, NULL, cl, &has_value, &value)))
		{
			return false;
		}
		if (has_old && (!has_key || old_key != key))
		{
			lookup_delete(lookup, old_key);
		}
		if (has_key && has_value)
		{
			lookup_set(lookup, key, value);
		}
		else if (has_key)
		{
			lookup_delete(lookup, key);
		}
	}
	return true;
}

/*
 * A TRUNCATE names no rows: every group whose rules read the table
 * recomputes all its keys (sched_rescan), and the lookups kept from it are
 * emptied, as the table is. Checked for every group first, so a group
 * that cannot rescan stops reckon before any other state changes.
 */
static bool
apply_truncate(Apply *apply, const ApplyTable *t, int64_t now_us)
{
	for (int i = 0; i < t->nroutes; i++)
	{
		const Group *g = &apply->groups[t->routes[i].group];

		if (g->config->rescan_keys_sql == NULL)
		{
			log_error("TRUNCATE of %s.%s: group \"%s\" (%s) reads it but has "
			          "no \"rescan_keys\" statement to list the keys to "
			          "recompute, so reckon stops here without acknowledging "
			          "it; set rescan_keys in [reckon] or the group's section",
			          t->schema, t->table, g->config->name, g->config->origin);
			return false;
		}
	}
	for (int i = 0; i < t->nroutes; i++)
	{
		Group *g = &apply->groups[t->routes[i].group];

		if (!g->rescan)
		{
			log_info("TRUNCATE of %s.%s: group \"%s\" recomputes every key "
			         "that \"%s\" lists",
			         t->schema, t->table, g->config->name,
			         g->config->rescan_keys_name);
		}
		sched_rescan(g, ack_received(apply->ack), now_us, apply->commit_us);
	}
	for (int i = 0; i < t->nlookups; i++)
	{
		lookup_clear(&apply->lookups[t->lookups[i]]);
	}
	/* the recompute must see this transaction before it acknowledges it */
	if (t->nroutes > 0 && !apply->txn_dirtied && apply->has_xid)
	{
		apply->txn_dirtied = true;
		apply_pending_push(apply, apply->xid);
	}
	return true;
}

static MetricsAction
apply_metrics_action(DecodeAction action)
{
	switch (action)
	{
		case DECODE_ACTION_INSERT:
			return METRICS_ACTION_INSERT;
		case DECODE_ACTION_UPDATE:
			return METRICS_ACTION_UPDATE;
		case DECODE_ACTION_DELETE:
			return METRICS_ACTION_DELETE;
		default:
			return METRICS_ACTION_TRUNCATE;
	}
}

static bool
apply_change(Apply *apply, const DecodeEvent *ev)
{
	ApplyTable *t = apply_find_table(apply, ev->schema, ev->table);
	int64_t now_us = common_monotonic_us();

	apply->stats.changes++;
	if (t == NULL)
	{
		/* add-tables filters on the server; anything else is not ours */
		return true;
	}
	t->counts[apply_metrics_action(ev->action)]++;
	if (ev->action == DECODE_ACTION_TRUNCATE)
	{
		return apply_truncate(apply, t, now_us);
	}
	if (ev->ncolumns > 0 &&
	    !apply_rules(apply, t, ev, ev->columns, ev->ncolumns, now_us))
	{
		return false;
	}
	if (ev->nidentity > 0 &&
	    !apply_rules(apply, t, ev, ev->identity, ev->nidentity, now_us))
	{
		return false;
	}
	return apply_lookups(apply, t, ev);
}

/*
 * A logical message (pg_logical_emit_message). A non-transactional one
 * comes on its own, outside any B..C, once its record is decoded: every
 * commit before that record has been sent already, so like a keepalive's
 * WAL end it is a position we may confirm when nothing is pending.
 */
static void
apply_logical_message(Apply *apply, Lsn lsn, const DecodeEvent *ev)
{
	int64_t sent_us;

	if (!ack_in_transaction(apply->ack))
	{
		ack_keepalive(apply->ack, lsn);
	}
	if (!decode_span_equals(ev->prefix, APPLY_HEARTBEAT_PREFIX))
	{
		return;
	}
	if (!decode_span_int64(ev->content, &sent_us))
	{
		log_warn("heartbeat at %X/%X: content \"%.*s\" is not a time in "
		         "microseconds, ignored",
		         LSN_FORMAT_ARGS(lsn),
		         ev->content.len > 64 ? 64 : (int)ev->content.len,
		         ev->content.ptr);
		return;
	}
	apply->stats.has_heartbeat = true;
	apply->stats.heartbeat_latency_us = common_now_us() - sent_us;
	log_info("heartbeat: stream latency %.1f ms",
	         (double)apply->stats.heartbeat_latency_us / 1000.0);
}

bool
apply_message(Apply *apply, Lsn lsn, const char *data, size_t len)
{
	DecodeEvent ev;
	char err[256];

	apply->stats.messages++;
	if (!decode_line(apply->decoder, data, len, &ev, err, sizeof(err)))
	{
		log_error("message at %X/%X: %s: %.*s", LSN_FORMAT_ARGS(lsn), err,
		          len > 200 ? 200 : (int)len, data);
		return false;
	}
	switch (ev.action)
	{
		case DECODE_ACTION_BEGIN:
			ack_begin(apply->ack);
			apply->has_xid = ev.has_xid;
			apply->xid = ev.xid;
			apply->commit_us = ev.has_timestamp ? ev.timestamp_us : 0;
			apply->commit_lsn =
			    ev.has_commit_end_lsn ? ev.commit_end_lsn : LSN_INVALID;
			apply->txn_dirtied = false;
			return true;
		case DECODE_ACTION_COMMIT:
			ack_commit(apply->ack, lsn);
			apply->stats.transactions++;
			if (ev.has_timestamp)
			{
				apply->stats.last_commit_us = ev.timestamp_us;
			}
			apply->txn_dirtied = false;
			return true;
		case DECODE_ACTION_MESSAGE:
			apply_logical_message(apply, lsn, &ev);
			return true;
		case DECODE_ACTION_INSERT:
		case DECODE_ACTION_UPDATE:
		case DECODE_ACTION_DELETE:
		case DECODE_ACTION_TRUNCATE:
			break;
	}
	if (!ack_in_transaction(apply->ack))
	{
		log_error("message at %X/%X: a %c change outside a transaction",
		          LSN_FORMAT_ARGS(lsn), ev.action);
		return false;
	}
	if (!apply->has_xid)
	{
		log_error("message at %X/%X: the transaction has no \"xid\" "
		          "(include-xids is required)",
		          LSN_FORMAT_ARGS(lsn));
		return false;
	}
	return apply_change(apply, &ev);
}

void
apply_keepalive(Apply *apply, Lsn wal_end)
{
	ack_keepalive(apply->ack, wal_end);
}

void
apply_stream_restarted(Apply *apply)
{
	ack_restart(apply->ack);
	apply->txn_dirtied = false;
}

const uint32_t *
apply_pending(const Apply *apply, size_t *n)
{
	*n = apply->npending;
	return apply->pending_xids;
}

const ApplyStats *
apply_stats(const Apply *apply)
{
	return &apply->stats;
}

void
apply_lookup_reserve(Apply *apply, int index, size_t n)
{
	ASSERT(index >= 0 && index < apply->config->nlookups);
	lookup_reserve(&apply->lookups[index], n);
}

void
apply_lookup_set(Apply *apply, int index, int64_t key, int64_t value)
{
	ASSERT(index >= 0 && index < apply->config->nlookups);
	lookup_set(&apply->lookups[index], key, value);
}
