/*
 * test_sched.c: unit tests for sched.c with hand-built ConfigGroup and
 * Group structs. Covers: sched_next is -1 and leaves *wait_us alone when
 * nothing is pending; the coalescing window (not ready before
 * dirty_us + window, ready from then on, wait_us = the time remaining, the
 * soonest over processors); the oldest work runs first, including a retried
 * in-flight batch; a failed batch waits for retry_at (sched_failed) and is
 * run again with the same keys (sched_take returns the same batch), while
 * new dirty keys wait behind it; sched_done clears it; sched_hold is the
 * minimum over dirty heads and in-flight batches, false when nothing is
 * held; sched_is_full and sched_dirty_total; sched_backoff_ms stays within
 * [min/2, max] and grows with the attempt number until capped. A rescan
 * (after a TRUNCATE): ready at once, holds its position until the short
 * page commits, alternates with dirty batches, restarts when another
 * TRUNCATE comes while a page is in flight, and forgets saturated keys.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "sched.h"

#define NO_WAIT (-4242)

static ConfigGroup
make_config(const char *id, int64_t window_ms, int batch_size)
{
	ConfigGroup c = {0};

	snprintf(c.name, sizeof(c.name), "%s", id);
	c.window_ms = window_ms;
	c.batch_size = batch_size;
	return c;
}

static void
test_sched_idle(void **state)
{
	ConfigGroup cfg = make_config("p", 20, 10);
	Group procs[2];
	int64_t wait_us = NO_WAIT;
	Lsn hold = 99;

	(void)state;
	sched_group_init(&procs[0], &cfg);
	sched_group_init(&procs[1], &cfg);
	assert_ptr_equal(procs[0].config, &cfg);
	assert_false(procs[0].has_inflight);
	assert_int_equal(procs[0].failures, 0);

	assert_int_equal(sched_next(procs, 2, 1000000, &wait_us), -1);
	assert_int_equal(wait_us, NO_WAIT);
	assert_int_equal(sched_next(procs, 0, 1000000, &wait_us), -1);
	assert_int_equal(wait_us, NO_WAIT);
	assert_false(sched_hold(procs, 2, &hold));
	assert_true(hold == 99);
	assert_false(sched_hold(procs, 0, &hold));
	assert_int_equal(sched_dirty_total(procs, 2), 0);
	assert_false(sched_is_full(procs, 2, 1));

	sched_group_free(&procs[0]);
	sched_group_free(&procs[1]);
}

static void
test_sched_window(void **state)
{
	ConfigGroup cfg = make_config("p", 20, 10);
	Group p;
	const int64_t t0 = 5000000;
	int64_t wait_us = NO_WAIT;

	(void)state;
	sched_group_init(&p, &cfg);
	dirty_set_add(&p.dirty, 1, 100, t0, 0, 0);
	/* later keys do not push the window back */
	dirty_set_add(&p.dirty, 2, 100, t0 + 15000, 0, 0);

	assert_int_equal(sched_next(&p, 1, t0, &wait_us), -1);
	assert_int_equal(wait_us, 20000);
	wait_us = NO_WAIT;
	assert_int_equal(sched_next(&p, 1, t0 + 12345, &wait_us), -1);
	assert_int_equal(wait_us, 20000 - 12345);
	wait_us = NO_WAIT;
	assert_int_equal(sched_next(&p, 1, t0 + 19999, &wait_us), -1);
	assert_int_equal(wait_us, 1);

	/* ready at dirty_us + window and after; wait_us is not touched */
	wait_us = NO_WAIT;
	assert_int_equal(sched_next(&p, 1, t0 + 20000, &wait_us), 0);
	assert_int_equal(wait_us, NO_WAIT);
	assert_int_equal(sched_next(&p, 1, t0 + 999999, &wait_us), 0);
	assert_int_equal(wait_us, NO_WAIT);

	sched_group_free(&p);
}

static void
test_sched_zero_window(void **state)
{
	ConfigGroup cfg = make_config("p", 0, 10);
	Group p;
	int64_t wait_us = NO_WAIT;

	(void)state;
	sched_group_init(&p, &cfg);
	dirty_set_add(&p.dirty, 1, 100, 777, 0, 0);
	assert_int_equal(sched_next(&p, 1, 776, &wait_us), -1);
	assert_int_equal(wait_us, 1);
	assert_int_equal(sched_next(&p, 1, 777, &wait_us), 0);
	sched_group_free(&p);
}

