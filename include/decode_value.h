/*
 * decode_value.h: the spans and columns decode_line() reports, and the
 * conversions a consumer applies to the one or two values it needs.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. decode.c leaves every value
 * as borrowed raw text of the line (wal2json sends jsonb, arrays and text as
 * JSON strings, numerics as JSON numbers that may exceed any C type); apply.c
 * converts the key columns its rules name with these functions. Pure: no
 * I/O, no logging, no allocation; results go to the caller's buffers.
 */
#ifndef RECKON_DECODE_VALUE_H
#define RECKON_DECODE_VALUE_H

#include "common.h"

typedef enum DecodeValueKind
{
	DECODE_VALUE_NULL,
	DECODE_VALUE_BOOL,
	DECODE_VALUE_NUMBER,
	DECODE_VALUE_STRING
} DecodeValueKind;

/* A borrowed, not NUL-terminated slice of the line being decoded. */
typedef struct DecodeSpan
{
	const char *ptr; /* borrowed */
	size_t len;
} DecodeSpan;

typedef struct DecodeColumn
{
	DecodeSpan name; /* raw JSON string contents, without quotes */
	DecodeValueKind kind;
	/*
	 * The value's raw text: for NUMBER the digits as sent (may exceed
	 * int64, may have a fraction or exponent), for BOOL "true"/"false", for
	 * STRING the contents between the quotes, still escaped.
	 */
	DecodeSpan raw;
	bool has_escapes; /* STRING only: raw contains a backslash */
} DecodeColumn;

/* decode_span_equals: whether span holds exactly the NUL-terminated str. */
bool decode_span_equals(DecodeSpan span, const char *str);

/*
 * decode_find_column: the column named name (unescaped comparison is not
 * needed: column names we look up are plain identifiers), or NULL.
 */
const DecodeColumn *decode_find_column(const DecodeColumn *columns, int n,
                                       const char *name);

/*
 * decode_span_uint64: span as an unsigned integer of at most max: decimal
 * digits, nothing else (no sign, leading zero, space, fraction or exponent).
 * wal2json prints xids and column values as PostgreSQL's output functions
 * do, so anything else is refused rather than rounded. False otherwise,
 * leaving *value alone.
 */
bool decode_span_uint64(DecodeSpan span, uint64_t max,
                        uint64_t *value) WARN_UNUSED;

/*
 * decode_span_int64: span as a signed 64-bit integer: an optional '-' then
 * decimal digits, nothing else (no '+', leading zero, space, fraction or
 * exponent), in range. False otherwise; it never rounds or clamps. For an M
 * whose content is a number (the raw span of a JSON string holding digits
 * needs no unescaping).
 */
bool decode_span_int64(DecodeSpan span, int64_t *value) WARN_UNUSED;

/*
 * decode_column_int64: the column's value as a signed 64-bit integer. Accepts
 * a NUMBER that is an integer in range, or a STRING holding one (no escapes).
 * Returns false for NULL, a fraction, an exponent, anything out of range or
 * not a number, a '+', leading zeros or spaces: it never rounds or clamps.
 */
bool decode_column_int64(const DecodeColumn *column,
                         int64_t *value) WARN_UNUSED;

/*
 * decode_column_text: the value unescaped (JSON escapes, including \uXXXX
 * and surrogate pairs, to UTF-8) into buf, NUL-terminated. Returns false,
 * leaving "" in buf, if the value is NULL, not a string, malformed (a lone
 * surrogate, \u0000), or does not fit in buflen with its NUL. Bytes outside
 * escapes are copied as they are.
 */
bool decode_column_text(const DecodeColumn *column, char *buf,
                        size_t buflen) WARN_UNUSED;

#endif
