/*
 * test_rule.c: unit tests of rule.c, the composition of a processor's
 * statements from a rule and a write policy: the three forms, the
 * primary-only blocks, a policy that extends another, and each way a rule
 * or policy text can break the conventions (table-driven). No server: what the
 * statements do on a database is tests/integration/test_sql*.sh's business.
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
		char *pol;
		const char *fr = embedded_find(embedded_sql, "rule_frame");
		char *read, *apply, *primary;

		if (!rule_policy_name(f->text, name, sizeof(name), err, sizeof(err)))
		{
			fail_msg("rule %s: %s", f->name, err);
		}
		pol = rule_policy_text(embedded_policies, name, err, sizeof(err));
		if (pol == NULL)
		{
			fail_msg("rule %s, policy %s: %s", f->name, name, err);
		}
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
		free(pol);
	}
	/* the three policies reckon documents */
	assert_non_null(embedded_find(embedded_policies, "sticky"));
	assert_non_null(embedded_find(embedded_policies, "once"));
	assert_non_null(embedded_find(embedded_policies, "capped"));
}

/* ---- a policy that extends another ------------------------------------ */

static const char *const base = "-- a base\n"
                                "-- reckon: columns user_id bigint, n bigint\n"
                                "WITH\n"
                                "-- reckon: frame\n"
                                "rule AS (\n"
                                "-- reckon: rule\n"
                                "),\n"
                                "-- reckon: extension\n"
                                "w AS (SELECT * FROM rule)\n"
                                "SELECT * FROM w\n";

static const char *const extension =
    "-- an extension\n"
    "-- reckon: extends base\n"
    "-- reckon: columns user_id bigint, n bigint, ok boolean\n"
    "facts AS (\n"
    "\tINSERT INTO f SELECT user_id, ok FROM rule\n"
    "),\n\n";

static void
test_rule_extend(void **state)
{
	static const EmbeddedFile policies[] = {
	    {"ext", NULL}, {"base", NULL}, {"lost", NULL}, {NULL, NULL}};
	EmbeddedFile table[4];
	char err[256] = "";
	int ncolumns = 0;
	char *merged, *apply, *text;

	(void)state;
	memcpy(table, policies, sizeof(table));
	table[0].text = extension;
	table[1].text = base;
	table[2].text = "-- reckon: extends nowhere\n";
	merged = rule_policy_extend(base, extension, err, sizeof(err));
	if (merged == NULL)
	{
		fail_msg("%s", err);
	}
	/* the extension's columns line and body in the base, its directive
	 * lines and final blanks gone */
	assert_string_equal(merged, "-- a base\n"
	                            "-- reckon: columns user_id bigint, n bigint, "
	                            "ok boolean\n"
	                            "WITH\n"
	                            "-- reckon: frame\n"
	                            "rule AS (\n"
	                            "-- reckon: rule\n"
	                            "),\n"
	                            "-- an extension\n"
	                            "facts AS (\n"
	                            "\tINSERT INTO f SELECT user_id, ok FROM rule\n"
	                            "),\n"
	                            "w AS (SELECT * FROM rule)\n"
	                            "SELECT * FROM w\n");
	/* an ordinary policy: the apply form takes the longer list */
	apply = rule_compose("SELECT 1, 2, true", merged, frame, RULE_FORM_APPLY,
	                     &ncolumns, err, sizeof(err));
	assert_non_null(apply);
	assert_int_equal(ncolumns, 3);
	assert_non_null(strstr(apply, "unnest($4::bigint[], $5::bigint[], "
	                              "$6::boolean[]) AS input (user_id, n, ok)"));
	/* rule_policy_text: the same, by name; a plain policy as it is */
	text = rule_policy_text(table, "ext", err, sizeof(err));
	assert_non_null(text);
	assert_string_equal(text, merged);
	free(text);
	text = rule_policy_text(table, "base", err, sizeof(err));
	assert_non_null(text);
	assert_string_equal(text, base);
	free(text);
	assert_null(rule_policy_text(table, "none", err, sizeof(err)));
	assert_string_equal(err, "no write policy \"none\"");
	assert_null(rule_policy_text(table, "lost", err, sizeof(err)));
	assert_string_equal(err, "policy \"lost\" extends \"nowhere\": no such "
	                         "write policy");
	/* the extension itself is no policy to compose */
	assert_null(rule_compose("SELECT 1", extension, frame, RULE_FORM_PRIMARY,
	                         NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "the policy extends another"));
	free(merged);
	free(apply);
}

