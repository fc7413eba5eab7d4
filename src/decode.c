/*
 * decode.c: one wal2json format-version 2 line -> DecodeEvent.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. apply.c hands us each
 * XLogData payload the stream received; we say which action, transaction
 * and table it is and where each column's name and value sit in the line;
 * apply.c routes the change to the groups whose dirty rules read the table
 * and adds the key column each rule names to that group's dirty set.
 *
 * This module must stay pure: no I/O, no logging, no allocation after
 * decode_create(), no calls into other reckon modules but its own pure
 * helpers: json_check.c (the grammar), decode_value.c (numbers in spans),
 * timestamptz.c ("timestamp") and lsn.c ("nextlsn"). Everything it reports
 * borrows from the caller's line or the Decoder's arrays. Malformed input,
 * whatever it is, gives false and a message naming the byte, never a crash,
 * an assert or a read past len: the line comes from the network.
 *
 * Parsing is jsmn (chosen by tools/bench/json_parsers.c: fastest, and the
 * only candidate with no allocation per message), which stops at a NUL byte
 * and is a tokenizer, not a validator. So decode_tokenize() refuses what jsmn
 * cannot see, json_check_grammar() then checks the tokens against the JSON
 * grammar and rewrites each container's child count from what it counted
 * itself, and the walk that fills the DecodeEvent relies only on those
 * counts.
 *
 * Values stay as borrowed raw text (wal2json sends jsonb, arrays and text as
 * JSON strings, numerics as JSON numbers that may exceed any C type);
 * decode_value.c's decode_column_*() convert the one or two values a
 * consumer needs.
 */
#include "decode.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * jsmn is header-only: this is the one translation unit that compiles it.
 * json_check.h sets its options and includes it.
 */
#define JSMN_STATIC
#include "json_check.h"
#include "lsn.h"
#include "timestamptz.h"

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

static DecodeSpan
decode_token_span(const DecodeContext *ctx, const jsmntok_t *token)
{
	DecodeSpan span;

	span.ptr = ctx->line + token->start;
	span.len = (size_t)(token->end - token->start);
	return span;
}

