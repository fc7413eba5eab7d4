/*
 * test_dirty.c: unit tests for dirty.c, the per-processor dirty set and the
 * Batch taken from it. Covers: keys leave oldest-dirtied first; re-adding a
 * dirty key keeps its safe_lsn, dirty time and place in line and only raises
 * its commit time; dirty_set_take honours max_keys and leaves the rest in
 * order; the batch carries the smallest safe_lsn, the oldest dirty time and
 * each key's newest commit time; a key taken then dirtied again goes to the
 * back with its new safe_lsn; counts, contains and head on an empty set;
 * dirty_set_clear and reuse; extreme key values; and a 100k-key run whose
 * leaks `make valgrind` would catch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dirty.h"

/* Take everything and compare it with the expected keys, in order. */
static void
expect_take(DirtySet *set, int max_keys, const int64_t *keys, int nkeys)
{
	Batch batch = {0};
	int taken = dirty_set_take(set, &batch, max_keys);

	assert_int_equal(taken, nkeys);
	assert_int_equal(batch.nkeys, nkeys);
	for (int i = 0; i < nkeys; i++)
	{
		assert_int_equal(batch.keys[i], keys[i]);
	}
	batch_free(&batch);
}

static void
test_dirty_empty(void **state)
{
	DirtySet set;
	Batch batch = {0};
	Lsn lsn = 77;
	int64_t dirty_us = 88;

	(void)state;
	dirty_set_init(&set);
	assert_int_equal(set.count, 0);
	assert_false(dirty_set_head(&set, &lsn, &dirty_us));
	assert_true(lsn == 77);
	assert_int_equal(dirty_us, 88);
	assert_false(dirty_set_contains(&set, 1));
	assert_int_equal(dirty_set_take(&set, &batch, 10), 0);
	assert_int_equal(batch.nkeys, 0);
	assert_true(batch.safe_lsn == LSN_INVALID);
	batch_free(&batch);
	dirty_set_clear(&set);
	assert_int_equal(set.count, 0);
}

static void
test_dirty_oldest_first(void **state)
{
	static const int64_t keys[] = {5, 3, 9, 1, -7, 100};
	DirtySet set;
	Lsn lsn;
	int64_t dirty_us;

	(void)state;
	dirty_set_init(&set);
	for (int i = 0; i < 6; i++)
	{
		dirty_set_add(&set, keys[i], (Lsn)(10 * (i + 1)), 1000 + i, 0, 0);
		assert_int_equal(set.count, i + 1);
		assert_true(dirty_set_contains(&set, keys[i]));
	}
	assert_false(dirty_set_contains(&set, 2));
	assert_true(dirty_set_head(&set, &lsn, &dirty_us));
	assert_true(lsn == 10);
	assert_int_equal(dirty_us, 1000);
	expect_take(&set, 100, keys, 6);
	assert_int_equal(set.count, 0);
	for (int i = 0; i < 6; i++)
	{
		assert_false(dirty_set_contains(&set, keys[i]));
	}
	assert_false(dirty_set_head(&set, &lsn, &dirty_us));
	dirty_set_clear(&set);
}

static void
test_dirty_readd_keeps_place(void **state)
{
	DirtySet set;
	Batch batch = {0};
	Lsn lsn;
	int64_t dirty_us;

	(void)state;
	dirty_set_init(&set);
	dirty_set_add(&set, 3, 10, 1000, 500, 0);
	dirty_set_add(&set, 7, 20, 2000, 600, 0);
	/* 3 again, later: same safe_lsn, time and place; newer commit time */
	dirty_set_add(&set, 3, 30, 3000, 900, 0);
	assert_int_equal(set.count, 2);
	assert_true(dirty_set_head(&set, &lsn, &dirty_us));
	assert_true(lsn == 10);
	assert_int_equal(dirty_us, 1000);
	/* an older or unknown (0) commit time does not lower it */
	dirty_set_add(&set, 3, 40, 4000, 700, 0);
	dirty_set_add(&set, 3, 50, 5000, 0, 0);
	dirty_set_add(&set, 7, 60, 6000, 0, 0);
	assert_int_equal(set.count, 2);

	assert_int_equal(dirty_set_take(&set, &batch, 10), 2);
	assert_int_equal(batch.keys[0], 3);
	assert_int_equal(batch.keys[1], 7);
	assert_int_equal(batch.commit_us[0], 900);
	assert_int_equal(batch.commit_us[1], 600);
	assert_true(batch.safe_lsn == 10);
	assert_int_equal(batch.first_dirty_us, 1000);
	assert_int_equal(set.count, 0);
	batch_free(&batch);
	dirty_set_clear(&set);
}

