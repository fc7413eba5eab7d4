/*
 * lsn.c: LSN text parsing, used for --endpos and reckon-slot advance --to,
 * pg_replication_slots' positions, a new slot's consistent point, the read
 * server's pg_last_wal_replay_lsn() and wal2json's "nextlsn" (decode.c).
 * Strict: a malformed LSN given to --endpos must be a usage error, never a
 * silent 0.
 */
#include "lsn.h"

static bool
lsn_parse_part(const char **p, char stop, uint32_t *out)
{
	uint64_t value = 0;
	int digits = 0;

	while (**p != stop)
	{
		char c = **p;
		int d;

		if (c >= '0' && c <= '9')
		{
			d = c - '0';
		}
		else if (c >= 'a' && c <= 'f')
		{
			d = c - 'a' + 10;
		}
		else if (c >= 'A' && c <= 'F')
		{
			d = c - 'A' + 10;
		}
		else
		{
			return false;
		}
		value = value * 16 + (uint64_t)d;
		if (++digits > 8)
		{
			return false;
		}
		(*p)++;
	}
	*out = (uint32_t)value;
	return digits > 0;
}

bool
lsn_parse(const char *text, Lsn *lsn)
{
	const char *p = text;
	uint32_t hi;
	uint32_t lo;

	if (!lsn_parse_part(&p, '/', &hi))
	{
		return false;
	}
	p++;
	if (!lsn_parse_part(&p, '\0', &lo))
	{
		return false;
	}
	*lsn = ((Lsn)hi << 32) | lo;
	return true;
}
