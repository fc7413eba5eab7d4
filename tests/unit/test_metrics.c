/*
 * test_metrics.c: unit tests for metrics.c, on hand-built snapshots.
 * Covers: histogram buckets (bounds inclusive, +Inf, count and sum); error
 * counting by (source, class), a NULL class as "connection", and the last
 * slot standing for every pair past the table's size; the rendered text
 * obeys the exposition format (checked line by line here: HELP and TYPE
 * before a family's samples, each family once and contiguous, metric and
 * label names, escaped label values, numeric values, counters named
 * _total, cumulative buckets ending in +Inf equal to _count); label values
 * with quotes, backslashes and newlines are escaped; the replication lag in
 * seconds (0 when caught up or before a commit); /healthz and /readyz
 * verdicts and reasons for each unhealthy state, in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static void
test_metrics_histogram(void **state)
{
	MetricsHistogram h = {0};

	(void)state;
	metrics_histogram_observe(&h, METRICS_BUCKETS_RECOMPUTE, 0);
	metrics_histogram_observe(&h, METRICS_BUCKETS_RECOMPUTE, 1000);
	metrics_histogram_observe(&h, METRICS_BUCKETS_RECOMPUTE, 1001);
	metrics_histogram_observe(&h, METRICS_BUCKETS_RECOMPUTE, 3600000000LL);
	assert_int_equal(h.counts[0], 2);  /* le 1 ms, inclusive */
	assert_int_equal(h.counts[1], 1);  /* le 2.5 ms */
	assert_int_equal(h.counts[15], 1); /* +Inf after 15 bounds */
	assert_int_equal(h.count, 4);
	assert_int_equal(h.sum_us, 3600002001LL);

	memset(&h, 0, sizeof(h));
	metrics_histogram_observe(&h, METRICS_BUCKETS_TRENDING, 90 * 1000000LL);
	assert_int_equal(h.counts[5], 1); /* le 120 s */
}

static void
test_metrics_errors(void **state)
{
	MetricsSnapshot *m = calloc(1, sizeof(*m));
	char class_[16]; /* room for any int, as -O1 -Wformat-truncation checks */

	(void)state;
	metrics_count_error(m, METRICS_SOURCE_RECOMPUTE, "40");
	metrics_count_error(m, METRICS_SOURCE_RECOMPUTE, "40");
	metrics_count_error(m, METRICS_SOURCE_SQL, NULL);
	metrics_count_error(m, METRICS_SOURCE_RECOMPUTE, "");
	assert_int_equal(m->nerrors, 3);
	assert_int_equal(m->errors[0].count, 2);
	assert_string_equal(m->errors[1].class_, "connection");
	assert_int_equal(m->errors[1].source, METRICS_SOURCE_SQL);
	assert_string_equal(m->errors[2].class_, "connection");
	assert_int_equal(m->errors[2].source, METRICS_SOURCE_RECOMPUTE);

	/* bounded: past the table, the last slot counts every other pair */
	for (int i = 0; i < 2 * METRICS_ERROR_KINDS_MAX; i++)
	{
		snprintf(class_, sizeof(class_), "%02d", i);
		metrics_count_error(m, METRICS_SOURCE_TRENDING, class_);
	}
	assert_int_equal(m->nerrors, METRICS_ERROR_KINDS_MAX);
	assert_string_equal(m->errors[METRICS_ERROR_KINDS_MAX - 1].class_, "other");
	assert_int_equal(m->errors[METRICS_ERROR_KINDS_MAX - 1].count,
	                 2 * METRICS_ERROR_KINDS_MAX -
	                     (METRICS_ERROR_KINDS_MAX - 4));
	free(m);
}

