/*
 * json_check.c: strict RFC 8259 grammar check on top of jsmn's tokens.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. decode.c tokenizes each
 * wal2json line with jsmn (chosen by tools/bench/json_parsers.c: fastest, and
 * the only candidate with no allocation per message) and hands the tokens
 * here before it walks them. jsmn is a tokenizer, not a validator: even with
 * JSMN_STRICT it accepts a missing ',' or ':', bare control characters in
 * strings and primitives like "tru" or "01". So json_check_grammar() re-reads
 * the bytes between tokens against the JSON grammar, checks every literal and
 * string, and rewrites each container's child count from what it counted
 * itself; decode.c's walk then relies only on those counts.
 *
 * This module must stay pure: no I/O, no logging, no allocation, no calls
 * into other reckon modules. It does not compile jsmn (decode.c does) and
 * knows nothing of wal2json. Whatever the input, it gives false and the byte
 * where the text went wrong, never a crash, an assert or a read past len: the
 * text comes from the network.
 */
#include "json_check.h"

#include <string.h>

/*
 * wal2json nests three deep (message, array, column); unknown keys may nest
 * a little more. Deeper input is refused rather than tracked without bound.
 */
#define JSON_CHECK_DEPTH_MAX 16
#define JSON_CHECK_STR(x) #x
#define JSON_CHECK_XSTR(x) JSON_CHECK_STR(x)

/* An open container while json_check_grammar() reads the text. */
typedef struct JsonCheckFrame
{
	char close; /* '}' or ']' */
	int token;
	int nchildren; /* keys of an object, elements of an array */
} JsonCheckFrame;

typedef enum JsonCheckExpect
{
	JSON_CHECK_EXPECT_VALUE,
	JSON_CHECK_EXPECT_VALUE_OR_CLOSE,
	JSON_CHECK_EXPECT_KEY,
	JSON_CHECK_EXPECT_KEY_OR_CLOSE,
	JSON_CHECK_EXPECT_COLON,
	JSON_CHECK_EXPECT_COMMA_OR_CLOSE,
	JSON_CHECK_EXPECT_END
} JsonCheckExpect;

/* One json_check_grammar() call: the automaton's input and state. */
typedef struct JsonCheck
{
	const char *text; /* borrowed */
	size_t len;
	jsmntok_t *tokens; /* borrowed */
	int ntokens;
	JsonCheckError *error; /* borrowed */
	JsonCheckFrame stack[JSON_CHECK_DEPTH_MAX];
	int depth;
	int t; /* the next token to take */
	size_t pos;
	JsonCheckExpect expect;
} JsonCheck;

/* json_check_fail: record where and why, and return false. */
static bool
json_check_fail(const JsonCheck *check, size_t offset, const char *reason)
{
	check->error->offset = offset;
	check->error->reason = reason;
	return false;
}

size_t
json_check_token_offset(const jsmntok_t *token)
{
	return (size_t)(token->type == JSMN_STRING ? token->start - 1
	                                           : token->start);
}

size_t
json_check_skip_space(const char *text, size_t len, size_t pos)
{
	while (pos < len && (text[pos] == ' ' || text[pos] == '\t' ||
	                     text[pos] == '\n' || text[pos] == '\r'))
	{
		pos++;
	}
	return pos;
}