static void
test_dirty_take_max_keys(void **state)
{
	DirtySet set;
	Batch batch = {0};
	Lsn lsn;
	int64_t dirty_us;

	(void)state;
	dirty_set_init(&set);
	for (int64_t k = 0; k < 10; k++)
	{
		dirty_set_add(&set, k, (Lsn)(100 + k), 1000 + k, 5000 + k, 0);
	}

	assert_int_equal(dirty_set_take(&set, &batch, 3), 3);
	for (int i = 0; i < 3; i++)
	{
		assert_int_equal(batch.keys[i], i);
		assert_int_equal(batch.commit_us[i], 5000 + i);
	}
	assert_true(batch.safe_lsn == 100);
	assert_int_equal(batch.first_dirty_us, 1000);
	assert_int_equal(set.count, 7);
	assert_true(dirty_set_head(&set, &lsn, &dirty_us));
	assert_true(lsn == 103);
	assert_int_equal(dirty_us, 1003);

	/* the batch is emptied first and reused */
	assert_int_equal(dirty_set_take(&set, &batch, 4), 4);
	for (int i = 0; i < 4; i++)
	{
		assert_int_equal(batch.keys[i], 3 + i);
	}
	assert_true(batch.safe_lsn == 103);
	assert_int_equal(batch.first_dirty_us, 1003);
	assert_int_equal(set.count, 3);

	/* fewer left than asked for */
	assert_int_equal(dirty_set_take(&set, &batch, 100), 3);
	for (int i = 0; i < 3; i++)
	{
		assert_int_equal(batch.keys[i], 7 + i);
	}
	assert_true(batch.safe_lsn == 107);
	assert_int_equal(set.count, 0);

	/* nothing left: an empty batch */
	assert_int_equal(dirty_set_take(&set, &batch, 1), 0);
	assert_int_equal(batch.nkeys, 0);
	assert_true(batch.safe_lsn == LSN_INVALID);

	batch_free(&batch);
	assert_null(batch.keys);
	assert_null(batch.commit_us);
	assert_int_equal(batch.capacity, 0);
	dirty_set_clear(&set);
}

static void
test_dirty_batch_safe_lsn_is_minimum(void **state)
{
	/* safe_lsn never decreases along the set: it is "received" when added */
	static const Lsn safe[] = {40, 40, 55, 55, 90, 200};
	DirtySet set;
	Batch batch = {0};

	(void)state;
	dirty_set_init(&set);
	for (int i = 0; i < 6; i++)
	{
		dirty_set_add(&set, 1000 + i, safe[i], 10 * i, 0, 0);
	}
	for (int i = 0; i < 6; i += 2)
	{
		assert_int_equal(dirty_set_take(&set, &batch, 2), 2);
		assert_true(batch.safe_lsn == safe[i]);
		assert_true(batch.safe_lsn <= safe[i + 1]);
		assert_int_equal(batch.first_dirty_us, 10 * i);
	}
	batch_free(&batch);
	dirty_set_clear(&set);
}

/*
 * A batch's commit_lsn (the standby fence) is the newest commit among its
 * keys; a key dirtied again keeps its newest commit, whatever the order
 * they arrive in.
 */
static void
test_dirty_batch_commit_lsn_is_maximum(void **state)
{
	DirtySet set;
	Batch batch = {0};

	(void)state;
	dirty_set_init(&set);
	dirty_set_add(&set, 1, 10, 0, 0, 500);
	dirty_set_add(&set, 2, 10, 1, 0, 300);
	dirty_set_add(&set, 1, 20, 2, 0, 400); /* older commit: 500 stays */
	dirty_set_add(&set, 3, 20, 3, 0, LSN_INVALID);
	dirty_set_add(&set, 2, 30, 4, 0, 900);
	assert_int_equal(dirty_set_take(&set, &batch, 1), 1);
	assert_true(batch.commit_lsn == 500);
	assert_int_equal(dirty_set_take(&set, &batch, 2), 2);
	assert_true(batch.commit_lsn == 900);
	dirty_set_add(&set, 4, 40, 5, 0, LSN_INVALID);
	assert_int_equal(dirty_set_take(&set, &batch, 5), 1);
	assert_true(batch.commit_lsn == LSN_INVALID);
	batch_free(&batch);
	dirty_set_clear(&set);
}

static void
test_dirty_taken_then_readded_goes_last(void **state)
{
	static const int64_t order1[] = {2, 3};
	static const int64_t order2[] = {1};
	DirtySet set;
	Batch batch = {0};
	Lsn lsn;
	int64_t dirty_us;

	(void)state;
	dirty_set_init(&set);
	dirty_set_add(&set, 1, 10, 100, 1, 0);
	dirty_set_add(&set, 2, 20, 200, 2, 0);
	dirty_set_add(&set, 3, 30, 300, 3, 0);

	assert_int_equal(dirty_set_take(&set, &batch, 1), 1);
	assert_int_equal(batch.keys[0], 1);
	assert_false(dirty_set_contains(&set, 1));

	dirty_set_add(&set, 1, 40, 400, 4, 0);
	assert_true(dirty_set_contains(&set, 1));
	assert_int_equal(set.count, 3);
	assert_true(dirty_set_head(&set, &lsn, &dirty_us));
	assert_true(lsn == 20);
	assert_int_equal(dirty_us, 200);

	expect_take(&set, 2, order1, 2);
	assert_int_equal(dirty_set_take(&set, &batch, 5), 1);
	assert_int_equal(batch.keys[0], order2[0]);
	assert_true(batch.safe_lsn == 40);
	assert_int_equal(batch.first_dirty_us, 400);
	assert_int_equal(batch.commit_us[0], 4);
	batch_free(&batch);
	dirty_set_clear(&set);
}