/* A snapshot with one of everything, as the daemon publishes it. */
static MetricsSnapshot *
make_snapshot(void)
{
	MetricsSnapshot *m = calloc(1, sizeof(*m));

	m->taken_us = 1000000;
	m->start_unix_us = 1700000000000000LL;
	m->health_max_lag_ms = 60000;
	m->is_started = true;
	m->is_streaming = true;
	m->is_sql_connected = true;
	m->is_caught_up = true;
	m->received = 0x100000000ULL + 500;
	m->flushed = 0x100000000ULL + 400;
	m->server_end = 0x100000000ULL + 600;
	m->last_commit_unix_us = 1700000100000000LL;
	m->transactions = 7;
	m->ntables = 1;
	snprintf(m->tables[0].name, sizeof(m->tables[0].name), "public.plays");
	m->tables[0].counts[METRICS_ACTION_INSERT] = 5;
	m->nprocs = 2;
	snprintf(m->procs[0].id, sizeof(m->procs[0].id), "p1");
	snprintf(m->procs[0].challenge, sizeof(m->procs[0].challenge), "plays");
	snprintf(m->procs[0].group, sizeof(m->procs[0].group), "g");
	m->procs[0].completions = 3;
	metrics_histogram_observe(&m->procs[0].duration, METRICS_BUCKETS_RECOMPUTE,
	                          4000);
	metrics_histogram_observe(&m->procs[0].duration, METRICS_BUCKETS_RECOMPUTE,
	                          40000);
	snprintf(m->procs[1].id, sizeof(m->procs[1].id), "we\"ird\\id\nx");
	snprintf(m->procs[1].challenge, sizeof(m->procs[1].challenge), "c");
	snprintf(m->procs[1].group, sizeof(m->procs[1].group), "g");
	m->ngroups = 1;
	snprintf(m->groups[0].name, sizeof(m->groups[0].name), "g");
	metrics_count_error(m, METRICS_SOURCE_RECOMPUTE, "40");
	return m;
}

static bool
is_name(const char *s, size_t len, bool allow_colon)
{
	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
	{
		return false;
	}
	for (size_t i = 0; i < len; i++)
	{
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || (allow_colon && c == ':')))
		{
			return false;
		}
	}
	return true;
}

/* Labels "{a="x",b="y"}" from *p: true when well formed. */
static bool
check_labels(const char **p, char *le, size_t le_size)
{
	const char *c = *p + 1;

	le[0] = '\0';
	while (*c != '}')
	{
		const char *eq = strchr(c, '=');
		char value[256];
		size_t n = 0;

		if (eq == NULL || !is_name(c, (size_t)(eq - c), false) || eq[1] != '"')
		{
			return false;
		}
		bool is_le = eq - c == 2 && strncmp(c, "le", 2) == 0;

		c = eq + 2;
		while (*c != '"')
		{
			if (*c == '\0' || *c == '\n' || n + 1 >= sizeof(value))
			{
				return false;
			}
			if (*c == '\\')
			{
				c++;
				if (*c != '\\' && *c != '"' && *c != 'n')
				{
					return false;
				}
			}
			value[n++] = *c++;
		}
		value[n] = '\0';
		if (is_le)
		{
			snprintf(le, le_size, "%s", value);
		}
		c++;
		if (*c == ',')
		{
			c++;
		}
		else if (*c != '}')
		{
			return false;
		}
	}
	*p = c + 1;
	return true;
}

typedef struct Family
{
	char name[128];
	char type[16];
	double last_bucket;
	double inf_bucket;
} Family;

/* The family a sample name belongs to (histogram suffixes removed). */
static bool
sample_in_family(const char *sample, size_t len, const Family *f)
{
	size_t flen = strlen(f->name);
	const char *suffixes[] = {"_bucket", "_sum", "_count"};

	if (len == flen && strncmp(sample, f->name, len) == 0)
	{
		return strcmp(f->type, "histogram") != 0;
	}
	for (size_t i = 0; i < 3; i++)
	{
		if (strcmp(f->type, "histogram") == 0 &&
		    len == flen + strlen(suffixes[i]) &&
		    strncmp(sample, f->name, flen) == 0 &&
		    strncmp(sample + flen, suffixes[i], strlen(suffixes[i])) == 0)
		{
			return true;
		}
	}
	return false;
}