typedef struct OldestCase
{
	const char *name;
	int64_t window_ms[3];
	int64_t dirty_us[3]; /* -1: processor idle */
	int64_t now_us;
	int expected;
	int64_t expected_wait_us; /* when expected is -1 */
} OldestCase;

static const OldestCase oldest_cases[] = {
    {"all ready: oldest wins", {10, 10, 10}, {3000, 1000, 2000}, 100000, 1, 0},
    {"oldest is first", {10, 10, 10}, {1000, 2000, 3000}, 100000, 0, 0},
    {"oldest is last", {10, 10, 10}, {3000, 2000, 1000}, 100000, 2, 0},
    {"idle ones skipped", {10, 10, 10}, {-1, 5000, -1}, 100000, 1, 0},
    {"oldest not ready yet", {500, 10, 10}, {1000, 2000, 3000}, 100000, 1, 0},
    {"only the young is ready", {500, 500, 1}, {1000, 2000, 3000}, 5000, 2, 0},
    {"none ready: soonest wait", {50, 20, 30}, {0, 0, 0}, 1000, -1, 19000},
    {"none ready: mixed", {50, 20, 5}, {0, 10000, 8000}, 9000, -1, 4000},
    {"all idle", {10, 10, 10}, {-1, -1, -1}, 9000, -1, NO_WAIT},
};

static void
test_sched_oldest_first(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(oldest_cases) / sizeof(oldest_cases[0]); i++)
	{
		const OldestCase *c = &oldest_cases[i];
		ConfigGroup cfg[3];
		Group procs[3];
		int64_t wait_us = NO_WAIT;
		int next;

		for (int k = 0; k < 3; k++)
		{
			cfg[k] = make_config("p", c->window_ms[k], 10);
			sched_group_init(&procs[k], &cfg[k]);
			if (c->dirty_us[k] >= 0)
			{
				dirty_set_add(&procs[k].dirty, 1, 1, c->dirty_us[k], 0, 0);
				dirty_set_add(&procs[k].dirty, 2, 1, c->dirty_us[k] + 1, 0, 0);
			}
		}
		next = sched_next(procs, 3, c->now_us, &wait_us);
		if (next != c->expected)
		{
			fail_msg("%s: sched_next = %d, expected %d", c->name, next,
			         c->expected);
		}
		if (c->expected < 0 && wait_us != c->expected_wait_us)
		{
			fail_msg("%s: wait_us = %lld, expected %lld", c->name,
			         (long long)wait_us, (long long)c->expected_wait_us);
		}
		if (c->expected >= 0 && wait_us != NO_WAIT)
		{
			fail_msg("%s: wait_us changed to %lld", c->name,
			         (long long)wait_us);
		}
		for (int k = 0; k < 3; k++)
		{
			sched_group_free(&procs[k]);
		}
	}
}

static void
test_sched_take_and_done(void **state)
{
	ConfigGroup cfg = make_config("p", 0, 3);
	Group p;
	Batch *batch;
	Lsn hold = 0;

	(void)state;
	sched_group_init(&p, &cfg);
	for (int64_t k = 1; k <= 5; k++)
	{
		dirty_set_add(&p.dirty, k, (Lsn)(10 * k), 100 * k, 0, 0);
	}
	batch = sched_take(&p, 999);
	assert_ptr_equal(batch, &p.inflight);
	assert_true(p.has_inflight);
	assert_int_equal(batch->nkeys, 3);
	assert_int_equal(batch->keys[0], 1);
	assert_int_equal(batch->keys[2], 3);
	assert_true(batch->upto_lsn == 999);
	assert_true(batch->safe_lsn == 10);
	assert_int_equal(p.dirty.count, 2);
	assert_int_equal(sched_dirty_total(&p, 1), 2);

	/* a take while in flight returns the same batch, untouched */
	batch = sched_take(&p, 2000);
	assert_ptr_equal(batch, &p.inflight);
	assert_int_equal(batch->nkeys, 3);
	assert_int_equal(batch->keys[0], 1);
	assert_true(batch->upto_lsn == 999);
	assert_int_equal(p.dirty.count, 2);

	assert_true(sched_hold(&p, 1, &hold));
	assert_true(hold == 10);

	sched_done(&p);
	assert_false(p.has_inflight);
	assert_int_equal(p.failures, 0);
	assert_true(sched_hold(&p, 1, &hold));
	assert_true(hold == 40);

	batch = sched_take(&p, 3000);
	assert_int_equal(batch->nkeys, 2);
	assert_int_equal(batch->keys[0], 4);
	assert_int_equal(batch->keys[1], 5);
	assert_true(batch->upto_lsn == 3000);
	assert_true(batch->safe_lsn == 40);
	sched_done(&p);
	assert_false(sched_hold(&p, 1, &hold));
	sched_group_free(&p);
}

