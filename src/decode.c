/*
 * decode.c: one wal2json format-version 2 line -> DecodeEvent.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. apply.c hands us each
 * XLogData payload the stream received; we say which action, transaction
 * and table it is and where each column's name and value sit in the line;
 * apply.c routes the change to the groups whose dirty rules read the table
 * and adds the key column each rule names to that group's dirty set.
 *
 * This module must stay pure: no I/O, no logging, no calls into other reckon
 * modules but lsn.c's parser (for "nextlsn"), no allocation after
 * decode_create(). Everything it reports borrows from the caller's line or
 * the Decoder's arrays. Malformed input, whatever it is, gives false and a
 * message naming the byte, never a crash, an assert or a read past len: the
 * line comes from the network.
 *
 * Parsing is jsmn (chosen by tools/bench/json_parsers.c: fastest, and the
 * only candidate with no allocation per message). jsmn is a tokenizer, not a
 * validator: even with JSMN_STRICT it accepts a missing ',' or ':', bare
 * control characters in strings and primitives like "tru" or "01", and stops
 * at a NUL byte. So after jsmn, decode_check_grammar() re-reads the bytes
 * between tokens against the JSON grammar, checks every literal and string,
 * and rewrites each container's child count from what it counted itself. The
 * walk that fills the DecodeEvent then relies only on those counts.
 *
 * Values stay as borrowed raw text (wal2json sends jsonb, arrays and text as
 * JSON strings, numerics as JSON numbers that may exceed any C type); the
 * decode_column_*() helpers convert the one or two values a consumer needs.
 */
#include "decode.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jsmn is header-only: this is the one translation unit that compiles it. */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "lsn.h"

/* PostgreSQL's MaxHeapAttributeNumber: no table has more columns. */
#define DECODE_COLUMNS_MAX 1600

/*
 * Token budget. A column object is 1 token plus 2 per key; wal2json 2.5 sends
 * up to 5 keys (name, type, typeoid, value, optional), and we leave room for
 * 8. Besides "columns" and "identity" a line may carry "pk" (include-pk, at
 * most INDEX_MAX_KEYS = 32 entries) and a few dozen scalar keys.
 */
#define DECODE_KEYS_PER_COLUMN 8
#define DECODE_TOKENS_PER_COLUMN (1 + 2 * DECODE_KEYS_PER_COLUMN)
#define DECODE_PK_COLUMNS_MAX 32
#define DECODE_TOKENS_SLACK 256

/*
 * wal2json nests three deep (message, array, column); unknown keys may nest
 * a little more. Deeper input is refused rather than tracked without bound.
 */
#define DECODE_DEPTH_MAX 16

/* Beyond this jsmn's int offsets would overflow. */
#define DECODE_LINE_MAX ((size_t)INT_MAX - 1)

_Static_assert((size_t)DECODE_TOKENS_SLACK + (2 * (size_t)DECODE_COLUMNS_MAX +
                                              DECODE_PK_COLUMNS_MAX) *
                                                 DECODE_TOKENS_PER_COLUMN <
                   UINT_MAX,
               "token budget fits jsmn's unsigned count");

struct Decoder
{
	int max_columns;
	unsigned int tokens_max;
	jsmntok_t *tokens;      /* owned, tokens_max entries */
	DecodeColumn *columns;  /* owned, max_columns entries */
	DecodeColumn *identity; /* owned, max_columns entries */
};

/* The top-level keys we read; any other key is skipped. */
typedef enum DecodeField
{
	DECODE_FIELD_ACTION,
	DECODE_FIELD_XID,
	DECODE_FIELD_TIMESTAMP,
	DECODE_FIELD_SCHEMA,
	DECODE_FIELD_TABLE,
	DECODE_FIELD_COLUMNS,
	DECODE_FIELD_IDENTITY,
	DECODE_FIELD_TRANSACTIONAL,
	DECODE_FIELD_PREFIX,
	DECODE_FIELD_CONTENT,
	DECODE_FIELD_NEXTLSN,
	DECODE_FIELD_OTHER
} DecodeField;

static const char *const decode_field_names[] = {
    "action",   "xid",           "timestamp", "schema",  "table",   "columns",
    "identity", "transactional", "prefix",    "content", "nextlsn",
};

_Static_assert(sizeof(decode_field_names) / sizeof(decode_field_names[0]) ==
                   DECODE_FIELD_OTHER,
               "one name per known field");

/* One decode_line() call: its input, its tokens and where errors go. */
typedef struct DecodeContext
{
	const Decoder *decoder;
	const char *line; /* borrowed */
	size_t len;
	jsmntok_t *tokens; /* borrowed from decoder */
	int ntokens;
	char *errbuf; /* borrowed */
	size_t errlen;
} DecodeContext;

/* An open container while decode_check_grammar() reads the line. */
typedef struct DecodeFrame
{
	char close; /* '}' or ']' */
	int token;
	int nchildren; /* keys of an object, elements of an array */
} DecodeFrame;

