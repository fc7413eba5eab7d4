/*
 * session.c: a plain SQL session (see session.h): the recompute
 * connection to the primary or the read server's, the statements every
 * session runs, and the one place that knows how long a statement may
 * take on the client side.
 *
 * Pipeline: sched -> recompute -> [session] -> pgconn. It must never
 * choose what a batch runs or retry by itself: a failure goes back to the
 * caller, which owns the retry policy.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "embedded.h"

#define LOG_MODULE "session"
#include "log.h"

void
session_init(Session *s, const Config *config, const char *application_name,
             PgconnWaitFn wait, void *wait_arg)
{
	*s = (Session){.config = config,
	               .application_name = application_name,
	               .wait = wait,
	               .wait_arg = wait_arg};
}

void
session_reload(Session *s, const Config *config)
{
	s->config = config;
}

void
session_close(Session *s)
{
	pgconn_finish(s->conn);
	s->conn = NULL;
}

PgconnStatus
session_open(Session *s, const char *dsn)
{
	PgconnStatus status;

	session_close(s);
	s->conn = pgconn_connect(dsn, s->application_name, false,
	                         s->config->statement_timeout_ms, &status);
	return s->conn != NULL ? PGCONN_OK : status;
}

PgconnStatus
session_setup(Session *s)
{
	/*
	 * Statements read these session tables, and must prepare whatever
	 * the configuration, with or without the prelude that fills them.
	 */
	for (const EmbeddedFile *f = embedded_sql; f->name != NULL; f++)
	{
		size_t len = strlen(f->name);
		char what[CONFIG_NAME_MAX + 64];
		PgconnStatus status;

		if (len < 6 || strcmp(f->name + len - 6, "_setup") != 0)
		{
			continue;
		}
		snprintf(what, sizeof(what), "session table setup \"%s\"", f->name);
		status = pgconn_exec(s->conn, what, f->text, 0, NULL, NULL, NULL, NULL,
		                     SESSION_SHORT_MS);
		if (status != PGCONN_OK)
		{
			session_close(s);
			return status;
		}
	}
	return PGCONN_OK;
}

bool
session_is_connected(const Session *s)
{
	return s->conn != NULL && !pgconn_is_bad(s->conn);
}

Pgconn *
session_conn(Session *s)
{
	return s->conn;
}

const char *
session_last_sqlstate(const Session *s)
{
	return s->conn != NULL ? pgconn_last_sqlstate(s->conn) : "";
}

const char *
session_error_class(const Session *s, char *buf)
{
	const char *state = session_last_sqlstate(s);

	if (strlen(state) < 2 || !session_is_connected(s))
	{
		return "connection";
	}
	buf[0] = state[0];
	buf[1] = state[1];
	buf[2] = '\0';
	return buf;
}

const char *
session_sql(const char *name)
{
	const char *sql = embedded_find(embedded_sql, name);

	ASSERT(sql != NULL);
	return sql;
}

PgconnStatus
session_prepare(Session *s, const char *what, const char *name, const char *sql,
                int nparams, const unsigned int *types)
{
	return pgconn_prepare(s->conn, what, name, sql, nparams, types);
}

PgconnStatus
session_deallocate(Session *s, const char *name)
{
	char sql[CONFIG_NAME_MAX + 64];

	/*
	 * A statement name is an identifier, which cannot be a parameter;
	 * name is "reckon_" or "reckon_check_" and an id config.c checked.
	 */
	snprintf(sql, sizeof(sql), "DEALLOCATE \"%s\"", name);
	return pgconn_exec(s->conn, "deallocate", sql, 0, NULL, NULL, s->wait,
	                   s->wait_arg, SESSION_SHORT_MS);
}

/* statement_timeout, and the slack for the answer to come back */
static int64_t
session_bound_ms(const Session *s)
{
	return s->config->statement_timeout_ms + SESSION_SLACK_MS;
}

PgconnStatus
session_exec(Session *s, const char *what, const char *sql, int nparams,
             const char *const *values, PgconnResult **res)
{
	return pgconn_exec(s->conn, what, sql, nparams, values, res, s->wait,
	                   s->wait_arg, session_bound_ms(s));
}

PgconnStatus
session_exec_short(Session *s, const char *what, const char *sql, int nparams,
                   const char *const *values, PgconnResult **res)
{
	return pgconn_exec(s->conn, what, sql, nparams, values, res, s->wait,
	                   s->wait_arg, SESSION_SHORT_MS);
}

PgconnStatus
session_exec_within(Session *s, int64_t timeout_ms, const char *what,
                    const char *sql, int nparams, const char *const *values)
{
	return pgconn_exec(s->conn, what, sql, nparams, values, NULL, s->wait,
	                   s->wait_arg, timeout_ms);
}

PgconnStatus
session_exec_prepared(Session *s, const char *what, const char *name,
                      int nparams, const char *const *values,
                      PgconnResult **res)
{
	return pgconn_exec_prepared(s->conn, what, name, nparams, values, res,
	                            s->wait, s->wait_arg, session_bound_ms(s));
}

/*
 * Every batch's transaction starts by taking its group's advisory lock
 * (released at COMMIT), in the daemon and in `reckon backfill` alike, so
 * two processes never recompute one group at once: each batch reads, in
 * statements after the lock, everything the one before it committed. A
 * backfill batch that read before a change and wrote after the daemon's
 * recompute of it would otherwise write the older result last.
 *
 * BEGIN and the lock go in one simple-protocol string: one round trip.
 * With the lock's key as parameters ($1, $2), the extended protocol would
 * need BEGIN first, in a round trip of its own, on every batch. The key
 * is two integers computed here (a constant and a hash of the group's
 * name), never text from outside; the snapshot name was checked for hex
 * digits and dashes (stream_create_slot), and SET TRANSACTION SNAPSHOT
 * takes no parameter. It must be the transaction's first statement, in
 * REPEATABLE READ. This is the only SQL of reckon formatted at run time
 * besides DEALLOCATE's name, the lookup's identifiers (loaders.c) and the
 * backfill's count wrapper (backfill.c).
 */
PgconnStatus
session_begin_locked(Session *s, const char *lock_name, const char *snapshot)
{
	char command[256];
	char isolation[160] = "";
	uint32_t hash = 2166136261u; /* FNV-1a */

	for (const char *c = lock_name; *c != '\0'; c++)
	{
		hash = (hash ^ (uint8_t)*c) * 16777619u;
	}
	if (snapshot != NULL && snapshot[0] != '\0')
	{
		snprintf(isolation, sizeof(isolation),
		         " ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION "
		         "SNAPSHOT '%s'",
		         snapshot);
	}
	snprintf(command, sizeof(command),
	         "BEGIN%s; SELECT pg_catalog.pg_advisory_xact_lock(%d, %d)",
	         isolation, SESSION_LOCK_CLASS, (int32_t)hash);
	return session_exec(s, "BEGIN", command, 0, NULL, NULL);
}

/* A transaction control word (COMMIT, ROLLBACK), as its own what. */
static PgconnStatus
session_control(Session *s, const char *command)
{
	return session_exec_short(s, command, command, 0, NULL, NULL);
}

PgconnStatus
session_end(Session *s, PgconnStatus status)
{
	if (status == PGCONN_OK)
	{
		return session_control(s, "COMMIT");
	}
	if (session_is_connected(s))
	{
		(void)session_control(s, "ROLLBACK");
	}
	return status;
}

void
session_pause(Session *s, int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};

	if (s->wait != NULL)
	{
		s->wait(s->wait_arg, -1, ms);
		return;
	}
	nanosleep(&ts, NULL);
}
