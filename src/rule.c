/*
 * rule.c: composes a processor's statements from its rule and its write
 * policy (see rule.h), once, at configuration load; recompute.c and
 * replica.c prepare what it builds. Pure text work: it never runs SQL, so
 * a text it accepts can still fail to prepare, and the server says why
 * (config.c names the processor and the rule).
 */
#include "rule.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_DIRECTIVE "-- reckon:"
#define RULE_WORD_MAX 64

/* A growing string; aborts on OOM like every other allocation here. */
typedef struct RuleText
{
	char *s;
	size_t len;
	size_t cap;
} RuleText;

static void
rule_append(RuleText *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap)
	{
		size_t cap = t->cap ? t->cap : 1024;
		char *grown;

		while (t->len + len + 1 > cap)
		{
			cap *= 2;
		}
		grown = realloc(t->s, cap);
		if (grown == NULL)
		{
			common_out_of_memory("composed statement");
		}
		t->s = grown;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

static void
rule_puts(RuleText *t, const char *s)
{
	rule_append(t, s, strlen(s));
}

static void rule_appendf(RuleText *t, const char *format, ...)
    PRINTF_FORMAT(2, 3);
static void rule_error(char *err, size_t err_size, const char *format, ...)
    PRINTF_FORMAT(3, 4);

static void
rule_appendf(RuleText *t, const char *format, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(buf, sizeof(buf), format, ap);
	va_end(ap);
	ASSERT(n >= 0);
	ASSERT((size_t)n < sizeof(buf));
	rule_append(t, buf, (size_t)n);
}

static void
rule_error(char *err, size_t err_size, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(err, err_size, format, ap);
	va_end(ap);
}

/*
 * The directive on the line [line, end), after "-- reckon:" and blanks, or
 * NULL when the line is not one. Leading blanks are allowed.
 */
static const char *
rule_directive(const char *line, const char *end)
{
	size_t n = strlen(RULE_DIRECTIVE);

	while (line < end && (*line == ' ' || *line == '\t'))
	{
		line++;
	}
	if ((size_t)(end - line) < n || memcmp(line, RULE_DIRECTIVE, n) != 0)
	{
		return NULL;
	}
	line += n;
	while (line < end && (*line == ' ' || *line == '\t'))
	{
		line++;
	}
	return line;
}

/* Whether the directive at d (up to end) is exactly word (then blanks). */
static bool
rule_directive_is(const char *d, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - d) < n || memcmp(d, word, n) != 0)
	{
		return false;
	}
	for (d += n; d < end; d++)
	{
		if (*d != ' ' && *d != '\t' && *d != '\r')
		{
			return false;
		}
	}
	return true;
}

/* Whether the directive at d (up to end) is word, alone or followed by a
 * blank and more. */
static bool
rule_directive_starts(const char *d, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - d) >= n && memcmp(d, word, n) == 0 &&
	       (d + n == end || strchr(" \t\r", d[n]) != NULL);
}

static const char *
rule_line_end(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl != NULL ? nl : line + strlen(line);
}