static void
check_sample(const char *line, Family *f)
{
	const char *p = line;
	char le[256];
	char *end;
	double value;

	while (*p != '{' && *p != ' ' && *p != '\0')
	{
		p++;
	}
	assert_true(is_name(line, (size_t)(p - line), true));
	/* every sample belongs to the family whose TYPE came last */
	assert_true(sample_in_family(line, (size_t)(p - line), f));
	le[0] = '\0';
	if (*p == '{')
	{
		assert_true(check_labels(&p, le, sizeof(le)));
	}
	assert_true(*p == ' ');
	value = strtod(p + 1, &end);
	assert_true(end != p + 1 && *end == '\0');
	if (strstr(line, "_bucket{") != NULL)
	{
		if (strcmp(le, "+Inf") == 0)
		{
			f->inf_bucket = value;
			f->last_bucket = -1;
		}
		else
		{
			assert_true(value >= f->last_bucket);
			f->last_bucket = value;
		}
	}
	if (strstr(line, "_count") != NULL && strcmp(f->type, "histogram") == 0)
	{
		assert_true(value == f->inf_bucket);
	}
}

/* Check text line by line; returns the number of families. */
static int
check_exposition(char *text)
{
	Family seen[128];
	int nseen = 0;
	Family *current = NULL;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
	{
		char name[128];
		char type[16];

		if (strncmp(line, "# HELP ", 7) == 0)
		{
			continue;
		}
		if (sscanf(line, "# TYPE %127s %15s", name, type) == 2)
		{
			assert_true(strcmp(type, "counter") == 0 ||
			            strcmp(type, "gauge") == 0 ||
			            strcmp(type, "histogram") == 0);
			if (strcmp(type, "counter") == 0)
			{
				size_t n = strlen(name);

				assert_true(n > 6 && strcmp(name + n - 6, "_total") == 0);
			}
			for (int i = 0; i < nseen; i++)
			{
				assert_string_not_equal(seen[i].name, name);
			}
			assert_true(nseen < 128);
			current = &seen[nseen++];
			snprintf(current->name, sizeof(current->name), "%s", name);
			snprintf(current->type, sizeof(current->type), "%s", type);
			current->last_bucket = -1;
			continue;
		}
		assert_true(line[0] != '#');
		assert_non_null(current);
		check_sample(line, current);
	}
	return nseen;
}

