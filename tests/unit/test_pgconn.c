/*
 * test_pgconn.c: unit tests for the password masking of pgconn.c that needs
 * no server. pgconn_redact: a conninfo string or URI with its password
 * replaced by ****, other keywords kept. pgconn_redact_word: a command-line
 * word as a usage error echoes it: plain words as they are; the
 * "password=..." half of an unquoted --dsn, a URI with userinfo, and a
 * mistyped "--option=URI" never show the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgconn.h"

#define SECRET "S3cr3t-Xyzzy-42"

static void
assert_no_secret(const char *text)
{
	assert_non_null(text);
	if (strstr(text, SECRET) != NULL || strstr(text, "Xyzzy") != NULL)
	{
		fail_msg("the password shows in \"%s\"", text);
	}
}

static void
test_redact_conninfo(void **state)
{
	char *out;

	(void)state;
	out = pgconn_redact("host=db port=5433 password=" SECRET " user=reckon");
	assert_no_secret(out);
	assert_non_null(strstr(out, "password=****"));
	assert_non_null(strstr(out, "host=db"));
	assert_non_null(strstr(out, "port=5433"));
	free(out);

	out = pgconn_redact("postgresql://reckon:" SECRET "@db:5433/app");
	assert_no_secret(out);
	assert_non_null(strstr(out, "password=****"));
	free(out);
}

static void
test_redact_word(void **state)
{
	static const char *const secret_words[] = {
	    "password=" SECRET,
	    "PASSWORD=" SECRET,
	    "postgresql://reckon:" SECRET "@db/app",
	    "--dns=postgresql://reckon:" SECRET "@db/app",
	    "--dsn=host=db password=" SECRET,
	};
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
	{
		out = pgconn_redact_word(secret_words[i]);
		assert_no_secret(out);
		free(out);
	}
	/* the option name of a mistyped option is kept, for the message */
	out = pgconn_redact_word("--dns=postgresql://reckon:" SECRET "@db/app");
	assert_true(strncmp(out, "--dns=", 6) == 0);
	free(out);
	/* a word without a password is shown as it is */
	out = pgconn_redact_word("--bogus");
	assert_string_equal(out, "--bogus");
	free(out);
	out = pgconn_redact_word("host=db");
	assert_string_equal(out, "host=db");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redact_conninfo),
	    cmocka_unit_test(test_redact_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
