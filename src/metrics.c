/*
 * metrics.c: the published snapshot, its Prometheus text rendering and the
 * health verdicts (see metrics.h). The daemon's thread writes through
 * metrics_publish(); the HTTP thread reads through metrics_with_published().
 * Nothing here talks to the database.
 */
#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MODULE "metrics"
#include "log.h"

/* A group failing this many times in a row makes /healthz 503. */
#define METRICS_FAILURES_UNHEALTHY 5
/* The main loop publishes at least every 100 ms while it runs; this long
 * without a publish (and at least health_max_lag) means it is stuck. */
#define METRICS_STALE_MIN_US (30 * 1000 * 1000)

/* Upper bounds in microseconds; the +Inf bucket follows the last. */
static const int64_t metrics_bounds_recompute[] = {
    1000,   2500,    5000,    10000,   25000,    50000,    100000,  250000,
    500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000};
static const int64_t metrics_bounds_trending[] = {
    1000000,   5000000,   10000000,  30000000,   60000000,
    120000000, 300000000, 600000000, 1800000000, 3600000000};

_Static_assert(sizeof(metrics_bounds_recompute) / sizeof(int64_t) <=
                   METRICS_BUCKETS_MAX,
               "too many recompute buckets");
_Static_assert(sizeof(metrics_bounds_trending) / sizeof(int64_t) <=
                   METRICS_BUCKETS_MAX,
               "too many trending buckets");

static const char *const metrics_action_names[METRICS_ACTIONS] = {
    "insert", "update", "delete", "truncate"};
static const char *const metrics_source_names[METRICS_SOURCES] = {
    "replication", "sql", "recompute", "heartbeat", "trending"};

static pthread_mutex_t metrics_mutex = PTHREAD_MUTEX_INITIALIZER;
static MetricsSnapshot metrics_published; /* under metrics_mutex */

static const int64_t *
metrics_bounds(MetricsBucketKind kind, int *n)
{
	if (kind == METRICS_BUCKETS_TRENDING)
	{
		*n = (int)(sizeof(metrics_bounds_trending) / sizeof(int64_t));
		return metrics_bounds_trending;
	}
	*n = (int)(sizeof(metrics_bounds_recompute) / sizeof(int64_t));
	return metrics_bounds_recompute;
}

void
metrics_histogram_observe(MetricsHistogram *h, MetricsBucketKind kind,
                          int64_t us)
{
	int n;
	const int64_t *bounds = metrics_bounds(kind, &n);
	int i = 0;

	while (i < n && us > bounds[i])
	{
		i++;
	}
	h->counts[i]++;
	h->count++;
	h->sum_us += us;
}

void
metrics_count_error(MetricsSnapshot *snap, MetricsSource source,
                    const char *class_)
{
	const char *name =
	    (class_ == NULL || class_[0] == '\0') ? "connection" : class_;
	MetricsError *e;

	for (int i = 0; i < snap->nerrors; i++)
	{
		e = &snap->errors[i];
		if (e->source == source && strcmp(e->class_, name) == 0)
		{
			e->count++;
			return;
		}
	}
	/* the table is full: the last slot stands for every other pair */
	if (snap->nerrors == METRICS_ERROR_KINDS_MAX)
	{
		e = &snap->errors[METRICS_ERROR_KINDS_MAX - 1];
		snprintf(e->class_, sizeof(e->class_), "other");
		e->count++;
		return;
	}
	e = &snap->errors[snap->nerrors++];
	e->source = source;
	snprintf(e->class_, sizeof(e->class_), "%s", name);
	e->count = 1;
}

void
metrics_publish(MetricsSnapshot *snap)
{
	snap->taken_us = common_monotonic_us();
	pthread_mutex_lock(&metrics_mutex);
	memcpy(&metrics_published, snap, sizeof(*snap));
	pthread_mutex_unlock(&metrics_mutex);
}

void
metrics_with_published(void (*fn)(const MetricsSnapshot *, void *), void *arg)
{
	pthread_mutex_lock(&metrics_mutex);
	fn(&metrics_published, arg);
	pthread_mutex_unlock(&metrics_mutex);
}

static void PRINTF_FORMAT(2, 3)
    metrics_printf(MetricsBuffer *out, const char *fmt, ...)
{
	va_list args;
	int n;

	if (out->is_oom)
	{
		return;
	}
	for (;;)
	{
		size_t room = out->capacity - out->len;

		if (out->text != NULL)
		{
			va_start(args, fmt);
			n = vsnprintf(out->text + out->len, room, fmt, args);
			va_end(args);
			if (n < 0)
			{
				return;
			}
			if ((size_t)n < room)
			{
				out->len += (size_t)n;
				return;
			}
		}
		size_t capacity = out->capacity ? out->capacity * 2 : 16384;
		char *grown = realloc(out->text, capacity);

		if (grown == NULL)
		{
			/* a scrape is not worth the daemon: serve what fit */
			out->is_oom = true;
			return;
		}
		out->text = grown;
		out->capacity = capacity;
	}
}

