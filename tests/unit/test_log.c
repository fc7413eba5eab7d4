/*
 * test_log.c: unit tests for log.c. Each event is written with stderr
 * pointed at a temp file (dup2) and read back. Table-driven over messages
 * with quotes, backslashes, newlines (inner and trailing), tabs, CR, other
 * control bytes, DEL, an empty text, '=', valid and invalid UTF-8, in
 * logfmt and JSON: the exact escaped msg, the fields before it (ts, level,
 * pid, module, in that order), one line per event, and that the line is
 * well formed (a small strict JSON parser; a logfmt parser). Then: every
 * level's name, a module that needs quotes, messages at and over
 * LOG_MESSAGE_MAX and escapes that overflow LOG_LINE_MAX (cut between
 * escapes, "..." appended, the line still closed), the text format and the
 * tools' form still splitting lines, the macros not evaluating their
 * arguments below the level, and log_format_parse / log_level_parse.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define LOG_MODULE "test"
#include "log.h"

/* room for a few whole lines of the longest kind */
#define CAPTURE_MAX (4 * LOG_LINE_MAX)

static char captured[CAPTURE_MAX];

/* log_write(level, module, "%s", message) with stderr captured. */
static const char *
capture_write(LogLevel level, const char *module, const char *message)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd;
	int saved;
	ssize_t n;

	if (dir == NULL || dir[0] == '\0')
	{
		dir = "/tmp";
	}
	snprintf(path, sizeof(path), "%s/reckon_test_log_XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_write(level, module, "%s", message);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(fd, captured, sizeof(captured) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	captured[n] = '\0';
	return captured;
}

