/*
 * reload.c: the switch to a reloaded configuration (see reload.h).
 *
 * Pipeline: beside sched -> recompute, between two batches. A processor
 * that keeps its id keeps its counters; a group that keeps its name keeps
 * its state. It must never leave a half-switched pipeline: everything that
 * can fail (the load, the check, the statements) is done before anything
 * running changes.
 */
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "daemon"
#include "config_reload.h"
#include "log.h"

/* The reloaded processors, with the counters of those that stay. */
static void
reload_processors(const Pipeline *pipe, const Config *next, Processor *procs)
{
	for (int i = 0; i < next->nprocessors; i++)
	{
		procs[i] = (Processor){.config = &next->processors[i]};
		for (int j = 0; j < pipe->nprocs; j++)
		{
			if (strcmp(pipe->procs[j].config->id, next->processors[i].id) == 0)
			{
				procs[i] = pipe->procs[j];
				procs[i].config = &next->processors[i];
			}
		}
	}
	for (int j = 0; j < pipe->nprocs; j++)
	{
		bool is_kept = false;

		for (int i = 0; i < next->nprocessors; i++)
		{
			is_kept |=
			    strcmp(pipe->procs[j].config->id, next->processors[i].id) == 0;
		}
		if (!is_kept)
		{
			log_info("reload: processor \"%s\" removed",
			         pipe->procs[j].config->id);
		}
	}
}

/* Group from of pipe, kept as c: its state, its new window and size. */
static void
reload_keep_group(const Group *was, const ConfigGroup *c, Group *g)
{
	if (was->config->window_ms != c->window_ms ||
	    was->config->batch_size != c->batch_size)
	{
		log_info("reload: group \"%s\": window %lld -> %lld ms, "
		         "batch_size %d -> %d",
		         c->name, (long long)was->config->window_ms,
		         (long long)c->window_ms, was->config->batch_size,
		         c->batch_size);
	}
	*g = *was;
	g->config = c;
}

/*
 * The reloaded groups: one that keeps its name keeps its state (dirty and
 * in-flight keys, failures, saturated keys, a rescan), its rules being the
 * same (config_reload_check); a new one starts empty, from the changes
 * received after the reload; one that is gone drops its keys, which then
 * hold the acknowledged position back no more. pipe->procs are the
 * reloaded processors already.
 */
static void
reload_groups(Pipeline *pipe, const Config *next, Group *groups)
{
	bool is_moved[CONFIG_PROCESSORS_MAX] = {false};

	for (int i = 0; i < next->ngroups; i++)
	{
		const ConfigGroup *c = &next->groups[i];
		int from = -1;

		for (int j = 0; j < pipe->ngroups; j++)
		{
			from =
			    strcmp(pipe->groups[j].config->name, c->name) == 0 ? j : from;
		}
		if (from < 0)
		{
			sched_group_init(&groups[i], c);
			log_info("reload: group \"%s\" added", c->name);
		}
		else
		{
			reload_keep_group(&pipe->groups[from], c, &groups[i]);
			is_moved[from] = true;
		}
		groups[i].nmembers = 0;
		for (int m = 0; m < c->nmembers; m++)
		{
			groups[i].members[groups[i].nmembers++] =
			    &pipe->procs[c->members[m]];
		}
	}
	for (int j = 0; j < pipe->ngroups; j++)
	{
		if (!is_moved[j])
		{
			log_info("reload: group \"%s\" removed, %zu dirty keys dropped",
			         pipe->groups[j].config->name, pipe->groups[j].dirty.count);
			sched_group_free(&pipe->groups[j]);
		}
	}
}

/* Whether next may run: valid, reloadable, its statements prepared. */
static PgconnStatus
reload_check(const Config *running, Config *next, DaemonLoadFn load,
             void *load_arg, const Pipeline *pipe, Recompute *rc,
             Processor *procs)
{
	char why[512];
	PgconnStatus status = PGCONN_FAIL;

	if (!load(load_arg, next))
	{
		snprintf(why, sizeof(why), "it is not valid (see above)");
	}
	else if (config_reload_check(running, next, why, sizeof(why)))
	{
		reload_processors(pipe, next, procs);
		status = recompute_reprepare(rc, next, pipe->procs, pipe->nprocs, procs,
		                             next->nprocessors);
		snprintf(why, sizeof(why), "%s",
		         status == PGCONN_FAIL ? "a statement does not prepare (see "
		                                 "above)"
		                               : "the SQL connection is down; send "
		                                 "SIGHUP again once it is back");
	}
	if (status != PGCONN_OK)
	{
		log_error("reload refused: %s; the running configuration stays", why);
	}
	return status;
}

Config *
reload_configure(const Config *running, DaemonLoadFn load, void *load_arg,
                 Pipeline *pipe, Recompute *rc)
{
	Config *next = calloc(1, sizeof(Config));
	Processor *procs = calloc(CONFIG_PROCESSORS_MAX, sizeof(Processor));
	Group *groups = calloc(CONFIG_PROCESSORS_MAX, sizeof(Group));

	if (next == NULL || procs == NULL || groups == NULL)
	{
		common_out_of_memory("reload");
	}
	if (reload_check(running, next, load, load_arg, pipe, rc, procs) !=
	    PGCONN_OK)
	{
		config_free(next);
		free(next);
		next = NULL;
	}
	else
	{
		memcpy(pipe->procs, procs, sizeof(Processor) * CONFIG_PROCESSORS_MAX);
		pipe->nprocs = next->nprocessors;
		reload_groups(pipe, next, groups);
		memcpy(pipe->groups, groups, sizeof(Group) * CONFIG_PROCESSORS_MAX);
		pipe->ngroups = next->ngroups;
	}
	free(procs);
	free(groups);
	return next;
}
