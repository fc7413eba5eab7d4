/*
 * timestamptz.c: timestamptz text parsing, for wal2json's "timestamp"
 * (include-timestamp), the commit time decode.c reports on every message of
 * a transaction.
 *
 * Pipeline: stream -> [decode] -> apply -> dirty; decode.c calls
 * timestamptz_parse() for each "timestamp" field. Like decode it must stay
 * pure: no I/O, no logging, no allocation, no libc time functions (timegm()
 * and mktime() depend on the process's time zone and are not in C11). The
 * text comes from the network: anything malformed gives false, never a crash
 * or a read past n.
 */
#include "timestamptz.h"

/* timestamptz_digits: exactly n decimal digits at p, as an int. */
static bool
timestamptz_digits(const char *p, int n, int *value)
{
	*value = 0;
	for (int i = 0; i < n; i++)
	{
		if (p[i] < '0' || p[i] > '9')
		{
			return false;
		}
		*value = *value * 10 + (p[i] - '0');
	}
	return true;
}

/*
 * timestamptz_days_from_civil: days from 1970-01-01 to y-m-d in the proleptic
 * Gregorian calendar (Howard Hinnant's algorithm), so that we depend neither
 * on timegm() nor on the process's time zone or locale.
 */
static int64_t
timestamptz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2 ? 1 : 0;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
timestamptz_date_is_valid(int y, int m, int d)
{
	static const int month_days[12] = {31, 28, 31, 30, 31, 30,
	                                   31, 31, 30, 31, 30, 31};
	bool is_leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1 || m < 1 || m > 12 || d < 1)
	{
		return false;
	}
	return d <= month_days[m - 1] + (m == 2 && is_leap ? 1 : 0);
}

/*
 * timestamptz_utc_offset: PostgreSQL's ISO offset "+HH", "+HH:MM" or
 * "+HH:MM:SS" (the last only for local mean time zones), as seconds east of
 * UTC.
 */
static bool
timestamptz_utc_offset(const char *p, size_t n, int64_t *seconds)
{
	int hh;
	int mm = 0;
	int ss = 0;

	if ((n != 3 && n != 6 && n != 9) || (p[0] != '+' && p[0] != '-') ||
	    !timestamptz_digits(p + 1, 2, &hh))
	{
		return false;
	}
	if (n >= 6 && (p[3] != ':' || !timestamptz_digits(p + 4, 2, &mm)))
	{
		return false;
	}
	if (n == 9 && (p[6] != ':' || !timestamptz_digits(p + 7, 2, &ss)))
	{
		return false;
	}
	/* PostgreSQL keeps offsets within +-15:59:59 (MAX_TZDISP_HOUR) */
	if (hh > 15 || mm > 59 || ss > 59)
	{
		return false;
	}
	*seconds = (hh * 3600 + mm * 60 + ss) * (p[0] == '-' ? -1 : 1);
	return true;
}

bool
timestamptz_parse(const char *text, size_t n, int64_t *timestamp_us)
{
	const char *p = text;
	int y, mo, d, h, mi, s;
	int64_t fraction_us = 0;
	int64_t offset_s;
	size_t i = 19;

	ASSERT(text != NULL || n == 0);
	ASSERT(timestamp_us != NULL);

	if (n < 22 || !timestamptz_digits(p, 4, &y) || p[4] != '-' ||
	    !timestamptz_digits(p + 5, 2, &mo) || p[7] != '-' ||
	    !timestamptz_digits(p + 8, 2, &d) || p[10] != ' ' ||
	    !timestamptz_digits(p + 11, 2, &h) || p[13] != ':' ||
	    !timestamptz_digits(p + 14, 2, &mi) || p[16] != ':' ||
	    !timestamptz_digits(p + 17, 2, &s))
	{
		return false;
	}
	if (!timestamptz_date_is_valid(y, mo, d) || h > 23 || mi > 59 || s > 59)
	{
		return false;
	}
	if (p[i] == '.')
	{
		int64_t scale = 100000;

		for (i++; i < n && p[i] >= '0' && p[i] <= '9' && scale > 0; i++)
		{
			fraction_us += (p[i] - '0') * scale;
			scale /= 10;
		}
		if (i == 20 || (i < n && p[i] >= '0' && p[i] <= '9'))
		{
			return false;
		}
	}
	if (!timestamptz_utc_offset(p + i, n - i, &offset_s))
	{
		return false;
	}
	*timestamp_us = ((timestamptz_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	                  mi * 60 + s) -
	                 offset_s) *
	                    1000000 +
	                fraction_us;
	return true;
}