typedef enum DecodeExpect
{
	DECODE_EXPECT_VALUE,
	DECODE_EXPECT_VALUE_OR_CLOSE,
	DECODE_EXPECT_KEY,
	DECODE_EXPECT_KEY_OR_CLOSE,
	DECODE_EXPECT_COLON,
	DECODE_EXPECT_COMMA_OR_CLOSE,
	DECODE_EXPECT_END
} DecodeExpect;

static bool decode_fail(const DecodeContext *ctx, size_t offset,
                        const char *format, ...) PRINTF_FORMAT(3, 4);

Decoder *
decode_create(int max_columns)
{
	Decoder *decoder;

	ASSERT(max_columns >= 1);
	ASSERT(max_columns <= DECODE_COLUMNS_MAX);

	decoder = calloc(1, sizeof(Decoder));
	if (decoder == NULL)
	{
		return NULL;
	}
	decoder->max_columns = max_columns;
	decoder->tokens_max = DECODE_TOKENS_SLACK + (2 * (unsigned int)max_columns +
	                                             DECODE_PK_COLUMNS_MAX) *
	                                                DECODE_TOKENS_PER_COLUMN;
	decoder->tokens = calloc(decoder->tokens_max, sizeof(jsmntok_t));
	decoder->columns = calloc((size_t)max_columns, sizeof(DecodeColumn));
	decoder->identity = calloc((size_t)max_columns, sizeof(DecodeColumn));
	if (decoder->tokens == NULL || decoder->columns == NULL ||
	    decoder->identity == NULL)
	{
		decode_destroy(decoder);
		return NULL;
	}
	return decoder;
}

void
decode_destroy(Decoder *decoder)
{
	if (decoder == NULL)
	{
		return;
	}
	free(decoder->tokens);
	free(decoder->columns);
	free(decoder->identity);
	free(decoder);
}

/*
 * decode_fail: write "invalid wal2json message at byte N: <reason>" to the
 * caller's errbuf (truncated to fit) and return false, so that error paths
 * read "return decode_fail(...)".
 */
static bool
decode_fail(const DecodeContext *ctx, size_t offset, const char *format, ...)
{
	va_list args;
	int n;

	n = snprintf(ctx->errbuf, ctx->errlen,
	             "invalid wal2json message at byte %zu: ", offset);
	if (n >= 0 && (size_t)n < ctx->errlen)
	{
		va_start(args, format);
		vsnprintf(ctx->errbuf + n, ctx->errlen - (size_t)n, format, args);
		va_end(args);
	}
	return false;
}

/* Where a token begins in the line: strings include their opening quote. */
static size_t
decode_token_offset(const jsmntok_t *token)
{
	return (size_t)(token->type == JSMN_STRING ? token->start - 1
	                                           : token->start);
}

static DecodeSpan
decode_token_span(const DecodeContext *ctx, const jsmntok_t *token)
{
	DecodeSpan span;

	span.ptr = ctx->line + token->start;
	span.len = (size_t)(token->end - token->start);
	return span;
}

/* A JSON literal: true, false, null or a number in RFC 8259's grammar. */
static bool
decode_is_literal(const char *p, size_t n)
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
 * decode_check_scalar: a string or primitive token where the grammar wants a
 * value or a key. jsmn has checked escapes; JSON also forbids raw control
 * characters in strings, which jsmn lets through.
 */
static bool
decode_check_scalar(const DecodeContext *ctx, jsmntok_t *token)
{
	const char *p = ctx->line + token->start;
	size_t n = (size_t)(token->end - token->start);

	if (token->type == JSMN_PRIMITIVE)
	{
		if (!decode_is_literal(p, n))
		{
			return decode_fail(ctx, (size_t)token->start, "invalid literal");
		}
		return true;
	}
	for (size_t i = 0; i < n; i++)
	{
		if ((unsigned char)p[i] < 0x20)
		{
			return decode_fail(ctx, (size_t)token->start + i,
			                   "control character in string");
		}
	}
	return true;
}

static size_t
decode_skip_space(const DecodeContext *ctx, size_t pos)
{
	while (pos < ctx->len && (ctx->line[pos] == ' ' || ctx->line[pos] == '\t' ||
	                          ctx->line[pos] == '\n' || ctx->line[pos] == '\r'))
	{
		pos++;
	}
	return pos;
}

/* After a complete value: the end of the text, or more of its container. */
static DecodeExpect
decode_after_value(int depth)
{
	return depth == 0 ? DECODE_EXPECT_END : DECODE_EXPECT_COMMA_OR_CLOSE;
}

/*
 * decode_take_token: the next token must start at pos. Consumes it, counts it
 * in its parent and returns where the grammar goes next, or false.
 */
