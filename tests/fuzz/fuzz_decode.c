/*
 * fuzz_decode.c: libFuzzer target for the wal2json decoder (src/decode.c),
 * the stage between stream and dirty (stream -> [decode] -> dirty), built and
 * run by `make fuzz` (tests/fuzz/fuzz.mk).
 *
 * The input is one XLogData payload, decoded as apply_message() does: one
 * decode_line() per message on a long-lived Decoder sized by the configured
 * columns_max, with a 256-byte error buffer; then the helpers apply.c calls
 * on an accepted event. The fixtures and the parser benchmark hold messages
 * as JSON lines, so an input with newlines is also decoded line by line.
 *
 * Only decode.h's public API is used. The checks are the contract decode.h
 * states and are cheap, so that most of the time goes into decode_line()
 * itself: every span of an accepted event lies inside the line, an error is
 * a NUL-terminated "invalid wal2json message at byte N: ..." with N <= len,
 * and a decoder with a lower column limit never accepts what the daemon's
 * decoder refuses, nor decodes it differently. A broken check calls abort()
 * so that libFuzzer saves the input.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decode.h"

/* apply.c's error buffer, so that truncation behaves as in the daemon */
#define FUZZ_ERRBUF_SIZE 256
/* a buffer too short for any message: every error is truncated in it */
#define FUZZ_SHORT_ERRBUF_SIZE 24
#define FUZZ_CANARY 0x5A
/* column names apply.c looks up are identifiers (NAMEDATALEN) */
#define FUZZ_NAME_MAX 64
#define FUZZ_ERROR_PREFIX "invalid wal2json message at byte "
/* 0001-01-01 00:00:00+15:59:59 .. 9999-12-31 23:59:59.999999-15:59:59 */
#define FUZZ_TIMESTAMP_MIN_US ((INT64_C(-62135596800) - 57599) * 1000000)
#define FUZZ_TIMESTAMP_MAX_US                                                  \
	((INT64_C(253402300799) + 57599) * 1000000 + 999999)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The daemon's decoder, and one that allows a single column per array. */
static Decoder *fuzz_decoder;
static int fuzz_columns_max;
static Decoder *fuzz_small_decoder;

/* fuzz_check: an invariant; a failure is a finding, so abort loudly. */
#define fuzz_check(cond) ((cond) ? (void)0 : fuzz_failed(#cond, __LINE__))

static void
fuzz_failed(const char *what, int line)
{
	fprintf(stderr, "fuzz_decode.c:%d: check failed: %s\n", line, what);
	abort();
}

/*
 * fuzz_setup: the decoders live for the whole run, as apply.c's does for
 * the whole stream, so state left over from one message would show in the
 * next. columns_max comes from config_init(): the daemon's default.
 */
static void
fuzz_setup(void)
{
	static Config config;

	if (fuzz_decoder != NULL)
	{
		return;
	}
	config_init(&config);
	fuzz_columns_max = config.columns_max;
	config_free(&config);
	fuzz_decoder = decode_create(fuzz_columns_max);
	fuzz_small_decoder = decode_create(1);
	fuzz_check(fuzz_decoder != NULL);
	fuzz_check(fuzz_small_decoder != NULL);
}

/* A span of the event: empty, or wholly inside the line. */
static void
fuzz_check_span(DecodeSpan span, const char *line, size_t len)
{
	if (span.len == 0)
	{
		fuzz_check(span.ptr != NULL);
		return;
	}
	fuzz_check(span.ptr >= line);
	fuzz_check(span.len <= len);
	fuzz_check((size_t)(span.ptr - line) <= len - span.len);
}

/*
 * fuzz_check_int64_text: decode_span_int64() accepts only what it would
 * print back the same way (no '+', no leading zero, no fraction), so an
 * accepted value formats to exactly the raw text. "-0", a valid JSON number
 * (float8 prints it), is the one exception: it is 0.
 */