/* decode_skip: the token after the value at i and everything inside it. */
static int
decode_skip(const DecodeContext *ctx, int i)
{
	int pending = 1;

	while (pending > 0)
	{
		/* json_check_grammar() counted every child: this cannot run off */
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
		return decode_fail(ctx, json_check_token_offset(token),
		                   "\"xid\" is not a number");
	}
	if (!decode_span_uint64(decode_token_span(ctx, token), UINT32_MAX, &xid))
	{
		return decode_fail(ctx, json_check_token_offset(token),
		                   "\"xid\" is not a 32-bit unsigned integer");
	}
	event->has_xid = true;
	event->xid = (uint32_t)xid;
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
		return decode_fail(ctx, json_check_token_offset(token),
		                   "\"nextlsn\" is not an LSN string");
	}
	memcpy(text, ctx->line + token->start, n);
	text[n] = '\0';
	if (!lsn_parse(text, &event->commit_end_lsn))
	{
		return decode_fail(ctx, json_check_token_offset(token),
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
		return decode_fail(ctx, json_check_token_offset(token),
		                   "\"timestamp\" is not a string");
	}
	if (!timestamptz_parse(ctx->line + token->start,
	                       (size_t)(token->end - token->start),
	                       &event->timestamp_us))
	{
		return decode_fail(ctx, json_check_token_offset(token),
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
		return decode_fail(ctx, json_check_token_offset(token),
		                   "\"action\" is not a string");
	}
	if (token->end - token->start != 1 ||
	    (c != 'B' && c != 'C' && c != 'I' && c != 'U' && c != 'D' && c != 'T' &&
	     c != 'M'))
	{
		return decode_fail(
		    ctx, json_check_token_offset(token), "unknown \"action\" \"%.*s\"",
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
	return decode_fail(ctx, json_check_token_offset(token),
	                   "\"transactional\" is not a boolean");
}

/* decode_name: a string field (schema, table, prefix, content) as a span. */
static bool
decode_name(const DecodeContext *ctx, const jsmntok_t *token, DecodeField field,
            DecodeSpan *span)
{
	if (token->type != JSMN_STRING)
	{
		return decode_fail(ctx, json_check_token_offset(token),
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
		return decode_fail(ctx, json_check_token_offset(token),
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
		return decode_fail(ctx, json_check_token_offset(object),
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
			return decode_fail(ctx, json_check_token_offset(key),
			                   "\"%s\"[%d] has a duplicate \"%s\"", array, e,
			                   is_name ? "name" : "value");
		}
		if (is_name && value->type != JSMN_STRING)
		{
			return decode_fail(ctx, json_check_token_offset(value),
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
		return decode_fail(ctx, json_check_token_offset(object),
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
		return decode_fail(ctx, json_check_token_offset(array),
		                   "\"%s\" is not an array", name);
	}
	if (array->size > ctx->decoder->max_columns)
	{
		return decode_fail(ctx, json_check_token_offset(array),
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
			return decode_fail(ctx, json_check_token_offset(&ctx->tokens[i]),
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

/*
 * decode_tokenize: the line into the decoder's tokens (ctx->ntokens), after
 * the checks jsmn cannot make itself. Says nothing yet about the grammar.
 */
static bool
decode_tokenize(DecodeContext *ctx)
{
	const Decoder *decoder = ctx->decoder;
	jsmn_parser parser;
	const char *nul;
	size_t start;
	int ntokens;

	if (ctx->len > DECODE_LINE_MAX)
	{
		return decode_fail(ctx, 0, "message of %zu bytes is too long",
		                   ctx->len);
	}
	/* jsmn would silently stop there; a NUL never belongs in JSON text. */
	nul = ctx->len > 0 ? memchr(ctx->line, '\0', ctx->len) : NULL;
	if (nul != NULL)
	{
		return decode_fail(ctx, (size_t)(nul - ctx->line), "NUL byte");
	}
	/*
	 * Say so now: jsmn would call a lone "42" truncated, as it cannot tell
	 * where a number at the end of its input stops.
	 */
	start = json_check_skip_space(ctx->line, ctx->len, 0);
	if (start == ctx->len)
	{
		return decode_fail(ctx, ctx->len, "empty message");
	}
	if (ctx->line[start] != '{')
	{
		return decode_fail(ctx, start, "message is not a JSON object");
	}
	jsmn_init(&parser);
	ntokens = jsmn_parse(&parser, ctx->line, ctx->len, ctx->tokens,
	                     decoder->tokens_max);
	if (ntokens == JSMN_ERROR_NOMEM)
	{
		return decode_fail(ctx, parser.pos,
		                   "more than %u JSON tokens (sized for %d columns)",
		                   decoder->tokens_max, decoder->max_columns);
	}
	if (ntokens == JSMN_ERROR_PART)
	{
		return decode_fail(ctx, ctx->len, "truncated JSON");
	}
	if (ntokens < 0)
	{
		return decode_fail(ctx, parser.pos, "invalid JSON");
	}
	ctx->ntokens = ntokens;
	return true;
}

bool
decode_line(Decoder *decoder, const char *line, size_t len, DecodeEvent *event,
            char *errbuf, size_t errlen)
{
	DecodeContext ctx;
	JsonCheckError error;

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

	if (!decode_tokenize(&ctx))
	{
		return false;
	}
	if (!json_check_grammar(line, len, ctx.tokens, ctx.ntokens, &error))
	{
		return decode_fail(&ctx, error.offset, "%s", error.reason);
	}
	if (!decode_walk(&ctx, event))
	{
		/* the walk may have filled fields before it found the error */
		decode_event_reset(event);
		return false;
	}
	return true;
}
