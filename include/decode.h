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
 * freed. One Decoder serves one thread. DecodeSpan, DecodeColumn and the
 * conversions of their raw values (decode_column_int64(), ...) are in
 * decode_value.h, which this header includes.
 */
#ifndef RECKON_DECODE_H
#define RECKON_DECODE_H

#include "common.h"
#include "decode_value.h"

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

#endif