static void
test_sched_failed_retry(void **state)
{
	ConfigGroup cfg = make_config("p", 20, 2);
	Group p;
	Batch *batch;
	const int64_t t0 = 10000000;
	int64_t now = t0 + 20000;
	int64_t wait_us = NO_WAIT;
	int64_t delay_ms;
	Lsn hold = 0;

	(void)state;
	sched_group_init(&p, &cfg);
	dirty_set_add(&p.dirty, 11, 100, t0, 0, 0);
	dirty_set_add(&p.dirty, 12, 110, t0 + 1, 0, 0);
	dirty_set_add(&p.dirty, 13, 120, t0 + 2, 0, 0);
	assert_int_equal(sched_next(&p, 1, now, &wait_us), 0);
	batch = sched_take(&p, 500);
	assert_int_equal(batch->nkeys, 2);

	delay_ms = sched_failed(&p, now, 100, 60000);
	assert_int_equal(p.failures, 1);
	assert_true(delay_ms >= 50);
	assert_true(delay_ms <= 100);
	assert_int_equal(p.retry_at_us, now + delay_ms * 1000);
	assert_true(p.has_inflight);

	/* new keys arrive and pass their window: still wait for the retry */
	dirty_set_add(&p.dirty, 14, 130, now, 0, 0);
	wait_us = NO_WAIT;
	assert_int_equal(sched_next(&p, 1, p.retry_at_us - 1, &wait_us), -1);
	assert_int_equal(wait_us, 1);
	wait_us = NO_WAIT;
	assert_int_equal(sched_next(&p, 1, now, &wait_us), -1);
	assert_int_equal(wait_us, delay_ms * 1000);

	/* the hold is the in-flight batch's safe_lsn */
	assert_true(sched_hold(&p, 1, &hold));
	assert_true(hold == 100);

	/* at retry_at: same batch, same keys, even with more keys dirty */
	wait_us = NO_WAIT;
	assert_int_equal(sched_next(&p, 1, p.retry_at_us, &wait_us), 0);
	assert_int_equal(wait_us, NO_WAIT);
	batch = sched_take(&p, 900);
	assert_ptr_equal(batch, &p.inflight);
	assert_int_equal(batch->nkeys, 2);
	assert_int_equal(batch->keys[0], 11);
	assert_int_equal(batch->keys[1], 12);
	assert_true(batch->safe_lsn == 100);
	assert_true(batch->upto_lsn == 500);
	assert_int_equal(p.dirty.count, 2);

	/* a second failure backs off further: [min, 2 * min] */
	now = p.retry_at_us;
	delay_ms = sched_failed(&p, now, 100, 60000);
	assert_int_equal(p.failures, 2);
	assert_true(delay_ms >= 100);
	assert_true(delay_ms <= 200);
	assert_int_equal(p.retry_at_us, now + delay_ms * 1000);
	assert_int_equal(sched_next(&p, 1, p.retry_at_us - 1, &wait_us), -1);
	assert_int_equal(sched_next(&p, 1, p.retry_at_us, &wait_us), 0);
	batch = sched_take(&p, 1000);
	assert_int_equal(batch->keys[0], 11);
	assert_int_equal(batch->keys[1], 12);

	/* done: the rest of the dirty set is next, failures reset */
	sched_done(&p);
	assert_false(p.has_inflight);
	assert_int_equal(p.failures, 0);
	assert_true(sched_hold(&p, 1, &hold));
	assert_true(hold == 120);
	assert_int_equal(sched_next(&p, 1, p.retry_at_us, &wait_us), 0);
	batch = sched_take(&p, 1000);
	assert_int_equal(batch->nkeys, 2);
	assert_int_equal(batch->keys[0], 13);
	assert_int_equal(batch->keys[1], 14);
	assert_true(batch->upto_lsn == 1000);
	sched_done(&p);
	assert_false(sched_hold(&p, 1, &hold));
	sched_group_free(&p);
}

