/*
 * session.h: one plain SQL session of the daemon: the recompute connection
 * to the primary (recompute.c) or the read server's (replica.c).
 *
 * Pipeline: sched -> recompute -> [session] -> pgconn. A session holds,
 * once, what every statement it runs shares: its connection, the wait
 * function that serves the stream while the server works, and the
 * client-side bounds derived from statement_timeout. It runs the built-in
 * *_setup statements, prepares statements, and begins a batch's
 * transaction under its group's advisory lock. It never decides what to
 * run, never retries on its own and never touches the stream.
 */
#ifndef RECKON_SESSION_H
#define RECKON_SESSION_H

#include "common.h"
#include "config.h"
#include "pgconn.h"

/* the first half of every batch's advisory lock key ("RCKN") */
#define SESSION_LOCK_CLASS 0x52434b4e

/*
 * Client-side bound of transaction control and small bookkeeping
 * statements (COMMIT, DEALLOCATE, a snapshot, a backfill record).
 */
#define SESSION_SHORT_MS (60 * 1000)

/* How long the client waits past the server's statement_timeout. */
#define SESSION_SLACK_MS (30 * 1000)

typedef struct Session
{
	const Config *config;         /* borrowed: statement_timeout */
	const char *application_name; /* borrowed, a literal */
	Pgconn *conn;                 /* owned; NULL while disconnected */
	PgconnWaitFn wait;            /* serves the stream while a query runs */
	void *wait_arg;               /* borrowed */
} Session;

/* session_init: a disconnected session; wait NULL: a plain poll. */
void session_init(Session *s, const Config *config,
                  const char *application_name, PgconnWaitFn wait,
                  void *wait_arg);

/* session_reload: the bounds of a reloaded configuration, from now. */
void session_reload(Session *s, const Config *config);

/* session_close: disconnect (a no-op when disconnected). */
void session_close(Session *s);

/*
 * session_open: (re)connect to dsn with the configured statement_timeout;
 * RETRY or FAIL, logged, when it cannot.
 */
PgconnStatus session_open(Session *s, const char *dsn) WARN_UNUSED;

/*
 * session_setup: run every built-in statement named *_setup (session
 * tables such as play_counts_setup), which statements read and so must
 * exist before those prepare. On failure the session is closed.
 */
PgconnStatus session_setup(Session *s) WARN_UNUSED;

bool session_is_connected(const Session *s);

/* session_conn: the connection (borrowed; NULL while disconnected). */
Pgconn *session_conn(Session *s);

/* session_last_sqlstate: the SQLSTATE of the last failure, or "". */
const char *session_last_sqlstate(const Session *s);

/*
 * session_error_class: the SQLSTATE class of the last failure into buf
 * (3 bytes), returned; "connection" when the connection is down or the
 * failure had no SQLSTATE. For the error counters.
 */
const char *session_error_class(const Session *s, char *buf);

/*
 * session_sql: the built-in statement sql/NAME.sql (embedded at build).
 * Asserts it exists: every name passed is a literal of this repository.
 */
const char *session_sql(const char *name);

/*
 * session_prepare: prepare sql as the statement name, with nparams
 * parameters of types; what names it in an error. The one place any
 * statement of a processor, a read or an APPLY statement is prepared.
 */
PgconnStatus session_prepare(Session *s, const char *what, const char *name,
                             const char *sql, int nparams,
                             const unsigned int *types) WARN_UNUSED;

/*
 * session_deallocate: drop the prepared statement name ("reckon_" and a
 * processor id, or a check's name: identifiers config.c validated).
 */
PgconnStatus session_deallocate(Session *s, const char *name) WARN_UNUSED;

/*
 * session_exec: run sql (nparams 0: as a simple-protocol string) with
 * values, bounded by statement_timeout plus SESSION_SLACK_MS; *res, when
 * given, gets the result (pgconn_exec's contract).
 */
PgconnStatus session_exec(Session *s, const char *what, const char *sql,
                          int nparams, const char *const *values,
                          PgconnResult **res) WARN_UNUSED;

/* session_exec_short: as session_exec, bounded by SESSION_SHORT_MS. */
PgconnStatus session_exec_short(Session *s, const char *what, const char *sql,
                                int nparams, const char *const *values,
                                PgconnResult **res) WARN_UNUSED;

/*
 * session_exec_within: as session_exec, without a result, bounded by
 * timeout_ms (a statement that does no real work, such as a heartbeat).
 */
PgconnStatus session_exec_within(Session *s, int64_t timeout_ms,
                                 const char *what, const char *sql, int nparams,
                                 const char *const *values) WARN_UNUSED;

/* session_exec_prepared: as session_exec, for a prepared statement. */
PgconnStatus session_exec_prepared(Session *s, const char *what,
                                   const char *name, int nparams,
                                   const char *const *values,
                                   PgconnResult **res) WARN_UNUSED;

/*
 * session_begin_locked: begin a batch's transaction holding the advisory
 * lock of lock_name (a group's name), released at its end; with snapshot
 * (an exported snapshot's name; NULL or "": none), in REPEATABLE READ
 * from it. One round trip.
 */
PgconnStatus session_begin_locked(Session *s, const char *lock_name,
                                  const char *snapshot) WARN_UNUSED;

/*
 * session_end: COMMIT when status is OK and return COMMIT's status; else
 * ROLLBACK (when the connection is still up) and return status.
 */
PgconnStatus session_end(Session *s, PgconnStatus status) WARN_UNUSED;

/* session_pause: let the wait function serve the stream for ms. */
void session_pause(Session *s, int64_t ms);

#endif
