/*
 * metrics.h: what an operator scrapes and probes: the numbers of
 * /metrics (Prometheus text exposition format 0.0.4) and the verdicts of
 * /healthz and /readyz.
 *
 * It sits beside the pipeline, not in it. The daemon's thread owns every
 * counter: it keeps them in its own MetricsSnapshot and hands a copy to
 * metrics_publish() a few times a second and on every change of state. The
 * HTTP server (http.c) runs in its own thread and reads only the published
 * copy, under one mutex, so nothing on the per-message path takes a lock
 * and a scrape never waits for the database. Rendering and the health
 * verdicts are pure functions of a snapshot, for the unit tests.
 */
#ifndef RECKON_METRICS_H
#define RECKON_METRICS_H

#include <stddef.h>

#include "common.h"
#include "config.h"

/* A histogram: counts per bucket (not cumulative), the last one +Inf. */
#define METRICS_BUCKETS_MAX 16

typedef enum MetricsBucketKind
{
	METRICS_BUCKETS_RECOMPUTE, /* 1 ms .. 60 s */
	METRICS_BUCKETS_TRENDING   /* 1 s .. 1 h */
} MetricsBucketKind;

typedef struct MetricsHistogram
{
	int64_t counts[METRICS_BUCKETS_MAX + 1];
	int64_t count;
	int64_t sum_us;
} MetricsHistogram;

/* The row actions counted per table. */
typedef enum MetricsAction
{
	METRICS_ACTION_INSERT,
	METRICS_ACTION_UPDATE,
	METRICS_ACTION_DELETE,
	METRICS_ACTION_TRUNCATE,
	METRICS_ACTIONS
} MetricsAction;

/* Where an error happened; the label "source" of reckon_errors_total. */
typedef enum MetricsSource
{
	METRICS_SOURCE_REPLICATION, /* the replication connection or stream */
	METRICS_SOURCE_SQL,         /* the recompute connection itself */
	METRICS_SOURCE_RECOMPUTE,   /* a batch that failed */
	METRICS_SOURCE_HEARTBEAT,
	METRICS_SOURCE_TRENDING,
	METRICS_SOURCES
} MetricsSource;

/* Distinct (source, class) pairs kept; more are counted as class "other". */
#define METRICS_ERROR_KINDS_MAX 32

typedef struct MetricsError
{
	MetricsSource source;
	char class_[16]; /* SQLSTATE class ("40"), or "connection", "message" */
	int64_t count;
} MetricsError;

typedef struct MetricsProcessor
{
	char id[CONFIG_NAME_MAX];
	char challenge[CONFIG_NAME_MAX];
	char group[CONFIG_NAME_MAX];
	int64_t dirty_keys;  /* of its group: dirty, not yet taken */
	int64_t batches;     /* committed runs */
	int64_t users;       /* keys recomputed */
	int64_t rows;        /* rows written */
	int64_t completions; /* challenges completed */
	MetricsHistogram duration;
} MetricsProcessor;

typedef struct MetricsTable
{
	char name[2 * CONFIG_NAME_MAX + 1]; /* schema.table */
	int64_t counts[METRICS_ACTIONS];
} MetricsTable;

typedef struct MetricsGroup
{
	char name[CONFIG_NAME_MAX];
	int failures; /* batches failed in a row, 0 once one commits */
} MetricsGroup;

typedef struct MetricsSnapshot
{
	int64_t taken_us; /* monotonic, set by metrics_publish */
	int64_t start_unix_us;
	int64_t health_max_lag_ms;
	bool is_started; /* catalog checked, slot found, lookups loaded */
	bool is_stopping;
	bool is_streaming; /* the replication connection streams */
	bool is_sql_connected;
	bool is_caught_up; /* received the server's end, nothing pending */
	Lsn received;
	Lsn flushed;
	Lsn server_end;
	int64_t last_commit_unix_us; /* 0 until a commit is received */
	int64_t transactions;        /* commits received */
	int64_t reconnects_replication;
	int64_t reconnects_sql;
	/* batches that read on the read server, and on the primary instead */
	bool has_read_server;
	int64_t read_batches;
	int64_t read_fallbacks;
	int nerrors;
	MetricsError errors[METRICS_ERROR_KINDS_MAX];
	int ntables;
	MetricsTable tables[CONFIG_TABLES_MAX];
	int nprocs;
	MetricsProcessor procs[CONFIG_PROCESSORS_MAX];
	int ngroups;
	MetricsGroup groups[CONFIG_PROCESSORS_MAX];
	int64_t trending_runs;
	int64_t trending_failures;
	int64_t trending_upserted;
	int64_t trending_pruned;
	MetricsHistogram trending_duration;
} MetricsSnapshot;

/* metrics_histogram_observe: count one observation of us microseconds. */
void metrics_histogram_observe(MetricsHistogram *h, MetricsBucketKind kind,
                               int64_t us);

/*
 * metrics_count_error: one more error of (source, class_) in snap; a
 * class_ of NULL or "" counts as "connection".
 */
void metrics_count_error(MetricsSnapshot *snap, MetricsSource source,
                         const char *class_);

/*
 * metrics_publish: make snap what the HTTP thread serves (copied, under
 * the mutex). Stamps snap->taken_us.
 */
void metrics_publish(MetricsSnapshot *snap);

/*
 * metrics_with_published: call fn with the published snapshot under the
 * mutex (HTTP thread); fn must not block. Before the first publish the
 * snapshot is all zero (not started).
 */
void metrics_with_published(void (*fn)(const MetricsSnapshot *, void *),
                            void *arg);

/* A growable text buffer; the caller frees text. */
typedef struct MetricsBuffer
{
	char *text; /* owned */
	size_t len;
	size_t capacity;
	bool is_oom; /* an allocation failed; text holds what fit */
} MetricsBuffer;

/*
 * metrics_render: the Prometheus text format of snap, as seen at now_us
 * (monotonic) and now_unix_us, appended to out. rss_bytes < 0: unknown.
 */
void metrics_render(const MetricsSnapshot *snap, int64_t now_us,
                    int64_t now_unix_us, int64_t rss_bytes, MetricsBuffer *out);

/*
 * metrics_lag_seconds: now minus the commit time of the last transaction
 * received while reckon is behind (the server has more, or changes wait
 * for a recompute); 0 when caught up or before the first commit.
 */
double metrics_lag_seconds(const MetricsSnapshot *snap, int64_t now_unix_us);

/*
 * metrics_healthz / metrics_readyz: true when healthy (ready); otherwise
 * reason holds one line saying why. Health: started, both connections up,
 * the main loop reporting, no group failing 5 times in a row, and the lag
 * under health_max_lag. Readiness: started and not stopping.
 */
bool metrics_healthz(const MetricsSnapshot *snap, int64_t now_us,
                     int64_t now_unix_us, char *reason, size_t size);
bool metrics_readyz(const MetricsSnapshot *snap, char *reason, size_t size);

/* metrics_resident_bytes: this process's resident set size, -1 if unknown */
int64_t metrics_resident_bytes(void);

#endif
