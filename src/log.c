/*
 * log.c: the line logger (see log.h). It writes with one write(2) per line
 * so that lines from a crashing process are never interleaved mid-line, and
 * splits multi-line messages (libpq's errors) into one line each.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

LogLevel log_min_level = LOG_LEVEL_INFO;
const char *log_program = NULL;

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO",
                                          "WARN",  "ERROR", "FATAL"};
static const char *const level_words[] = {"trace",   "debug", "info",
                                          "warning", "error", "fatal"};

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
	/* best effort: nowhere to report a failed write to stderr */
	ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
	(void)ignored;
}

void
log_write(LogLevel level, const char *module, const char *fmt, ...)
{
	char message[8192];
	char prefix[96];
	va_list args;
	struct timespec ts;
	struct tm tm;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);

	if (log_program != NULL)
	{
		snprintf(prefix, sizeof(prefix), "%s: %s: ", log_program,
		         level_words[level]);
	}
	else
	{
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		int n = (int)strftime(prefix, sizeof(prefix), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(prefix + n, sizeof(prefix) - (size_t)n,
		         ".%03ld UTC [%d] %-5s %s: ", ts.tv_nsec / 1000000,
		         (int)getpid(), level_names[level], module);
	}

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

LogFormat log_format = LOG_FORMAT_TEXT;

bool
log_format_parse(const char *name, LogFormat *format)
{
	static const char *const names[] = {"logfmt", "json", "text"};

	for (int i = 0; i < 3; i++)
	{
		if (strcasecmp(name, names[i]) == 0)
		{
			*format = (LogFormat)i;
			return true;
		}
	}
	return false;
}