/* ---- well-formedness ----------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p, 0 if invalid. */
static size_t
utf8_valid(const unsigned char *p)
{
	size_t n;
	uint32_t cp;

	if (p[0] < 0x80)
	{
		return 1;
	}
	if ((p[0] & 0xE0) == 0xC0)
	{
		n = 2;
		cp = p[0] & 0x1F;
	}
	else if ((p[0] & 0xF0) == 0xE0)
	{
		n = 3;
		cp = p[0] & 0x0F;
	}
	else if ((p[0] & 0xF8) == 0xF0)
	{
		n = 4;
		cp = p[0] & 0x07;
	}
	else
	{
		return 0;
	}
	for (size_t i = 1; i < n; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
		{
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
	{
		return 0;
	}
	return n;
}

/*
 * A quoted string as both formats write it, from its opening quote; returns
 * the byte after the closing quote, or NULL. RFC 8259's escapes; in JSON
 * the bytes must also be valid UTF-8.
 */
static const char *
parse_quoted(const char *p, bool is_json)
{
	if (*p++ != '"')
	{
		return NULL;
	}
	while (*p != '"')
	{
		unsigned char c = (unsigned char)*p;
		size_t n = 1;

		if (c == '\0' || c < 0x20)
		{
			return NULL;
		}
		if (c == '\\')
		{
			if (p[1] == 'u')
			{
				for (int i = 2; i < 6; i++)
				{
					if (strchr("0123456789abcdefABCDEF", p[i]) == NULL ||
					    p[i] == '\0')
					{
						return NULL;
					}
				}
				n = 6;
			}
			else if (p[1] == '\0' || strchr("\"\\/bfnrt", p[1]) == NULL)
			{
				return NULL;
			}
			else
			{
				n = 2;
			}
		}
		else if (c >= 0x80 && is_json)
		{
			n = utf8_valid((const unsigned char *)p);
			if (n == 0)
			{
				return NULL;
			}
		}
		p += n;
	}
	return p + 1;
}

/* One JSON object of strings and integers, then "\n" and nothing else. */
static bool
json_line_is_valid(const char *line)
{
	const char *p = line;

	if (*p++ != '{')
	{
		return false;
	}
	for (;;)
	{
		p = parse_quoted(p, true);
		if (p == NULL || *p++ != ':')
		{
			return false;
		}
		if (*p == '"')
		{
			p = parse_quoted(p, true);
		}
		else
		{
			const char *digits = p;

			p += strspn(p, "0123456789");
			p = p > digits ? p : NULL;
		}
		if (p == NULL)
		{
			return false;
		}
		if (*p == '}')
		{
			break;
		}
		if (*p++ != ',')
		{
			return false;
		}
	}
	return strcmp(p, "}\n") == 0;
}

/* key=value pairs split by one blank, values bare or quoted, then "\n". */
static bool
logfmt_line_is_valid(const char *line)
{
	const char *p = line;

	for (;;)
	{
		size_t key = strcspn(p, "= \"\n");

		if (key == 0 || p[key] != '=')
		{
			return false;
		}
		p += key + 1;
		if (*p == '"')
		{
			p = parse_quoted(p, false);
			if (p == NULL)
			{
				return false;
			}
		}
		else
		{
			size_t len = strcspn(p, " =\"\n");

			if (len == 0)
			{
				return false;
			}
			p += len;
		}
		if (strcmp(p, "\n") == 0)
		{
			return true;
		}
		if (*p++ != ' ')
		{
			return false;
		}
	}
}

/*
 * Check the fields before msg and return msg's escaped text (without its
 * quotes) in body. ts is checked by shape: its value is the clock's.
 */
static void
check_structured(const char *line, LogFormat format, const char *level,
                 const char *module_out, char *body, size_t size)
{
	const char *ts_re =
	    format == LOG_FORMAT_JSON
	        ? "^\\{\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	          "[0-9]{2}\\.[0-9]{3}Z\""
	        : "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
	          "\\.[0-9]{3}Z ";
	char rest[256];
	const char *end = format == LOG_FORMAT_JSON ? "\"}\n" : "\"\n";
	const char *after;
	size_t len = strlen(line);
	regex_t re;
	regmatch_t match;

	assert_int_equal(regcomp(&re, ts_re, REG_EXTENDED), 0);
	if (regexec(&re, line, 1, &match, 0) != 0)
	{
		regfree(&re);
		fail_msg("bad ts field: %s", line);
	}
	regfree(&re);
	snprintf(rest, sizeof(rest),
	         format == LOG_FORMAT_JSON
	             ? ",\"level\":\"%s\",\"pid\":%d,\"module\":%s,\"msg\":\""
	             : "level=%s pid=%d module=%s msg=\"",
	         level, (int)getpid(), module_out);
	after = line + match.rm_eo;
	if (strncmp(after, rest, strlen(rest)) != 0)
	{
		fail_msg("expected \"%s\" after ts in: %s", rest, line);
	}
	if (!(format == LOG_FORMAT_JSON ? json_line_is_valid(line)
	                                : logfmt_line_is_valid(line)))
	{
		fail_msg("not one well-formed line: %s", line);
	}
	after += strlen(rest);
	assert_true(len >= strlen(end));
	assert_string_equal(line + len - strlen(end), end);
	len = (size_t)(line + len - strlen(end) - after);
	assert_true(len < size);
	memcpy(body, after, len);
	body[len] = '\0';
}

/* ---- escaping ------------------------------------------------------------ */

typedef struct EscapeCase
{
	const char *name;
	const char *message;
	const char *logfmt; /* msg's value, without its quotes */
	const char *json;   /* NULL: as logfmt */
} EscapeCase;

static const EscapeCase escape_cases[] = {
    {"plain", "connected", "connected", NULL},
    {"quotes", "group \"plays\" ready", "group \\\"plays\\\" ready", NULL},
    {"backslash", "C:\\dir\\", "C:\\\\dir\\\\", NULL},
    {"inner newline", "line one\nline two", "line one\\nline two", NULL},
    {"trailing newline dropped", "failed\n", "failed", NULL},
    {"libpq error", "ERROR:  relation \"t\" does not exist\nLINE 1: select\n",
     "ERROR:  relation \\\"t\\\" does not exist\\nLINE 1: select", NULL},
    {"blank inner line", "a\n\nb", "a\\n\\nb", NULL},
    {"trailing CRLF", "done\r\n", "done", NULL},
    {"only newlines", "\n\n", "", NULL},
    {"tab and CR", "a\tb\rc", "a\\tb\\rc", NULL},
    {"control bytes", "\x01\x1b[0m\x1f", "\\u0001\\u001b[0m\\u001f", NULL},
    {"DEL", "x\x7fy", "x\\u007fy", NULL},
    {"empty", "", "", NULL},
    {"equals", "key=value a=b", "key=value a=b", NULL},
    {"logfmt lookalike", "level=error msg=\"x\"", "level=error msg=\\\"x\\\"",
     NULL},
    {"JSON lookalike", "{\"a\":1}", "{\\\"a\\\":1}", NULL},
    {"valid UTF-8", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
     "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", NULL},
    {"invalid UTF-8",
     "a\xff"
     "b\xc3",
     "a\xff"
     "b\xc3",
     "a\xef\xbf\xbd"
     "b\xef\xbf\xbd"},
    {"overlong and surrogate", "\xc0\xaf\xed\xa0\x80", "\xc0\xaf\xed\xa0\x80",
     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
};

static void
test_log_escaping(void **state)
{
	static char body[LOG_LINE_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++)
	{
		const EscapeCase *c = &escape_cases[i];

		for (LogFormat f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_JSON; f++)
		{
			const char *expected =
			    f == LOG_FORMAT_JSON && c->json != NULL ? c->json : c->logfmt;
			const char *line;

			log_format = f;
			line = capture_write(LOG_LEVEL_INFO, "test", c->message);
			check_structured(line, f, "info",
			                 f == LOG_FORMAT_JSON ? "\"test\"" : "test", body,
			                 sizeof(body));
			if (strcmp(body, expected) != 0)
			{
				fail_msg("%s (%s): msg was \"%s\", expected \"%s\"", c->name,
				         f == LOG_FORMAT_JSON ? "json" : "logfmt", body,
				         expected);
			}
		}
	}
	log_format = LOG_FORMAT_LOGFMT;
}

/* ---- fields -------------------------------------------------------------- */

static void
test_log_levels(void **state)
{
	static const char *const names[] = {"trace", "debug", "info",
	                                    "warn",  "error", "fatal"};
	char body[64];

	(void)state;
	for (LogFormat f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_JSON; f++)
	{
		log_format = f;
		for (LogLevel l = LOG_LEVEL_TRACE; l <= LOG_LEVEL_FATAL; l++)
		{
			const char *line = capture_write(l, "stream", "x");

			check_structured(line, f, names[l],
			                 f == LOG_FORMAT_JSON ? "\"stream\"" : "stream",
			                 body, sizeof(body));
			assert_string_equal(body, "x");
		}
	}
	log_format = LOG_FORMAT_LOGFMT;
}

/* logfmt quotes a module only when it must; JSON always does */
static void
test_log_module_quoting(void **state)
{
	static const struct
	{
		const char *module;
		const char *logfmt;
		const char *json;
	} cases[] = {
	    {"stream", "stream", "\"stream\""},
	    {"my module", "\"my module\"", "\"my module\""},
	    {"a=b", "\"a=b\"", "\"a=b\""},
	    {"", "\"\"", "\"\""},
	    {"q\"t", "\"q\\\"t\"", "\"q\\\"t\""},
	};
	char body[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		log_format = LOG_FORMAT_LOGFMT;
		check_structured(capture_write(LOG_LEVEL_WARN, cases[i].module, "m"),
		                 LOG_FORMAT_LOGFMT, "warn", cases[i].logfmt, body,
		                 sizeof(body));
		log_format = LOG_FORMAT_JSON;
		check_structured(capture_write(LOG_LEVEL_WARN, cases[i].module, "m"),
		                 LOG_FORMAT_JSON, "warn", cases[i].json, body,
		                 sizeof(body));
	}
	log_format = LOG_FORMAT_LOGFMT;
}

/* ---- bounds -------------------------------------------------------------- */

typedef struct LimitCase
{
	const char *name;
	char fill;       /* the message is this byte repeated */
	size_t length;   /* this many times */
	bool is_cut;     /* msg ends with "..." */
	const char *esc; /* the fill byte's escape */
} LimitCase;

static const LimitCase limit_cases[] = {
    /* the longest message that fits, whole */
    {"at the limit", 'a', LOG_MESSAGE_MAX - 1, false, "a"},
    {"over the limit", 'a', LOG_MESSAGE_MAX, true, "a"},
    {"far over", 'a', 3 * LOG_MESSAGE_MAX, true, "a"},
    /* two bytes an escape: still fits the line whole */
    {"quotes at the limit", '"', LOG_MESSAGE_MAX - 1, false, "\\\""},
    /* six bytes an escape: overflows the line, cut between escapes */
    {"control bytes", '\x01', LOG_MESSAGE_MAX - 1, true, "\\u0001"},
    {"control bytes over", '\x02', LOG_MESSAGE_MAX + 10, true, "\\u0002"},
};

/* body is a run of whole esc, then "..." if is_cut. */
static void
check_limit_body(const LimitCase *c, const char *body, const char *line)
{
	size_t len = strlen(body);
	size_t esc = strlen(c->esc);

	if (c->is_cut)
	{
		assert_true(len >= 3);
		assert_string_equal(body + len - 3, "...");
		len -= 3;
	}
	if (len % esc != 0)
	{
		fail_msg("%s: cut inside an escape: %s", c->name, line);
	}
	for (size_t i = 0; i < len; i += esc)
	{
		if (strncmp(body + i, c->esc, esc) != 0)
		{
			fail_msg("%s: unexpected text at %zu", c->name, i);
		}
	}
	if (!c->is_cut)
	{
		assert_int_equal(len / esc, c->length);
	}
	assert_true(strlen(line) <= LOG_LINE_MAX);
}

static void
test_log_limits(void **state)
{
	static char body[LOG_LINE_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++)
	{
		const LimitCase *c = &limit_cases[i];
		char *message = malloc(c->length + 1);

		assert_non_null(message);
		memset(message, c->fill, c->length);
		message[c->length] = '\0';
		for (LogFormat f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_JSON; f++)
		{
			const char *line;

			log_format = f;
			line = capture_write(LOG_LEVEL_ERROR, "test", message);
			/* one line, complete: check_structured parses it whole */
			assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
			check_structured(line, f, "error",
			                 f == LOG_FORMAT_JSON ? "\"test\"" : "test", body,
			                 sizeof(body));
			check_limit_body(c, body, line);
		}
		free(message);
	}
	log_format = LOG_FORMAT_LOGFMT;
}

/*
 * Fill message (length bytes and a NUL) with unit repeated, then log it and
 * return msg's escaped body.
 */
static const char *
log_repeated(LogFormat format, const char *unit, size_t length, char *body,
             size_t size)
{
	char *message = malloc(length + 1);
	size_t unit_len = strlen(unit);

	assert_non_null(message);
	for (size_t i = 0; i < length; i++)
	{
		message[i] = unit[i % unit_len];
	}
	message[length] = '\0';
	log_format = format;
	check_structured(capture_write(LOG_LEVEL_INFO, "test", message), format,
	                 "info", format == LOG_FORMAT_JSON ? "\"test\"" : "test",
	                 body, size);
	log_format = LOG_FORMAT_LOGFMT;
	free(message);
	return body;
}

/*
 * body is whole escaped units, "..." at the end: a cut never splits a UTF-8
 * sequence (JSON would show a U+FFFD for half a character) nor an escape.
 */
static void
check_whole_units(const char *body, const char *const *units, size_t nunits)
{
	size_t len = strlen(body);
	size_t pos = 0;

	assert_true(len > 3);
	assert_string_equal(body + len - 3, "...");
	len -= 3;
	for (size_t i = 0; pos < len; i = (i + 1) % nunits)
	{
		size_t n = strlen(units[i]);

		if (pos + n > len || strncmp(body + pos, units[i], n) != 0)
		{
			fail_msg("cut inside a unit at byte %zu", pos);
		}
		pos += n;
	}
}

static void
test_log_limit_utf8(void **state)
{
	static const char *const e_acute[] = {"\xc3\xa9"};
	static const char *const ctl_e_acute[] = {"\\u0001", "\xc3\xa9"};
	static char body[LOG_LINE_MAX];

	(void)state;
	for (LogFormat f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_JSON; f++)
	{
		/* vsnprintf stops on byte 8191, the lead byte of a U+00E9 */
		log_repeated(f, "\xc3\xa9", LOG_MESSAGE_MAX + 100, body, sizeof(body));
		check_whole_units(body, e_acute, 1);
		assert_int_equal(strlen(body), LOG_MESSAGE_MAX - 2 + 3);
		/* the escapes overflow the line: cut between units */
		for (size_t shift = 0; shift < 8; shift++)
		{
			log_repeated(f, "\x01\xc3\xa9", LOG_MESSAGE_MAX - 1 - shift, body,
			             sizeof(body));
			check_whole_units(body, ctl_e_acute, 2);
		}
	}
}

/* ---- text and tools ------------------------------------------------------ */

static void
test_log_text_format(void **state)
{
	regex_t re;
	const char *out;

	(void)state;
	log_format = LOG_FORMAT_TEXT;
	out =
	    capture_write(LOG_LEVEL_WARN, "stream", "group \"plays\"\nDETAIL: x\n");
	assert_int_equal(
	    regcomp(&re,
	            "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\."
	            "[0-9]{3} UTC \\[[0-9]+\\] WARN  stream: group \"plays\"\n"
	            "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\."
	            "[0-9]{3} UTC \\[[0-9]+\\] WARN  stream: DETAIL: x\n$",
	            REG_EXTENDED),
	    0);
	if (regexec(&re, out, 0, NULL, 0) != 0)
	{
		regfree(&re);
		fail_msg("text format changed: %s", out);
	}
	regfree(&re);
	log_format = LOG_FORMAT_LOGFMT;
}

/* log_program's form ignores log_format: the tools' output stays as it was */
static void
test_log_program(void **state)
{
	(void)state;
	log_program = "reckon-slot";
	for (LogFormat f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_TEXT; f++)
	{
		log_format = f;
		assert_string_equal(
		    capture_write(LOG_LEVEL_ERROR, "slot", "slot \"s\"\nhint\n"),
		    "reckon-slot: error: slot \"s\"\nreckon-slot: error: hint\n");
		assert_string_equal(capture_write(LOG_LEVEL_WARN, "slot", "w"),
		                    "reckon-slot: warning: w\n");
	}
	log_program = NULL;
	log_format = LOG_FORMAT_LOGFMT;
}

/* ---- macros and parsing -------------------------------------------------- */

static int evaluations;

static const char *
counted(void)
{
	evaluations++;
	return "counted";
}

static void
test_log_macro_level(void **state)
{
	(void)state;
	log_min_level = LOG_LEVEL_WARN;
	evaluations = 0;
	log_trace("%s", counted());
	log_debug("%s", counted());
	log_info("%s", counted());
	assert_int_equal(evaluations, 0);
	log_min_level = LOG_LEVEL_FATAL + 1;
	log_error("%s", counted());
	assert_int_equal(evaluations, 0);
	log_min_level = LOG_LEVEL_INFO;
}

static void
test_log_format_parse(void **state)
{
	static const struct
	{
		const char *name;
		bool ok;
		LogFormat format;
	} cases[] = {
	    {"logfmt", true, LOG_FORMAT_LOGFMT},
	    {"LOGFMT", true, LOG_FORMAT_LOGFMT},
	    {"json", true, LOG_FORMAT_JSON},
	    {"Json", true, LOG_FORMAT_JSON},
	    {"text", true, LOG_FORMAT_TEXT},
	    {"TEXT", true, LOG_FORMAT_TEXT},
	    {"", false, LOG_FORMAT_TEXT},
	    {"jsonl", false, LOG_FORMAT_TEXT},
	    {" json", false, LOG_FORMAT_TEXT},
	    {"log", false, LOG_FORMAT_TEXT},
	    {"xml", false, LOG_FORMAT_TEXT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		/* a sentinel no parse produces: a failure must leave it alone */
		LogFormat format = (LogFormat)99;
		bool ok = log_format_parse(cases[i].name, &format);

		assert_int_equal(ok, cases[i].ok);
		assert_int_equal(format, ok ? cases[i].format : (LogFormat)99);
	}
}

static void
test_log_level_parse(void **state)
{
	static const char *const good[] = {"trace", "DEBUG", "Info",
	                                   "warn",  "error", "fatal"};
	static const char *const bad[] = {"", "warning", "information", "5"};
	LogLevel level;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		assert_true(log_level_parse(good[i], &level));
		assert_int_equal(level, (LogLevel)i);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		assert_false(log_level_parse(bad[i], &level));
	}
}

static void
test_log_default_format(void **state)
{
	(void)state;
	/* the default before any test changes it: checked first */
	assert_int_equal(log_format, LOG_FORMAT_LOGFMT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_default_format),
	    cmocka_unit_test(test_log_escaping),
	    cmocka_unit_test(test_log_levels),
	    cmocka_unit_test(test_log_module_quoting),
	    cmocka_unit_test(test_log_limits),
	    cmocka_unit_test(test_log_limit_utf8),
	    cmocka_unit_test(test_log_text_format),
	    cmocka_unit_test(test_log_program),
	    cmocka_unit_test(test_log_macro_level),
	    cmocka_unit_test(test_log_format_parse),
	    cmocka_unit_test(test_log_level_parse),
	};

	log_min_level = LOG_LEVEL_TRACE;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