static bool
decode_take_token(const DecodeContext *ctx, int *t, size_t *pos,
                  DecodeFrame *stack, int *depth, DecodeExpect *expect)
{
	bool is_key =
	    *expect == DECODE_EXPECT_KEY || *expect == DECODE_EXPECT_KEY_OR_CLOSE;
	jsmntok_t *token;

	if (*t >= ctx->ntokens || decode_token_offset(&ctx->tokens[*t]) != *pos)
	{
		return decode_fail(ctx, *pos, "expected %s",
		                   is_key ? "an object key" : "a value");
	}
	token = &ctx->tokens[(*t)++];
	if (*depth > 0 && (is_key || stack[*depth - 1].close == ']'))
	{
		stack[*depth - 1].nchildren++;
	}
	if (is_key && token->type != JSMN_STRING)
	{
		return decode_fail(ctx, *pos, "object key is not a string");
	}
	if (token->type == JSMN_OBJECT || token->type == JSMN_ARRAY)
	{
		if (*depth == DECODE_DEPTH_MAX)
		{
			return decode_fail(ctx, *pos, "nested deeper than %d levels",
			                   DECODE_DEPTH_MAX);
		}
		stack[*depth].close = token->type == JSMN_OBJECT ? '}' : ']';
		stack[*depth].token = *t - 1;
		stack[*depth].nchildren = 0;
		(*depth)++;
		*pos += 1;
		*expect = token->type == JSMN_OBJECT ? DECODE_EXPECT_KEY_OR_CLOSE
		                                     : DECODE_EXPECT_VALUE_OR_CLOSE;
		return true;
	}
	if (!decode_check_scalar(ctx, token))
	{
		return false;
	}
	/* A key's one child is its value; a scalar has none. */
	token->size = is_key ? 1 : 0;
	*pos = (size_t)token->end + (token->type == JSMN_STRING ? 1 : 0);
	*expect = is_key ? DECODE_EXPECT_COLON : decode_after_value(*depth);
	return true;
}

/*
 * decode_check_grammar: read the line again, byte by byte between tokens, as
 * a JSON pushdown automaton that takes whole tokens from jsmn. Accepts
 * exactly one JSON value with optional surrounding whitespace. On success
 * every container token's size is the count of its keys or elements.
 */
static bool
decode_check_grammar(const DecodeContext *ctx)
{
	DecodeFrame stack[DECODE_DEPTH_MAX];
	DecodeExpect expect = DECODE_EXPECT_VALUE;
	int depth = 0;
	int t = 0;
	size_t pos = 0;

	while ((pos = decode_skip_space(ctx, pos)) < ctx->len)
	{
		char c = ctx->line[pos];
		bool may_close = expect == DECODE_EXPECT_VALUE_OR_CLOSE ||
		                 expect == DECODE_EXPECT_KEY_OR_CLOSE ||
		                 expect == DECODE_EXPECT_COMMA_OR_CLOSE;

		if (may_close && c == stack[depth - 1].close)
		{
			depth--;
			ctx->tokens[stack[depth].token].size = stack[depth].nchildren;
			pos++;
			expect = decode_after_value(depth);
		}
		else if (expect == DECODE_EXPECT_COMMA_OR_CLOSE && c == ',')
		{
			pos++;
			expect = stack[depth - 1].close == '}' ? DECODE_EXPECT_KEY
			                                       : DECODE_EXPECT_VALUE;
		}
		else if (expect == DECODE_EXPECT_COLON && c == ':')
		{
			pos++;
			expect = DECODE_EXPECT_VALUE;
		}
		else if (expect == DECODE_EXPECT_END)
		{
			return decode_fail(ctx, pos, "trailing characters after JSON");
		}
		else if (expect == DECODE_EXPECT_COLON ||
		         expect == DECODE_EXPECT_COMMA_OR_CLOSE)
		{
			return decode_fail(ctx, pos, "expected '%s'",
			                   expect == DECODE_EXPECT_COLON ? ":" : ",");
		}
		else if (!decode_take_token(ctx, &t, &pos, stack, &depth, &expect))
		{
			return false;
		}
	}
	if (expect != DECODE_EXPECT_END)
	{
		return decode_fail(ctx, ctx->len, "truncated JSON");
	}
	if (t != ctx->ntokens)
	{
		return decode_fail(ctx, ctx->len, "unexpected JSON tokens");
	}
	return true;
}

/* decode_skip: the token after the value at i and everything inside it. */
static int
decode_skip(const DecodeContext *ctx, int i)
{
	int pending = 1;

	while (pending > 0)
	{
		/* decode_check_grammar() counted every child: this cannot run off */
		ASSERT(i < ctx->ntokens);
		pending += ctx->tokens[i].size - 1;
		i++;
	}
	return i;
}

static bool
decode_span_is(const DecodeContext *ctx, const jsmntok_t *token,
               const char *str)
{
	return decode_span_equals(decode_token_span(ctx, token), str);
}

/*
 * decode_field: which known key this is. Called for every top-level key of
 * every message, so it compares lengths before bytes.
 */
static DecodeField
decode_field(const DecodeContext *ctx, const jsmntok_t *key)
{
	/* strlen of each decode_field_names[] entry, in order */
	static const uint8_t lengths[DECODE_FIELD_OTHER] = {6, 3,  9, 6, 5, 7,
	                                                    8, 13, 6, 7, 7};
	size_t len = (size_t)(key->end - key->start);

	for (int f = 0; f < DECODE_FIELD_OTHER; f++)
	{
		if (len == lengths[f] &&
		    memcmp(ctx->line + key->start, decode_field_names[f], len) == 0)
		{
			return (DecodeField)f;
		}
	}
	return DECODE_FIELD_OTHER;
}

