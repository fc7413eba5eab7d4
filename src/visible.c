/*
 * visible.c: the visibility fence (see visible.h): one snapshot query per
 * try, and the 32-bit xids placed in the snapshot's 64-bit epoch.
 *
 * Pipeline: apply -> sched -> [visible] -> recompute. It must never read
 * the caller's pending list after a wait (a wait serves the stream, which
 * may grow and move it): it works on its own copy.
 */
#include "visible.h"

#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "recompute"
#include "log.h"

void
visible_free(Visible *v)
{
	free(v->xids);
	v->xids = NULL;
	v->capacity = 0;
}

bool
visible_parse_snapshot(const char *text, uint64_t *xmax, uint64_t **xip,
                       size_t *nxip)
{
	const char *p = strchr(text, ':');
	char *end;
	size_t cap = 0;

	*xip = NULL;
	*nxip = 0;
	if (p == NULL)
	{
		return false;
	}
	*xmax = strtoull(p + 1, &end, 10);
	if (*end != ':')
	{
		return false;
	}
	p = end + 1;
	while (*p != '\0')
	{
		uint64_t x = strtoull(p, &end, 10);

		if (end == p || (*end != ',' && *end != '\0'))
		{
			free(*xip);
			return false;
		}
		if (*nxip == cap)
		{
			cap = cap ? cap * 2 : 64;
			uint64_t *grown = realloc(*xip, cap * sizeof(uint64_t));
			if (grown == NULL)
			{
				common_out_of_memory("snapshot");
			}
			*xip = grown;
		}
		(*xip)[(*nxip)++] = x;
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

/*
 * Whether every one of the n xids is visible in the snapshot. They are all
 * committed, so visible means below xmax (at or past it, the snapshot
 * predates the commit's completion) and not in progress (in xip). A
 * pending xid is recent, within 2^31 of xmax, so the signed 32-bit
 * distance places it in the right epoch.
 */
static bool
visible_all(const uint32_t *xids, size_t n, uint64_t xmax, const uint64_t *xip,
            size_t nxip, uint32_t *invisible)
{
	for (size_t i = 0; i < n; i++)
	{
		uint32_t xid = xids[i];
		int32_t distance = (int32_t)(xid - (uint32_t)xmax);
		uint64_t full = xmax - (uint64_t)(-(int64_t)distance);

		*invisible = xid;
		if (distance >= 0)
		{
			return false;
		}
		for (size_t j = 0; j < nxip; j++)
		{
			if (xip[j] == full)
			{
				return false;
			}
		}
	}
	return true;
}

/* One snapshot: *visible whether the n xids of v are all in it. */
static PgconnStatus
visible_check(Visible *v, Session *s, size_t n, bool *visible,
              uint32_t *invisible)
{
	PgconnResult *res = NULL;
	uint64_t xmax;
	uint64_t *xip;
	size_t nxip;
	PgconnStatus status;

	status = session_exec_short(s, "snapshot", session_sql("current_snapshot"),
	                            0, NULL, &res);
	if (status != PGCONN_OK)
	{
		return status;
	}
	if (!pgconn_check_shape(res, "snapshot", 1, 1) ||
	    !visible_parse_snapshot(pgconn_result_value(res, 0, 0), &xmax, &xip,
	                            &nxip))
	{
		pgconn_result_free(res);
		return PGCONN_FAIL;
	}
	pgconn_result_free(res);
	*visible = visible_all(v->xids, n, xmax, xip, nxip, invisible);
	free(xip);
	return PGCONN_OK;
}

PgconnStatus
visible_wait(Visible *v, Session *s, const uint32_t *xids, size_t n,
             int64_t timeout_ms)
{
	int64_t start_us = common_monotonic_us();

	if (n > v->capacity)
	{
		uint32_t *grown = realloc(v->xids, n * sizeof(uint32_t));

		if (grown == NULL)
		{
			common_out_of_memory("pending transaction ids");
		}
		v->xids = grown;
		v->capacity = n;
	}
	if (n > 0)
	{
		memcpy(v->xids, xids, n * sizeof(uint32_t));
	}
	while (n > 0)
	{
		uint32_t invisible = 0;
		bool visible = false;
		PgconnStatus status = visible_check(v, s, n, &visible, &invisible);

		if (status != PGCONN_OK || visible)
		{
			return status;
		}
		if (common_monotonic_us() - start_us > timeout_ms * 1000)
		{
			log_error("transaction %u was streamed as committed but is still "
			          "not visible after %lld ms",
			          invisible, (long long)timeout_ms);
			return PGCONN_RETRY;
		}
		log_debug("transaction %u streamed as committed but not yet visible "
		          "to a new snapshot, waiting",
		          invisible);
		session_pause(s, 1);
	}
	return PGCONN_OK;
}
