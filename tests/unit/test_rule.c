/*
 * test_rule.c: unit tests of rule.c, the composition of a processor's
 * statements from a rule and a write policy: the three forms, the
 * primary-only blocks, and each way a rule or policy text can break the
 * conventions (table-driven). No server: what the statements do on a
 * database is tests/integration/test_sql*.sh's business.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "embedded.h"
#include "rule.h"

static const char *const policy =
    "-- a policy\n"
    "-- reckon: columns user_id bigint, specifier text, step integer\n"
    "WITH\n"
    "-- reckon: frame\n"
    "rule AS (\n"
    "-- reckon: rule\n"
    ")\n"
    "INSERT INTO t SELECT $2, * FROM rule\n";

static const char *const frame = "-- the frame\n"
                                 "keys AS (SELECT 1)\n\n";

static const char *const rule = "-- a rule\n"
                                "-- reckon: policy toy\n"
                                "SELECT u.id, to_hex(u.id), 1\n"
                                "FROM u\n"
                                "WHERE u.id = ANY ($1)\n"
                                "-- reckon: primary-only begin\n"
                                "\tAND u.ok\n"
                                "-- reckon: primary-only end\n"
                                "\tAND u.live;\n\n";

static void
test_rule_forms(void **state)
{
	char err[256] = "";
	int ncolumns = 0;
	char *primary, *read, *apply;

	(void)state;
	primary = rule_compose(rule, policy, frame, RULE_FORM_PRIMARY, &ncolumns,
	                       err, sizeof(err));
	read = rule_compose(rule, policy, frame, RULE_FORM_READ, NULL, err,
	                    sizeof(err));
	apply = rule_compose(rule, policy, frame, RULE_FORM_APPLY, NULL, err,
	                     sizeof(err));
	assert_int_equal(ncolumns, 3);
	/* the rule inside the policy after the frame, whole, without its final
	 * semicolon */
	assert_string_equal(primary, "-- a policy\n"
	                             "-- reckon: columns user_id bigint, "
	                             "specifier text, step integer\n"
	                             "WITH\n"
	                             "-- the frame\n"
	                             "keys AS (SELECT 1),\n"
	                             "rule AS (\n"
	                             "-- a rule\n"
	                             "-- reckon: policy toy\n"
	                             "SELECT u.id, to_hex(u.id), 1\n"
	                             "FROM u\n"
	                             "WHERE u.id = ANY ($1)\n"
	                             "-- reckon: primary-only begin\n"
	                             "\tAND u.ok\n"
	                             "-- reckon: primary-only end\n"
	                             "\tAND u.live\n"
	                             ")\n"
	                             "INSERT INTO t SELECT $2, * FROM rule\n");
	/* the rule alone after the frame, its primary-only block gone */
	assert_string_equal(read, "WITH\n"
	                          "-- the frame\n"
	                          "keys AS (SELECT 1),\n"
	                          "rule AS (\n"
	                          "-- a rule\n"
	                          "-- reckon: policy toy\n"
	                          "SELECT u.id, to_hex(u.id), 1\n"
	                          "FROM u\n"
	                          "WHERE u.id = ANY ($1)\n"
	                          "\tAND u.live\n"
	                          ")\n"
	                          "SELECT * FROM rule");
	/* the policy over the read's rows, one array parameter per column */
	assert_string_equal(apply, "-- a policy\n"
	                           "-- reckon: columns user_id bigint, "
	                           "specifier text, step integer\n"
	                           "WITH\n"
	                           "-- the frame\n"
	                           "keys AS (SELECT 1),\n"
	                           "rule AS (\n"
	                           "\tSELECT * FROM unnest($4::bigint[], "
	                           "$5::text[], $6::integer[]) AS input (user_id, "
	                           "specifier, step)\n"
	                           ")\n"
	                           "INSERT INTO t SELECT $2, * FROM rule\n");
	free(primary);
	free(read);
	free(apply);
}

static void
test_rule_policy_name(void **state)
{
	char name[RULE_POLICY_NAME_MAX];
	char err[256];

	(void)state;
	assert_true(rule_policy_name(rule, name, sizeof(name), err, sizeof(err)));
	assert_string_equal(name, "toy");
	assert_true(rule_policy_name("  -- reckon:   policy  capped \r\nSELECT 1",
	                             name, sizeof(name), err, sizeof(err)));
	assert_string_equal(name, "capped");
	assert_false(
	    rule_policy_name("SELECT 1", name, sizeof(name), err, sizeof(err)));
	assert_non_null(strstr(err, "no \"-- reckon: policy NAME\" line"));
	assert_false(rule_policy_name("-- reckon: policy a\n-- reckon: policy b\n",
	                              name, sizeof(name), err, sizeof(err)));
	assert_non_null(strstr(err, "more than one"));
	assert_false(rule_policy_name("-- reckon: policy Sticky!\n", name,
	                              sizeof(name), err, sizeof(err)));
	assert_non_null(strstr(err, "names no policy"));
}