/*
 * decode_uint64: a JSON integer of n bytes, no sign, no leading zero, at most
 * max. wal2json prints xids and column values as PostgreSQL's output
 * functions do, so anything else is refused rather than rounded.
 */
static bool
decode_uint64(const char *p, size_t n, uint64_t max, uint64_t *value)
{
	uint64_t acc = 0;

	if (n == 0 || (p[0] == '0' && n > 1))
	{
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		unsigned digit = (unsigned)(unsigned char)p[i] - '0';

		if (digit > 9 || acc > (max - digit) / 10)
		{
			return false;
		}
		acc = acc * 10 + digit;
	}
	*value = acc;
	return true;
}

static bool
decode_xid(const DecodeContext *ctx, const jsmntok_t *token, DecodeEvent *event)
{
	uint64_t xid;

	/* Non-transactional logical messages carry "xid":null. */
	if (token->type == JSMN_PRIMITIVE && decode_span_is(ctx, token, "null"))
	{
		return true;
	}
	if (token->type != JSMN_PRIMITIVE || ctx->line[token->start] == 't' ||
	    ctx->line[token->start] == 'f')
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"xid\" is not a number");
	}
	if (!decode_uint64(ctx->line + token->start,
	                   (size_t)(token->end - token->start), UINT32_MAX, &xid))
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"xid\" is not a 32-bit unsigned integer");
	}
	event->has_xid = true;
	event->xid = (uint32_t)xid;
	return true;
}

/* decode_digits: exactly n decimal digits at p, as an int. */
static bool
decode_digits(const char *p, int n, int *value)
{
	*value = 0;
	for (int i = 0; i < n; i++)
	{
		if (p[i] < '0' || p[i] > '9')
		{
			return false;
		}
		*value = *value * 10 + (p[i] - '0');
	}
	return true;
}

/*
 * decode_days_from_civil: days from 1970-01-01 to y-m-d in the proleptic
 * Gregorian calendar (Howard Hinnant's algorithm), so that we depend neither
 * on timegm() nor on the process's time zone or locale.
 */
static int64_t
decode_days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2 ? 1 : 0;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
decode_date_is_valid(int y, int m, int d)
{
	static const int month_days[12] = {31, 28, 31, 30, 31, 30,
	                                   31, 31, 30, 31, 30, 31};
	bool is_leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1 || m < 1 || m > 12 || d < 1)
	{
		return false;
	}
	return d <= month_days[m - 1] + (m == 2 && is_leap ? 1 : 0);
}

/*
 * decode_utc_offset: PostgreSQL's ISO offset "+HH", "+HH:MM" or "+HH:MM:SS"
 * (the last only for local mean time zones), as seconds east of UTC.
 */
static bool
decode_utc_offset(const char *p, size_t n, int64_t *seconds)
{
	int hh;
	int mm = 0;
	int ss = 0;

	if ((n != 3 && n != 6 && n != 9) || (p[0] != '+' && p[0] != '-') ||
	    !decode_digits(p + 1, 2, &hh))
	{
		return false;
	}
	if (n >= 6 && (p[3] != ':' || !decode_digits(p + 4, 2, &mm)))
	{
		return false;
	}
	if (n == 9 && (p[6] != ':' || !decode_digits(p + 7, 2, &ss)))
	{
		return false;
	}
	/* PostgreSQL keeps offsets within +-15:59:59 (MAX_TZDISP_HOUR) */
	if (hh > 15 || mm > 59 || ss > 59)
	{
		return false;
	}
	*seconds = (hh * 3600 + mm * 60 + ss) * (p[0] == '-' ? -1 : 1);
	return true;
}

/*
 * decode_timestamp: timestamptz_to_str()'s output, which wal2json sends:
 * "YYYY-MM-DD HH:MM:SS[.f{1,6}]+HH[:MM[:SS]]" in the server's time zone,
 * whatever DateStyle says. Years outside 0001..9999 and BC dates cannot be a
 * commit time and are refused.
 */
static bool
decode_timestamp(const char *p, size_t n, int64_t *timestamp_us)
{
	int y, mo, d, h, mi, s;
	int64_t fraction_us = 0;
	int64_t offset_s;
	size_t i = 19;

	if (n < 22 || !decode_digits(p, 4, &y) || p[4] != '-' ||
	    !decode_digits(p + 5, 2, &mo) || p[7] != '-' ||
	    !decode_digits(p + 8, 2, &d) || p[10] != ' ' ||
	    !decode_digits(p + 11, 2, &h) || p[13] != ':' ||
	    !decode_digits(p + 14, 2, &mi) || p[16] != ':' ||
	    !decode_digits(p + 17, 2, &s))
	{
		return false;
	}
	if (!decode_date_is_valid(y, mo, d) || h > 23 || mi > 59 || s > 59)
	{
		return false;
	}
	if (p[i] == '.')
	{
		int64_t scale = 100000;

		for (i++; i < n && p[i] >= '0' && p[i] <= '9' && scale > 0; i++)
		{
			fraction_us += (p[i] - '0') * scale;
			scale /= 10;
		}
		if (i == 20 || (i < n && p[i] >= '0' && p[i] <= '9'))
		{
			return false;
		}
	}
	if (!decode_utc_offset(p + i, n - i, &offset_s))
	{
		return false;
	}
	*timestamp_us =
	    ((decode_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) -
	     offset_s) *
	        1000000 +
	    fraction_us;
	return true;
}