/* A JSON literal: true, false, null or a number in RFC 8259's grammar. */
static bool
json_check_is_literal(const char *p, size_t n)
{
	size_t i = 0;

	if ((n == 4 && memcmp(p, "true", 4) == 0) ||
	    (n == 5 && memcmp(p, "false", 5) == 0) ||
	    (n == 4 && memcmp(p, "null", 4) == 0))
	{
		return true;
	}
	if (i < n && p[i] == '-')
	{
		i++;
	}
	if (i < n && p[i] == '0')
	{
		i++;
	}
	else if (i < n && p[i] >= '1' && p[i] <= '9')
	{
		while (i < n && p[i] >= '0' && p[i] <= '9')
		{
			i++;
		}
	}
	else
	{
		return false;
	}
	if (i < n && p[i] == '.')
	{
		size_t digits = ++i;

		while (i < n && p[i] >= '0' && p[i] <= '9')
		{
			i++;
		}
		if (i == digits)
		{
			return false;
		}
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E'))
	{
		size_t digits;

		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
		{
			i++;
		}
		digits = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
		{
			i++;
		}
		if (i == digits)
		{
			return false;
		}
	}
	return i == n;
}

/*
 * json_check_scalar: a string or primitive token where the grammar wants a
 * value or a key. jsmn has checked escapes; JSON also forbids raw control
 * characters in strings, which jsmn lets through.
 */
static bool
json_check_scalar(const JsonCheck *check, const jsmntok_t *token)
{
	const char *p = check->text + token->start;
	size_t n = (size_t)(token->end - token->start);

	if (token->type == JSMN_PRIMITIVE)
	{
		if (!json_check_is_literal(p, n))
		{
			return json_check_fail(check, (size_t)token->start,
			                       "invalid literal");
		}
		return true;
	}
	for (size_t i = 0; i < n; i++)
	{
		if ((unsigned char)p[i] < 0x20)
		{
			return json_check_fail(check, (size_t)token->start + i,
			                       "control character in string");
		}
	}
	return true;
}

/* After a complete value: the end of the text, or more of its container. */
static JsonCheckExpect
json_check_after_value(int depth)
{
	return depth == 0 ? JSON_CHECK_EXPECT_END
	                  : JSON_CHECK_EXPECT_COMMA_OR_CLOSE;
}

/* json_check_open: a token that opens an object or array. */
static bool
json_check_open(JsonCheck *check, const jsmntok_t *token)
{
	JsonCheckFrame *frame;

	if (check->depth == JSON_CHECK_DEPTH_MAX)
	{
		return json_check_fail(check, check->pos,
		                       "nested deeper than " JSON_CHECK_XSTR(
		                           JSON_CHECK_DEPTH_MAX) " levels");
	}
	frame = &check->stack[check->depth++];
	frame->close = token->type == JSMN_OBJECT ? '}' : ']';
	frame->token = check->t - 1;
	frame->nchildren = 0;
	check->pos += 1;
	check->expect = token->type == JSMN_OBJECT
	                    ? JSON_CHECK_EXPECT_KEY_OR_CLOSE
	                    : JSON_CHECK_EXPECT_VALUE_OR_CLOSE;
	return true;
}

/*
 * json_check_take_token: the next token must start at pos. Consumes it,
 * counts it in its parent and sets where the grammar goes next, or false.
 */
static bool
json_check_take_token(JsonCheck *check)
{
	bool is_key = check->expect == JSON_CHECK_EXPECT_KEY ||
	              check->expect == JSON_CHECK_EXPECT_KEY_OR_CLOSE;
	JsonCheckFrame *parent =
	    check->depth > 0 ? &check->stack[check->depth - 1] : NULL;
	jsmntok_t *token;

	if (check->t >= check->ntokens ||
	    json_check_token_offset(&check->tokens[check->t]) != check->pos)
	{
		return json_check_fail(check, check->pos,
		                       is_key ? "expected an object key"
		                              : "expected a value");
	}
	token = &check->tokens[check->t++];
	if (parent != NULL && (is_key || parent->close == ']'))
	{
		parent->nchildren++;
	}
	if (is_key && token->type != JSMN_STRING)
	{
		return json_check_fail(check, check->pos, "object key is not a string");
	}
	if (token->type == JSMN_OBJECT || token->type == JSMN_ARRAY)
	{
		return json_check_open(check, token);
	}
	if (!json_check_scalar(check, token))
	{
		return false;
	}
	/* A key's one child is its value; a scalar has none. */
	token->size = is_key ? 1 : 0;
	check->pos = (size_t)token->end + (token->type == JSMN_STRING ? 1 : 0);
	check->expect =
	    is_key ? JSON_CHECK_EXPECT_COLON : json_check_after_value(check->depth);
	return true;
}

/*
 * json_check_step: the byte at pos (not whitespace) closes a container, is a
 * separator, or starts the next token.
 */
static bool
json_check_step(JsonCheck *check)
{
	char c = check->text[check->pos];
	JsonCheckExpect expect = check->expect;
	bool may_close = expect == JSON_CHECK_EXPECT_VALUE_OR_CLOSE ||
	                 expect == JSON_CHECK_EXPECT_KEY_OR_CLOSE ||
	                 expect == JSON_CHECK_EXPECT_COMMA_OR_CLOSE;

	if (may_close && c == check->stack[check->depth - 1].close)
	{
		const JsonCheckFrame *frame = &check->stack[--check->depth];

		check->tokens[frame->token].size = frame->nchildren;
		check->pos++;
		check->expect = json_check_after_value(check->depth);
	}
	else if (expect == JSON_CHECK_EXPECT_COMMA_OR_CLOSE && c == ',')
	{
		check->pos++;
		check->expect = check->stack[check->depth - 1].close == '}'
		                    ? JSON_CHECK_EXPECT_KEY
		                    : JSON_CHECK_EXPECT_VALUE;
	}
	else if (expect == JSON_CHECK_EXPECT_COLON && c == ':')
	{
		check->pos++;
		check->expect = JSON_CHECK_EXPECT_VALUE;
	}
	else if (expect == JSON_CHECK_EXPECT_END)
	{
		return json_check_fail(check, check->pos,
		                       "trailing characters after JSON");
	}
	else if (expect == JSON_CHECK_EXPECT_COLON)
	{
		return json_check_fail(check, check->pos, "expected ':'");
	}
	else if (expect == JSON_CHECK_EXPECT_COMMA_OR_CLOSE)
	{
		return json_check_fail(check, check->pos, "expected ','");
	}
	else
	{
		return json_check_take_token(check);
	}
	return true;
}

bool
json_check_grammar(const char *text, size_t len, jsmntok_t *tokens, int ntokens,
                   JsonCheckError *error)
{
	JsonCheck check;

	ASSERT(text != NULL || len == 0);
	ASSERT(tokens != NULL || ntokens == 0);
	ASSERT(error != NULL);

	check.text = text;
	check.len = len;
	check.tokens = tokens;
	check.ntokens = ntokens;
	check.error = error;
	check.depth = 0;
	check.t = 0;
	check.pos = 0;
	check.expect = JSON_CHECK_EXPECT_VALUE;
	while ((check.pos = json_check_skip_space(text, len, check.pos)) < len)
	{
		if (!json_check_step(&check))
		{
			return false;
		}
	}
	if (check.expect != JSON_CHECK_EXPECT_END)
	{
		return json_check_fail(&check, len, "truncated JSON");
	}
	if (check.t != ntokens)
	{
		return json_check_fail(&check, len, "unexpected JSON tokens");
	}
	return true;
}
