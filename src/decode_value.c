/*
 * decode_value.c: conversions of the raw values decode_line() reports.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty. decode.c leaves values as
 * borrowed raw text of the line (wal2json sends jsonb, arrays and text as
 * JSON strings, numerics as JSON numbers that may exceed any C type), so
 * that a message costs nothing for the columns nobody reads; apply.c calls
 * these for the one or two values a rule needs: a key as int64, a name or an
 * M's content as text.
 *
 * This module must stay pure: no I/O, no logging, no allocation, no calls
 * into other reckon modules. Results go to the caller's buffers. The values
 * come from the network: anything malformed, too large or not representable
 * gives false, never a rounded value, a crash or a read past the span.
 */
#include "decode_value.h"

#include <string.h>

bool
decode_span_equals(DecodeSpan span, const char *str)
{
	size_t n;

	ASSERT(str != NULL);
	n = strlen(str);
	return span.len == n && (n == 0 || memcmp(span.ptr, str, n) == 0);
}

const DecodeColumn *
decode_find_column(const DecodeColumn *columns, int n, const char *name)
{
	ASSERT(columns != NULL || n == 0);
	ASSERT(name != NULL);

	for (int i = 0; i < n; i++)
	{
		if (decode_span_equals(columns[i].name, name))
		{
			return &columns[i];
		}
	}
	return NULL;
}

bool
decode_span_uint64(DecodeSpan span, uint64_t max, uint64_t *value)
{
	const char *p = span.ptr;
	size_t n = span.len;
	uint64_t acc = 0;

	ASSERT(p != NULL || n == 0);
	ASSERT(value != NULL);

	if (n == 0 || (p[0] == '0' && n > 1))
	{
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		unsigned digit = (unsigned)(unsigned char)p[i] - '0';

		if (digit > 9 || acc > (max - digit) / 10)
		{
			return false;
		}
		acc = acc * 10 + digit;
	}
	*value = acc;
	return true;
}

bool
decode_span_int64(DecodeSpan span, int64_t *value)
{
	const char *p = span.ptr;
	size_t n = span.len;
	DecodeSpan digits;
	uint64_t magnitude;
	bool is_negative;

	ASSERT(p != NULL || n == 0);
	ASSERT(value != NULL);

	is_negative = n > 0 && p[0] == '-';
	if (is_negative)
	{
		p++;
		n--;
	}
	digits.ptr = p;
	digits.len = n;
	if (!decode_span_uint64(digits,
	                        is_negative ? (uint64_t)INT64_MAX + 1 : INT64_MAX,
	                        &magnitude))
	{
		return false;
	}
	/* -(2^63) has no positive counterpart: negate in unsigned arithmetic. */
	*value = is_negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return true;
}

bool
decode_column_int64(const DecodeColumn *column, int64_t *value)
{
	ASSERT(column != NULL);
	ASSERT(value != NULL);

	if (column->kind != DECODE_VALUE_NUMBER &&
	    (column->kind != DECODE_VALUE_STRING || column->has_escapes))
	{
		return false;
	}
	return decode_span_int64(column->raw, value);
}

/* decode_hex4: four hex digits at p (n bytes available), or -1. */
static long
decode_hex4(const char *p, size_t n)
{
	long value = 0;

	if (n < 4)
	{
		return -1;
	}
	for (int i = 0; i < 4; i++)
	{
		char c = p[i];
		int digit = c >= '0' && c <= '9'   ? c - '0'
		            : c >= 'a' && c <= 'f' ? c - 'a' + 10
		            : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                                   : -1;

		if (digit < 0)
		{
			return -1;
		}
		value = value * 16 + digit;
	}
	return value;
}

/*
 * decode_unicode_escape: the code point of "\uXXXX" (or of a surrogate pair
 * "\uD8XX\uDCXX") starting at p[0] == '\\'. Sets *used to the bytes read.
 * Lone surrogates and U+0000 are refused: they have no UTF-8 form we could
 * pass to PostgreSQL's text type.
 */
static long
decode_unicode_escape(const char *p, size_t n, size_t *used)
{
	long high = decode_hex4(p + 2, n - 2);
	long low;

	*used = 6;
	if (high <= 0 || (high >= 0xDC00 && high <= 0xDFFF))
	{
		return -1;
	}
	if (high < 0xD800 || high > 0xDBFF)
	{
		return high;
	}
	if (n < 12 || p[6] != '\\' || p[7] != 'u')
	{
		return -1;
	}
	low = decode_hex4(p + 8, n - 8);
	if (low < 0xDC00 || low > 0xDFFF)
	{
		return -1;
	}
	*used = 12;
	return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
}

/* decode_put_utf8: code point cp as UTF-8 at buf[*pos], if it fits. */
static bool
decode_put_utf8(long cp, char *buf, size_t buflen, size_t *pos)
{
	unsigned char bytes[4];
	size_t n;

	if (cp < 0x80)
	{
		bytes[0] = (unsigned char)cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		bytes[0] = (unsigned char)(0xC0 | (cp >> 6));
		bytes[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		bytes[0] = (unsigned char)(0xE0 | (cp >> 12));
		bytes[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		bytes[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		bytes[0] = (unsigned char)(0xF0 | (cp >> 18));
		bytes[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		bytes[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		bytes[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	/* keep one byte for the terminating NUL */
	if (buflen - *pos <= n)
	{
		return false;
	}
	memcpy(buf + *pos, bytes, n);
	*pos += n;
	return true;
}

/* decode_simple_escape: the byte "\c" stands for, or -1 if none. */
static int
decode_simple_escape(char c)
{
	switch (c)
	{
		case '"':
			return '"';
		case '\\':
			return '\\';
		case '/':
			return '/';
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
		default:
			return -1;
	}
}

bool
decode_column_text(const DecodeColumn *column, char *buf, size_t buflen)
{
	const char *p;
	size_t n;
	size_t out = 0;

	ASSERT(column != NULL);
	ASSERT(buf != NULL);
	ASSERT(buflen > 0);

	buf[0] = '\0';
	if (column->kind != DECODE_VALUE_STRING)
	{
		return false;
	}
	p = column->raw.ptr;
	n = column->raw.len;
	for (size_t i = 0; i < n;)
	{
		long cp;
		size_t used = 2;

		/* bytes outside escapes, UTF-8 or not, are copied as they are */
		if (p[i] != '\\' && p[i] != '\0' && out + 1 < buflen)
		{
			buf[out++] = p[i++];
			continue;
		}
		if (p[i] != '\\' || i + 1 == n)
		{
			cp = -1;
		}
		else if (p[i + 1] == 'u')
		{
			cp = decode_unicode_escape(p + i, n - i, &used);
		}
		else
		{
			cp = decode_simple_escape(p[i + 1]);
		}
		if (cp <= 0 || !decode_put_utf8(cp, buf, buflen, &out))
		{
			buf[0] = '\0';
			return false;
		}
		i += used;
	}
	buf[out] = '\0';
	return true;
}
