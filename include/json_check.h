/*
 * json_check.h: strict RFC 8259 grammar check of a jsmn token array.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. decode.c tokenizes each
 * wal2json line with jsmn, then json_check_grammar() makes sure the bytes
 * really are one JSON value before decode.c walks the tokens. Pure: no I/O,
 * no logging, no allocation.
 *
 * This header is the one place that sets jsmn's options, which change
 * jsmntok_t's layout (JSMN_PARENT_LINKS adds a field): every translation unit
 * that shares tokens must see the same ones. jsmn is header-only; decode.c is
 * the one translation unit that compiles it, defining JSMN_STATIC before it
 * includes this header. Everywhere else this header gives declarations only.
 */
#ifndef RECKON_JSON_CHECK_H
#define RECKON_JSON_CHECK_H

#include "common.h"

#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#ifndef JSMN_STATIC
#define JSMN_HEADER
#endif
#include <jsmn.h>

/* Where the text stops being JSON, and why: a constant, lower-case phrase. */
typedef struct JsonCheckError
{
	size_t offset;
	const char *reason; /* static string */
} JsonCheckError;

/*
 * json_check_grammar: read text (len bytes, need not be NUL-terminated)
 * again, byte by byte between the ntokens tokens jsmn made of it, as a JSON
 * pushdown automaton. jsmn is a tokenizer, not a validator: even with
 * JSMN_STRICT it accepts a missing ',' or ':', raw control characters in
 * strings and primitives like "tru" or "01". Accepts exactly one JSON value
 * with optional surrounding whitespace, nested at most 16 levels. On success
 * rewrites every token's size from what it counted itself (the keys of an
 * object, the elements of an array, 1 for a key, 0 for a scalar) and returns
 * true; otherwise fills *error and returns false. It never reads past len.
 */
bool json_check_grammar(const char *text, size_t len, jsmntok_t *tokens,
                        int ntokens, JsonCheckError *error) WARN_UNUSED;

/* json_check_skip_space: the first byte at or after pos that is not JSON
 * whitespace, or len. */
size_t json_check_skip_space(const char *text, size_t len, size_t pos);

/*
 * json_check_token_offset: where a token begins in the text. jsmn's start of
 * a string is after its opening quote; this is the quote itself.
 */
size_t json_check_token_offset(const jsmntok_t *token);

#endif
