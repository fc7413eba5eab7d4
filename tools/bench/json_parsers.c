/*
 * json_parsers.c: measure what one wal2json format-version 2 message costs
 * to parse with each JSON library Debian offers, to choose the parser behind
 * src/decode.c (stream -> [decode] -> dirty).
 *
 * Every candidate does the same consumer's work on every line: the action,
 * the xid, schema and table, and for each column of "columns" and "identity"
 * its name and, when its "type" is "bigint", its value as an int64. Each
 * folds what it extracted into a checksum, compared with jsmn's, so the
 * table also shows which libraries get values wrong or refuse lines. On the
 * captured fixtures: cJSON keeps numbers only as double, so 2^53 + 1 comes
 * out wrong; yajl's tree API does not take -2^63 as an integer; jansson
 * refuses a whole line holding an integral numeric beyond int64 ("too big
 * integer"), as yajl's integer callback would, which is why the yajl
 * callback parser here takes numbers as text. The last row is reckon's own
 * decoder, which adds full grammar validation on top of jsmn.
 *
 * Usage: json_parsers FIXTURES.jsonl [messages-per-run]
 * Prints the best of BENCH_RUNS runs in ns/message, timed with
 * CLOCK_MONOTONIC. Standalone: links only the libraries, src/decode.c and
 * the pure modules it links (json_parsers.sh lists them).
 *
 * json-c and jansson both define json_type and export json_object_get(),
 * with different meanings: they cannot share a translation unit, and linked
 * into one program jansson's calls bind to json-c's symbol and corrupt its
 * objects. So json_parsers.sh builds this file twice: once for everything
 * else, once with -DBENCH_JANSSON for jansson alone (plus jsmn, which gives
 * the reference checksums in both).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#ifdef BENCH_JANSSON
#include <jansson.h>
#else
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>
#include <json-c/json.h>
#include <cjson/cJSON.h>
#endif

#include "decode.h"

#define BENCH_RUNS 15
#define BENCH_MESSAGES_DEFAULT 100000
#define BENCH_TOKENS_MAX 4096
#define BENCH_MAX_COLUMNS 64
#define BENCH_NUMBER_MAX 32

/* One fixture line, NUL-terminated for the libraries that need it. */
typedef struct BenchLine
{
	char *text; /* owned */
	size_t len;
} BenchLine;

/*
 * What a consumer extracts, folded into one number. The fold is commutative
 * because the callback parser learns an array's length only at its end.
 * String lengths are left out on purpose: the tree libraries unescape, jsmn
 * leaves spans raw, and both are right.
 */
typedef struct BenchSummary
{
	uint64_t sum;
} BenchSummary;

typedef bool (*BenchParseFn)(const BenchLine *line, BenchSummary *summary);

typedef struct BenchParser
{
	const char *name;
	BenchParseFn parse;
} BenchParser;

static void
summary_add(BenchSummary *summary, uint64_t value)
{
	/* splitmix64's finalizer: different values rarely give equal sums */
	value += 0x9E3779B97F4A7C15ULL;
	value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
	value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
	summary->sum += value ^ (value >> 31);
}

/* Handles the parsers reuse, set up once in main(). */
static jsmntok_t bench_tokens[BENCH_TOKENS_MAX];
#ifndef BENCH_JANSSON
static struct json_tokener *bench_json_c_tokener;
static Decoder *bench_decoder;

NORETURN void
common_assert_failed(const char *expr, const char *file, int line)
{
	fprintf(stderr, "assertion \"%s\" failed at %s:%d\n", expr, file, line);
	abort();
}
#endif