/* A base and an extension that must not compose, and why. */
static const RuleBad extend_bad[] = {
    {"extension with a frame line", base,
     "-- reckon: extends b\n-- reckon: columns user_id bigint, n bigint, "
     "x int\n-- reckon: frame\n",
     "an extension has no \"-- reckon: frame\" line"},
    {"extension with a rule line", base,
     "-- reckon: extends b\n-- reckon: columns user_id bigint, n bigint, "
     "x int\n-- reckon: rule\n",
     "an extension has no \"-- reckon: rule\" line"},
    {"extension with an extension line", base,
     "-- reckon: extends b\n-- reckon: columns user_id bigint, n bigint, "
     "x int\n-- reckon: extension\n",
     "an extension has no \"-- reckon: extension\" line"},
    {"extension without columns", base, "-- reckon: extends b\nx AS (),\n",
     "not exactly one \"-- reckon: columns\" line"},
    {"extension without an extends line", base,
     "-- reckon: columns user_id bigint, n bigint, x int\n",
     "not exactly one \"-- reckon: extends\" line"},
    {"extension with two extends lines", base,
     "-- reckon: extends b\n-- reckon: extends b\n"
     "-- reckon: columns user_id bigint, n bigint, x int\n",
     "not exactly one \"-- reckon: extends\" line"},
    {"extension adding no column", base,
     "-- reckon: extends b\n-- reckon: columns user_id bigint, n bigint\n",
     "does not repeat the columns of the policy it extends"},
    {"extension changing a base column's type", base,
     "-- reckon: extends b\n-- reckon: columns user_id bigint, n integer, "
     "x int\n",
     "does not repeat the columns of the policy it extends"},
    {"extension reordering the base's columns", base,
     "-- reckon: extends b\n-- reckon: columns n bigint, user_id bigint, "
     "x int\n",
     "does not repeat the columns of the policy it extends"},
    {"base without an extension line",
     "-- reckon: columns user_id bigint, n bigint\n-- reckon: frame\n"
     "-- reckon: rule\n",
     extension, "the policy it extends has no \"-- reckon: extension\" line"},
    {"base with two extension lines",
     "-- reckon: columns user_id bigint, n bigint\n-- reckon: frame\n"
     "-- reckon: rule\n-- reckon: extension\n-- reckon: extension\n",
     extension,
     "the policy it extends has more than one \"-- reckon: extension\" "
     "line"},
    {"base that extends another", extension, extension,
     "the policy extends another"},
    {"base that is no policy", "SELECT 1", extension,
     "not exactly one \"-- reckon: columns\" line"},
};

static void
test_rule_extend_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(extend_bad) / sizeof(extend_bad[0]); i++)
	{
		const RuleBad *b = &extend_bad[i];
		char err[256] = "";
		/* RuleBad's rule is the base here, its policy the extension */
		char *text = rule_policy_extend(b->rule, b->policy, err, sizeof(err));

		if (text != NULL || strstr(err, b->err) == NULL)
		{
			fail_msg("%s: got \"%s\", expected an error containing \"%s\"",
			         b->what, text != NULL ? text : err, b->err);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_forms),
	    cmocka_unit_test(test_rule_policy_name),
	    cmocka_unit_test(test_rule_bad),
	    cmocka_unit_test(test_rule_builtins),
	    cmocka_unit_test(test_rule_extend),
	    cmocka_unit_test(test_rule_extend_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
