/*
 * decode.h: one wal2json format-version 2 line -> DecodeEvent.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. apply.c decodes each
 * message and routes the change to the groups' dirty sets by their rules;
 * decode only says what the line holds. decode is pure: no I/O, no logging,
 * no allocation per message. A Decoder owns a token array and two column
 * arrays sized once at creation; every DecodeEvent it fills borrows from
 * those arrays and from the caller's line buffer, so it is valid only until
 * the next decode_line() on the same Decoder or until the line buffer is
 * freed. One Decoder serves one thread.
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
	/* false without include-xids, and for a non-transactional M */
	bool has_xid;
	uint32_t xid;
	/*
	 * The transaction's commit time, Unix epoch microseconds. With
	 * include-timestamp wal2json puts it on every message of the transaction
	 * (B, C and each change), whatever the server's time zone; false
	 * without it and for a non-transactional M.
	 */
	bool has_timestamp;
	int64_t timestamp_us;
	/*
	 * B and C with include-lsn: the end of the commit record ("nextlsn");
	 * false without it.
	 */
	bool has_commit_end_lsn;
	Lsn commit_end_lsn;
	/*
	 * I/U/D/T; empty otherwise. Raw JSON string contents, still escaped: a
	 * schema named we"ird arrives as we\"ird.
	 */
	DecodeSpan schema;
	DecodeSpan table;
	/* borrowed from the Decoder; I/U; NULL and 0 when not sent */
	const DecodeColumn *columns;
	int ncolumns;
	/* borrowed; U (old row, when the table has a replica identity) and D */
	const DecodeColumn *identity;
	int nidentity;
	/*
	 * M (pg_logical_emit_message): whether it was emitted as transactional
	 * (inside its transaction's B and C) or not (sent as soon as decoded,
	 * outside any B and C); false when "transactional" is absent.
	 */
	bool is_transactional;
	/*
	 * M: "prefix" and "content", raw JSON string contents, still escaped;
	 * empty otherwise.
	 */
	DecodeSpan prefix;
	DecodeSpan content;
} DecodeEvent;

typedef struct Decoder Decoder;

/*
 * decode_create: a decoder that accepts lines of at most max_columns columns
 * (1..1600, PostgreSQL's limit; anything else is a programmer error) in each
 * of "columns" and "identity". max_columns also sizes the token array, so a
 * line with many more JSON tokens than that many columns need is refused,
 * not parsed into more memory. Returns NULL when out of memory. The caller
 * frees it with decode_destroy().
 */
Decoder *decode_create(int max_columns);

/* decode_destroy: frees the decoder and its arrays; NULL is a no-op. */
void decode_destroy(Decoder *decoder);

/*
 * decode_line: parse one wal2json format-version 2 message of len bytes
 * (need not be NUL-terminated). On success fills *event and returns true. On
 * malformed or unexpected input returns false and writes a one-line,
 * lower-case reason naming the offending field and byte offset into errbuf
 * ("invalid wal2json message at byte 20: \"xid\" is not a number"),
 * truncated to errlen and always NUL-terminated; *event is then zeroed.
 * It never crashes or reads past len, whatever the input.
 *
 * The whole line must be one strict RFC 8259 JSON object (a NUL byte,
 * trailing bytes, bad escapes or raw control characters are errors). Keys it
 * does not know are skipped, for forward compatibility; a known key sent
 * twice is an error. Bytes of strings are not checked to be UTF-8: wal2json
 * sends the database encoding as it is.
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