static void
fuzz_check_int64_text(DecodeSpan raw, int64_t value)
{
	char text[32];
	int n;

	if (value == 0 && decode_span_equals(raw, "-0"))
	{
		return;
	}
	n = snprintf(text, sizeof(text), "%" PRId64, value);
	fuzz_check(n > 0);
	fuzz_check((size_t)n == raw.len);
	fuzz_check(memcmp(text, raw.ptr, (size_t)n) == 0);
}

static void
fuzz_check_int64(const DecodeColumn *column)
{
	int64_t value;

	if (!decode_column_int64(column, &value))
	{
		return;
	}
	fuzz_check(column->kind == DECODE_VALUE_NUMBER ||
	           column->kind == DECODE_VALUE_STRING);
	fuzz_check(!column->has_escapes);
	fuzz_check_int64_text(column->raw, value);
}

/* decode_column_text() into a heap buffer of exactly buflen bytes. */
static bool
fuzz_column_text(const DecodeColumn *column, char *text, size_t buflen)
{
	char *buf = malloc(buflen);
	bool ok;

	fuzz_check(buf != NULL);
	memset(buf, FUZZ_CANARY, buflen);
	ok = decode_column_text(column, buf, buflen);
	fuzz_check(memchr(buf, '\0', buflen) != NULL);
	fuzz_check(ok || buf[0] == '\0');
	if (text != NULL)
	{
		memcpy(text, buf, buflen);
	}
	free(buf);
	return ok;
}

/*
 * fuzz_check_text: unescaping never lengthens a JSON string, so raw.len + 1
 * bytes always suffice and a failure there means a malformed value. A text
 * of L bytes must then fit in exactly L + 1 bytes, identically, and not in
 * L: buffers of exactly those sizes let ASan catch a write one past the end.
 */
static void
fuzz_check_text(const DecodeColumn *column)
{
	size_t roomy_len = column->raw.len + 1;
	char *text = malloc(roomy_len);
	char *again = malloc(roomy_len);
	size_t len;

	fuzz_check(text != NULL);
	fuzz_check(again != NULL);
	if (!fuzz_column_text(column, text, roomy_len))
	{
		fuzz_check(!fuzz_column_text(column, NULL, 1));
		free(text);
		free(again);
		return;
	}
	fuzz_check(column->kind == DECODE_VALUE_STRING);
	len = strlen(text);
	/* without escapes the text is the raw bytes, copied as they are */
	if (!column->has_escapes)
	{
		fuzz_check(len == column->raw.len);
		fuzz_check(memcmp(text, column->raw.ptr, len) == 0);
	}
	fuzz_check(fuzz_column_text(column, again, len + 1));
	fuzz_check(memcmp(text, again, len + 1) == 0);
	if (len > 0)
	{
		fuzz_check(!fuzz_column_text(column, NULL, len));
	}
	free(text);
	free(again);
}

/* One column of "columns" or "identity", as apply.c reads it. */
static void
fuzz_check_column(const DecodeColumn *columns, int n, int i, const char *line,
                  size_t len)
{
	const DecodeColumn *column = &columns[i];
	const DecodeColumn *found;
	char name[FUZZ_NAME_MAX];

	fuzz_check_span(column->name, line, len);
	fuzz_check_span(column->raw, line, len);
	fuzz_check(column->kind == DECODE_VALUE_NULL ||
	           column->kind == DECODE_VALUE_BOOL ||
	           column->kind == DECODE_VALUE_NUMBER ||
	           column->kind == DECODE_VALUE_STRING);
	fuzz_check(column->has_escapes ==
	           (column->kind == DECODE_VALUE_STRING &&
	            memchr(column->raw.ptr, '\\', column->raw.len) != NULL));
	/* apply.c looks columns up by name: the first of that name is found */
	if (column->name.len < sizeof(name))
	{
		memcpy(name, column->name.ptr, column->name.len);
		name[column->name.len] = '\0';
		found = decode_find_column(columns, n, name);
		fuzz_check(found != NULL);
		fuzz_check(found <= column);
		fuzz_check(decode_span_equals(found->name, name));
	}
	fuzz_check_int64(column);
	fuzz_check_text(column);
}