/* A rule or policy text the composer must refuse, and why. */
typedef struct RuleBad
{
	const char *what;
	const char *rule;
	const char *policy;
	const char *err;
} RuleBad;

static const RuleBad rule_bad[] = {
    {"policy without a rule line", "SELECT 1",
     "-- reckon: columns a bigint\nSELECT 1", "no \"-- reckon: rule\" line"},
    {"policy with two rule lines", "SELECT 1",
     "-- reckon: columns a bigint\n-- reckon: rule\n-- reckon: rule\n",
     "more than one \"-- reckon: rule\" line"},
    {"policy without columns", "SELECT 1", "-- reckon: rule\n",
     "not exactly one \"-- reckon: columns\" line"},
    {"policy with two columns lines", "SELECT 1",
     "-- reckon: columns a bigint\n-- reckon: columns b text\n"
     "-- reckon: rule\n",
     "not exactly one \"-- reckon: columns\" line"},
    {"a column without a type", "SELECT 1",
     "-- reckon: columns a bigint, b\n-- reckon: rule\n", "is not a list of"},
    {"a column name with a quote", "SELECT 1",
     "-- reckon: columns a\" bigint\n-- reckon: rule\n", "is not a list of"},
    {"a block never ended", "SELECT 1\n-- reckon: primary-only begin\nx\n",
     "-- reckon: columns a bigint\n-- reckon: frame\n-- reckon: rule\n",
     "a \"primary-only begin\" is never ended"},
    {"an end without a begin", "SELECT 1\n-- reckon: primary-only end\n",
     "-- reckon: columns a bigint\n-- reckon: frame\n-- reckon: rule\n",
     "line 2: \"primary-only end\" without a \"primary-only begin\""},
    {"nested blocks",
     "-- reckon: primary-only begin\n-- reckon: primary-only begin\n",
     "-- reckon: columns a bigint\n-- reckon: frame\n-- reckon: rule\n",
     "line 2: \"primary-only begin\" inside a primary-only block"},
    {"an empty rule", " ;\n",
     "-- reckon: columns a bigint\n-- reckon: frame\n-- reckon: rule\n",
     "the rule is empty"},
};

static void
test_rule_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rule_bad) / sizeof(rule_bad[0]); i++)
	{
		const RuleBad *b = &rule_bad[i];

		for (int form = RULE_FORM_PRIMARY; form <= RULE_FORM_APPLY; form++)
		{
			char err[256] = "";
			char *text = rule_compose(b->rule, b->policy, frame, (RuleForm)form,
			                          NULL, err, sizeof(err));

			if (text != NULL || strstr(err, b->err) == NULL)
			{
				fail_msg("%s (form %d): got \"%s\", expected an error "
				         "containing \"%s\"",
				         b->what, form, text != NULL ? text : err, b->err);
			}
		}
	}
}

/*
 * Every built-in rule names a built-in policy and composes in every form;
 * its READ keeps no primary-only line, its APPLY reads no table of the
 * rule.
 */
static void
test_rule_builtins(void **state)
{
	(void)state;
	for (const EmbeddedFile *f = embedded_rules; f->name != NULL; f++)
	{
		char name[RULE_POLICY_NAME_MAX];
		char err[256] = "";
		const char *pol;
		const char *fr = embedded_find(embedded_sql, "rule_frame");
		char *read, *apply, *primary;

		if (!rule_policy_name(f->text, name, sizeof(name), err, sizeof(err)))
		{
			fail_msg("rule %s: %s", f->name, err);
		}
		pol = embedded_find(embedded_policies, name);
		assert_non_null(pol);
		primary = rule_compose(f->text, pol, fr, RULE_FORM_PRIMARY, NULL, err,
		                       sizeof(err));
		read = rule_compose(f->text, pol, fr, RULE_FORM_READ, NULL, err,
		                    sizeof(err));
		apply = rule_compose(f->text, pol, fr, RULE_FORM_APPLY, NULL, err,
		                     sizeof(err));
		assert_non_null(primary);
		assert_non_null(read);
		assert_non_null(apply);
		assert_null(strstr(read, "-- reckon: primary-only"));
		assert_null(strstr(read, "FROM pg_temp"));
		assert_null(strstr(apply, f->text));
		assert_non_null(fr);
		assert_non_null(strstr(primary, "batch_keys AS ("));
		assert_non_null(strstr(primary, "rule AS ("));
		free(primary);
		free(read);
		free(apply);
	}
	/* the three policies reckon documents */
	assert_non_null(embedded_find(embedded_policies, "sticky"));
	assert_non_null(embedded_find(embedded_policies, "once"));
	assert_non_null(embedded_find(embedded_policies, "capped"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_forms),
	    cmocka_unit_test(test_rule_policy_name),
	    cmocka_unit_test(test_rule_bad),
	    cmocka_unit_test(test_rule_builtins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
