/*
 * rule.h: a processor's statements, composed from its rule and its write
 * policy.
 *
 * Pipeline: config -> [rule] -> recompute / replica. A challenge is written
 * once, as a rule (sql/rules/NAME.sql): a pure SELECT over the source
 * tables that returns the candidate rows of a batch of keys. How candidate
 * rows become user_challenges rows is written once per kind, as a write
 * policy (sql/policies/NAME.sql: sticky progress, one-shot, capped
 * one-shot). At configuration load, rule_compose builds from the two texts
 * each statement a processor runs:
 *
 *   RULE_FORM_PRIMARY  the policy with the rule inside it: one statement,
 *                      one round trip per member of a batch, on the primary
 *   RULE_FORM_READ     the rule alone (after the frame), without its
 *                      primary-only parts: the read on a hot standby
 *                      (--read-dsn)
 *   RULE_FORM_APPLY    the policy with the read's rows as its input, one
 *                      array parameter per column: the write on the
 *                      primary of what the standby read
 *
 * The texts speak to the composer through comment lines that start with
 * "-- reckon:" (so every form is still plain SQL):
 *
 *   in a rule    "-- reckon: policy NAME"       its write policy (once)
 *                "-- reckon: primary-only begin" / "... end"
 *                                     lines only the primary statement
 *                                     keeps (what a standby cannot give:
 *                                     a temporary table, rows of
 *                                     user_challenges); at most a few
 *   in a policy  "-- reckon: columns NAME TYPE, ..."
 *                                     the candidate columns, in order
 *                "-- reckon: frame"   where the frame goes: the first
 *                                     CTEs of its WITH
 *                "-- reckon: rule"    where the candidates come in: the
 *                                     line inside "rule AS (...)"
 *                "-- reckon: extension"
 *                                     where the CTEs of a policy that
 *                                     extends this one go (optional)
 *   in a policy that extends another
 *                "-- reckon: extends BASE"     the policy it goes into
 *                "-- reckon: columns NAME TYPE, ..."
 *                                     BASE's columns, in order, then its
 *                                     own; no other directive: the rest
 *                                     of its text is CTEs (each followed
 *                                     by a comma) that go on BASE's
 *                                     extension line, where the frame and
 *                                     the rule's rows are in scope
 *                                     (profile_facts: sticky, plus a write
 *                                     of the facts the rule returns)
 *
 * The frame (sql/rule_frame.sql) is a list of CTEs every rule and policy
 * may read: the catalogue row of the challenge, the batch's keys. Every
 * form takes $1 bigint[] (the keys), $2 text (the challenge id), $3 bigint
 * (create_min); the apply form's arrays follow from $4. Pure: no I/O,
 * nothing global.
 */
#ifndef RECKON_RULE_H
#define RECKON_RULE_H

#include <stddef.h>

#include "common.h"
#include "embedded.h"

/* the parameters every form takes before the apply form's arrays */
#define RULE_PARAMS 3
/* the most columns a policy may declare */
#define RULE_COLUMNS_MAX 16
/* room for a policy's name */
#define RULE_POLICY_NAME_MAX 64

typedef enum RuleForm
{
	RULE_FORM_PRIMARY,
	RULE_FORM_READ,
	RULE_FORM_APPLY
} RuleForm;

/*
 * rule_policy_name: the NAME of rule's one "-- reckon: policy NAME" line,
 * into name. False, with the reason in err, when there is none, more than
 * one, or the name is not [a-z_]+.
 */
bool rule_policy_name(const char *rule, char *name, size_t size, char *err,
                      size_t err_size) WARN_UNUSED;

/*
 * rule_policy_text: the write policy called name among policies (a table
 * that ends with a NULL name: embedded_policies), ready for rule_compose,
 * malloc'd: the caller frees it. A policy that extends another comes
 * composed with it (rule_policy_extend). NULL, with the reason in err, when
 * there is no such policy, or no such base, or the two do not compose.
 */
char *rule_policy_text(const EmbeddedFile *policies, const char *name,
                       char *err, size_t err_size) WARN_UNUSED;

/*
 * rule_policy_extend: the policy base with extension inside it, malloc'd:
 * the caller frees it. base's columns line becomes extension's (the longer
 * list), base's "-- reckon: extension" line becomes extension's text less
 * its directive lines; the rest of base is unchanged, so it is a policy
 * like any other (one level: the result has no extension line). NULL, with
 * the reason in err, when base is not a policy, has no extension line, or
 * extension breaks the conventions above.
 */
char *rule_policy_extend(const char *base, const char *extension, char *err,
                         size_t err_size) WARN_UNUSED;

/*
 * rule_compose: the statement of the given form, composed from rule, policy
 * and frame (see above), malloc'd: the caller frees it. *ncolumns (when not
 * NULL) gets the number of candidate columns the policy declares: the
 * columns a READ returns and an APPLY takes as arrays. NULL, with the
 * reason in err, when a text breaks the conventions above (a missing or
 * repeated directive, an unpaired primary-only block, a bad columns line).
 */
char *rule_compose(const char *rule, const char *policy, const char *frame,
                   RuleForm form, int *ncolumns, char *err,
                   size_t err_size) WARN_UNUSED;

#endif
