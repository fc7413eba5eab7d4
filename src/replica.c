/*
 * replica.c: the read server, its fence and its reads (see replica.h).
 *
 * Why the fence is enough: a standby applies WAL in order, and a commit's
 * transaction leaves the standby's known-assigned transactions while its
 * commit record is replayed, so once pg_last_wal_replay_lsn() has reached
 * the end of that record, every snapshot taken afterwards sees the commit.
 * The batch's read transaction takes its snapshot after the fence.
 *
 * Why reading older data than the primary's is still correct: the batch
 * acknowledges only changes the fence covers. A newer change the standby
 * has not replayed yet is at or past the acknowledged position, so it is
 * streamed, dirties its keys again, and a later batch recomputes them from
 * a snapshot that includes it; meanwhile the apply statement on the primary
 * judges each row against its current state, so a completion is never
 * reported twice and a complete row stays complete.
 */
#include "replica.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lsn.h"

#define LOG_MODULE "replica"
#include "log.h"

/* how often a waiting fence asks for the replay position */
#define REPLICA_POLL_MS 10
/* while behind, a summary of the fallbacks at most this often */
#define REPLICA_BEHIND_LOG_US (10 * 1000 * 1000)

/* as the processors' statements: $1 keys, $2 challenge id, $3 create_min */
static const unsigned int replica_param_types[3] = {
    PGCONN_TYPE_INT8_ARRAY, PGCONN_TYPE_TEXT, PGCONN_TYPE_INT8};

void
replica_init(Replica *r, const Config *config, PgconnWaitFn wait,
             void *wait_arg)
{
	*r = (Replica){.config = config};
	session_init(&r->session, config, "reckon read", wait, wait_arg);
}

static void
replica_disconnect(Replica *r)
{
	session_close(&r->session);
}

void
replica_free(Replica *r)
{
	replica_disconnect(r);
}

bool
replica_is_configured(const Replica *r)
{
	return r->config->read_dsn != NULL;
}

void
replica_reload(Replica *r, const Config *config)
{
	r->config = config;
	session_reload(&r->session, config);
	replica_disconnect(r);
}

bool
replica_group_reads(const Group *g)
{
	for (int i = 0; i < g->nmembers; i++)
	{
		if (g->members[i]->config->read_sql_text != NULL)
		{
			return true;
		}
	}
	return false;
}

static void
replica_statement_name(const ConfigProcessor *p, char *buf, size_t size)
{
	snprintf(buf, size, "reckon_read_%s", p->id);
}

/*
 * Connect and prepare every read statement. A statement that does not
 * prepare is a configuration error, but the primary can still do the
 * work: it is logged, and the replica is retried after the backoff.
 */
static bool
replica_connect(Replica *r)
{
	PgconnStatus status;
	int64_t now_us = common_monotonic_us();

	if (session_is_connected(&r->session))
	{
		return true;
	}
	replica_disconnect(r);
	if (now_us < r->retry_at_us)
	{
		return false;
	}
	status = session_open(&r->session, r->config->read_dsn);
	for (int i = 0; status == PGCONN_OK && i < r->config->nprocessors; i++)
	{
		const ConfigProcessor *p = &r->config->processors[i];
		char name[CONFIG_NAME_MAX + 16];
		char what[512];

		if (p->read_sql_text == NULL)
		{
			continue;
		}
		replica_statement_name(p, name, sizeof(name));
		snprintf(what, sizeof(what),
		         "prepare read statement \"%s\" of processor \"%s\" on the "
		         "read server",
		         p->read_sql_name, p->id);
		status = session_prepare(&r->session, what, name, p->read_sql_text, 3,
		                         replica_param_types);
		if (status != PGCONN_OK)
		{
			replica_disconnect(r);
		}
	}
	if (status != PGCONN_OK)
	{
		r->failures++;
		r->retry_at_us =
		    now_us + sched_backoff_ms(r->failures, r->config->reconnect_min_ms,
		                              r->config->reconnect_max_ms) *
		                 1000;
		return false;
	}
	r->failures = 0;
	log_info("read server connected: %s",
	         pgconn_describe(session_conn(&r->session)));
	return true;
}

/*
 * Its replay position into r->replayed. False when it cannot tell: the
 * query failed, or the server is not in recovery (NULL: not a standby, or
 * one promoted since), whose data no fence can place.
 */
static bool
replica_replayed(Replica *r)
{
	PgconnResult *res = NULL;
	const char *text;
	bool ok;

	if (session_exec(&r->session, "read server replay position",
	                 session_sql("replay_lsn"), 0, NULL, &res) != PGCONN_OK)
	{
		return false;
	}
	if (!pgconn_check_shape(res, "read server replay position", 1, 1))
	{
		pgconn_result_free(res);
		return false;
	}
	text = pgconn_result_value(res, 0, 0);
	ok = text != NULL && lsn_parse(text, &r->replayed);
	pgconn_result_free(res);
	if (!ok)
	{
		log_error("the read server %s is not in recovery (not a hot "
		          "standby, or promoted): reads stay on the primary",
		          pgconn_describe(session_conn(&r->session)));
		/* not a passing state: ask again after the backoff */
		replica_disconnect(r);
		r->failures++;
		r->retry_at_us =
		    common_monotonic_us() + r->config->reconnect_max_ms * (int64_t)1000;
	}
	return ok;
}

