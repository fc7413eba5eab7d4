/*
 * pgconn.c: libpq for plain SQL (see pgconn.h). Every query is sent
 * asynchronously and waited for through the caller's PgconnWaitFn, which is
 * how a long recompute keeps the replication stream answered. Errors are
 * logged here, once, with the operation, the connection (role, host,
 * backend pid), the SQLSTATE and the server's message.
 */
#include "pgconn.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "embedded.h"

#define LOG_MODULE "pgconn"
#include "log.h"

struct Pgconn
{
	PGconn *conn;          /* owned */
	bool is_broken;        /* a client-side timeout gave up on it */
	char last_sqlstate[6]; /* of the last failed query, "" if none */
	char description[256];
};

struct PgconnResult
{
	PGresult *res; /* owned */
};

char *
pgconn_redact(const char *dsn)
{
	PQconninfoOption *opts;
	char *err = NULL;
	size_t size = 1;
	char *out;

	if (dsn == NULL)
	{
		return strdup("(defaults)");
	}
	opts = PQconninfoParse(dsn, &err);
	if (opts == NULL)
	{
		PQfreemem(err);
		return strdup("(unparsable connection string)");
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
	{
		if (o->val != NULL && o->val[0] != '\0')
		{
			size += strlen(o->keyword) + strlen(o->val) + 8;
		}
	}
	out = malloc(size);
	if (out != NULL)
	{
		out[0] = '\0';
		for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		{
			if (o->val == NULL || o->val[0] == '\0')
			{
				continue;
			}
			strcat(out, out[0] ? " " : "");
			strcat(out, o->keyword);
			strcat(out, "=");
			strcat(out, strcmp(o->keyword, "password") == 0 ? "****" : o->val);
		}
	}
	PQconninfoFree(opts);
	return out;
}

/*
 * pgconn_mask: text with each occurrence of secret as ****; caller frees.
 * A secret under 4 characters is left alone: masking it would garble every
 * word it occurs in ("port" for a password "p"), and libpq does not echo a
 * password it has parsed; this is a second line of defence.
 */
static char *
pgconn_mask(const char *text, const char *secret)
{
	size_t secret_len = secret && strlen(secret) >= 4 ? strlen(secret) : 0;
	/* each occurrence is at least 1 byte and becomes 4 */
	char *out = malloc(4 * strlen(text) + 1);
	char *o = out;

	if (out == NULL)
	{
		common_out_of_memory("redacted message");
	}
	while (*text != '\0')
	{
		if (secret_len > 0 && strncmp(text, secret, secret_len) == 0)
		{
			memcpy(o, "****", 4);
			o += 4;
			text += secret_len;
		}
		else
		{
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

/* replace *text by pgconn_mask(*text, secret) */
static void
pgconn_mask_in_place(char **text, const char *secret)
{
	char *masked = pgconn_mask(*text, secret);

	free(*text);
	*text = masked;
}

/* whether word is one of libpq's connection keywords ("port", "host") */
static bool
pgconn_is_keyword(const char *word)
{
	PQconninfoOption *defaults = PQconndefaults();
	bool found = false;

	for (PQconninfoOption *o = defaults; o && o->keyword && !found; o++)
	{
		found = strcmp(o->keyword, word) == 0;
	}
	PQconninfoFree(defaults);
	return found;
}

/*
 * libpq's errors for a connection string it cannot parse quote pieces of
 * it ('invalid percent-encoded token: "S3cr%zz"', or a whole malformed URI
 * with its password), and an unparsable string gives no password to look
 * for: mask every quoted piece of message that occurs in dsn, but for a
 * keyword or a single character ("=", "]"), which tell what is wrong.
 * Caller frees.
 */
static char *
pgconn_mask_quoted(const char *message, const char *dsn)
{
	/* a piece masked is at least 4 bytes with its quotes and becomes 6 */
	char *out = malloc(2 * strlen(message) + 1);
	char *o = out;
	const char *p = message;

	if (out == NULL)
	{
		common_out_of_memory("redacted message");
	}
	while (*p != '\0')
	{
		const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
		size_t len = close ? (size_t)(close - p - 1) : 0;
		char *piece = close ? strndup(p + 1, len) : NULL;

		if (close == NULL)
		{
			*o++ = *p++;
			continue;
		}
		if (piece == NULL)
		{
			common_out_of_memory("redacted message");
		}
		/* a quoted piece is copied or masked whole, quotes included */
		if (len > 1 && !pgconn_is_keyword(piece) && strstr(dsn, piece))
		{
			memcpy(o, "\"****\"", 6);
			o += 6;
		}
		else
		{
			memcpy(o, p, len + 2);
			o += len + 2;
		}
		p = close + 1;
		free(piece);
	}
	*o = '\0';
	return out;
}

/* the password of a URI as written (percent-encoded), "" if none */
static void
pgconn_uri_password(const char *dsn, char *out, size_t size)
{
	const char *scheme = strstr(dsn, "://");
	const char *host;
	const char *at = NULL;
	const char *colon;

	out[0] = '\0';
	if (scheme == NULL)
	{
		return;
	}
	host = scheme + 3;
	for (const char *p = host; *p && *p != '/' && *p != '?'; p++)
	{
		at = *p == '@' ? p : at;
	}
	colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
	if (colon != NULL)
	{
		snprintf(out, size, "%.*s", (int)(at - colon - 1), colon + 1);
	}
}

/*
 * pgconn_safe_error: libpq's message for a failed connection to dsn, safe
 * to log: the password of dsn (as libpq read it, and as the URI wrote it)
 * and of PGPASSWORD masked wherever it appears, and for a dsn libpq could
 * not parse every quoted piece of it (see pgconn_mask_quoted). Caller
 * frees.
 */
static char *
pgconn_safe_error(const char *dsn, const char *message)
{
	PQconninfoOption *opts = dsn ? PQconninfoParse(dsn, NULL) : NULL;
	char raw[1024];
	char *out;

	if (dsn != NULL && opts == NULL)
	{
		out = pgconn_mask_quoted(message, dsn);
	}
	else
	{
		out = pgconn_mask(message, NULL);
		for (PQconninfoOption *o = opts; o && o->keyword; o++)
		{
			if (strcmp(o->keyword, "password") == 0 && o->val)
			{
				pgconn_mask_in_place(&out, o->val);
			}
		}
	}
	if (dsn != NULL)
	{
		pgconn_uri_password(dsn, raw, sizeof(raw));
		pgconn_mask_in_place(&out, raw);
	}
	pgconn_mask_in_place(&out, getenv("PGPASSWORD"));
	PQconninfoFree(opts);
	return out;
}

/* whether text names a password: "password" in any case, or URI userinfo */
static bool
pgconn_may_hold_password(const char *text)
{
	const char *scheme = strstr(text, "://");

	for (const char *p = text; *p; p++)
	{
		if (strncasecmp(p, "password", 8) == 0)
		{
			return true;
		}
	}
	return scheme != NULL && strchr(scheme, '@') != NULL;
}

char *
pgconn_redact_word(const char *word)
{
	const char *eq = strchr(word, '=');
	/* "--option=VALUE": the value may be a connection string */
	const char *value = word[0] == '-' && eq ? eq + 1 : word;
	int prefix = (int)(value - word);
	char *redacted;
	char *out;
	size_t size;

	if (!pgconn_may_hold_password(value))
	{
		out = strdup(word);
	}
	else
	{
		redacted = pgconn_redact(value);
		/* a connection string is shown masked, anything else not at all */
		if (redacted == NULL || strstr(redacted, "password=****") == NULL)
		{
			free(redacted);
			redacted = strdup("(not shown: it may hold a password)");
		}
		size = (size_t)prefix + (redacted ? strlen(redacted) : 0) + 1;
		out = redacted ? malloc(size) : NULL;
		if (out != NULL)
		{
			snprintf(out, size, "%.*s%s", prefix, word, redacted);
		}
		free(redacted);
	}
	if (out == NULL)
	{
		common_out_of_memory("redacted argument");
	}
	return out;
}

static const char *
pgconn_sqlstate(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state ? state : "";
}

/*
 * Connection trouble (class 08), the server shutting down (57P01-57P03) and
 * a bad connection are worth a retry; so are serialization failures and
 * deadlocks (40001, 40P01) and a cancelled statement (57014).
 */
static PgconnStatus
pgconn_classify(const Pgconn *conn, const char *state)
{
	if (PQstatus(conn->conn) == CONNECTION_BAD ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "57014") == 0 || state[0] == '\0')
	{
		return PGCONN_RETRY;
	}
	return PGCONN_FAIL;
}

static void
pgconn_log_error(const Pgconn *conn, const char *what, const PGresult *res)
{
	const char *primary =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

	if (primary == NULL)
	{
		log_error("%s failed on %s: %s", what, conn->description,
		          PQerrorMessage(conn->conn));
		return;
	}
	log_error("%s failed on %s: SQLSTATE %s: %s%s%s", what, conn->description,
	          pgconn_sqlstate(res), primary, detail ? "\nDETAIL: " : "",
	          detail ? detail : "");
}

static void
pgconn_describe_set(Pgconn *conn)
{
	const char *host = PQhost(conn->conn);

	snprintf(conn->description, sizeof(conn->description), "%s@%s:%s pid %d",
	         PQuser(conn->conn), host ? host : "?", PQport(conn->conn),
	         PQbackendPID(conn->conn));
}

static PgconnStatus
pgconn_configure(Pgconn *conn, int64_t statement_timeout_ms)
{
	char timeout[32];
	const char *values[1] = {timeout};
	PgconnResult *res = NULL;
	PgconnStatus status;

	snprintf(timeout, sizeof(timeout), "%lld", (long long)statement_timeout_ms);
	const char *sql = embedded_find(embedded_sql, "connection_settings");

	ASSERT(sql != NULL);
	status = pgconn_exec(conn, "session setup", sql, 1, values, &res, NULL,
	                     NULL, 60 * 1000);
	pgconn_result_free(res);
	return status;
}

Pgconn *
pgconn_connect(const char *dsn, const char *application_name, bool replication,
               int64_t statement_timeout_ms, PgconnStatus *status)
{
	const char *keys[4] = {"dbname", "application_name", NULL, NULL};
	const char *values[4] = {dsn, application_name, NULL, NULL};
	Pgconn *conn = calloc(1, sizeof(*conn));
	char *safe;
	char *error;

	if (conn == NULL)
	{
		common_out_of_memory("connection");
	}
	if (replication)
	{
		keys[2] = "replication";
		values[2] = "database";
	}
	/* expand_dbname: dsn may be a conninfo string or a URI */
	conn->conn = PQconnectdbParams(keys, values, 1);
	if (conn->conn == NULL || PQstatus(conn->conn) != CONNECTION_OK)
	{
		safe = pgconn_redact(dsn);
		error = pgconn_safe_error(dsn, conn->conn ? PQerrorMessage(conn->conn)
		                                          : "out of memory");
		log_error("could not connect to \"%s\"%s: %s", safe ? safe : "",
		          replication ? " for replication" : "", error);
		free(safe);
		free(error);
		/* a wrong password or database does not fix itself, but the
		 * server starting up or a network blip does: retry both, with
		 * backoff, and let the operator see the messages */
		*status = PGCONN_RETRY;
		pgconn_finish(conn);
		return NULL;
	}
	pgconn_describe_set(conn);
	if (!replication)
	{
		*status = pgconn_configure(conn, statement_timeout_ms);
		if (*status != PGCONN_OK)
		{
			pgconn_finish(conn);
			return NULL;
		}
	}
	log_debug("connected %s", conn->description);
	*status = PGCONN_OK;
	return conn;
}

void
pgconn_finish(Pgconn *conn)
{
	if (conn == NULL)
	{
		return;
	}
	PQfinish(conn->conn);
	free(conn);
}

const char *
pgconn_describe(const Pgconn *conn)
{
	return conn->description;
}

int
pgconn_socket(const Pgconn *conn)
{
	return PQsocket(conn->conn);
}

bool
pgconn_is_bad(const Pgconn *conn)
{
	return conn == NULL || conn->is_broken ||
	       PQstatus(conn->conn) == CONNECTION_BAD;
}

struct pg_conn *
pgconn_libpq(Pgconn *conn)
{
	return conn->conn;
}

static void
pgconn_poll(int fd, int64_t timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	(void)poll(&pfd, 1, timeout_ms > 1000 ? 1000 : (int)timeout_ms);
}

/*
 * Wait until the next result can be read without blocking, serving wait
 * meanwhile. False (logged) when none came by deadline (the connection is
 * then closed) or the connection failed.
 */
static bool
pgconn_await(Pgconn *conn, const char *what, PgconnWaitFn wait, void *arg,
             int64_t deadline, int64_t timeout_ms)
{
	int fd = PQsocket(conn->conn);

	while (PQisBusy(conn->conn))
	{
		int64_t remain_ms = (deadline - common_monotonic_us()) / 1000;

		if (remain_ms <= 0)
		{
			log_error("%s on %s: no answer within %lld ms, closing the "
			          "connection",
			          what, conn->description, (long long)timeout_ms);
			conn->is_broken = true;
			return false;
		}
		if (wait != NULL)
		{
			wait(arg, fd, remain_ms);
		}
		else
		{
			pgconn_poll(fd, remain_ms);
		}
		if (!PQconsumeInput(conn->conn))
		{
			pgconn_log_error(conn, what, NULL);
			return false;
		}
	}
	return true;
}

/*
 * Wait for every result of the query just sent, keeping the last good one.
 * The first error is logged and decides the status; the rest are drained so
 * the connection is ready for the next query.
 */
static PgconnStatus
pgconn_wait(Pgconn *conn, const char *what, PgconnResult **result,
            PgconnWaitFn wait, void *arg, int64_t timeout_ms)
{
	int64_t deadline = common_monotonic_us() + timeout_ms * 1000;
	PGresult *last = NULL;
	PgconnStatus status = PGCONN_OK;

	conn->last_sqlstate[0] = '\0';
	for (;;)
	{
		PGresult *res;

		if (!pgconn_await(conn, what, wait, arg, deadline, timeout_ms))
		{
			PQclear(last);
			return PGCONN_RETRY;
		}
		res = PQgetResult(conn->conn);
		if (res == NULL)
		{
			break;
		}
		ExecStatusType rs = PQresultStatus(res);
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		{
			PQclear(last);
			last = res;
			continue;
		}
		if (status == PGCONN_OK)
		{
			snprintf(conn->last_sqlstate, sizeof(conn->last_sqlstate), "%s",
			         pgconn_sqlstate(res));
			pgconn_log_error(conn, what, res);
			status = pgconn_classify(conn, pgconn_sqlstate(res));
		}
		PQclear(res);
	}
	if (status != PGCONN_OK || result == NULL)
	{
		PQclear(last);
		return status;
	}
	*result = NULL;
	if (last != NULL)
	{
		*result = malloc(sizeof(PgconnResult));
		if (*result == NULL)
		{
			common_out_of_memory("query result");
		}
		(*result)->res = last;
	}
	return status;
}

static PgconnStatus
pgconn_sent(Pgconn *conn, const char *what, int sent)
{
	if (!sent)
	{
		pgconn_log_error(conn, what, NULL);
		return pgconn_classify(conn, "");
	}
	return PGCONN_OK;
}

PgconnStatus
pgconn_exec(Pgconn *conn, const char *what, const char *sql, int nparams,
            const char *const *values, PgconnResult **result, PgconnWaitFn wait,
            void *arg, int64_t timeout_ms)
{
	int sent;

	if (result != NULL)
	{
		*result = NULL;
	}
	if (nparams == 0)
	{
		sent = PQsendQuery(conn->conn, sql);
	}
	else
	{
		sent = PQsendQueryParams(conn->conn, sql, nparams, NULL, values, NULL,
		                         NULL, 0);
	}
	if (pgconn_sent(conn, what, sent) != PGCONN_OK)
	{
		return PGCONN_RETRY;
	}
	return pgconn_wait(conn, what, result, wait, arg, timeout_ms);
}

PgconnStatus
pgconn_prepare(Pgconn *conn, const char *what, const char *name,
               const char *sql, int nparams, const unsigned int *types)
{
	int sent = PQsendPrepare(conn->conn, name, sql, nparams, types);

	if (pgconn_sent(conn, what, sent) != PGCONN_OK)
	{
		return PGCONN_RETRY;
	}
	return pgconn_wait(conn, what, NULL, NULL, NULL, 60 * 1000);
}

PgconnStatus
pgconn_exec_prepared(Pgconn *conn, const char *what, const char *name,
                     int nparams, const char *const *values,
                     PgconnResult **result, PgconnWaitFn wait, void *arg,
                     int64_t timeout_ms)
{
	int sent;

	if (result != NULL)
	{
		*result = NULL;
	}
	sent =
	    PQsendQueryPrepared(conn->conn, name, nparams, values, NULL, NULL, 0);
	if (pgconn_sent(conn, what, sent) != PGCONN_OK)
	{
		return PGCONN_RETRY;
	}
	return pgconn_wait(conn, what, result, wait, arg, timeout_ms);
}

int
pgconn_result_rows(const PgconnResult *result)
{
	return result ? PQntuples(result->res) : 0;
}

int
pgconn_result_columns(const PgconnResult *result)
{
	return result ? PQnfields(result->res) : 0;
}

const char *
pgconn_result_value(const PgconnResult *result, int row, int col)
{
	if (PQgetisnull(result->res, row, col))
	{
		return NULL;
	}
	return PQgetvalue(result->res, row, col);
}

void
pgconn_result_free(PgconnResult *result)
{
	if (result == NULL)
	{
		return;
	}
	PQclear(result->res);
	free(result);
}

bool
pgconn_check_shape(const PgconnResult *result, const char *what, int rows,
                   int columns)
{
	int r = pgconn_result_rows(result);
	int c = pgconn_result_columns(result);

	if ((rows >= 0 && r != rows) || c != columns)
	{
		log_error("%s: got %d rows, %d columns, expected %d rows, %d columns",
		          what, r, c, rows, columns);
		return false;
	}
	return true;
}

const char *
pgconn_last_sqlstate(const Pgconn *conn)
{
	return conn->last_sqlstate;
}