static void
test_sched_retry_is_oldest_work(void **state)
{
	ConfigGroup cfg0 = make_config("a", 20, 10);
	ConfigGroup cfg1 = make_config("b", 20, 10);
	Group procs[2];
	int64_t wait_us = NO_WAIT;
	int64_t retry_at;
	Lsn hold = 0;

	(void)state;
	sched_group_init(&procs[0], &cfg0);
	sched_group_init(&procs[1], &cfg1);
	/* processor 1's batch, dirtied at 1000, fails */
	dirty_set_add(&procs[1].dirty, 7, 5, 1000, 0, 0);
	(void)sched_take(&procs[1], 10);
	(void)sched_failed(&procs[1], 50000, 100, 100);
	retry_at = procs[1].retry_at_us;
	assert_true(retry_at >= 50000 + 50000);
	assert_true(retry_at <= 50000 + 100000);

	/* processor 0's younger work is ready before the retry */
	dirty_set_add(&procs[0].dirty, 8, 6, 2000, 0, 0);
	assert_int_equal(sched_next(procs, 2, retry_at - 1, &wait_us), 0);
	assert_int_equal(wait_us, NO_WAIT);
	/* once both are ready, the retry has the older work */
	assert_int_equal(sched_next(procs, 2, retry_at, &wait_us), 1);

	/* the in-flight batch holds the ack below the other's dirty head */
	assert_true(sched_hold(procs, 2, &hold));
	assert_true(hold == 5);

	sched_group_free(&procs[0]);
	sched_group_free(&procs[1]);
}

static void
test_sched_hold_minimum(void **state)
{
	ConfigGroup cfg = make_config("p", 20, 1);
	Group procs[3];
	Lsn hold = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
	{
		sched_group_init(&procs[i], &cfg);
	}
	dirty_set_add(&procs[0].dirty, 1, 300, 0, 0, 0);
	dirty_set_add(&procs[1].dirty, 1, 200, 0, 0, 0);
	dirty_set_add(&procs[2].dirty, 1, 250, 0, 0, 0);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 200);
	assert_true(sched_hold(procs, 1, &hold));
	assert_true(hold == 300);

	/* processor 1's key goes in flight: it still holds at 200 */
	dirty_set_add(&procs[1].dirty, 2, 400, 0, 0, 0);
	(void)sched_take(&procs[1], 500);
	assert_int_equal(procs[1].dirty.count, 1);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 200);

	/* committed: the next smallest is processor 2's head */
	sched_done(&procs[1]);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 250);

	/* in flight below every dirty head, on the last processor */
	(void)sched_take(&procs[2], 600);
	dirty_set_add(&procs[2].dirty, 9, 700, 0, 0, 0);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 250);
	sched_done(&procs[2]);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 300);

	/* only in-flight batches, no dirty keys */
	dirty_set_clear(&procs[0].dirty);
	dirty_set_clear(&procs[1].dirty);
	dirty_set_clear(&procs[2].dirty);
	assert_false(sched_hold(procs, 3, &hold));
	dirty_set_add(&procs[0].dirty, 1, 800, 0, 0, 0);
	dirty_set_add(&procs[2].dirty, 1, 750, 0, 0, 0);
	(void)sched_take(&procs[0], 900);
	(void)sched_take(&procs[2], 900);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 750);
	sched_done(&procs[2]);
	assert_true(sched_hold(procs, 3, &hold));
	assert_true(hold == 800);
	sched_done(&procs[0]);
	assert_false(sched_hold(procs, 3, &hold));

	for (int i = 0; i < 3; i++)
	{
		sched_group_free(&procs[i]);
	}
}

typedef struct FullCase
{
	int counts[3];
	int64_t dirty_keys_max;
	bool expected;
} FullCase;

static const FullCase full_cases[] = {
    {{0, 0, 0}, 1, false}, {{1, 0, 0}, 1, true},   {{0, 0, 1}, 1, true},
    {{2, 2, 2}, 3, false}, {{2, 3, 2}, 3, true},   {{5, 0, 0}, 4, true},
    {{3, 3, 3}, 4, false}, {{3, 3, 3}, 10, false}, {{0, 0, 9}, 9, true},
};

static void
test_sched_is_full(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(full_cases) / sizeof(full_cases[0]); i++)
	{
		const FullCase *c = &full_cases[i];
		ConfigGroup cfg = make_config("p", 20, 100);
		Group procs[3];
		size_t total = 0;

		for (int k = 0; k < 3; k++)
		{
			sched_group_init(&procs[k], &cfg);
			for (int key = 0; key < c->counts[k]; key++)
			{
				dirty_set_add(&procs[k].dirty, key, 1, 0, 0, 0);
			}
			total += (size_t)c->counts[k];
		}
		if (sched_is_full(procs, 3, c->dirty_keys_max) != c->expected)
		{
			fail_msg("case %zu: sched_is_full(%d,%d,%d; max %lld) != %d", i,
			         c->counts[0], c->counts[1], c->counts[2],
			         (long long)c->dirty_keys_max, c->expected);
		}
		assert_int_equal(sched_dirty_total(procs, 3), total);
		for (int k = 0; k < 3; k++)
		{
			sched_group_free(&procs[k]);
		}
	}
}