/* Copy the word [s, end) of [a-z0-9_] characters into out, or fail. */
static bool
rule_word(const char *s, const char *end, char *out, size_t size)
{
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= size)
	{
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
		{
			return false;
		}
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/*
 * The NAME of text's one "-- reckon: WORD NAME" line into name; *found gets
 * how many such lines there are (0 or 1 when true). False, with the reason
 * in err, when there are two or more or one names no [a-z0-9_] word.
 */
static bool
rule_named_directive(const char *text, const char *word, char *name,
                     size_t size, int *found, char *err, size_t err_size)
{
	size_t n = strlen(word);

	*found = 0;
	for (const char *line = text; *line != '\0';)
	{
		const char *end = rule_line_end(line);
		const char *d = rule_directive(line, end);

		if (d != NULL && strncmp(d, word, n) == 0 &&
		    (d[n] == ' ' || d[n] == '\t'))
		{
			const char *w = d + n + 1;
			const char *w_end = end;

			while (w < end && (*w == ' ' || *w == '\t'))
			{
				w++;
			}
			while (w_end > w &&
			       (w_end[-1] == ' ' || w_end[-1] == '\t' || w_end[-1] == '\r'))
			{
				w_end--;
			}
			if (!rule_word(w, w_end, name, size))
			{
				rule_error(err, err_size,
				           "the \"-- reckon: %s\" line names no policy "
				           "(a name of a-z, 0-9 and _)",
				           word);
				return false;
			}
			if (++*found > 1)
			{
				rule_error(err, err_size,
				           "more than one \"-- reckon: %s\" line", word);
				return false;
			}
		}
		line = *end == '\n' ? end + 1 : end;
	}
	return true;
}

bool
rule_policy_name(const char *rule, char *name, size_t size, char *err,
                 size_t err_size)
{
	int found;

	if (!rule_named_directive(rule, "policy", name, size, &found, err,
	                          err_size))
	{
		return false;
	}
	if (found == 0)
	{
		rule_error(err, err_size,
		           "no \"-- reckon: policy NAME\" line (NAME: a write "
		           "policy of sql/policies/, such as sticky or once)");
		return false;
	}
	return true;
}

/*
 * rule without its primary-only blocks (READ) or whole (PRIMARY), into out,
 * less any final blanks and semicolon (it goes inside a CTE). False when
 * the blocks do not pair up.
 */
static bool
rule_body(const char *rule, bool keep_primary_only, RuleText *out, char *err,
          size_t err_size)
{
	bool in_block = false;
	int lineno = 0;

	for (const char *line = rule; *line != '\0';)
	{
		const char *end = rule_line_end(line);
		const char *d = rule_directive(line, end);
		bool is_begin = d != NULL && rule_directive_is(d, end,
		                                               "primary-only "
		                                               "begin");
		bool is_end = d != NULL && rule_directive_is(d, end,
		                                             "primary-only "
		                                             "end");

		lineno++;
		if (is_begin == in_block && (is_begin || is_end))
		{
			rule_error(err, err_size, "line %d: \"primary-only %s\" %s", lineno,
			           is_begin ? "begin" : "end",
			           is_begin ? "inside a primary-only block"
			                    : "without a \"primary-only begin\"");
			return false;
		}
		if (keep_primary_only || !(in_block || is_begin))
		{
			rule_append(out, line, (size_t)(end - line) + (*end == '\n'));
		}
		in_block = is_begin || (in_block && !is_end);
		line = *end == '\n' ? end + 1 : end;
	}
	if (in_block)
	{
		rule_error(err, err_size, "a \"primary-only begin\" is never ended");
		return false;
	}
	while (out->len > 0 && strchr(" \t\r\n;", out->s[out->len - 1]) != NULL)
	{
		out->s[--out->len] = '\0';
	}
	return true;
}

typedef struct RulePolicy
{
	const char *frame_line;     /* the "-- reckon: frame" line's start */
	const char *frame_line_end; /* just after it (its newline included) */
	const char *rule_line;      /* the "-- reckon: rule" line's start */
	const char *rule_line_end;  /* just after it */
	int ncolumns;
	char names[RULE_COLUMNS_MAX][RULE_WORD_MAX];
	char types[RULE_COLUMNS_MAX][RULE_WORD_MAX];
} RulePolicy;

/* Parse "NAME TYPE, NAME TYPE, ..." of a columns line into pol. */
static bool
rule_parse_columns(const char *s, const char *end, RulePolicy *pol)
{
	pol->ncolumns = 0;
	while (s < end)
	{
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma != NULL ? comma : end;
		const char *space;

		while (s < item_end && (*s == ' ' || *s == '\t'))
		{
			s++;
		}
		while (item_end > s && strchr(" \t\r", item_end[-1]) != NULL)
		{
			item_end--;
		}
		space = memchr(s, ' ', (size_t)(item_end - s));
		if (pol->ncolumns == RULE_COLUMNS_MAX || space == NULL ||
		    !rule_word(s, space, pol->names[pol->ncolumns], RULE_WORD_MAX) ||
		    !rule_word(space + 1, item_end, pol->types[pol->ncolumns],
		               RULE_WORD_MAX))
		{
			return false;
		}
		pol->ncolumns++;
		s = comma != NULL ? comma + 1 : end;
	}
	return pol->ncolumns > 0;
}

/* Find the policy's directives: one columns line, one rule line. */
static bool
rule_parse_policy(const char *policy, RulePolicy *pol, char *err,
                  size_t err_size)
{
	int ncolumns_lines = 0;

	*pol = (RulePolicy){0};
	for (const char *line = policy; *line != '\0';)
	{
		const char *end = rule_line_end(line);
		const char *d = rule_directive(line, end);

		if (d != NULL && (rule_directive_is(d, end, "rule") ||
		                  rule_directive_is(d, end, "frame")))
		{
			bool is_rule = rule_directive_is(d, end, "rule");
			const char **at = is_rule ? &pol->rule_line : &pol->frame_line;

			if (*at != NULL)
			{
				rule_error(err, err_size,
				           "more than one \"-- reckon: %s\" line",
				           is_rule ? "rule" : "frame");
				return false;
			}
			*at = line;
			*(is_rule ? &pol->rule_line_end : &pol->frame_line_end) =
			    *end == '\n' ? end + 1 : end;
		}
		else if (d != NULL && rule_directive_starts(d, end, "extends"))
		{
			rule_error(err, err_size,
			           "the policy extends another: rule_policy_text "
			           "composes the two first");
			return false;
		}
		else if (d != NULL && strncmp(d, "columns ", 8) == 0)
		{
			ncolumns_lines++;
			if (!rule_parse_columns(d + 8, end, pol))
			{
				rule_error(err, err_size,
				           "the \"-- reckon: columns\" line is not a list of "
				           "at most %d \"name type\" pairs",
				           RULE_COLUMNS_MAX);
				return false;
			}
		}
		line = *end == '\n' ? end + 1 : end;
	}
	if (ncolumns_lines != 1)
	{
		rule_error(err, err_size,
		           "not exactly one \"-- reckon: columns\" line");
		return false;
	}
	if (pol->rule_line == NULL || pol->frame_line == NULL)
	{
		rule_error(err, err_size, "no \"-- reckon: %s\" line",
		           pol->rule_line == NULL ? "rule" : "frame");
		return false;
	}
	if (pol->frame_line > pol->rule_line)
	{
		rule_error(err, err_size,
		           "the \"-- reckon: frame\" line comes after the rule's");
		return false;
	}
	return true;
}

/*
 * Check the extension's directives (one extends line, one columns line,
 * none of the lines its base holds) into ext's columns, and append its body
 * (every other line, less final blanks) to body.
 */
static bool
rule_parse_extension(const char *extension, RulePolicy *ext,
                     const char **columns_line, const char **columns_end,
                     RuleText *body, char *err, size_t err_size)
{
	static const char *const base_only[] = {"frame", "rule", "extension"};
	int nextends = 0;
	int ncolumns_lines = 0;

	*ext = (RulePolicy){0};
	for (const char *line = extension; *line != '\0';)
	{
		const char *end = rule_line_end(line);
		const char *next = *end == '\n' ? end + 1 : end;
		const char *d = rule_directive(line, end);

		for (size_t i = 0;
		     d != NULL && i < sizeof(base_only) / sizeof(base_only[0]); i++)
		{
			if (rule_directive_is(d, end, base_only[i]))
			{
				rule_error(err, err_size,
				           "an extension has no \"-- reckon: %s\" line (the "
				           "policy it extends has)",
				           base_only[i]);
				return false;
			}
		}
		if (d != NULL && rule_directive_starts(d, end, "extends"))
		{
			nextends++;
		}
		else if (d != NULL && strncmp(d, "columns ", 8) == 0)
		{
			ncolumns_lines++;
			*columns_line = line;
			*columns_end = next;
			if (!rule_parse_columns(d + 8, end, ext))
			{
				rule_error(err, err_size,
				           "the \"-- reckon: columns\" line is not a list of "
				           "at most %d \"name type\" pairs",
				           RULE_COLUMNS_MAX);
				return false;
			}
		}
		else
		{
			rule_append(body, line, (size_t)(next - line));
		}
		line = next;
	}
	if (nextends != 1 || ncolumns_lines != 1)
	{
		rule_error(err, err_size, "not exactly one \"-- reckon: %s\" line",
		           nextends != 1 ? "extends" : "columns");
		return false;
	}
	while (body->len > 0 && strchr(" \t\r\n", body->s[body->len - 1]) != NULL)
	{
		body->s[--body->len] = '\0';
	}
	return true;
}

/* Whether ext's columns are base's, in order, and at least one more. */
static bool
rule_columns_extend(const RulePolicy *base, const RulePolicy *ext)
{
	if (ext->ncolumns <= base->ncolumns)
	{
		return false;
	}
	for (int c = 0; c < base->ncolumns; c++)
	{
		if (strcmp(base->names[c], ext->names[c]) != 0 ||
		    strcmp(base->types[c], ext->types[c]) != 0)
		{
			return false;
		}
	}
	return true;
}

char *
rule_policy_extend(const char *base, const char *extension, char *err,
                   size_t err_size)
{
	RulePolicy pol;
	RulePolicy ext;
	const char *columns_line = NULL;
	const char *columns_end = NULL;
	RuleText body = {0};
	RuleText out = {0};
	int nmarks = 0;

	if (!rule_parse_policy(base, &pol, err, err_size) ||
	    !rule_parse_extension(extension, &ext, &columns_line, &columns_end,
	                          &body, err, err_size))
	{
		free(body.s);
		return NULL;
	}
	if (!rule_columns_extend(&pol, &ext))
	{
		rule_error(err, err_size,
		           "the \"-- reckon: columns\" line does not repeat the "
		           "columns of the policy it extends, in order, before its "
		           "own");
		free(body.s);
		return NULL;
	}
	for (const char *line = base; *line != '\0';)
	{
		const char *end = rule_line_end(line);
		const char *next = *end == '\n' ? end + 1 : end;
		const char *d = rule_directive(line, end);

		if (d != NULL && strncmp(d, "columns ", 8) == 0)
		{
			rule_append(&out, columns_line,
			            (size_t)(columns_end - columns_line));
		}
		else if (d != NULL && rule_directive_is(d, end, "extension"))
		{
			nmarks++;
			rule_append(&out, body.s != NULL ? body.s : "", body.len);
			rule_puts(&out, "\n");
		}
		else
		{
			rule_append(&out, line, (size_t)(next - line));
		}
		line = next;
	}
	free(body.s);
	if (nmarks != 1)
	{
		rule_error(err, err_size,
		           "the policy it extends has %s \"-- reckon: extension\" "
		           "line",
		           nmarks == 0 ? "no" : "more than one");
		free(out.s);
		return NULL;
	}
	return out.s;
}

char *
rule_policy_text(const EmbeddedFile *policies, const char *name, char *err,
                 size_t err_size)
{
	const char *policy = NULL;
	const char *base = NULL;
	char base_name[RULE_POLICY_NAME_MAX];
	char why[256];
	int found = 0;
	char *text;

	for (const EmbeddedFile *f = policies; f->name != NULL; f++)
	{
		policy = strcmp(f->name, name) == 0 ? f->text : policy;
	}
	if (policy == NULL)
	{
		rule_error(err, err_size, "no write policy \"%s\"", name);
		return NULL;
	}
	if (!rule_named_directive(policy, "extends", base_name, sizeof(base_name),
	                          &found, err, err_size))
	{
		return NULL;
	}
	if (found == 0)
	{
		text = strdup(policy);
		if (text == NULL)
		{
			common_out_of_memory("write policy");
		}
		return text;
	}
	for (const EmbeddedFile *f = policies; f->name != NULL; f++)
	{
		base = strcmp(f->name, base_name) == 0 ? f->text : base;
	}
	text = base == NULL ? NULL
	                    : rule_policy_extend(base, policy, why, sizeof(why));
	if (text == NULL)
	{
		rule_error(err, err_size, "policy \"%s\" extends \"%s\": %s", name,
		           base_name, base == NULL ? "no such write policy" : why);
	}
	return text;
}

/* The apply form's input: the read's columns, one array parameter each. */
static void
rule_apply_input(const RulePolicy *pol, RuleText *out)
{
	static const char head[] = "\tSELECT * FROM unnest(";
	static const char tail[] = ") AS input (";

	rule_puts(out, head);
	for (int c = 0; c < pol->ncolumns; c++)
	{
		rule_appendf(out, "%s$%d::%s[]", c > 0 ? ", " : "", RULE_PARAMS + 1 + c,
		             pol->types[c]);
	}
	rule_puts(out, tail);
	for (int c = 0; c < pol->ncolumns; c++)
	{
		rule_appendf(out, "%s%s", c > 0 ? ", " : "", pol->names[c]);
	}
	rule_puts(out, ")");
}

/* frame without its final blanks (it is followed by a comma) */
static size_t
rule_frame_len(const char *frame)
{
	size_t len = strlen(frame);

	while (len > 0 && strchr(" \t\r\n", frame[len - 1]) != NULL)
	{
		len--;
	}
	return len;
}

char *
rule_compose(const char *rule, const char *policy, const char *frame,
             RuleForm form, int *ncolumns, char *err, size_t err_size)
{
	RulePolicy pol;
	RuleText input = {0};
	RuleText out = {0};

	if (!rule_parse_policy(policy, &pol, err, err_size))
	{
		return NULL;
	}
	if (ncolumns != NULL)
	{
		*ncolumns = pol.ncolumns;
	}
	/* the rule's blocks are checked whatever the form */
	if (!rule_body(rule, form != RULE_FORM_READ, &input, err, err_size))
	{
		free(input.s);
		return NULL;
	}
	if (input.len == 0)
	{
		rule_error(err, err_size, "the rule is empty");
		free(input.s);
		return NULL;
	}
	if (form == RULE_FORM_APPLY)
	{
		input.len = 0;
		rule_apply_input(&pol, &input);
	}
	if (form == RULE_FORM_READ)
	{
		/* the frame, then the rule's rows as they are */
		rule_puts(&out, "WITH\n");
		rule_append(&out, frame, rule_frame_len(frame));
		rule_puts(&out, ",\nrule AS (\n");
		rule_append(&out, input.s, input.len);
		rule_puts(&out, "\n)\nSELECT * FROM rule");
		free(input.s);
		return out.s;
	}
	rule_append(&out, policy, (size_t)(pol.frame_line - policy));
	rule_append(&out, frame, rule_frame_len(frame));
	rule_puts(&out, ",\n");
	rule_append(&out, pol.frame_line_end,
	            (size_t)(pol.rule_line - pol.frame_line_end));
	rule_append(&out, input.s, input.len);
	rule_puts(&out, "\n");
	rule_append(&out, pol.rule_line_end, strlen(pol.rule_line_end));
	free(input.s);
	return out.s;
}
