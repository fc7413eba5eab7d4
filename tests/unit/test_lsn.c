/*
 * test_lsn.c: unit tests for lsn.c. Covers lsn_parse on valid LSNs (zero,
 * upper and lower case hex, leading zeros, the largest value) and on
 * malformed text (empty, missing halves, 9 hex digits, extra slashes,
 * non-hex characters, surrounding blanks, signs), checks that a failed parse
 * leaves the output untouched (--endpos must never become a silent 0), and
 * that "%X/%X" with LSN_FORMAT_ARGS round-trips through lsn_parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lsn.h"

typedef struct LsnCase
{
	const char *text;
	Lsn expected;
} LsnCase;

static const LsnCase valid_cases[] = {
    {"0/0", 0},
    {"0/1", 1},
    {"1/0", UINT64_C(1) << 32},
    {"16/B374D848", UINT64_C(0x16B374D848)},
    {"16/b374d848", UINT64_C(0x16B374D848)},
    {"aBcD/eF01", UINT64_C(0x0000ABCD0000EF01)},
    {"FFFFFFFF/FFFFFFFF", UINT64_MAX},
    {"ffffffff/ffffffff", UINT64_MAX},
    {"00000000/00000001", 1},
    {"7FFFFFFF/80000000", UINT64_C(0x7FFFFFFF80000000)},
};

static const char *const invalid_cases[] = {
    "",      "/",           "1/",          "/1",
    "1",     "123456789/0", "0/123456789", "000000000/0",
    "1/2/3", "1//1",        "g/1",         "1/g",
    " 1/1",  "1/1 ",        "1 /1",        "1/ 1",
    "+1/1",  "-1/1",        "0x1/1",       "1/1\n",
    "1.0/1",
};

static void
test_lsn_parse_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
	{
		const LsnCase *c = &valid_cases[i];
		Lsn lsn = 12345;

		if (!lsn_parse(c->text, &lsn))
		{
			fail_msg("lsn_parse(\"%s\") failed", c->text);
		}
		if (lsn != c->expected)
		{
			fail_msg("lsn_parse(\"%s\") = %X/%X, expected %X/%X", c->text,
			         LSN_FORMAT_ARGS(lsn), LSN_FORMAT_ARGS(c->expected));
		}
	}
}

static void
test_lsn_parse_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]);
	     i++)
	{
		const char *text = invalid_cases[i];
		Lsn lsn = 12345;

		if (lsn_parse(text, &lsn))
		{
			fail_msg("lsn_parse(\"%s\") accepted it as %X/%X", text,
			         LSN_FORMAT_ARGS(lsn));
		}
		if (lsn != 12345)
		{
			fail_msg("lsn_parse(\"%s\") failed but wrote the output", text);
		}
	}
}

static void
test_lsn_format_round_trip(void **state)
{
	static const Lsn values[] = {
	    0,
	    1,
	    UINT64_C(0xFFFFFFFF),
	    UINT64_C(0x100000000),
	    UINT64_C(0x16B374D848),
	    UINT64_C(0x0000000100000001),
	    UINT64_C(0x7FFFFFFFFFFFFFFF),
	    UINT64_MAX,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
	{
		char text[32];
		Lsn parsed = 0;
		int n =
		    snprintf(text, sizeof(text), "%X/%X", LSN_FORMAT_ARGS(values[i]));

		assert_true(n > 0 && (size_t)n < sizeof(text));
		assert_true(lsn_parse(text, &parsed));
		assert_true(parsed == values[i]);
	}
}

static void
test_lsn_format_args_text(void **state)
{
	char text[32];

	(void)state;
	snprintf(text, sizeof(text), "%X/%X",
	         LSN_FORMAT_ARGS(UINT64_C(0x16B374D848)));
	assert_string_equal(text, "16/B374D848");
	snprintf(text, sizeof(text), "%X/%X", LSN_FORMAT_ARGS(LSN_INVALID));
	assert_string_equal(text, "0/0");
	snprintf(text, sizeof(text), "%X/%X", LSN_FORMAT_ARGS(UINT64_MAX));
	assert_string_equal(text, "FFFFFFFF/FFFFFFFF");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lsn_parse_valid),
	    cmocka_unit_test(test_lsn_parse_invalid),
	    cmocka_unit_test(test_lsn_format_round_trip),
	    cmocka_unit_test(test_lsn_format_args_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