/*
 * "nextlsn" of a B or C (include-lsn): the end of the transaction's commit
 * record, known at B already. A standby that has replayed up to it sees the
 * commit (recompute.c's fence for reads on a standby).
 */
static bool
decode_nextlsn(const DecodeContext *ctx, const jsmntok_t *token,
               DecodeEvent *event)
{
	char text[32];
	size_t n = (size_t)(token->end - token->start);

	if (token->type == JSMN_PRIMITIVE && decode_span_is(ctx, token, "null"))
	{
		return true;
	}
	if (token->type != JSMN_STRING || n >= sizeof(text))
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"nextlsn\" is not an LSN string");
	}
	memcpy(text, ctx->line + token->start, n);
	text[n] = '\0';
	if (!lsn_parse(text, &event->commit_end_lsn))
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"nextlsn\" is not a valid LSN");
	}
	event->has_commit_end_lsn = true;
	return true;
}

static bool
decode_timestamp_field(const DecodeContext *ctx, const jsmntok_t *token,
                       DecodeEvent *event)
{
	/* Non-transactional logical messages carry "timestamp":null. */
	if (token->type == JSMN_PRIMITIVE && decode_span_is(ctx, token, "null"))
	{
		return true;
	}
	if (token->type != JSMN_STRING)
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"timestamp\" is not a string");
	}
	if (!decode_timestamp(ctx->line + token->start,
	                      (size_t)(token->end - token->start),
	                      &event->timestamp_us))
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"timestamp\" is not a valid timestamp");
	}
	event->has_timestamp = true;
	return true;
}

static bool
decode_action(const DecodeContext *ctx, const jsmntok_t *token,
              DecodeEvent *event)
{
	char c = ctx->line[token->start];

	if (token->type != JSMN_STRING)
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"action\" is not a string");
	}
	if (token->end - token->start != 1 ||
	    (c != 'B' && c != 'C' && c != 'I' && c != 'U' && c != 'D' && c != 'T' &&
	     c != 'M'))
	{
		return decode_fail(
		    ctx, decode_token_offset(token), "unknown \"action\" \"%.*s\"",
		    token->end - token->start > 8 ? 8 : token->end - token->start,
		    ctx->line + token->start);
	}
	event->action = (DecodeAction)c;
	return true;
}

/* decode_transactional: an M's "transactional", a JSON boolean. */
static bool
decode_transactional(const DecodeContext *ctx, const jsmntok_t *token,
                     DecodeEvent *event)
{
	if (token->type == JSMN_PRIMITIVE && decode_span_is(ctx, token, "true"))
	{
		event->is_transactional = true;
		return true;
	}
	if (token->type == JSMN_PRIMITIVE && decode_span_is(ctx, token, "false"))
	{
		event->is_transactional = false;
		return true;
	}
	return decode_fail(ctx, decode_token_offset(token),
	                   "\"transactional\" is not a boolean");
}

/* decode_name: a string field (schema, table, prefix, content) as a span. */
static bool
decode_name(const DecodeContext *ctx, const jsmntok_t *token, DecodeField field,
            DecodeSpan *span)
{
	if (token->type != JSMN_STRING)
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"%s\" is not a string", decode_field_names[field]);
	}
	*span = decode_token_span(ctx, token);
	return true;
}

/*
 * decode_column_value: a column's "value", a scalar in wal2json 2.5 (jsonb,
 * arrays and composites come as strings). A nested value means a format we
 * do not know; refuse it rather than guess.
 */
static bool
decode_column_value(const DecodeContext *ctx, const jsmntok_t *token,
                    const char *array, int e, DecodeColumn *column)
{
	char c = ctx->line[token->start];

	if (token->type == JSMN_OBJECT || token->type == JSMN_ARRAY)
	{
		return decode_fail(ctx, decode_token_offset(token),
		                   "\"%s\"[%d] \"value\" is not a scalar", array, e);
	}
	column->raw = decode_token_span(ctx, token);
	column->has_escapes = false;
	if (token->type == JSMN_STRING)
	{
		column->kind = DECODE_VALUE_STRING;
		column->has_escapes =
		    memchr(column->raw.ptr, '\\', column->raw.len) != NULL;
	}
	else if (c == 'n')
	{
		column->kind = DECODE_VALUE_NULL;
	}
	else if (c == 't' || c == 'f')
	{
		column->kind = DECODE_VALUE_BOOL;
	}
	else
	{
		column->kind = DECODE_VALUE_NUMBER;
	}
	return true;
}

