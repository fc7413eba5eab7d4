/*
 * test_lookup.c: unit tests for lookup.c, the int64 -> int64 maps such as
 * track_owner. Covers set and get, replace (count unchanged), delete,
 * deleting or getting a missing key (the output is left untouched), extreme
 * keys and values, lookup_clear and reuse, a 100k-key run with replaces
 * and deletes whose leaks `make valgrind` would catch, and a random
 * sequence checked step by step against a plain array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lookup.h"

typedef struct LookupCase
{
	int64_t key;
	int64_t value;
} LookupCase;

static const LookupCase pairs[] = {
    {1, 100},        {2, 200},        {-1, -100},
    {0, 0},          {INT64_MAX, 7},  {INT64_MIN, 8},
    {42, INT64_MAX}, {43, INT64_MIN}, {1000000007, 3},
};

#define NPAIRS ((int)(sizeof(pairs) / sizeof(pairs[0])))

static void
test_lookup_set_get(void **state)
{
	Lookup l;
	int64_t v;

	(void)state;
	lookup_init(&l);
	assert_int_equal(l.count, 0);
	for (int i = 0; i < NPAIRS; i++)
	{
		lookup_set(&l, pairs[i].key, pairs[i].value);
		assert_int_equal(l.count, i + 1);
	}
	for (int i = 0; i < NPAIRS; i++)
	{
		v = -12345;
		assert_true(lookup_get(&l, pairs[i].key, &v));
		assert_int_equal(v, pairs[i].value);
	}
	lookup_clear(&l);
	assert_int_equal(l.count, 0);
}

static void
test_lookup_missing(void **state)
{
	static const int64_t missing[] = {3, -2, 99, INT64_MAX - 1};
	Lookup l;
	int64_t v;

	(void)state;
	lookup_init(&l);
	v = -12345;
	assert_false(lookup_get(&l, 1, &v));
	assert_int_equal(v, -12345);
	lookup_delete(&l, 1);
	assert_int_equal(l.count, 0);

	for (int i = 0; i < NPAIRS; i++)
	{
		lookup_set(&l, pairs[i].key, pairs[i].value);
	}
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
	{
		v = -12345;
		assert_false(lookup_get(&l, missing[i], &v));
		assert_int_equal(v, -12345);
		lookup_delete(&l, missing[i]);
		assert_int_equal(l.count, NPAIRS);
	}
	lookup_clear(&l);
}

static void
test_lookup_replace(void **state)
{
	Lookup l;
	int64_t v = 0;

	(void)state;
	lookup_init(&l);
	lookup_set(&l, 10, 1);
	lookup_set(&l, 11, 2);
	lookup_set(&l, 10, 3);
	assert_int_equal(l.count, 2);
	assert_true(lookup_get(&l, 10, &v));
	assert_int_equal(v, 3);
	assert_true(lookup_get(&l, 11, &v));
	assert_int_equal(v, 2);
	/* the same value again is a no-op */
	lookup_set(&l, 10, 3);
	assert_int_equal(l.count, 2);
	assert_true(lookup_get(&l, 10, &v));
	assert_int_equal(v, 3);
	lookup_clear(&l);
}

static void
test_lookup_delete(void **state)
{
	Lookup l;
	int64_t v = 0;

	(void)state;
	lookup_init(&l);
	for (int i = 0; i < NPAIRS; i++)
	{
		lookup_set(&l, pairs[i].key, pairs[i].value);
	}
	for (int i = 0; i < NPAIRS; i += 2)
	{
		lookup_delete(&l, pairs[i].key);
		/* twice: the second is a no-op */
		lookup_delete(&l, pairs[i].key);
	}
	assert_int_equal(l.count, NPAIRS / 2);
	for (int i = 0; i < NPAIRS; i++)
	{
		v = -12345;
		if (i % 2 == 0)
		{
			assert_false(lookup_get(&l, pairs[i].key, &v));
			assert_int_equal(v, -12345);
		}
		else
		{
			assert_true(lookup_get(&l, pairs[i].key, &v));
			assert_int_equal(v, pairs[i].value);
		}
	}
	/* a deleted key can come back with a new value */
	lookup_set(&l, pairs[0].key, 555);
	assert_true(lookup_get(&l, pairs[0].key, &v));
	assert_int_equal(v, 555);
	assert_int_equal(l.count, NPAIRS / 2 + 1);
	lookup_clear(&l);
}