static void
test_dirty_extreme_keys(void **state)
{
	static const int64_t keys[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
	DirtySet set;

	(void)state;
	dirty_set_init(&set);
	for (int i = 0; i < 5; i++)
	{
		dirty_set_add(&set, keys[i], 1, 1, INT64_MAX, 0);
	}
	for (int i = 0; i < 5; i++)
	{
		dirty_set_add(&set, keys[i], 2, 2, 0, 0);
	}
	assert_int_equal(set.count, 5);
	for (int i = 0; i < 5; i++)
	{
		assert_true(dirty_set_contains(&set, keys[i]));
	}
	expect_take(&set, 5, keys, 5);
	dirty_set_clear(&set);
}

static void
test_dirty_clear_and_reuse(void **state)
{
	static const int64_t after[] = {42};
	DirtySet set;
	Lsn lsn;
	int64_t dirty_us;

	(void)state;
	dirty_set_init(&set);
	for (int64_t k = 0; k < 1000; k++)
	{
		dirty_set_add(&set, k, 1, 1, 0, 0);
	}
	assert_int_equal(set.count, 1000);
	dirty_set_clear(&set);
	assert_int_equal(set.count, 0);
	assert_null(set.entries);
	assert_false(dirty_set_head(&set, &lsn, &dirty_us));
	assert_false(dirty_set_contains(&set, 0));
	assert_false(dirty_set_contains(&set, 999));

	/* reusable, and a cleared key is new again */
	dirty_set_add(&set, 42, 7, 8, 9, 0);
	assert_int_equal(set.count, 1);
	assert_true(dirty_set_head(&set, &lsn, &dirty_us));
	assert_true(lsn == 7);
	assert_int_equal(dirty_us, 8);
	expect_take(&set, 10, after, 1);
	dirty_set_clear(&set);
	dirty_set_clear(&set);
	assert_int_equal(set.count, 0);
}

#define LARGE_KEYS 100000
#define LARGE_BATCH 1000

static void
test_dirty_large_run(void **state)
{
	DirtySet set;
	Batch batch = {0};
	int64_t next = 0;

	(void)state;
	dirty_set_init(&set);
	/* scattered keys, each dirtied twice; the second add must not move it */
	for (int64_t i = 0; i < LARGE_KEYS; i++)
	{
		dirty_set_add(&set, i * 7919, (Lsn)(i + 1), i, i, 0);
	}
	for (int64_t i = 0; i < LARGE_KEYS; i += 2)
	{
		dirty_set_add(&set, i * 7919, (Lsn)(LARGE_KEYS + 1), LARGE_KEYS, i + 1,
		              0);
	}
	assert_int_equal(set.count, LARGE_KEYS);

	while (set.count > 0)
	{
		int taken = dirty_set_take(&set, &batch, LARGE_BATCH);

		assert_int_equal(taken, LARGE_BATCH);
		assert_true(batch.safe_lsn == (Lsn)(next + 1));
		assert_int_equal(batch.first_dirty_us, next);
		for (int i = 0; i < taken; i++, next++)
		{
			assert_int_equal(batch.keys[i], next * 7919);
			assert_int_equal(batch.commit_us[i],
			                 next % 2 == 0 ? next + 1 : next);
		}
	}
	assert_int_equal(next, LARGE_KEYS);
	assert_int_equal(batch.capacity, LARGE_BATCH);

	/* fill again and drop it all with clear */
	for (int64_t i = 0; i < LARGE_KEYS; i++)
	{
		dirty_set_add(&set, -i, 1, 0, 0, 0);
	}
	assert_int_equal(set.count, LARGE_KEYS);
	dirty_set_clear(&set);
	assert_int_equal(set.count, 0);
	batch_free(&batch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dirty_empty),
	    cmocka_unit_test(test_dirty_oldest_first),
	    cmocka_unit_test(test_dirty_readd_keeps_place),
	    cmocka_unit_test(test_dirty_take_max_keys),
	    cmocka_unit_test(test_dirty_batch_safe_lsn_is_minimum),
	    cmocka_unit_test(test_dirty_batch_commit_lsn_is_maximum),
	    cmocka_unit_test(test_dirty_taken_then_readded_goes_last),
	    cmocka_unit_test(test_dirty_extreme_keys),
	    cmocka_unit_test(test_dirty_clear_and_reuse),
	    cmocka_unit_test(test_dirty_large_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
