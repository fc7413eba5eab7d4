/*
 * log.c: the line logger (see log.h). Every event becomes one line on
 * stderr, written with one write(2) so that lines from a crashing process
 * are never interleaved mid-line.
 *
 * The daemon writes logfmt (the default) or JSON lines: one line per event,
 * a multi-line message (libpq's errors) kept whole with "\n" escapes, so
 * that a log shipper never has to glue lines back together. The text format
 * is the human one and splits multi-line messages into one line each, as
 * does the command-line tools' "reckon-slot: error: message" form.
 *
 * Every buffer is bounded: a message longer than LOG_MESSAGE_MAX, or one
 * whose escaped form does not fit LOG_LINE_MAX, is cut at a whole escape
 * (or UTF-8 sequence) and ends with "...", and the line still closes its
 * quote (and brace), so a parser never sees half a line. This file must
 * never call ASSERT or allocate: both log on failure, through here.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* the longest escaped module name kept: module names are short constants */
#define LOG_MODULE_OUT_MAX 64
/* the truncation mark, then the longest ending: closing quote, brace, \n */
#define LOG_MARK "..."
#define LOG_TAIL_MAX (sizeof(LOG_MARK) - 1 + 3)

/* ts, level and pid with their keys; then the module, quoted, and msg's key */
#define LOG_FIELDS_MAX 128
#define LOG_HEAD_MAX                                                           \
	(LOG_FIELDS_MAX + LOG_MODULE_OUT_MAX + 2 + sizeof(",\"msg\":\""))

_Static_assert(LOG_LINE_MAX >=
                   LOG_HEAD_MAX + 2 * (LOG_MESSAGE_MAX - 1) + LOG_TAIL_MAX,
               "a message of two-byte escapes fits one line whole");

LogLevel log_min_level = LOG_LEVEL_INFO;
LogFormat log_format = LOG_FORMAT_LOGFMT;
const char *log_program = NULL;

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO",
                                          "WARN",  "ERROR", "FATAL"};
static const char *const level_words[] = {"trace",   "debug", "info",
                                          "warning", "error", "fatal"};
/* logfmt and JSON: short, lower case, as most log pipelines expect */
static const char *const level_keys[] = {"trace", "debug", "info",
                                         "warn",  "error", "fatal"};

/* A line being built; len never exceeds LOG_LINE_MAX. */
typedef struct LogLine
{
	char data[LOG_LINE_MAX];
	size_t len;
} LogLine;

bool
log_level_parse(const char *name, LogLevel *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
	{
		if (strcasecmp(name, level_names[i]) == 0)
		{
			*level = (LogLevel)i;
			return true;
		}
	}
	return false;
}