/* parse_int64: a JSON integer of exactly len bytes, as decode.c accepts. */
static bool
parse_int64(const char *text, size_t len, int64_t *value)
{
	bool is_negative = len > 0 && text[0] == '-';
	size_t i = is_negative ? 1 : 0;
	uint64_t limit = is_negative ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	uint64_t acc = 0;

	if (i == len || (text[i] == '0' && len - i > 1))
	{
		return false;
	}
	for (; i < len; i++)
	{
		unsigned digit = (unsigned)(text[i] - '0');

		if (digit > 9 || acc > (limit - digit) / 10)
		{
			return false;
		}
		acc = acc * 10 + digit;
	}
	*value = is_negative ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

static bool
span_is(const char *text, size_t len, const char *str)
{
	return strlen(str) == len && memcmp(text, str, len) == 0;
}

/* jsmn: tokens into a static array, then a walk over them. */

static int
jsmn_skip(const jsmntok_t *tokens, int i)
{
	int pending = 1;

	while (pending > 0)
	{
		pending += tokens[i].size - 1;
		i++;
	}
	return i;
}

static bool
jsmn_column(const char *text, const jsmntok_t *tokens, int object,
            BenchSummary *summary)
{
	int i = object + 1;
	bool is_bigint = false;
	const jsmntok_t *value = NULL;

	for (int k = 0; k < tokens[object].size; k++)
	{
		const jsmntok_t *key = &tokens[i];
		const jsmntok_t *val = &tokens[i + 1];
		const char *kp = text + key->start;
		size_t kn = (size_t)(key->end - key->start);

		if (span_is(kp, kn, "name"))
		{
			summary_add(summary, (unsigned char)text[val->start]);
		}
		else if (span_is(kp, kn, "type"))
		{
			is_bigint = span_is(text + val->start,
			                    (size_t)(val->end - val->start), "bigint");
		}
		else if (span_is(kp, kn, "value"))
		{
			value = val;
		}
		i = jsmn_skip(tokens, i + 1);
	}
	if (is_bigint && value != NULL && value->type == JSMN_PRIMITIVE)
	{
		int64_t v;

		if (parse_int64(text + value->start,
		                (size_t)(value->end - value->start), &v))
		{
			summary_add(summary, (uint64_t)v);
		}
	}
	return true;
}

static bool
bench_jsmn(const BenchLine *line, BenchSummary *summary)
{
	const char *text = line->text;
	jsmn_parser parser;
	int ntokens;
	int i = 1;

	jsmn_init(&parser);
	ntokens =
	    jsmn_parse(&parser, text, line->len, bench_tokens, BENCH_TOKENS_MAX);
	if (ntokens < 1 || bench_tokens[0].type != JSMN_OBJECT)
	{
		return false;
	}
	for (int k = 0; k < bench_tokens[0].size; k++)
	{
		const jsmntok_t *key = &bench_tokens[i];
		const jsmntok_t *val = &bench_tokens[i + 1];
		const char *kp = text + key->start;
		size_t kn = (size_t)(key->end - key->start);

		if (span_is(kp, kn, "action"))
		{
			summary_add(summary, (unsigned char)text[val->start]);
		}
		else if (span_is(kp, kn, "xid") && val->type == JSMN_PRIMITIVE)
		{
			int64_t xid;

			if (parse_int64(text + val->start, (size_t)(val->end - val->start),
			                &xid))
			{
				summary_add(summary, (uint64_t)xid);
			}
		}
		else if ((span_is(kp, kn, "columns") || span_is(kp, kn, "identity")) &&
		         val->type == JSMN_ARRAY)
		{
			int j = i + 2;

			summary_add(summary, (uint64_t)val->size);
			for (int e = 0; e < val->size; e++)
			{
				if (bench_tokens[j].type == JSMN_OBJECT)
				{
					jsmn_column(text, bench_tokens, j, summary);
				}
				j = jsmn_skip(bench_tokens, j);
			}
		}
		i = jsmn_skip(bench_tokens, i + 1);
	}
	return true;
}

#ifdef BENCH_JANSSON

/* jansson: refuses integers beyond int64 ("too big integer"). */

static void
jansson_columns(json_t *array, BenchSummary *summary)
{
	size_t e;
	json_t *column;

	summary_add(summary, (uint64_t)json_array_size(array));
	json_array_foreach(array, e, column)
	{
		json_t *name = json_object_get(column, "name");
		json_t *type = json_object_get(column, "type");
		json_t *value = json_object_get(column, "value");

		if (json_is_string(name))
		{
			summary_add(summary, (unsigned char)json_string_value(name)[0]);
		}
		if (json_is_string(type) &&
		    strcmp(json_string_value(type), "bigint") == 0 &&
		    json_is_integer(value))
		{
			summary_add(summary, (uint64_t)json_integer_value(value));
		}
	}
}

static bool
bench_jansson(const BenchLine *line, BenchSummary *summary)
{
	json_error_t error;
	json_t *root = json_loadb(line->text, line->len, 0, &error);
	json_t *v;

	if (root == NULL)
	{
		return false;
	}
	v = json_object_get(root, "action");
	if (json_is_string(v))
	{
		summary_add(summary, (unsigned char)json_string_value(v)[0]);
	}
	v = json_object_get(root, "xid");
	if (json_is_integer(v))
	{
		summary_add(summary, (uint64_t)json_integer_value(v));
	}
	v = json_object_get(root, "columns");
	if (json_is_array(v))
	{
		jansson_columns(v, summary);
	}
	v = json_object_get(root, "identity");
	if (json_is_array(v))
	{
		jansson_columns(v, summary);
	}
	json_decref(root);
	return true;
}

#else

/* yajl callbacks: a small state machine, numbers kept as text. */

typedef enum YajlKey
{
	YAJL_KEY_OTHER,
	YAJL_KEY_ACTION,
	YAJL_KEY_XID,
	YAJL_KEY_COLUMNS,
	YAJL_KEY_NAME,
	YAJL_KEY_TYPE,
	YAJL_KEY_VALUE
} YajlKey;

typedef struct YajlState
{
	BenchSummary *summary;
	int depth;
	YajlKey top_key;
	YajlKey column_key;
	bool is_bigint;
	uint64_t nelements;            /* column objects in the current array */
	char number[BENCH_NUMBER_MAX]; /* copied: yajl's pointer dies */
	size_t number_len;
} YajlState;

static int
yajl_on_key(void *ctx, const unsigned char *key, size_t len)
{
	YajlState *state = ctx;
	const char *k = (const char *)key;

	if (state->depth == 1)
	{
		state->top_key =
		    span_is(k, len, "action") ? YAJL_KEY_ACTION
		    : span_is(k, len, "xid")  ? YAJL_KEY_XID
		    : span_is(k, len, "columns") || span_is(k, len, "identity")
		        ? YAJL_KEY_COLUMNS
		        : YAJL_KEY_OTHER;
	}
	else if (state->depth == 3 && state->top_key == YAJL_KEY_COLUMNS)
	{
		state->column_key = span_is(k, len, "name")    ? YAJL_KEY_NAME
		                    : span_is(k, len, "type")  ? YAJL_KEY_TYPE
		                    : span_is(k, len, "value") ? YAJL_KEY_VALUE
		                                               : YAJL_KEY_OTHER;
	}
	return 1;
}

static bool
yajl_in_column(const YajlState *state)
{
	return state->depth == 3 && state->top_key == YAJL_KEY_COLUMNS;
}

static int
yajl_on_string(void *ctx, const unsigned char *str, size_t len)
{
	YajlState *state = ctx;

	if (state->depth == 1 && state->top_key == YAJL_KEY_ACTION && len > 0)
	{
		summary_add(state->summary, str[0]);
	}
	else if (yajl_in_column(state) && state->column_key == YAJL_KEY_NAME)
	{
		summary_add(state->summary, len > 0 ? str[0] : 0);
	}
	else if (yajl_in_column(state) && state->column_key == YAJL_KEY_TYPE)
	{
		state->is_bigint = span_is((const char *)str, len, "bigint");
	}
	return 1;
}

static int
yajl_on_number(void *ctx, const char *str, size_t len)
{
	YajlState *state = ctx;
	int64_t v;

	if (state->depth == 1 && state->top_key == YAJL_KEY_XID &&
	    parse_int64(str, len, &v))
	{
		summary_add(state->summary, (uint64_t)v);
	}
	else if (yajl_in_column(state) && state->column_key == YAJL_KEY_VALUE &&
	         len < BENCH_NUMBER_MAX)
	{
		memcpy(state->number, str, len);
		state->number_len = len;
	}
	return 1;
}

static int
yajl_on_scalar(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
yajl_on_boolean(void *ctx, int value)
{
	(void)value;
	return yajl_on_scalar(ctx);
}

static int
yajl_on_start(void *ctx)
{
	YajlState *state = ctx;

	state->depth++;
	if (yajl_in_column(state))
	{
		state->nelements++;
		state->is_bigint = false;
		state->number_len = 0;
		state->column_key = YAJL_KEY_OTHER;
	}
	return 1;
}

static int
yajl_on_end(void *ctx)
{
	YajlState *state = ctx;
	int64_t v;

	if (yajl_in_column(state) && state->is_bigint && state->number_len > 0 &&
	    parse_int64(state->number, state->number_len, &v))
	{
		summary_add(state->summary, (uint64_t)v);
	}
	state->depth--;
	return 1;
}

static int
yajl_on_start_array(void *ctx)
{
	YajlState *state = ctx;

	state->depth++;
	state->nelements = 0;
	return 1;
}

static int
yajl_on_end_array(void *ctx)
{
	YajlState *state = ctx;

	if (state->depth == 2 && state->top_key == YAJL_KEY_COLUMNS)
	{
		summary_add(state->summary, state->nelements);
	}
	state->depth--;
	return 1;
}

static const yajl_callbacks yajl_bench_callbacks = {
    .yajl_null = yajl_on_scalar,
    .yajl_boolean = yajl_on_boolean,
    .yajl_number = yajl_on_number,
    .yajl_string = yajl_on_string,
    .yajl_start_map = yajl_on_start,
    .yajl_map_key = yajl_on_key,
    .yajl_end_map = yajl_on_end,
    .yajl_start_array = yajl_on_start_array,
    .yajl_end_array = yajl_on_end_array,
};

/* yajl 2 has no reset, so a handle per message is what a consumer pays. */
static bool
bench_yajl_callback(const BenchLine *line, BenchSummary *summary)
{
	YajlState state = {.summary = summary};
	yajl_handle handle = yajl_alloc(&yajl_bench_callbacks, NULL, &state);
	bool is_ok;

	is_ok = handle != NULL &&
	        yajl_parse(handle, (const unsigned char *)line->text, line->len) ==
	            yajl_status_ok &&
	        yajl_complete_parse(handle) == yajl_status_ok;
	if (handle != NULL)
	{
		yajl_free(handle);
	}
	return is_ok;
}

/* yajl tree: one allocation per value, freed per message. */

static void
yajl_tree_columns(yajl_val array, BenchSummary *summary)
{
	summary_add(summary, (uint64_t)array->u.array.len);
	for (size_t e = 0; e < array->u.array.len; e++)
	{
		yajl_val column = array->u.array.values[e];
		static const char *name_path[] = {"name", NULL};
		static const char *type_path[] = {"type", NULL};
		static const char *value_path[] = {"value", NULL};
		yajl_val name = yajl_tree_get(column, name_path, yajl_t_string);
		yajl_val type = yajl_tree_get(column, type_path, yajl_t_string);
		yajl_val value = yajl_tree_get(column, value_path, yajl_t_any);

		if (name != NULL)
		{
			summary_add(summary, (unsigned char)name->u.string[0]);
		}
		if (type != NULL && strcmp(type->u.string, "bigint") == 0 &&
		    YAJL_IS_INTEGER(value))
		{
			summary_add(summary, (uint64_t)YAJL_GET_INTEGER(value));
		}
	}
}

static bool
bench_yajl_tree(const BenchLine *line, BenchSummary *summary)
{
	static const char *action_path[] = {"action", NULL};
	static const char *xid_path[] = {"xid", NULL};
	static const char *columns_path[] = {"columns", NULL};
	static const char *identity_path[] = {"identity", NULL};
	yajl_val root = yajl_tree_parse(line->text, NULL, 0);
	yajl_val v;

	if (root == NULL)
	{
		return false;
	}
	if ((v = yajl_tree_get(root, action_path, yajl_t_string)) != NULL)
	{
		summary_add(summary, (unsigned char)v->u.string[0]);
	}
	if ((v = yajl_tree_get(root, xid_path, yajl_t_number)) != NULL &&
	    YAJL_IS_INTEGER(v))
	{
		summary_add(summary, (uint64_t)YAJL_GET_INTEGER(v));
	}
	if ((v = yajl_tree_get(root, columns_path, yajl_t_array)) != NULL)
	{
		yajl_tree_columns(v, summary);
	}
	if ((v = yajl_tree_get(root, identity_path, yajl_t_array)) != NULL)
	{
		yajl_tree_columns(v, summary);
	}
	yajl_tree_free(root);
	return true;
}

/* json-c: one tokener, reset per message. */

static void
json_c_columns(struct json_object *array, BenchSummary *summary)
{
	size_t n = json_object_array_length(array);

	summary_add(summary, (uint64_t)n);
	for (size_t e = 0; e < n; e++)
	{
		struct json_object *column = json_object_array_get_idx(array, e);
		struct json_object *name;
		struct json_object *type;
		struct json_object *value;

		if (json_object_object_get_ex(column, "name", &name))
		{
			summary_add(summary,
			            (unsigned char)json_object_get_string(name)[0]);
		}
		if (json_object_object_get_ex(column, "type", &type) &&
		    strcmp(json_object_get_string(type), "bigint") == 0 &&
		    json_object_object_get_ex(column, "value", &value) &&
		    json_object_is_type(value, json_type_int))
		{
			summary_add(summary, (uint64_t)json_object_get_int64(value));
		}
	}
}

static bool
bench_json_c(const BenchLine *line, BenchSummary *summary)
{
	struct json_object *root;
	struct json_object *v;

	json_tokener_reset(bench_json_c_tokener);
	root =
	    json_tokener_parse_ex(bench_json_c_tokener, line->text, (int)line->len);
	if (root == NULL)
	{
		return false;
	}
	if (json_object_object_get_ex(root, "action", &v))
	{
		summary_add(summary, (unsigned char)json_object_get_string(v)[0]);
	}
	if (json_object_object_get_ex(root, "xid", &v) &&
	    json_object_is_type(v, json_type_int))
	{
		summary_add(summary, (uint64_t)json_object_get_int64(v));
	}
	if (json_object_object_get_ex(root, "columns", &v))
	{
		json_c_columns(v, summary);
	}
	if (json_object_object_get_ex(root, "identity", &v))
	{
		json_c_columns(v, summary);
	}
	json_object_put(root);
	return true;
}

/* cJSON: numbers exist only as double, so int64 is approximate. */

static uint64_t
cjson_int64(const cJSON *value)
{
	double d = value->valuedouble;

	/* Casting a double at or beyond 2^63 to int64 is undefined; clamp. */
	if (d >= 9223372036854775807.0)
	{
		return (uint64_t)INT64_MAX;
	}
	if (d <= -9223372036854775808.0)
	{
		return (uint64_t)INT64_MIN;
	}
	return (uint64_t)(int64_t)d;
}

static void
cjson_columns(const cJSON *array, BenchSummary *summary)
{
	const cJSON *column;

	summary_add(summary, (uint64_t)cJSON_GetArraySize(array));
	cJSON_ArrayForEach(column, array)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(column, "name");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(column, "type");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(column, "value");

		if (cJSON_IsString(name))
		{
			summary_add(summary, (unsigned char)name->valuestring[0]);
		}
		if (cJSON_IsString(type) && strcmp(type->valuestring, "bigint") == 0 &&
		    cJSON_IsNumber(value))
		{
			summary_add(summary, cjson_int64(value));
		}
	}
}

static bool
bench_cjson(const BenchLine *line, BenchSummary *summary)
{
	cJSON *root = cJSON_ParseWithLength(line->text, line->len);
	const cJSON *v;

	if (root == NULL)
	{
		return false;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "action");
	if (cJSON_IsString(v))
	{
		summary_add(summary, (unsigned char)v->valuestring[0]);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "xid");
	if (cJSON_IsNumber(v))
	{
		summary_add(summary, cjson_int64(v));
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "columns");
	if (cJSON_IsArray(v))
	{
		cjson_columns(v, summary);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "identity");
	if (cJSON_IsArray(v))
	{
		cjson_columns(v, summary);
	}
	cJSON_Delete(root);
	return true;
}

/* reckon's decode.c: jsmn plus full validation. */

static void
decode_columns(const DecodeColumn *columns, int n, BenchSummary *summary)
{
	summary_add(summary, (uint64_t)n);
	for (int e = 0; e < n; e++)
	{
		int64_t v;

		summary_add(summary, (unsigned char)columns[e].name.ptr[0]);
		/*
		 * DecodeColumn has no "type": the consumer knows which column is its
		 * bigint key. In wal2json_v2.jsonl only bigint columns hold integers,
		 * so trying every number extracts what the others do. On lines sent
		 * without include-types the others extract no int64 at all, and this
		 * row's "wrong" count means nothing.
		 */
		if (columns[e].kind == DECODE_VALUE_NUMBER &&
		    decode_column_int64(&columns[e], &v))
		{
			summary_add(summary, (uint64_t)v);
		}
	}
}

static bool
bench_decode(const BenchLine *line, BenchSummary *summary)
{
	DecodeEvent event;
	char errbuf[256];

	if (!decode_line(bench_decoder, line->text, line->len, &event, errbuf,
	                 sizeof(errbuf)))
	{
		return false;
	}
	summary_add(summary, (uint64_t)event.action);
	if (event.has_xid)
	{
		summary_add(summary, event.xid);
	}
	if (event.action == DECODE_ACTION_INSERT ||
	    event.action == DECODE_ACTION_UPDATE)
	{
		decode_columns(event.columns, event.ncolumns, summary);
	}
	if (event.nidentity > 0)
	{
		decode_columns(event.identity, event.nidentity, summary);
	}
	return true;
}

#endif /* BENCH_JANSSON */

static const BenchParser bench_parsers[] = {
#ifdef BENCH_JANSSON
    {"jansson 2.14", bench_jansson},
#else
    {"jsmn 1.1.0 (tokens + walk)", bench_jsmn},
    {"yajl 2.1.0 callbacks", bench_yajl_callback},
    {"yajl 2.1.0 tree", bench_yajl_tree},
    {"json-c 0.16", bench_json_c},
    {"cJSON 1.7.15", bench_cjson},
    {"reckon decode.c (jsmn + validation)", bench_decode},
#endif
};

#define BENCH_NPARSERS ((int)(sizeof(bench_parsers) / sizeof(bench_parsers[0])))

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* read_lines: the non-empty lines of path; exits on I/O error. */
static BenchLine *
read_lines(const char *path, int *nlines)
{
	FILE *file = fopen(path, "r");
	BenchLine *lines = NULL;
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;
	int n = 0;

	if (file == NULL)
	{
		fprintf(stderr, "could not open \"%s\": %s\n", path, strerror(errno));
		exit(1);
	}
	while ((len = getline(&text, &cap, file)) > 0)
	{
		if (text[len - 1] == '\n')
		{
			text[--len] = '\0';
		}
		if (len == 0)
		{
			continue;
		}
		lines = realloc(lines, sizeof(BenchLine) * (size_t)(n + 1));
		if (lines == NULL)
		{
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		lines[n].text = strdup(text);
		lines[n].len = (size_t)len;
		n++;
	}
	free(text);
	fclose(file);
	*nlines = n;
	return lines;
}

/*
 * check_parser: one pass; counts lines the parser refuses and lines whose
 * checksum differs from the reference (jsmn's walk, which parse_int64 makes
 * exact).
 */
static void
check_parser(int p, const BenchLine *lines, int nlines,
             const uint64_t *reference, int *nfailed, int *nwrong)
{
	*nfailed = 0;
	*nwrong = 0;
	for (int i = 0; i < nlines; i++)
	{
		BenchSummary summary = {0};

		if (!bench_parsers[p].parse(&lines[i], &summary))
		{
			(*nfailed)++;
		}
		else if (reference != NULL && summary.sum != reference[i])
		{
			(*nwrong)++;
		}
	}
}

/* time_parser: ns/message of one run of rounds passes over the lines. */
static double
time_parser(int p, const BenchLine *lines, int nlines, int rounds)
{
	static volatile uint64_t sink;
	int64_t start_ns = now_ns();

	for (int r = 0; r < rounds; r++)
	{
		for (int i = 0; i < nlines; i++)
		{
			BenchSummary summary = {0};

			(void)bench_parsers[p].parse(&lines[i], &summary);
			sink += summary.sum;
		}
	}
	return (double)(now_ns() - start_ns) / ((double)rounds * nlines);
}

/* run_parsers: time every parser, then print one row each. */
static void
run_parsers(const BenchLine *lines, int nlines, const uint64_t *reference,
            int rounds)
{
	double best_ns[BENCH_NPARSERS];

	/*
	 * Runs alternate between parsers, so that a busy machine slows them all
	 * alike, and each keeps its best run.
	 */
	for (int run = 0; run < BENCH_RUNS; run++)
	{
		for (int p = 0; p < BENCH_NPARSERS; p++)
		{
			double ns = time_parser(p, lines, nlines, rounds);

			if (run == 0 || ns < best_ns[p])
			{
				best_ns[p] = ns;
			}
		}
	}
	for (int p = 0; p < BENCH_NPARSERS; p++)
	{
		int nfailed;
		int nwrong;

		check_parser(p, lines, nlines, reference, &nfailed, &nwrong);
		printf("%-38s %10.0f %8d %8d\n", bench_parsers[p].name, best_ns[p],
		       nfailed, nwrong);
	}
}

/* bench_setup: the handles the parsers reuse; false when out of memory. */
static bool
bench_setup(void)
{
#ifdef BENCH_JANSSON
	return true;
#else
	bench_json_c_tokener = json_tokener_new();
	bench_decoder = decode_create(BENCH_MAX_COLUMNS);
	return bench_json_c_tokener != NULL && bench_decoder != NULL;
#endif
}

static void
bench_teardown(void)
{
#ifndef BENCH_JANSSON
	decode_destroy(bench_decoder);
	json_tokener_free(bench_json_c_tokener);
#endif
}

int
main(int argc, char **argv)
{
	BenchLine *lines;
	uint64_t *reference;
	int nlines;
	long messages = BENCH_MESSAGES_DEFAULT;
	size_t bytes = 0;
	int rounds;

	if (argc < 2 || argc > 3)
	{
		fprintf(stderr, "usage: %s FIXTURES.jsonl [messages-per-run]\n",
		        argv[0]);
		return 2;
	}
	if (argc == 3)
	{
		messages = strtol(argv[2], NULL, 10);
	}
	lines = read_lines(argv[1], &nlines);
	if (nlines == 0 || messages <= 0)
	{
		fprintf(stderr, "nothing to parse\n");
		return 1;
	}
	reference = calloc((size_t)nlines, sizeof(uint64_t));
	if (reference == NULL || !bench_setup())
	{
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (int i = 0; i < nlines; i++)
	{
		BenchSummary summary = {0};

		(void)bench_jsmn(&lines[i], &summary);
		reference[i] = summary.sum;
		bytes += lines[i].len;
	}
	rounds = (int)(messages / nlines) + 1;
#ifndef BENCH_JANSSON
	printf("%d messages from %s, %zu bytes on average, %d runs of %ld "
	       "messages, best run\n\n",
	       nlines, argv[1], bytes / (size_t)nlines, BENCH_RUNS,
	       (long)rounds * nlines);
	printf("%-38s %10s %8s %8s\n", "parser", "ns/msg", "refused", "wrong");
#endif
	run_parsers(lines, nlines, reference, rounds);
	bench_teardown();
	for (int i = 0; i < nlines; i++)
	{
		free(lines[i].text);
	}
	free(lines);
	free(reference);
	return 0;
}