static void
fuzz_check_columns(const DecodeColumn *columns, int n, int max_columns,
                   const char *line, size_t len)
{
	fuzz_check(n >= 0);
	fuzz_check(n <= max_columns);
	fuzz_check(n == 0 || columns != NULL);
	for (int i = 0; i < n; i++)
	{
		fuzz_check_column(columns, n, i, line, len);
	}
}

/* An event decode_line() accepted from line: what decode.h promises. */
static void
fuzz_check_event(const DecodeEvent *event, int max_columns, const char *line,
                 size_t len)
{
	int64_t content;

	fuzz_check(event->action == DECODE_ACTION_BEGIN ||
	           event->action == DECODE_ACTION_COMMIT ||
	           event->action == DECODE_ACTION_INSERT ||
	           event->action == DECODE_ACTION_UPDATE ||
	           event->action == DECODE_ACTION_DELETE ||
	           event->action == DECODE_ACTION_TRUNCATE ||
	           event->action == DECODE_ACTION_MESSAGE);
	fuzz_check(event->has_xid || event->xid == 0);
	fuzz_check(event->has_timestamp || event->timestamp_us == 0);
	fuzz_check(event->timestamp_us >= FUZZ_TIMESTAMP_MIN_US);
	fuzz_check(event->timestamp_us <= FUZZ_TIMESTAMP_MAX_US);
	fuzz_check_span(event->schema, line, len);
	fuzz_check_span(event->table, line, len);
	fuzz_check_span(event->prefix, line, len);
	fuzz_check_span(event->content, line, len);
	/* I/U/D/T cannot do without a table: even "" is a span of the line */
	if (event->action == DECODE_ACTION_INSERT ||
	    event->action == DECODE_ACTION_UPDATE ||
	    event->action == DECODE_ACTION_DELETE ||
	    event->action == DECODE_ACTION_TRUNCATE)
	{
		fuzz_check(event->schema.ptr >= line);
		fuzz_check(event->schema.ptr <= line + len);
		fuzz_check(event->table.ptr >= line);
		fuzz_check(event->table.ptr <= line + len);
	}
	fuzz_check_columns(event->columns, event->ncolumns, max_columns, line, len);
	fuzz_check_columns(event->identity, event->nidentity, max_columns, line,
	                   len);
	/* the heartbeat's content, as apply_logical_message() reads it */
	if (decode_span_int64(event->content, &content))
	{
		fuzz_check_int64_text(event->content, content);
	}
}

/* A refused line: a zeroed event and a terminated, well-formed message. */
static void
fuzz_check_error(const DecodeEvent *event, const char *errbuf, size_t errlen,
                 size_t len)
{
	size_t prefix_len = strlen(FUZZ_ERROR_PREFIX);
	const char *n;
	char *end;
	unsigned long long offset;

	fuzz_check(event->action == 0);
	fuzz_check(event->columns == NULL);
	fuzz_check(event->ncolumns == 0);
	fuzz_check(event->identity == NULL);
	fuzz_check(event->nidentity == 0);
	fuzz_check(event->schema.len == 0);
	fuzz_check(event->table.len == 0);
	fuzz_check(memchr(errbuf, '\0', errlen) != NULL);
	if (errlen <= prefix_len + 1)
	{
		fuzz_check(strncmp(errbuf, FUZZ_ERROR_PREFIX, errlen - 1) == 0);
		return;
	}
	fuzz_check(strncmp(errbuf, FUZZ_ERROR_PREFIX, prefix_len) == 0);
	n = errbuf + prefix_len;
	offset = strtoull(n, &end, 10);
	/* the offset may be cut short by a small buffer, never be past len */
	fuzz_check(end > n);
	fuzz_check(offset <= len);
	fuzz_check(*end == ':' || *end == '\0');
	fuzz_check(strchr(errbuf, '\n') == NULL);
}

static void
fuzz_check_same_span(DecodeSpan a, DecodeSpan b)
{
	fuzz_check(a.ptr == b.ptr);
	fuzz_check(a.len == b.len);
}

static void
fuzz_check_same_columns(const DecodeColumn *a, const DecodeColumn *b, int n)
{
	for (int i = 0; i < n; i++)
	{
		fuzz_check_same_span(a[i].name, b[i].name);
		fuzz_check_same_span(a[i].raw, b[i].raw);
		fuzz_check(a[i].kind == b[i].kind);
		fuzz_check(a[i].has_escapes == b[i].has_escapes);
	}
}