bool
log_format_parse(const char *name, LogFormat *format)
{
	static const char *const names[] = {"logfmt", "json", "text"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
	{
		if (strcasecmp(name, names[i]) == 0)
		{
			*format = (LogFormat)i;
			return true;
		}
	}
	return false;
}

/* best effort: there is nowhere to report a failed write to stderr */
static void
log_flush(const char *data, size_t len)
{
	ssize_t ignored = write(STDERR_FILENO, data, len);

	(void)ignored;
}

/* ---- text ---------------------------------------------------------------- */

static void
log_emit(const char *prefix, const char *text, size_t len)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s%.*s\n", prefix, (int)len, text);

	if (n < 0)
	{
		return;
	}
	if ((size_t)n >= sizeof(line))
	{
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_flush(line, (size_t)n);
}

/* The human format, and the tools' one: one line per line of the message. */
static void
log_write_text(const char *prefix, const char *message)
{
	const char *start = message;

	for (;;)
	{
		const char *nl = strchr(start, '\n');
		size_t len = nl ? (size_t)(nl - start) : strlen(start);

		if (len > 0 || nl == NULL)
		{
			log_emit(prefix, start, len);
		}
		if (nl == NULL || nl[1] == '\0')
		{
			break;
		}
		start = nl + 1;
	}
}

/* ---- escaping ------------------------------------------------------------ */

/*
 * utf8_sequence_length: the length of the well-formed UTF-8 sequence at
 * text (at most len bytes), or 0 if it is not one: a stray continuation
 * byte, an overlong form, a surrogate, past U+10FFFF, or cut short.
 */
static size_t
utf8_sequence_length(const unsigned char *text, size_t len)
{
	unsigned char c = text[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t n;

	if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	}
	else
	{
		return 0;
	}
	if (n > len || text[1] < lo || text[1] > hi)
	{
		return 0;
	}
	for (size_t i = 2; i < n; i++)
	{
		if (text[i] < 0x80 || text[i] > 0xBF)
		{
			return 0;
		}
	}
	return n;
}

/*
 * utf8_trim_partial: the length of text (len bytes) without a UTF-8
 * sequence cut short at its end, which vsnprintf leaves when it truncates
 * in the middle of a character: JSON would show a U+FFFD for it.
 */
static size_t
utf8_trim_partial(const char *text, size_t len)
{
	size_t start = len;

	while (start > 0 && len - start < 3 &&
	       ((unsigned char)text[start - 1] & 0xC0) == 0x80)
	{
		start--;
	}
	if (start == 0)
	{
		return len;
	}
	unsigned char lead = (unsigned char)text[start - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

	/* a lead byte with fewer continuation bytes than it announces */
	return len - (start - 1) < want ? start - 1 : len;
}

/*
 * escape_unit: the escaped form of the character at text into out (room
 * for 6 bytes); returns its length and sets *used to the bytes consumed.
 * JSON gets U+FFFD for invalid UTF-8, which a JSON parser would reject;
 * logfmt, which has no encoding rule, gets the bytes as the server sent
 * them.
 */
static size_t
escape_unit(const char *text, size_t len, bool is_json, char *out, size_t *used)
{
	unsigned char c = (unsigned char)text[0];
	size_t n;

	*used = 1;
	switch (c)
	{
		case '"':
			memcpy(out, "\\\"", 2);
			return 2;
		case '\\':
			memcpy(out, "\\\\", 2);
			return 2;
		case '\n':
			memcpy(out, "\\n", 2);
			return 2;
		case '\t':
			memcpy(out, "\\t", 2);
			return 2;
		case '\r':
			memcpy(out, "\\r", 2);
			return 2;
		default:
			break;
	}
	if (c < 0x20 || c == 0x7F)
	{
		static const char hex[] = "0123456789abcdef";

		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 0x0F];
		return 6;
	}
	if (c < 0x80)
	{
		out[0] = (char)c;
		return 1;
	}
	n = utf8_sequence_length((const unsigned char *)text, len);
	if (n == 0 && is_json)
	{
		memcpy(out, "\xEF\xBF\xBD", 3);
		return 3;
	}
	*used = n > 0 ? n : 1;
	memcpy(out, text, *used);
	return *used;
}

/*
 * line_escape: append text, escaped, to the line while it stays within
 * limit bytes. Returns false if it had to stop early; the line then ends
 * after a whole escape or UTF-8 sequence, never inside one.
 */
static bool
line_escape(LogLine *line, const char *text, size_t len, bool is_json,
            size_t limit)
{
	size_t pos = 0;

	while (pos < len)
	{
		char unit[8];
		size_t used;
		size_t n = escape_unit(text + pos, len - pos, is_json, unit, &used);

		if (line->len + n > limit)
		{
			return false;
		}
		memcpy(line->data + line->len, unit, n);
		line->len += n;
		pos += used;
	}
	return true;
}

/* line_append: append as much of text as fits in the line. */
static void
line_append(LogLine *line, const char *text)
{
	size_t len = strlen(text);

	if (len > LOG_LINE_MAX - line->len)
	{
		len = LOG_LINE_MAX - line->len;
	}
	memcpy(line->data + line->len, text, len);
	line->len += len;
}

/*
 * logfmt quotes a value only when it must: empty, or holding a blank, '=',
 * '"' or a control byte, any of which would end or split the key=value pair.
 */
static bool
logfmt_needs_quotes(const char *text)
{
	if (text[0] == '\0')
	{
		return true;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
	{
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == 0x7F)
		{
			return true;
		}
	}
	return false;
}

/* ---- logfmt and JSON ----------------------------------------------------- */

/* The fields before msg, ending with the opening quote of msg's value. */
static void
log_structured_head(LogLine *line, LogLevel level, const char *module,
                    bool is_json)
{
	char head[LOG_FIELDS_MAX];
	char ts[32];
	struct timespec now;
	struct tm tm;
	bool is_quoted = is_json || logfmt_needs_quotes(module);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(head, sizeof(head),
	         is_json ? "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%d,"
	                   "\"module\":"
	                 : "ts=%s.%03ldZ level=%s pid=%d module=",
	         ts, now.tv_nsec / 1000000, level_keys[level], (int)getpid());
	line_append(line, head);
	if (is_quoted)
	{
		line_append(line, "\"");
		(void)line_escape(line, module, strlen(module), is_json,
		                  line->len + LOG_MODULE_OUT_MAX);
		line_append(line, "\"");
	}
	else
	{
		/* unquoted: nothing in it needs escaping, only bounding */
		size_t len = strnlen(module, LOG_MODULE_OUT_MAX);

		memcpy(line->data + line->len, module, len);
		line->len += len;
	}
	line_append(line, is_json ? ",\"msg\":\"" : " msg=\"");
}

/*
 * One line for the whole message. Trailing newlines (libpq ends its errors
 * with one) are dropped; inner ones stay as "\n". msg is always quoted, so
 * that parsers see one shape whatever the text.
 */
static void
log_write_structured(LogLevel level, const char *module, const char *message,
                     bool is_truncated, bool is_json)
{
	LogLine line;
	size_t len = strlen(message);

	line.len = 0;
	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
	{
		len--;
	}
	log_structured_head(&line, level, module, is_json);
	if (!line_escape(&line, message, len, is_json, LOG_LINE_MAX - LOG_TAIL_MAX))
	{
		is_truncated = true;
	}
	/* LOG_TAIL_MAX was kept free above: the ending always fits */
	line_append(&line, is_truncated ? LOG_MARK : "");
	line_append(&line, is_json ? "\"}\n" : "\"\n");
	log_flush(line.data, line.len);
}

void
log_write(LogLevel level, const char *module, const char *fmt, ...)
{
	char message[LOG_MESSAGE_MAX];
	char prefix[96];
	va_list args;
	struct timespec ts;
	struct tm tm;
	int needed;

	va_start(args, fmt);
	needed = vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	if (needed < 0)
	{
		message[0] = '\0';
	}
	else if (needed >= (int)sizeof(message))
	{
		message[utf8_trim_partial(message, sizeof(message) - 1)] = '\0';
	}

	if (log_program != NULL)
	{
		snprintf(prefix, sizeof(prefix), "%s: %s: ", log_program,
		         level_words[level]);
		log_write_text(prefix, message);
		return;
	}
	if (log_format != LOG_FORMAT_TEXT)
	{
		log_write_structured(level, module, message,
		                     needed >= (int)sizeof(message),
		                     log_format == LOG_FORMAT_JSON);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = (int)strftime(prefix, sizeof(prefix), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(prefix + n, sizeof(prefix) - (size_t)n,
	         ".%03ld UTC [%d] %-5s %s: ", ts.tv_nsec / 1000000, (int)getpid(),
	         level_names[level], module);
	log_write_text(prefix, message);
}
