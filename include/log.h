/*
 * log.h: the logger every module uses: one line per event on stderr,
 * "2025-06-01 12:00:00.123 UTC [4242] INFO  stream: message".
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
extern LogFormat log_format;
bool log_format_parse(const char *name, LogFormat *format);

/*
 * log_program: when set, lines are "NAME: error: message" without time,
 * pid or module: the style of a command-line tool (reckon-slot), where the
 * daemon's timestamps would be noise. NULL (the default) for the daemon.
 */
extern const char *log_program;

/* log_write: format and write one line; multi-line messages are split. */
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
