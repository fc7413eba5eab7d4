/*
 * timestamptz.h: parse commit times written as PostgreSQL prints a
 * timestamptz ("2024-05-01 12:34:56.789012+02"), as wal2json sends them.
 */
#ifndef RECKON_TIMESTAMPTZ_H
#define RECKON_TIMESTAMPTZ_H

#include "common.h"

/*
 * timestamptz_parse: the n bytes at text (need not be NUL-terminated), in
 * timestamptz_to_str()'s format "YYYY-MM-DD HH:MM:SS[.f{1,6}]+HH[:MM[:SS]]"
 * (ISO, whatever DateStyle says), as Unix epoch microseconds in
 * *timestamp_us. Depends neither on the process's time zone nor its locale.
 * Returns false, leaving *timestamp_us alone, for anything else: another
 * format, a date that does not exist, a year outside 0001..9999 (BC dates
 * cannot be a commit time), an offset beyond PostgreSQL's +-15:59:59.
 */
bool timestamptz_parse(const char *text, size_t n,
                       int64_t *timestamp_us) WARN_UNUSED;

#endif
