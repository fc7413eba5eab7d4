/*
 * decode.h: one wal2json format-version 2 line -> DecodeEvent.
 *
 * Pipeline: stream -> [decode] -> dirty. decode is pure: no I/O, no logging,
 * no allocation per message. A Decoder owns a token array sized once at
 * creation; every DecodeEvent it fills borrows from that array and from the
 * caller's line buffer, so it is valid only until the next decode_line() on
 * the same Decoder or until the line buffer is freed.
 */
#ifndef RECKON_DECODE_H
#define RECKON_DECODE_H

#include "common.h"

typedef enum DecodeAction
{
	DECODE_ACTION_BEGIN = 'B',
	DECODE_ACTION_COMMIT = 'C',
	DECODE_ACTION_INSERT = 'I',
	DECODE_ACTION_UPDATE = 'U',
	DECODE_ACTION_DELETE = 'D',
	DECODE_ACTION_TRUNCATE = 'T',
	DECODE_ACTION_MESSAGE = 'M'
} DecodeAction;

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

typedef struct DecodeEvent
{
	DecodeAction action;
	bool has_xid;
	uint32_t xid;
	bool has_timestamp;
	int64_t timestamp_us; /* commit time, Unix epoch microseconds (B/C) */
	DecodeSpan schema;	  /* I/U/D/T; empty otherwise */
	DecodeSpan table;	  /* I/U/D/T; empty otherwise */
	const DecodeColumn *columns; /* borrowed from the Decoder; I/U */
	int ncolumns;
	const DecodeColumn *identity; /* borrowed; U (old row) and D */
	int nidentity;
} DecodeEvent;

typedef struct Decoder Decoder;

/*
 * decode_create: a decoder that accepts lines of at most max_columns columns
 * in each of "columns" and "identity". Returns NULL when out of memory. The
 * caller frees it with decode_destroy().
 */
Decoder *decode_create(int max_columns);
void decode_destroy(Decoder *decoder);

/*
 * decode_line: parse one wal2json format-version 2 message of len bytes
 * (need not be NUL-terminated). On success fills *event and returns true. On
 * malformed or unexpected input returns false and writes a one-line,
 * lower-case reason naming the offending field and byte offset into errbuf;
 * it never crashes or reads past len, whatever the input.
 */
bool decode_line(Decoder *decoder, const char *line, size_t len,
				 DecodeEvent *event, char *errbuf, size_t errlen) WARN_UNUSED;

/* decode_span_equals: whether span holds exactly the NUL-terminated str. */
bool decode_span_equals(DecodeSpan span, const char *str);

/*
 * decode_find_column: the column named name (unescaped comparison is not
 * needed: column names we look up are plain identifiers), or NULL.
 */
const DecodeColumn *decode_find_column(const DecodeColumn *columns, int n,
									   const char *name);

/*
 * decode_column_int64: the column's value as a signed 64-bit integer. Accepts
 * a NUMBER that is an integer in range, or a STRING holding one. Returns
 * false for NULL, a fraction, an exponent, anything out of range or not a
 * number.
 */
bool decode_column_int64(const DecodeColumn *column,
						 int64_t *value) WARN_UNUSED;

/*
 * decode_column_text: the value unescaped (JSON escapes, including \uXXXX
 * and surrogate pairs, to UTF-8) into buf, NUL-terminated. Returns false if
 * the value is NULL, not a string, malformed, or does not fit in buflen.
 */
bool decode_column_text(const DecodeColumn *column, char *buf,
						size_t buflen) WARN_UNUSED;

#endif
