/*
 * log.h: the logger every module uses: one line per event on stderr, in
 * one of three formats (log_format):
 *
 *   logfmt (default)
 *     ts=2026-11-24T12:00:00.123Z level=info pid=4242 module=stream msg="..."
 *   json
 *     {"ts":"2026-11-24T12:00:00.123Z","level":"info","pid":4242,
 *      "module":"stream","msg":"..."}               (on one line)
 *   text
 *     2026-11-24 12:00:00.123 UTC [4242] INFO  stream: ...
 *
 * logfmt and JSON keep these field names in this order, levels in lower
 * case (trace debug info warn error fatal), and a multi-line message on
 * one line with "\n" escapes; msg is always quoted. In logfmt a value is
 * quoted only when empty or holding a blank, '=', '"' or a control byte.
 * Inside quotes both escape backslash, '"', newline, tab and CR as \\ \"
 * \n \t \r and other control bytes as \u00XX; bytes from 0x80 up pass as they
 * came (messages quote the server's text), except that JSON replaces
 * invalid UTF-8 with U+FFFD. A message cut to fit the line's bound ends
 * with "..." and the line still closes. text splits multi-line messages
 * into one line each.
 *
 * The macros test the level before evaluating their arguments, so TRACE
 * lines on the per-message path cost one comparison when disabled. Each .c
 * file defines LOG_MODULE before including this header.
 */
#ifndef RECKON_LOG_H
#define RECKON_LOG_H

#include "common.h"

typedef enum LogLevel
{
	LOG_LEVEL_TRACE,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_FATAL
} LogLevel;

extern LogLevel log_min_level;

typedef enum LogFormat
{
	LOG_FORMAT_LOGFMT,
	LOG_FORMAT_JSON,
	LOG_FORMAT_TEXT
} LogFormat;

/*
 * The bounds of one event: the formatted message (including its NUL) and
 * one logfmt or JSON line. A line holds twice the message and the other
 * fields, so that any text whose escapes take two bytes (quotes, newlines)
 * fits whole; only a message dense with control bytes (six bytes each as
 * \u00XX) is cut.
 */
#define LOG_MESSAGE_MAX 8192
#define LOG_LINE_MAX (2 * LOG_MESSAGE_MAX + 256)

/* log_format: the daemon's line format; LOG_FORMAT_LOGFMT by default. */
extern LogFormat log_format;

/* log_format_parse: "logfmt", "json" or "text" (any case); false if unknown. */
bool log_format_parse(const char *name, LogFormat *format) WARN_UNUSED;

/*
 * log_program: when set, lines are "NAME: error: message" without time,
 * pid or module: the style of a command-line tool (reckon-slot), where the
 * daemon's timestamps would be noise. NULL (the default) for the daemon.
 */
extern const char *log_program;

/*
 * log_write: format and write one event with one write(2). In logfmt and
 * JSON that is one line; in text, and in log_program's form, one line per
 * line of the message. Never fails and never allocates (nowhere to report).
 */
void log_write(LogLevel level, const char *module, const char *fmt, ...)
    PRINTF_FORMAT(3, 4);

/* log_level_parse: "info" etc. to a level; false if unknown. */
bool log_level_parse(const char *name, LogLevel *level) WARN_UNUSED;

#define LOG_AT(level, ...)                                                     \
	do                                                                         \
	{                                                                          \
		if ((level) >= log_min_level)                                          \
		{                                                                      \
			log_write((level), LOG_MODULE, __VA_ARGS__);                       \
		}                                                                      \
	} while (0)

#define log_trace(...) LOG_AT(LOG_LEVEL_TRACE, __VA_ARGS__)
#define log_debug(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) LOG_AT(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_fatal(...) LOG_AT(LOG_LEVEL_FATAL, __VA_ARGS__)

#endif