/* decode_column: the object at token index i, entry e of array "array". */
static bool
decode_column(const DecodeContext *ctx, int i, const char *array, int e,
              DecodeColumn *column)
{
	const jsmntok_t *object = &ctx->tokens[i];
	bool has_name = false;
	bool has_value = false;

	if (object->type != JSMN_OBJECT)
	{
		return decode_fail(ctx, decode_token_offset(object),
		                   "\"%s\"[%d] is not an object", array, e);
	}
	i++;
	for (int k = 0; k < object->size; k++)
	{
		const jsmntok_t *key = &ctx->tokens[i];
		const jsmntok_t *value = &ctx->tokens[i + 1];
		bool is_name = decode_span_is(ctx, key, "name");
		bool is_value = !is_name && decode_span_is(ctx, key, "value");

		if ((is_name && has_name) || (is_value && has_value))
		{
			return decode_fail(ctx, decode_token_offset(key),
			                   "\"%s\"[%d] has a duplicate \"%s\"", array, e,
			                   is_name ? "name" : "value");
		}
		if (is_name && value->type != JSMN_STRING)
		{
			return decode_fail(ctx, decode_token_offset(value),
			                   "\"%s\"[%d] \"name\" is not a string", array, e);
		}
		if (is_name)
		{
			column->name = decode_token_span(ctx, value);
			has_name = true;
		}
		else if (is_value)
		{
			if (!decode_column_value(ctx, value, array, e, column))
			{
				return false;
			}
			has_value = true;
		}
		i = decode_skip(ctx, i + 1);
	}
	if (!has_name || !has_value)
	{
		return decode_fail(ctx, decode_token_offset(object),
		                   "\"%s\"[%d] has no \"%s\"", array, e,
		                   has_name ? "value" : "name");
	}
	return true;
}

static bool
decode_columns(const DecodeContext *ctx, int i, DecodeField field,
               DecodeColumn *columns, const DecodeColumn **out, int *n)
{
	const jsmntok_t *array = &ctx->tokens[i];
	const char *name = decode_field_names[field];

	if (array->type != JSMN_ARRAY)
	{
		return decode_fail(ctx, decode_token_offset(array),
		                   "\"%s\" is not an array", name);
	}
	if (array->size > ctx->decoder->max_columns)
	{
		return decode_fail(ctx, decode_token_offset(array),
		                   "\"%s\" has %d entries, more than the %d allowed",
		                   name, array->size, ctx->decoder->max_columns);
	}
	i++;
	for (int e = 0; e < array->size; e++)
	{
		if (!decode_column(ctx, i, name, e, &columns[e]))
		{
			return false;
		}
		i = decode_skip(ctx, i);
	}
	*out = columns;
	*n = array->size;
	return true;
}

/* decode_value: one known top-level field into the event. */
static bool
decode_value(const DecodeContext *ctx, DecodeField field, int i,
             DecodeEvent *event)
{
	const jsmntok_t *token = &ctx->tokens[i];

	switch (field)
	{
		case DECODE_FIELD_ACTION:
			return decode_action(ctx, token, event);
		case DECODE_FIELD_XID:
			return decode_xid(ctx, token, event);
		case DECODE_FIELD_TIMESTAMP:
			return decode_timestamp_field(ctx, token, event);
		case DECODE_FIELD_SCHEMA:
			return decode_name(ctx, token, field, &event->schema);
		case DECODE_FIELD_TABLE:
			return decode_name(ctx, token, field, &event->table);
		case DECODE_FIELD_COLUMNS:
			return decode_columns(ctx, i, field, ctx->decoder->columns,
			                      &event->columns, &event->ncolumns);
		case DECODE_FIELD_IDENTITY:
			return decode_columns(ctx, i, field, ctx->decoder->identity,
			                      &event->identity, &event->nidentity);
		case DECODE_FIELD_TRANSACTIONAL:
			return decode_transactional(ctx, token, event);
		case DECODE_FIELD_PREFIX:
			return decode_name(ctx, token, field, &event->prefix);
		case DECODE_FIELD_CONTENT:
			return decode_name(ctx, token, field, &event->content);
		case DECODE_FIELD_NEXTLSN:
			return decode_nextlsn(ctx, token, event);
		case DECODE_FIELD_OTHER:
			break;
	}
	return true;
}

/*
 * decode_check_required: the fields each action cannot do without. "identity"
 * is optional for U: wal2json sends it only when the table has a replica
 * identity to send. B, C and M need nothing beyond "action" ("xid" is null
 * for non-transactional messages and absent without include-xids; an M
 * without "prefix" or "content" leaves them empty, and consumers match on
 * the prefix, so it is simply not theirs).
 */