static void
replica_count_fallback(Replica *r, const char *what, const char *why)
{
	int64_t now_us = common_monotonic_us();

	r->fallbacks++;
	if (!r->is_behind)
	{
		r->is_behind = true;
		r->behind_fallbacks = 1;
		r->behind_logged_us = now_us;
		log_warn("%s read on the primary: %s (fallback %" PRId64 ")", what, why,
		         r->fallbacks);
		return;
	}
	r->behind_fallbacks++;
	log_debug("%s read on the primary: %s (fallback %" PRId64 ")", what, why,
	          r->fallbacks);
	if (now_us - r->behind_logged_us >= REPLICA_BEHIND_LOG_US)
	{
		r->behind_logged_us = now_us;
		log_warn("the read server is still behind: %" PRId64
		         " batches read on the primary since it fell behind (%s)",
		         r->behind_fallbacks, why);
	}
}

void
replica_fallback(Replica *r, const char *why)
{
	replica_count_fallback(r, "a batch", why);
}

bool
replica_fence(Replica *r, Lsn lsn, const char *what)
{
	int64_t start_us = common_monotonic_us();
	char why[160];

	if (!replica_is_configured(r))
	{
		return false;
	}
	if (lsn == LSN_INVALID)
	{
		/* unknown commits (a stream without include-lsn): cannot fence */
		replica_count_fallback(r, what, "no commit position to wait for");
		return false;
	}
	while (true)
	{
		if (!replica_connect(r))
		{
			replica_count_fallback(r, what, "the read server is unavailable");
			return false;
		}
		if (!replica_replayed(r))
		{
			replica_count_fallback(r, what, "its replay position is unknown");
			return false;
		}
		if (r->replayed >= lsn)
		{
			break;
		}
		if (r->is_behind || common_monotonic_us() - start_us >=
		                        r->config->read_fence_timeout_ms * 1000)
		{
			snprintf(why, sizeof(why),
			         "the read server has replayed %X/%X, the changes end at "
			         "%X/%X",
			         LSN_FORMAT_ARGS(r->replayed), LSN_FORMAT_ARGS(lsn));
			if (!r->is_behind)
			{
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
				         " (waited %lld ms)",
				         (long long)r->config->read_fence_timeout_ms);
			}
			replica_count_fallback(r, what, why);
			return false;
		}
		log_trace("waiting for the read server to replay %X/%X (at %X/%X)",
		          LSN_FORMAT_ARGS(lsn), LSN_FORMAT_ARGS(r->replayed));
		session_pause(&r->session, REPLICA_POLL_MS);
	}
	if (r->is_behind)
	{
		log_info("the read server has caught up (replayed %X/%X); reads are "
		         "back on it after %" PRId64 " on the primary",
		         LSN_FORMAT_ARGS(r->replayed), r->behind_fallbacks);
		r->is_behind = false;
	}
	return true;
}

void
replica_counts(const Replica *r, int64_t *batches, int64_t *fallbacks)
{
	*batches = r->batches;
	*fallbacks = r->fallbacks;
}

Session *
replica_session(Replica *r)
{
	return &r->session;
}

PgconnStatus
replica_read(Replica *r, const Group *g, const char *ids, PgconnResult **reads)
{
	/*
	 * One snapshot for every member, as on the primary; it is taken by the
	 * first statement, after the fence.
	 */
	static const char begin[] =
	    "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
	PgconnStatus status =
	    session_exec_short(&r->session, begin, begin, 0, NULL, NULL);

	for (int i = 0; status == PGCONN_OK && i < g->nmembers; i++)
	{
		const ConfigProcessor *p = g->members[i]->config;
		char name[CONFIG_NAME_MAX + 16];
		char what[CONFIG_NAME_MAX + 64];
		char create_min[32];
		const char *values[3] = {ids, p->challenge_id, create_min};

		if (p->read_sql_text == NULL)
		{
			continue;
		}
		snprintf(create_min, sizeof(create_min), "%" PRId64, p->create_min);
		replica_statement_name(p, name, sizeof(name));
		snprintf(what, sizeof(what), "read of processor \"%s\"", p->id);
		status = session_exec_prepared(&r->session, what, name, 3, values,
		                               &reads[i]);
		if (status == PGCONN_OK &&
		    !pgconn_check_shape(reads[i], what, -1, p->read_columns))
		{
			status = PGCONN_FAIL;
		}
	}
	status = session_end(&r->session, status);
	if (status == PGCONN_OK)
	{
		r->batches++;
	}
	else
	{
		for (int i = 0; i < g->nmembers; i++)
		{
			pgconn_result_free(reads[i]);
			reads[i] = NULL;
		}
		if (!session_is_connected(&r->session))
		{
			replica_disconnect(r);
		}
	}
	return status;
}