static void
test_metrics_render(void **state)
{
	MetricsSnapshot *m = make_snapshot();
	MetricsBuffer out = {0};
	char *copy;

	(void)state;
	metrics_render(m, m->taken_us, 1700000200000000LL, 12345678, &out);
	assert_non_null(out.text);
	assert_false(out.is_oom);
	assert_int_equal(strlen(out.text), out.len);
	assert_non_null(strstr(out.text, "reckon_received_lsn_bytes 4294967796\n"));
	assert_non_null(strstr(out.text, "reckon_replication_lag_bytes 200\n"));
	assert_non_null(strstr(out.text,
	                       "reckon_stream_messages_total{table="
	                       "\"public.plays\",action=\"insert\"} 5\n"));
	assert_non_null(strstr(out.text, "reckon_completions_total{processor="
	                                 "\"p1\",challenge=\"plays\"} 3\n"));
	assert_non_null(strstr(out.text, "reckon_recompute_duration_seconds_bucket{"
	                                 "processor=\"p1\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(out.text, "reckon_recompute_duration_seconds_bucket{"
	                                 "processor=\"p1\",le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(out.text, "reckon_recompute_duration_seconds_count{"
	                                 "processor=\"p1\"} 2\n"));
	assert_non_null(strstr(out.text, "reckon_errors_total{source=\"recompute\","
	                                 "class=\"40\"} 1\n"));
	assert_non_null(strstr(out.text, "processor=\"we\\\"ird\\\\id\\nx\""));
	assert_non_null(
	    strstr(out.text, "reckon_process_resident_memory_bytes 12345678\n"));
	copy = strdup(out.text);
	assert_true(check_exposition(copy) >= 25);
	free(copy);
	free(out.text);

	/* an unknown RSS is left out rather than reported as 0 */
	memset(&out, 0, sizeof(out));
	metrics_render(m, m->taken_us, 1700000200000000LL, -1, &out);
	assert_null(strstr(out.text, "resident_memory"));
	free(out.text);
	free(m);
}

static void
test_metrics_lag(void **state)
{
	MetricsSnapshot *m = make_snapshot();
	int64_t commit = m->last_commit_unix_us;

	(void)state;
	assert_true(metrics_lag_seconds(m, commit + 5000000) == 0.0);
	m->is_caught_up = false;
	assert_true(metrics_lag_seconds(m, commit + 5000000) == 5.0);
	/* a clock behind the server's: never negative */
	assert_true(metrics_lag_seconds(m, commit - 1) == 0.0);
	m->last_commit_unix_us = 0;
	assert_true(metrics_lag_seconds(m, commit) == 0.0);
	free(m);
}

static void
expect_health(MetricsSnapshot *m, int64_t now_us, int64_t now_unix_us,
              bool healthy, const char *reason_part)
{
	char reason[512];

	assert_int_equal(
	    metrics_healthz(m, now_us, now_unix_us, reason, sizeof(reason)),
	    healthy);
	if (strstr(reason, reason_part) == NULL)
	{
		fail_msg("reason \"%s\" lacks \"%s\"", reason, reason_part);
	}
}

static void
test_metrics_health(void **state)
{
	MetricsSnapshot *m = make_snapshot();
	int64_t now = m->taken_us + 1000;
	int64_t unix_now = m->last_commit_unix_us + 1000000;
	char reason[256];

	(void)state;
	expect_health(m, now, unix_now, true, "ok: streaming");
	assert_true(metrics_readyz(m, reason, sizeof(reason)));

	m->is_caught_up = false;
	expect_health(m, now, unix_now, true, "lag 1.0 s");
	expect_health(m, now, m->last_commit_unix_us + 61000000, false,
	              "over health_max_lag");
	m->is_caught_up = true;

	m->groups[0].failures = 5;
	expect_health(m, now, unix_now, false, "group \"g\" has failed 5 times");
	m->groups[0].failures = 4;
	expect_health(m, now, unix_now, true, "ok");

	m->is_streaming = false;
	expect_health(m, now, unix_now, false, "replication connection is down");
	m->is_sql_connected = false;
	expect_health(m, now, unix_now, false, "SQL connection is down");
	/* a loop that stopped publishing: stale past max(lag bound, 30 s) */
	expect_health(m, m->taken_us + 61000001, unix_now, false,
	              "has not reported for 61 s");

	m->is_stopping = true;
	expect_health(m, now, unix_now, false, "stopping");
	assert_false(metrics_readyz(m, reason, sizeof(reason)));
	assert_string_equal(reason, "stopping");

	m->is_started = false;
	expect_health(m, now, unix_now, false, "starting");
	assert_false(metrics_readyz(m, reason, sizeof(reason)));
	free(m);
}

static void
copy_taken(const MetricsSnapshot *snap, void *arg)
{
	*(MetricsSnapshot *)arg = *snap;
}

static void
test_metrics_publish(void **state)
{
	MetricsSnapshot *m = make_snapshot();
	MetricsSnapshot *seen = calloc(1, sizeof(*seen));

	(void)state;
	metrics_publish(m);
	assert_true(m->taken_us > 0);
	metrics_with_published(copy_taken, seen);
	assert_int_equal(seen->transactions, 7);
	assert_int_equal(seen->taken_us, m->taken_us);
	assert_string_equal(seen->procs[0].id, "p1");
	free(seen);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_histogram),
	    cmocka_unit_test(test_metrics_errors),
	    cmocka_unit_test(test_metrics_render),
	    cmocka_unit_test(test_metrics_lag),
	    cmocka_unit_test(test_metrics_health),
	    cmocka_unit_test(test_metrics_publish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
