/*
 * pgconn.h: the libpq wrapper for plain SQL connections, also used by
 * stream.c to open its replication connection.
 *
 * Only pgconn.c runs SQL. Values travel only as parameters. A query waits
 * for its result through a caller-given PgconnWaitFn, so the daemon keeps
 * serving the replication stream while a recompute runs.
 */
#ifndef RECKON_PGCONN_H
#define RECKON_PGCONN_H

#include "common.h"

struct pg_conn; /* libpq's PGconn, for stream.c only */

typedef enum PgconnStatus
{
	PGCONN_OK,
	PGCONN_RETRY, /* the connection or the server may recover: try later */
	PGCONN_FAIL   /* retrying the same thing cannot help */
} PgconnStatus;

/* Parameter types (pg_type OIDs) for pgconn_prepare. */
#define PGCONN_TYPE_INT8 20u
#define PGCONN_TYPE_TEXT 25u
#define PGCONN_TYPE_INT8_ARRAY 1016u
#define PGCONN_TYPE_BOOL_ARRAY 1000u
#define PGCONN_TYPE_INT4_ARRAY 1007u
#define PGCONN_TYPE_TEXT_ARRAY 1009u

typedef struct Pgconn Pgconn;
typedef struct PgconnResult PgconnResult;

/*
 * PgconnWaitFn: called while a query is in progress. It must return when
 * fd is readable or timeout_ms has passed (it may return earlier), and may
 * do unrelated work meanwhile. NULL means a plain poll on fd.
 */
typedef void (*PgconnWaitFn)(void *arg, int fd, int64_t timeout_ms);

/*
 * pgconn_connect: connect with dsn (NULL: libpq defaults, PG* variables and
 * .pgpass), as application_name, in logical replication mode when
 * replication is set. A plain connection gets an empty search_path (every
 * statement is schema-qualified) and statement_timeout_ms. Returns NULL
 * with *status RETRY or FAIL after logging why; the caller frees with
 * pgconn_finish().
 */
Pgconn *pgconn_connect(const char *dsn, const char *application_name,
                       bool replication, int64_t statement_timeout_ms,
                       PgconnStatus *status) WARN_UNUSED;
void pgconn_finish(Pgconn *conn);

/* pgconn_describe: "role@host:port pid N", for messages. */
const char *pgconn_describe(const Pgconn *conn);
int pgconn_socket(const Pgconn *conn);
bool pgconn_is_bad(const Pgconn *conn);
struct pg_conn *pgconn_libpq(Pgconn *conn); /* borrowed; stream.c only */

/*
 * pgconn_exec: run one statement (or, without params, a simple-protocol
 * string) and return its last result in *result (the caller frees it with
 * pgconn_result_free; NULL is stored when the statement returns no rows
 * description). what names the operation for the error message. timeout_ms
 * bounds the wait on the client side; past it the connection is closed
 * and RETRY returned.
 */
PgconnStatus pgconn_exec(Pgconn *conn, const char *what, const char *sql,
                         int nparams, const char *const *values,
                         PgconnResult **result, PgconnWaitFn wait, void *arg,
                         int64_t timeout_ms) WARN_UNUSED;

/* pgconn_prepare: prepare sql as name with explicit parameter types. */
PgconnStatus pgconn_prepare(Pgconn *conn, const char *what, const char *name,
                            const char *sql, int nparams,
                            const unsigned int *types) WARN_UNUSED;

/* pgconn_exec_prepared: as pgconn_exec, for a prepared statement. */
PgconnStatus pgconn_exec_prepared(Pgconn *conn, const char *what,
                                  const char *name, int nparams,
                                  const char *const *values,
                                  PgconnResult **result, PgconnWaitFn wait,
                                  void *arg, int64_t timeout_ms) WARN_UNUSED;

/* pgconn_last_sqlstate: the SQLSTATE of the last failed query, or "". */
const char *pgconn_last_sqlstate(const Pgconn *conn);

int pgconn_result_rows(const PgconnResult *result);
int pgconn_result_columns(const PgconnResult *result);
/* pgconn_result_value: the text value, NULL for SQL NULL; borrowed. */
const char *pgconn_result_value(const PgconnResult *result, int row, int col);
void pgconn_result_free(PgconnResult *result);

/*
 * pgconn_check_shape: whether result has rows (or -1: any) and columns;
 * logs "what: got R rows, C columns, expected ..." otherwise.
 */
bool pgconn_check_shape(const PgconnResult *result, const char *what, int rows,
                        int columns) WARN_UNUSED;

/* pgconn_redact: a copy of dsn with any password replaced; caller frees. */
char *pgconn_redact(const char *dsn);

/*
 * pgconn_redact_word: a command-line word as a usage error may echo it: a
 * connection string (or "--option=" and one) that holds a password shown
 * with the password masked, another word naming a password or a URI's
 * userinfo not shown at all, anything else as is. For the argument of an
 * unquoted --dsn, or a mistyped option. Caller frees.
 */
char *pgconn_redact_word(const char *word);

#endif