/*
 * A label value: the exposition format escapes backslash, double quote
 * and newline. Names here come from the configuration, which allows
 * neither, but a format error would break the whole scrape.
 */
static void
metrics_label(MetricsBuffer *out, const char *name, const char *value,
              bool is_last)
{
	metrics_printf(out, "%s=\"", name);
	for (const char *c = value; *c != '\0'; c++)
	{
		if (*c == '\\' || *c == '"')
		{
			metrics_printf(out, "\\%c", *c);
		}
		else if (*c == '\n')
		{
			metrics_printf(out, "\\n");
		}
		else
		{
			metrics_printf(out, "%c", *c);
		}
	}
	metrics_printf(out, "\"%s", is_last ? "" : ",");
}

static void
metrics_family(MetricsBuffer *out, const char *name, const char *type,
               const char *help)
{
	metrics_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A sample without labels. */
static void
metrics_value(MetricsBuffer *out, const char *name, const char *type,
              const char *help, double value)
{
	metrics_family(out, name, type, help);
	metrics_printf(out, "%s %.17g\n", name, value);
}

static void
metrics_histogram(MetricsBuffer *out, const char *name, const char *label,
                  const char *label_value, const MetricsHistogram *h,
                  MetricsBucketKind kind)
{
	int n;
	const int64_t *bounds = metrics_bounds(kind, &n);
	int64_t cumulative = 0;

	for (int i = 0; i <= n; i++)
	{
		cumulative += h->counts[i];
		metrics_printf(out, "%s_bucket{", name);
		if (label != NULL)
		{
			metrics_label(out, label, label_value, false);
		}
		if (i < n)
		{
			metrics_printf(out, "le=\"%g\"} %" PRId64 "\n",
			               (double)bounds[i] / 1e6, cumulative);
		}
		else
		{
			metrics_printf(out, "le=\"+Inf\"} %" PRId64 "\n", cumulative);
		}
	}
	metrics_printf(out, "%s_sum", name);
	if (label != NULL)
	{
		metrics_printf(out, "{");
		metrics_label(out, label, label_value, true);
		metrics_printf(out, "}");
	}
	metrics_printf(out, " %.6f\n%s_count", (double)h->sum_us / 1e6, name);
	if (label != NULL)
	{
		metrics_printf(out, "{");
		metrics_label(out, label, label_value, true);
		metrics_printf(out, "}");
	}
	metrics_printf(out, " %" PRId64 "\n", h->count);
}

double
metrics_lag_seconds(const MetricsSnapshot *snap, int64_t now_unix_us)
{
	if (snap->is_caught_up || snap->last_commit_unix_us == 0 ||
	    now_unix_us <= snap->last_commit_unix_us)
	{
		return 0.0;
	}
	return (double)(now_unix_us - snap->last_commit_unix_us) / 1e6;
}

static void
metrics_render_positions(const MetricsSnapshot *snap, int64_t now_unix_us,
                         MetricsBuffer *out)
{
	uint64_t lag =
	    snap->server_end > snap->flushed ? snap->server_end - snap->flushed : 0;

	metrics_value(out, "reckon_received_lsn_bytes", "gauge",
	              "WAL position up to which every change has been received "
	              "and applied to the dirty sets",
	              (double)snap->received);
	metrics_value(out, "reckon_flushed_lsn_bytes", "gauge",
	              "WAL position confirmed to the server: every change "
	              "before it is recomputed and committed",
	              (double)snap->flushed);
	metrics_value(out, "reckon_server_wal_end_lsn_bytes", "gauge",
	              "the server's WAL end, as its last message said",
	              (double)snap->server_end);
	metrics_value(out, "reckon_replication_lag_bytes", "gauge",
	              "server WAL end minus the confirmed position", (double)lag);
	metrics_value(out, "reckon_replication_lag_seconds", "gauge",
	              "now minus the commit time of the last transaction "
	              "received, while reckon is behind; 0 when caught up",
	              metrics_lag_seconds(snap, now_unix_us));
	metrics_value(out, "reckon_last_commit_timestamp_seconds", "gauge",
	              "commit time of the last transaction received (Unix time)",
	              (double)snap->last_commit_unix_us / 1e6);
	metrics_value(out, "reckon_streaming", "gauge",
	              "1 while the replication connection streams",
	              snap->is_streaming ? 1 : 0);
	metrics_value(out, "reckon_sql_connected", "gauge",
	              "1 while the recompute connection is up",
	              snap->is_sql_connected ? 1 : 0);
}

static void
metrics_render_stream(const MetricsSnapshot *snap, MetricsBuffer *out)
{
	metrics_family(out, "reckon_stream_messages_total", "counter",
	               "row changes received, per table and action");
	for (int t = 0; t < snap->ntables; t++)
	{
		for (int a = 0; a < METRICS_ACTIONS; a++)
		{
			metrics_printf(out, "reckon_stream_messages_total{");
			metrics_label(out, "table", snap->tables[t].name, false);
			metrics_label(out, "action", metrics_action_names[a], true);
			metrics_printf(out, "} %" PRId64 "\n", snap->tables[t].counts[a]);
		}
	}
	metrics_value(out, "reckon_stream_transactions_total", "counter",
	              "transactions (commits) received",
	              (double)snap->transactions);
	metrics_family(out, "reckon_reconnects_total", "counter",
	               "connections re-established after a loss");
	metrics_printf(out,
	               "reckon_reconnects_total{connection=\"replication\"} "
	               "%" PRId64 "\n"
	               "reckon_reconnects_total{connection=\"sql\"} %" PRId64 "\n",
	               snap->reconnects_replication, snap->reconnects_sql);
	if (snap->has_read_server)
	{
		metrics_value(out, "reckon_read_batches_total", "counter",
		              "batches whose reads ran on the read server "
		              "(--read-dsn)",
		              (double)snap->read_batches);
		metrics_value(out, "reckon_read_fallbacks_total", "counter",
		              "batches that read on the primary instead: the read "
		              "server lagged past read_fence_timeout, was "
		              "unavailable, or its reads failed",
		              (double)snap->read_fallbacks);
	}
	metrics_family(out, "reckon_errors_total", "counter",
	               "errors by where they happened and their SQLSTATE class "
	               "(or connection, message)");
	for (int i = 0; i < snap->nerrors; i++)
	{
		metrics_printf(out, "reckon_errors_total{");
		metrics_label(out, "source",
		              metrics_source_names[snap->errors[i].source], false);
		metrics_label(out, "class", snap->errors[i].class_, true);
		metrics_printf(out, "} %" PRId64 "\n", snap->errors[i].count);
	}
}

/* One counter family with a sample per processor. */
static void
metrics_per_processor(const MetricsSnapshot *snap, MetricsBuffer *out,
                      const char *name, const char *help, size_t offset)
{
	metrics_family(out, name, "counter", help);
	for (int i = 0; i < snap->nprocs; i++)
	{
		const MetricsProcessor *p = &snap->procs[i];

		metrics_printf(out, "%s{", name);
		metrics_label(out, "processor", p->id, false);
		metrics_label(out, "challenge", p->challenge, true);
		metrics_printf(out, "} %" PRId64 "\n",
		               *(const int64_t *)((const char *)p + offset));
	}
}

static void
metrics_render_processors(const MetricsSnapshot *snap, MetricsBuffer *out)
{
	metrics_family(out, "reckon_dirty_keys", "gauge",
	               "keys (users, tracks) waiting for a recompute, per "
	               "processor (the processors of a group share them)");
	for (int i = 0; i < snap->nprocs; i++)
	{
		metrics_printf(out, "reckon_dirty_keys{");
		metrics_label(out, "processor", snap->procs[i].id, false);
		metrics_label(out, "group", snap->procs[i].group, true);
		metrics_printf(out, "} %" PRId64 "\n", snap->procs[i].dirty_keys);
	}
	metrics_family(out, "reckon_recompute_duration_seconds", "histogram",
	               "time of one processor's statement on one batch");
	for (int i = 0; i < snap->nprocs; i++)
	{
		metrics_histogram(out, "reckon_recompute_duration_seconds", "processor",
		                  snap->procs[i].id, &snap->procs[i].duration,
		                  METRICS_BUCKETS_RECOMPUTE);
	}
	metrics_per_processor(snap, out, "reckon_recompute_batches_total",
	                      "batches committed",
	                      offsetof(MetricsProcessor, batches));
	metrics_per_processor(snap, out, "reckon_users_recomputed_total",
	                      "keys (users, tracks) recomputed",
	                      offsetof(MetricsProcessor, users));
	metrics_per_processor(snap, out, "reckon_rows_written_total",
	                      "rows of user_challenges written",
	                      offsetof(MetricsProcessor, rows));
	metrics_per_processor(snap, out, "reckon_completions_total",
	                      "challenges completed",
	                      offsetof(MetricsProcessor, completions));
	metrics_family(out, "reckon_group_failures", "gauge",
	               "batches of the group failed in a row (0 once one "
	               "commits)");
	for (int i = 0; i < snap->ngroups; i++)
	{
		metrics_printf(out, "reckon_group_failures{");
		metrics_label(out, "group", snap->groups[i].name, true);
		metrics_printf(out, "} %d\n", snap->groups[i].failures);
	}
}

static void
metrics_render_trending(const MetricsSnapshot *snap, MetricsBuffer *out)
{
	metrics_value(out, "reckon_trending_runs_total", "counter",
	              "trending cycles finished, failed or not",
	              (double)snap->trending_runs);
	metrics_value(out, "reckon_trending_failures_total", "counter",
	              "trending cycles that failed",
	              (double)snap->trending_failures);
	metrics_family(out, "reckon_trending_run_duration_seconds", "histogram",
	               "time of one trending cycle");
	metrics_histogram(out, "reckon_trending_run_duration_seconds", NULL, NULL,
	                  &snap->trending_duration, METRICS_BUCKETS_TRENDING);
	metrics_value(out, "reckon_trending_rows_upserted_total", "counter",
	              "trending scores inserted or updated",
	              (double)snap->trending_upserted);
	metrics_value(out, "reckon_trending_rows_pruned_total", "counter",
	              "trending scores deleted", (double)snap->trending_pruned);
}

void
metrics_render(const MetricsSnapshot *snap, int64_t now_us, int64_t now_unix_us,
               int64_t rss_bytes, MetricsBuffer *out)
{
	(void)now_us;
	metrics_family(out, "reckon_build_info", "gauge",
	               "always 1; the version in a label");
	metrics_printf(out, "reckon_build_info{version=\"%s\"} 1\n",
	               RECKON_VERSION);
	metrics_value(out, "reckon_start_time_seconds", "gauge",
	              "when the process started (Unix time)",
	              (double)snap->start_unix_us / 1e6);
	metrics_render_positions(snap, now_unix_us, out);
	metrics_render_stream(snap, out);
	metrics_render_processors(snap, out);
	metrics_render_trending(snap, out);
	if (rss_bytes >= 0)
	{
		metrics_value(out, "reckon_process_resident_memory_bytes", "gauge",
		              "resident set size of the process", (double)rss_bytes);
	}
}

bool
metrics_readyz(const MetricsSnapshot *snap, char *reason, size_t size)
{
	if (!snap->is_started)
	{
		snprintf(reason, size,
		         "starting: connecting, checking the catalog "
		         "and the slot, loading the lookups");
		return false;
	}
	if (snap->is_stopping)
	{
		snprintf(reason, size, "stopping");
		return false;
	}
	snprintf(reason, size, "ready");
	return true;
}

bool
metrics_healthz(const MetricsSnapshot *snap, int64_t now_us,
                int64_t now_unix_us, char *reason, size_t size)
{
	int64_t stale_us = snap->health_max_lag_ms * 1000;
	double lag = metrics_lag_seconds(snap, now_unix_us);

	if (!metrics_readyz(snap, reason, size))
	{
		return false;
	}
	if (stale_us < METRICS_STALE_MIN_US)
	{
		stale_us = METRICS_STALE_MIN_US;
	}
	if (now_us - snap->taken_us > stale_us)
	{
		snprintf(reason, size, "the main loop has not reported for %.0f s",
		         (double)(now_us - snap->taken_us) / 1e6);
		return false;
	}
	if (!snap->is_sql_connected)
	{
		snprintf(reason, size, "the SQL connection is down; reconnecting");
		return false;
	}
	if (!snap->is_streaming)
	{
		snprintf(reason, size,
		         "the replication connection is down; reconnecting");
		return false;
	}
	for (int i = 0; i < snap->ngroups; i++)
	{
		if (snap->groups[i].failures >= METRICS_FAILURES_UNHEALTHY)
		{
			snprintf(reason, size,
			         "group \"%s\" has failed %d times in a row; the "
			         "acknowledged position cannot pass its keys",
			         snap->groups[i].name, snap->groups[i].failures);
			return false;
		}
	}
	if (lag * 1000.0 > (double)snap->health_max_lag_ms)
	{
		snprintf(reason, size, "lag %.1f s is over health_max_lag (%.1f s)",
		         lag, (double)snap->health_max_lag_ms / 1000.0);
		return false;
	}
	snprintf(reason, size, "ok: streaming, lag %.1f s", lag);
	return true;
}

int64_t
metrics_resident_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long long size = 0;
	long long resident = -1;

	if (f == NULL)
	{
		return -1;
	}
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
	{
		resident = -1;
	}
	fclose(f);
	if (resident < 0)
	{
		return -1;
	}
	return (int64_t)resident * (int64_t)sysconf(_SC_PAGESIZE);
}