static void
test_sched_is_full_excludes_inflight(void **state)
{
	ConfigGroup cfg = make_config("p", 0, 2);
	Group p;

	(void)state;
	sched_group_init(&p, &cfg);
	for (int key = 0; key < 3; key++)
	{
		dirty_set_add(&p.dirty, key, 1, 0, 0, 0);
	}
	assert_true(sched_is_full(&p, 1, 3));
	(void)sched_take(&p, 1);
	assert_false(sched_is_full(&p, 1, 3));
	assert_true(sched_is_full(&p, 1, 1));
	assert_int_equal(sched_dirty_total(&p, 1), 1);
	sched_group_free(&p);
}

typedef struct BackoffCase
{
	int64_t min_ms;
	int64_t max_ms;
} BackoffCase;

static const BackoffCase backoff_cases[] = {
    {100, 60000}, {100, 30000},  {1, 1},           {1, 1000},
    {7, 7},       {3, 1000},     {1000, 1001},     {250, 250},
    {1, 2},       {5000, 60000}, {100, 100000000},
};

/* The cap before jitter: min doubled attempt - 1 times, at most max. */
static int64_t
backoff_cap(int attempt, int64_t min_ms, int64_t max_ms)
{
	int64_t d = min_ms;

	for (int i = 1; i < attempt && d < max_ms; i++)
	{
		d *= 2;
	}
	return d < max_ms ? d : max_ms;
}

static void
test_sched_backoff_bounds(void **state)
{
	static const int attempts[] = {INT_MIN, -1, 0,   1,    2,      3,
	                               4,       5,  10,  20,   30,     62,
	                               63,      64, 100, 1000, INT_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(backoff_cases) / sizeof(backoff_cases[0]);
	     i++)
	{
		const BackoffCase *c = &backoff_cases[i];

		for (size_t a = 0; a < sizeof(attempts) / sizeof(attempts[0]); a++)
		{
			int64_t cap = backoff_cap(attempts[a], c->min_ms, c->max_ms);

			for (int n = 0; n < 200; n++)
			{
				int64_t d = sched_backoff_ms(attempts[a], c->min_ms, c->max_ms);

				if (d < c->min_ms / 2 || d > c->max_ms || d < cap / 2 ||
				    d > cap)
				{
					fail_msg("backoff(%d, %lld, %lld) = %lld: outside "
					         "[%lld, %lld]",
					         attempts[a], (long long)c->min_ms,
					         (long long)c->max_ms, (long long)d,
					         (long long)(cap / 2), (long long)cap);
				}
			}
		}
	}
}

static void
test_sched_backoff_grows(void **state)
{
	const int64_t min_ms = 100;
	const int64_t max_ms = 60000;
	int64_t prev_cap = 0;
	int64_t prev_hi = 0;
	double prev_mean = 0;

	(void)state;
	/*
	 * Caps 100, 200, ... 51200, then 60000. While the cap doubles, each
	 * range [cap/2, cap] starts where the previous one ended, so every delay
	 * of attempt n + 1 is >= every delay of attempt n. Where the cap is hit
	 * the ranges overlap, but the mean still grows until the cap stops it.
	 */
	for (int attempt = 1; attempt <= 15; attempt++)
	{
		int64_t cap = backoff_cap(attempt, min_ms, max_ms);
		int64_t lo = INT64_MAX;
		int64_t hi = 0;
		double sum = 0;
		double mean;

		for (int n = 0; n < 500; n++)
		{
			int64_t d = sched_backoff_ms(attempt, min_ms, max_ms);

			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
			sum += (double)d;
		}
		mean = sum / 500;
		assert_true(lo >= min_ms / 2);
		assert_true(hi <= max_ms);
		/* jitter spreads: not the same value every time */
		assert_true(hi > lo);
		if (cap == 2 * prev_cap)
		{
			assert_true(lo >= prev_hi);
		}
		if (cap > prev_cap)
		{
			assert_true(mean > prev_mean);
		}
		else
		{
			assert_int_equal(cap, max_ms);
			assert_true(lo >= max_ms / 2);
		}
		prev_cap = cap;
		prev_hi = hi;
		prev_mean = mean;
	}
	assert_int_equal(prev_cap, max_ms);
	/* far past the cap it stays within [max/2, max] */
	for (int n = 0; n < 500; n++)
	{
		int64_t d = sched_backoff_ms(1000000, min_ms, max_ms);

		assert_true(d >= max_ms / 2);
		assert_true(d <= max_ms);
	}
}