static bool
decode_check_required(const DecodeContext *ctx, unsigned seen,
                      const DecodeEvent *event)
{
	unsigned required = 0;

	if (!(seen & (1u << DECODE_FIELD_ACTION)))
	{
		return decode_fail(ctx, 0, "\"action\" is missing");
	}
	switch (event->action)
	{
		case DECODE_ACTION_INSERT:
		case DECODE_ACTION_UPDATE:
			required = 1u << DECODE_FIELD_COLUMNS;
			break;
		case DECODE_ACTION_DELETE:
			required = 1u << DECODE_FIELD_IDENTITY;
			break;
		default:
			break;
	}
	if (required != 0 || event->action == DECODE_ACTION_TRUNCATE)
	{
		required |= 1u << DECODE_FIELD_SCHEMA | 1u << DECODE_FIELD_TABLE;
	}
	for (int f = 0; f < DECODE_FIELD_OTHER; f++)
	{
		if ((required & (1u << f)) && !(seen & (1u << f)))
		{
			return decode_fail(ctx, 0, "\"%s\" is missing for action \"%c\"",
			                   decode_field_names[f], (char)event->action);
		}
	}
	return true;
}

/*
 * decode_walk: the top-level object's keys into the event. Unknown keys are
 * skipped whole, so that a newer wal2json's additions do not break us; a
 * known key twice is refused, as we could not say which one wal2json meant.
 */
static bool
decode_walk(const DecodeContext *ctx, DecodeEvent *event)
{
	const jsmntok_t *root = &ctx->tokens[0];
	unsigned seen = 0;
	int i = 1;

	/* decode_line() saw '{' first, and the grammar allows one value */
	ASSERT(root->type == JSMN_OBJECT);
	for (int k = 0; k < root->size; k++)
	{
		DecodeField field = decode_field(ctx, &ctx->tokens[i]);

		if (field != DECODE_FIELD_OTHER && (seen & (1u << field)))
		{
			return decode_fail(ctx, decode_token_offset(&ctx->tokens[i]),
			                   "duplicate \"%s\"", decode_field_names[field]);
		}
		seen |= 1u << field;
		if (!decode_value(ctx, field, i + 1, event))
		{
			return false;
		}
		i = decode_skip(ctx, i + 1);
	}
	return decode_check_required(ctx, seen, event);
}

/* decode_event_reset: an event that claims nothing. */
static void
decode_event_reset(DecodeEvent *event)
{
	/* empty spans still point at a string, so "%.*s" is safe on them */
	memset(event, 0, sizeof(*event));
	event->schema.ptr = "";
	event->table.ptr = "";
	event->prefix.ptr = "";
	event->content.ptr = "";
}

bool
decode_line(Decoder *decoder, const char *line, size_t len, DecodeEvent *event,
            char *errbuf, size_t errlen)
{
	DecodeContext ctx;
	jsmn_parser parser;
	const char *nul;
	size_t start;
	int ntokens;

	ASSERT(decoder != NULL);
	ASSERT(line != NULL || len == 0);
	ASSERT(event != NULL);
	ASSERT(errbuf != NULL);
	ASSERT(errlen > 0);

	decode_event_reset(event);
	errbuf[0] = '\0';
	ctx.decoder = decoder;
	ctx.line = line;
	ctx.len = len;
	ctx.tokens = decoder->tokens;
	ctx.ntokens = 0;
	ctx.errbuf = errbuf;
	ctx.errlen = errlen;

	if (len > DECODE_LINE_MAX)
	{
		return decode_fail(&ctx, 0, "message of %zu bytes is too long", len);
	}
	/* jsmn would silently stop there; a NUL never belongs in JSON text. */
	nul = len > 0 ? memchr(line, '\0', len) : NULL;
	if (nul != NULL)
	{
		return decode_fail(&ctx, (size_t)(nul - line), "NUL byte");
	}
	/*
	 * Say so now: jsmn would call a lone "42" truncated, as it cannot tell
	 * where a number at the end of its input stops.
	 */
	start = decode_skip_space(&ctx, 0);
	if (start == len)
	{
		return decode_fail(&ctx, len, "empty message");
	}
	if (line[start] != '{')
	{
		return decode_fail(&ctx, start, "message is not a JSON object");
	}
	jsmn_init(&parser);
	ntokens =
	    jsmn_parse(&parser, line, len, decoder->tokens, decoder->tokens_max);
	if (ntokens == JSMN_ERROR_NOMEM)
	{
		return decode_fail(&ctx, parser.pos,
		                   "more than %u JSON tokens (sized for %d columns)",
		                   decoder->tokens_max, decoder->max_columns);
	}
	if (ntokens == JSMN_ERROR_PART)
	{
		return decode_fail(&ctx, len, "truncated JSON");
	}
	if (ntokens < 0)
	{
		return decode_fail(&ctx, parser.pos, "invalid JSON");
	}
	ctx.ntokens = ntokens;
	if (!decode_check_grammar(&ctx) || !decode_walk(&ctx, event))
	{
		/* the walk may have filled fields before it found the error */
		decode_event_reset(event);
		return false;
	}
	return true;
}

bool
decode_span_equals(DecodeSpan span, const char *str)
{
	size_t n;

	ASSERT(str != NULL);
	n = strlen(str);
	return span.len == n && (n == 0 || memcmp(span.ptr, str, n) == 0);
}

const DecodeColumn *
decode_find_column(const DecodeColumn *columns, int n, const char *name)
{
	ASSERT(columns != NULL || n == 0);
	ASSERT(name != NULL);

	for (int i = 0; i < n; i++)
	{
		if (decode_span_equals(columns[i].name, name))
		{
			return &columns[i];
		}
	}
	return NULL;
}

