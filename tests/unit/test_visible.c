/*
 * test_visible.c: unit tests for visible.c's parse of
 * pg_current_snapshot()'s text ("xmin:xmax:xip,xip,..."): no xip, one,
 * several, 64-bit values; and malformed text (no colon, one colon, an
 * empty or non-numeric xip), which must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "visible.h"

typedef struct SnapshotCase
{
	const char *text;
	bool ok;
	uint64_t xmax;
	size_t nxip;
	uint64_t xip[3];
} SnapshotCase;

static const SnapshotCase cases[] = {
    {"100:105:", true, 105, 0, {0}},
    {"100:105:101", true, 105, 1, {101}},
    {"100:105:101,103,104", true, 105, 3, {101, 103, 104}},
    {"4294967296:4294967300:4294967297", true, 4294967300u, 1, {4294967297u}},
    {"", false, 0, 0, {0}},
    {"100", false, 0, 0, {0}},
    {"100:105", false, 0, 0, {0}},
    {"100:x:", false, 0, 0, {0}},
    {"100:105:,101", false, 0, 0, {0}},
    {"100:105:10a", false, 0, 0, {0}},
};

static void
test_visible_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const SnapshotCase *c = &cases[i];
		uint64_t xmax = 0;
		uint64_t *xip = NULL;
		size_t nxip = 0;
		bool ok = visible_parse_snapshot(c->text, &xmax, &xip, &nxip);

		if (ok != c->ok)
		{
			fail_msg("\"%s\": parsed %d, expected %d", c->text, ok, c->ok);
		}
		if (ok)
		{
			assert_true(xmax == c->xmax);
			assert_int_equal(nxip, c->nxip);
			for (size_t j = 0; j < nxip; j++)
			{
				assert_true(xip[j] == c->xip[j]);
			}
		}
		free(xip);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_visible_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