/* Fill an in-flight rescan page as recompute_rescan_page() would. */
static void
fill_page(Group *g, int64_t first, int n)
{
	batch_reserve(&g->inflight, n > 0 ? n : 1);
	g->inflight.nkeys = n;
	for (int i = 0; i < n; i++)
	{
		g->inflight.keys[i] = first + i;
	}
}

static void
test_sched_rescan(void **state)
{
	ConfigGroup cfg = make_config("p", 20, 3);
	Group g;
	const int64_t t0 = 7000000;
	int64_t wait_us = NO_WAIT;
	int64_t unused;
	Lsn hold = 0;
	Batch *b;

	(void)state;
	sched_group_init(&g, &cfg);
	lookup_set(&g.saturated, 42, 0);
	sched_rescan(&g, 500, t0, 0);
	/* saturated keys are forgotten: the TRUNCATE may have lowered them */
	assert_false(lookup_get(&g.saturated, 42, &unused));
	/* ready at once, no window, and holds the TRUNCATE's position */
	assert_int_equal(sched_next(&g, 1, t0, &wait_us), 0);
	assert_true(sched_hold(&g, 1, &hold));
	assert_true(hold == 500);

	/* first page: empty batch, in flight, filled by the recompute */
	b = sched_take(&g, 600);
	assert_true(g.inflight_is_rescan);
	assert_int_equal(b->nkeys, 0);
	assert_true(b->safe_lsn == 500);
	assert_true(b->upto_lsn == 600);
	fill_page(&g, 10, 3);
	/* a full page: more may follow */
	assert_false(sched_done(&g));
	assert_true(g.rescan);
	assert_true(g.rescan_after == 12);
	assert_true(sched_hold(&g, 1, &hold));
	assert_true(hold == 500);

	/* dirty keys streamed meanwhile alternate with rescan pages */
	dirty_set_add(&g.dirty, 7, 700, t0, 0, 0);
	b = sched_take(&g, 800);
	assert_false(g.inflight_is_rescan);
	assert_int_equal(b->nkeys, 1);
	assert_false(sched_done(&g));
	dirty_set_add(&g.dirty, 8, 800, t0, 0, 0);
	b = sched_take(&g, 800);
	assert_true(g.inflight_is_rescan);

	/* another TRUNCATE while this page is in flight: start over, and this
	 * page (read before it) does not move the rescan on */
	sched_rescan(&g, 900, t0 + 1, 0);
	fill_page(&g, 13, 2);
	assert_false(sched_done(&g));
	assert_true(g.rescan);
	assert_true(g.rescan_after == INT64_MIN);
	/* the first TRUNCATE's position still holds */
	assert_true(sched_hold(&g, 1, &hold));
	assert_true(hold == 500);

	b = sched_take(&g, 900); /* the dirty key 8 */
	assert_false(g.inflight_is_rescan);
	assert_false(sched_done(&g));
	b = sched_take(&g, 900);
	assert_true(g.inflight_is_rescan);
	fill_page(&g, 1, 2);
	/* a short page is the last */
	assert_true(sched_done(&g));
	assert_false(g.rescan);
	assert_false(sched_hold(&g, 1, &hold));
	assert_int_equal(sched_next(&g, 1, t0 + 2, &wait_us), -1);

	sched_group_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sched_idle),
	    cmocka_unit_test(test_sched_window),
	    cmocka_unit_test(test_sched_zero_window),
	    cmocka_unit_test(test_sched_oldest_first),
	    cmocka_unit_test(test_sched_take_and_done),
	    cmocka_unit_test(test_sched_failed_retry),
	    cmocka_unit_test(test_sched_retry_is_oldest_work),
	    cmocka_unit_test(test_sched_hold_minimum),
	    cmocka_unit_test(test_sched_is_full),
	    cmocka_unit_test(test_sched_is_full_excludes_inflight),
	    cmocka_unit_test(test_sched_backoff_bounds),
	    cmocka_unit_test(test_sched_backoff_grows),
	    cmocka_unit_test(test_sched_rescan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