bool
decode_span_int64(DecodeSpan span, int64_t *value)
{
	const char *p = span.ptr;
	size_t n = span.len;
	uint64_t magnitude;
	bool is_negative;

	ASSERT(p != NULL || n == 0);
	ASSERT(value != NULL);

	is_negative = n > 0 && p[0] == '-';
	if (is_negative)
	{
		p++;
		n--;
	}
	if (!decode_uint64(p, n, is_negative ? (uint64_t)INT64_MAX + 1 : INT64_MAX,
	                   &magnitude))
	{
		return false;
	}
	/* -(2^63) has no positive counterpart: negate in unsigned arithmetic. */
	*value = is_negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return true;
}

bool
decode_column_int64(const DecodeColumn *column, int64_t *value)
{
	ASSERT(column != NULL);
	ASSERT(value != NULL);

	if (column->kind != DECODE_VALUE_NUMBER &&
	    (column->kind != DECODE_VALUE_STRING || column->has_escapes))
	{
		return false;
	}
	return decode_span_int64(column->raw, value);
}

/* decode_hex4: four hex digits at p (n bytes available), or -1. */
static long
decode_hex4(const char *p, size_t n)
{
	long value = 0;

	if (n < 4)
	{
		return -1;
	}
	for (int i = 0; i < 4; i++)
	{
		char c = p[i];
		int digit = c >= '0' && c <= '9'   ? c - '0'
		            : c >= 'a' && c <= 'f' ? c - 'a' + 10
		            : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                                   : -1;

		if (digit < 0)
		{
			return -1;
		}
		value = value * 16 + digit;
	}
	return value;
}

/*
 * decode_unicode_escape: the code point of "\uXXXX" (or of a surrogate pair
 * "\uD8XX\uDCXX") starting at p[0] == '\\'. Sets *used to the bytes read.
 * Lone surrogates and U+0000 are refused: they have no UTF-8 form we could
 * pass to PostgreSQL's text type.
 */
static long
decode_unicode_escape(const char *p, size_t n, size_t *used)
{
	long high = decode_hex4(p + 2, n - 2);
	long low;

	*used = 6;
	if (high <= 0 || (high >= 0xDC00 && high <= 0xDFFF))
	{
		return -1;
	}
	if (high < 0xD800 || high > 0xDBFF)
	{
		return high;
	}
	if (n < 12 || p[6] != '\\' || p[7] != 'u')
	{
		return -1;
	}
	low = decode_hex4(p + 8, n - 8);
	if (low < 0xDC00 || low > 0xDFFF)
	{
		return -1;
	}
	*used = 12;
	return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
}

/* decode_put_utf8: code point cp as UTF-8 at buf[*pos], if it fits. */
static bool
decode_put_utf8(long cp, char *buf, size_t buflen, size_t *pos)
{
	unsigned char bytes[4];
	size_t n;

	if (cp < 0x80)
	{
		bytes[0] = (unsigned char)cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		bytes[0] = (unsigned char)(0xC0 | (cp >> 6));
		bytes[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		bytes[0] = (unsigned char)(0xE0 | (cp >> 12));
		bytes[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		bytes[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		bytes[0] = (unsigned char)(0xF0 | (cp >> 18));
		bytes[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		bytes[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		bytes[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	/* keep one byte for the terminating NUL */
	if (buflen - *pos <= n)
	{
		return false;
	}
	memcpy(buf + *pos, bytes, n);
	*pos += n;
	return true;
}

/* decode_simple_escape: the byte "\c" stands for, or -1 if none. */
static int
decode_simple_escape(char c)
{
	switch (c)
	{
		case '"':
			return '"';
		case '\\':
			return '\\';
		case '/':
			return '/';
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		default:
			return -1;
	}
}

bool
decode_column_text(const DecodeColumn *column, char *buf, size_t buflen)
{
	const char *p;
	size_t n;
	size_t out = 0;

	ASSERT(column != NULL);
	ASSERT(buf != NULL);
	ASSERT(buflen > 0);

	buf[0] = '\0';
	if (column->kind != DECODE_VALUE_STRING)
	{
		return false;
	}
	p = column->raw.ptr;
	n = column->raw.len;
	for (size_t i = 0; i < n;)
	{
		long cp;
		size_t used = 2;

		/* bytes outside escapes, UTF-8 or not, are copied as they are */
		if (p[i] != '\\' && p[i] != '\0' && out + 1 < buflen)
		{
			buf[out++] = p[i++];
			continue;
		}
		if (p[i] != '\\' || i + 1 == n)
		{
			cp = -1;
		}
		else if (p[i + 1] == 'u')
		{
			cp = decode_unicode_escape(p + i, n - i, &used);
		}
		else
		{
			cp = decode_simple_escape(p[i + 1]);
		}
		if (cp <= 0 || !decode_put_utf8(cp, buf, buflen, &out))
		{
			buf[0] = '\0';
			return false;
		}
		i += used;
	}
	buf[out] = '\0';
	return true;
}