/*
 * fuzz_check_same: the small decoder accepted what the daemon's did; both
 * must have read the same fields from the same bytes.
 */
static void
fuzz_check_same(const DecodeEvent *a, const DecodeEvent *b)
{
	fuzz_check(a->action == b->action);
	fuzz_check(a->has_xid == b->has_xid);
	fuzz_check(a->xid == b->xid);
	fuzz_check(a->has_timestamp == b->has_timestamp);
	fuzz_check(a->timestamp_us == b->timestamp_us);
	fuzz_check(a->has_commit_end_lsn == b->has_commit_end_lsn);
	fuzz_check(a->commit_end_lsn == b->commit_end_lsn);
	fuzz_check(a->is_transactional == b->is_transactional);
	fuzz_check_same_span(a->schema, b->schema);
	fuzz_check_same_span(a->table, b->table);
	fuzz_check_same_span(a->prefix, b->prefix);
	fuzz_check_same_span(a->content, b->content);
	fuzz_check(a->ncolumns == b->ncolumns);
	fuzz_check(a->nidentity == b->nidentity);
	fuzz_check_same_columns(a->columns, b->columns, a->ncolumns);
	fuzz_check_same_columns(a->identity, b->identity, a->nidentity);
}

/*
 * fuzz_decode_message: one message of len bytes, first as the daemon
 * decodes it, then with one column allowed and an error buffer so short
 * that every message is cut, with a canary after it.
 */
static void
fuzz_decode_message(const char *line, size_t len)
{
	DecodeEvent event;
	DecodeEvent small_event;
	char errbuf[FUZZ_ERRBUF_SIZE];
	char short_errbuf[FUZZ_SHORT_ERRBUF_SIZE + 1];
	bool ok;
	bool small_ok;

	ok = decode_line(fuzz_decoder, line, len, &event, errbuf, sizeof(errbuf));
	if (ok)
	{
		fuzz_check(errbuf[0] == '\0');
		fuzz_check_event(&event, fuzz_columns_max, line, len);
	}
	else
	{
		fuzz_check_error(&event, errbuf, sizeof(errbuf), len);
	}

	short_errbuf[FUZZ_SHORT_ERRBUF_SIZE] = FUZZ_CANARY;
	small_ok = decode_line(fuzz_small_decoder, line, len, &small_event,
	                       short_errbuf, FUZZ_SHORT_ERRBUF_SIZE);
	fuzz_check(short_errbuf[FUZZ_SHORT_ERRBUF_SIZE] == FUZZ_CANARY);
	if (small_ok)
	{
		/* a lower limit refuses more, never accepts more */
		fuzz_check(ok);
		fuzz_check_event(&small_event, 1, line, len);
		fuzz_check_same(&event, &small_event);
	}
	else
	{
		fuzz_check_error(&small_event, short_errbuf, FUZZ_SHORT_ERRBUF_SIZE,
		                 len);
	}
}

/*
 * fuzz_decode_lines: each '\n'-separated piece as one message (the last
 * piece is whatever follows the last newline). Each goes into a heap
 * buffer of exactly its length, so that ASan sees any read past len, which
 * it could not inside the fuzzer's larger buffer.
 */
static void
fuzz_decode_lines(const char *data, size_t size)
{
	const char *p = data;
	const char *end = data + size;

	while (p < end)
	{
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		/* malloc(0) may return NULL: keep one byte, use len of it */
		char *line = malloc(len > 0 ? len : 1);

		fuzz_check(line != NULL);
		memcpy(line, p, len);
		fuzz_decode_message(line, len);
		free(line);
		p = nl != NULL ? nl + 1 : end;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_setup();
	/* libFuzzer's buffer is exactly size bytes: ASan guards its end */
	fuzz_decode_message(text, size);
	if (size > 0 && memchr(text, '\n', size) != NULL)
	{
		fuzz_decode_lines(text, size);
	}
	return 0;
}