static void
test_lookup_clear_and_reuse(void **state)
{
	Lookup l;
	int64_t v = 0;

	(void)state;
	lookup_init(&l);
	lookup_clear(&l);
	assert_int_equal(l.count, 0);
	for (int64_t k = 0; k < 100; k++)
	{
		lookup_set(&l, k, k);
	}
	lookup_clear(&l);
	assert_int_equal(l.count, 0);
	assert_null(l.slots);
	assert_false(lookup_get(&l, 5, &v));
	lookup_set(&l, 5, 6);
	assert_true(lookup_get(&l, 5, &v));
	assert_int_equal(v, 6);
	assert_int_equal(l.count, 1);
	lookup_clear(&l);
}

#define MANY 100000

static void
test_lookup_many(void **state)
{
	Lookup l;
	int64_t v;

	(void)state;
	lookup_init(&l);
	for (int64_t k = 0; k < MANY; k++)
	{
		lookup_set(&l, k * 104729, k);
	}
	assert_int_equal(l.count, MANY);
	/* an ownership change for every third track */
	for (int64_t k = 0; k < MANY; k += 3)
	{
		lookup_set(&l, k * 104729, -k);
	}
	assert_int_equal(l.count, MANY);
	/* every fifth track deleted */
	for (int64_t k = 0; k < MANY; k += 5)
	{
		lookup_delete(&l, k * 104729);
	}
	assert_int_equal(l.count, MANY - MANY / 5);
	for (int64_t k = 0; k < MANY; k++)
	{
		bool found = lookup_get(&l, k * 104729, &v);

		if (k % 5 == 0)
		{
			assert_false(found);
			continue;
		}
		assert_true(found);
		assert_int_equal(v, k % 3 == 0 ? -k : k);
		/* keys in between are absent */
		assert_false(lookup_get(&l, k * 104729 + 1, &v));
	}
	lookup_clear(&l);
	assert_int_equal(l.count, 0);
}

/*
 * Random sets, replaces and deletes over a small key range, checked after
 * every step against a plain array: the range keeps the table crowded, so
 * probe runs wrap around the end and deletions shift long runs back, which
 * is where an open-addressing table goes wrong. A reserve in the middle
 * rehashes a populated table.
 */
#define MODEL_KEYS 512
#define MODEL_STEPS 200000

static void
test_lookup_model(void **state)
{
	static int64_t model[MODEL_KEYS];
	static bool present[MODEL_KEYS];
	uint64_t rng = 0x9e3779b97f4a7c15u;
	Lookup l;
	size_t count = 0;

	(void)state;
	lookup_init(&l);
	for (int step = 0; step < MODEL_STEPS; step++)
	{
		int64_t key;
		int64_t v;
		int k;

		rng = rng * 6364136223846793005u + 1442695040888963407u;
		k = (int)((rng >> 33) % MODEL_KEYS);
		/* negative, zero and INT64_MIN keys included */
		key = k == 0 ? INT64_MIN : (int64_t)k * 1024 - 3000;
		if ((rng >> 20) % 3 == 0)
		{
			lookup_delete(&l, key);
			count -= present[k] ? 1 : 0;
			present[k] = false;
		}
		else
		{
			lookup_set(&l, key, (int64_t)step);
			count += present[k] ? 0 : 1;
			present[k] = true;
			model[k] = step;
		}
		if (step == MODEL_STEPS / 2)
		{
			lookup_reserve(&l, 4 * MODEL_KEYS);
		}
		assert_int_equal(l.count, count);
		if (step % 97 == 0)
		{
			for (int i = 0; i < MODEL_KEYS; i++)
			{
				int64_t probe = i == 0 ? INT64_MIN : (int64_t)i * 1024 - 3000;

				v = -1;
				assert_int_equal(lookup_get(&l, probe, &v), present[i]);
				assert_int_equal(v, present[i] ? model[i] : -1);
			}
		}
	}
	lookup_clear(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup_set_get),
	    cmocka_unit_test(test_lookup_missing),
	    cmocka_unit_test(test_lookup_replace),
	    cmocka_unit_test(test_lookup_delete),
	    cmocka_unit_test(test_lookup_clear_and_reuse),
	    cmocka_unit_test(test_lookup_many),
	    cmocka_unit_test(test_lookup_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
