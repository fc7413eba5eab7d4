/*
 * report.c: the daemon's report of its pipeline (see report.h): log lines
 * and the pipeline's part of the /metrics snapshot.
 *
 * Pipeline: after sched -> recompute -> ack, read only. It must never
 * change what is recomputed or confirmed.
 */
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "pgconn.h"

#define LOG_MODULE "daemon"
#include "log.h"

void
report_metrics(const Pipeline *pipe, MetricsSnapshot *m)
{
	m->nprocs = pipe->nprocs;
	for (int i = 0; i < pipe->nprocs; i++)
	{
		const Processor *p = &pipe->procs[i];
		const Group *g = &pipe->groups[p->config->group];
		MetricsProcessor *mp = &m->procs[i];

		snprintf(mp->id, sizeof(mp->id), "%s", p->config->id);
		snprintf(mp->challenge, sizeof(mp->challenge), "%s",
		         p->config->challenge_id);
		snprintf(mp->group, sizeof(mp->group), "%s", g->config->name);
		mp->dirty_keys = (int64_t)g->dirty.count;
		mp->batches = p->runs;
		mp->users = p->keys_done;
		mp->rows = p->rows_written;
		mp->completions = p->completions;
		mp->duration = p->duration;
	}
	m->ngroups = pipe->ngroups;
	for (int i = 0; i < pipe->ngroups; i++)
	{
		snprintf(m->groups[i].name, sizeof(m->groups[i].name), "%s",
		         pipe->groups[i].config->name);
		m->groups[i].failures = pipe->groups[i].failures;
	}
}

/* The groups' dirty counts (and saturated keys) for the stats line. */
static void
report_dirty(const Pipeline *pipe, char *per, size_t size)
{
	size_t used = 0;

	per[0] = '\0';
	for (int i = 0; i < pipe->ngroups; i++)
	{
		const Group *g = &pipe->groups[i];

		used += (size_t)snprintf(per + used, size - used, "%s%s=%zu",
		                         i ? " " : "", g->config->name, g->dirty.count);
		if (g->config->saturated_sql != NULL && used < size)
		{
			used += (size_t)snprintf(per + used, size - used,
			                         " (saturated %zu, inserts skipped %" PRId64
			                         ")",
			                         g->saturated.count, g->saturated_skips);
		}
		if (used >= size)
		{
			used = size - 1;
		}
	}
}

/* The stats line's tail: heartbeat latency, the read server's counts. */
static void
report_tail(const Config *config, const ApplyStats *stats,
            const Replica *replica, char *tail, size_t size)
{
	tail[0] = '\0';
	if (stats->has_heartbeat)
	{
		snprintf(tail, size, ", heartbeat latency %.1f ms",
		         (double)stats->heartbeat_latency_us / 1000.0);
	}
	if (config->read_dsn != NULL)
	{
		size_t len = strlen(tail);
		int64_t batches;
		int64_t fallbacks;

		replica_counts(replica, &batches, &fallbacks);
		snprintf(tail + len, size - len,
		         ", reads on the standby %" PRId64 " on the primary %" PRId64,
		         batches, fallbacks);
	}
}

void
report_stats(const Config *config, Pipeline *pipe, const Ack *ack,
             const ApplyStats *stats, Lsn server, const Replica *replica)
{
	struct rusage usage;
	char per[1024];
	char tail[160]; /* heartbeat and the read server's counts */
	const Processor *slowest = NULL;

	report_dirty(pipe, per, sizeof(per));
	for (int i = 0; i < pipe->nprocs; i++)
	{
		if (slowest == NULL || pipe->procs[i].slowest_us > slowest->slowest_us)
		{
			slowest = &pipe->procs[i];
		}
	}
	getrusage(RUSAGE_SELF, &usage);
	report_tail(config, stats, replica, tail, sizeof(tail));
	log_info("stats: received %X/%X flushed %X/%X server %X/%X messages %lld "
	         "dirty %zu (%s) slowest %s %.1f ms, peak RSS %ld kB%s",
	         LSN_FORMAT_ARGS(ack_received(ack)),
	         LSN_FORMAT_ARGS(ack_flushed(ack)), LSN_FORMAT_ARGS(server),
	         (long long)stats->messages,
	         sched_dirty_total(pipe->groups, pipe->ngroups), per,
	         slowest ? slowest->config->id : "-",
	         slowest ? (double)slowest->slowest_us / 1000.0 : 0.0,
	         usage.ru_maxrss, tail);
	for (int i = 0; i < pipe->nprocs; i++)
	{
		pipe->procs[i].slowest_us = 0;
	}
}

/* One line per group: which changes feed which challenges. */
static void
report_group(const Config *config, const Group *g)
{
	char members[512];
	char sources[1024];
	size_t used = 0;

	members[0] = '\0';
	sources[0] = '\0';
	for (int m = 0; m < g->nmembers && used < sizeof(members); m++)
	{
		used +=
		    (size_t)snprintf(members + used, sizeof(members) - used, "%s%s",
		                     m ? "," : "", g->members[m]->config->challenge_id);
	}
	used = 0;
	for (int r = 0; r < g->config->nrules && used < sizeof(sources); r++)
	{
		const ConfigRule *rule = &g->config->rules[r];

		used += (size_t)snprintf(
		    sources + used, sizeof(sources) - used, "%s%s.%s.%s%s%s",
		    r ? ", " : "", rule->schema, rule->table, rule->column,
		    rule->lookup >= 0 ? " -> " : "",
		    rule->lookup >= 0 ? config->lookups[rule->lookup].name : "");
	}
	log_info("group \"%s\" feeds %s from %s (window %lld ms, batch %d)",
	         g->config->name, members, sources, (long long)g->config->window_ms,
	         g->config->batch_size);
}

/* With a read server: where each processor reads. */
static void
report_reads(const Config *config)
{
	char *redacted;

	if (config->read_dsn == NULL)
	{
		return;
	}
	redacted = pgconn_redact(config->read_dsn);
	log_info("read server: \"%s\", fenced at each batch's commits for at "
	         "most %lld ms",
	         redacted != NULL ? redacted : "",
	         (long long)config->read_fence_timeout_ms);
	free(redacted);
	for (int i = 0; i < config->nprocessors; i++)
	{
		const ConfigProcessor *p = &config->processors[i];

		if (p->read_sql_text == NULL)
		{
			log_warn("processor \"%s\" has no read statement (read_sql = "
			         "none): it reads on the primary",
			         p->id);
		}
	}
}

void
report_start(const Config *config, const Pipeline *pipe)
{
	for (int i = 0; i < pipe->ngroups; i++)
	{
		report_group(config, &pipe->groups[i]);
	}
	report_reads(config);
}
