/*
 * stream.c: the replication protocol (see stream.h). The only file that
 * speaks it. Messages inside the CopyBoth stream, all integers big-endian:
 *
 *   'w' XLogData         from server: Int64 dataStart, Int64 walEnd,
 *                        Int64 sendTime, then one wal2json message
 *   'k' keepalive        from server: Int64 walEnd, Int64 sendTime,
 *                        Byte1 replyRequested
 *   'r' status update    from us: Int64 write, Int64 flush, Int64 apply,
 *                        Int64 sendTime, Byte1 replyRequested
 *
 * Times are microseconds since 2000-01-01. We report write = what we have
 * received, flush = apply = what ack.c says is recomputed and committed:
 * the server keeps WAL for everything after flush, so a crash loses nothing.
 *
 * The server ends the copy with an ErrorResponse: PQgetCopyData() returns
 * -1 and PQgetResult() holds the error. A terminated walsender (57P01, also
 * what the checkpointer does to the holder of a slot it invalidates) is
 * worth a reconnect; WAL removed under the slot (58P01 "requested WAL
 * segment ... has already been removed") is not. START_REPLICATION itself
 * fails with 55006 (slot active elsewhere), 42704 (no such slot) or 55000
 * (invalidated); see stream_classify().
 */
#include "stream.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define LOG_MODULE "stream"
#include "log.h"
#include "lsn.h"

/* the START_REPLICATION command around the plugin options */
#define STREAM_COMMAND_MAX (STREAM_OPTIONS_MAX + 256)

/* 2000-01-01 minus 1970-01-01, in microseconds */
#define STREAM_EPOCH_OFFSET_US INT64_C(946684800000000)

struct Stream
{
	const Config *config; /* borrowed */
	StreamCallbacks cb;
	void *arg;      /* borrowed */
	Pgconn *conn;   /* owned; NULL when disconnected */
	Lsn received;   /* end of the last XLogData received */
	Lsn server_end; /* walEnd of the server's last message */
	Lsn sent_flush; /* flush position of the last status update */
	int64_t last_status_us;
	/* monotonic time the server was last heard from, or we last stopped
	 * reading (a paused stream's silence is ours) */
	int64_t last_heard_us;
	int64_t asked_us; /* when a status update last asked for a reply */
	bool status_requested;
	StreamSlotError slot_error; /* of the last failure */
	char system[64];            /* "systemid/timeline" last connected to */
	/*
	 * conn created the slot and has run nothing since: it may hold the
	 * slot's exported snapshot, which the next command would release, so
	 * stream_start() starts on it instead of reconnecting.
	 */
	bool is_fresh;
};

Stream *
stream_create(const Config *config, StreamCallbacks callbacks, void *arg)
{
	Stream *stream = calloc(1, sizeof(*stream));

	if (stream == NULL)
	{
		common_out_of_memory("stream");
	}
	stream->config = config;
	stream->cb = callbacks;
	stream->arg = arg;
	return stream;
}

void
stream_set_config(Stream *stream, const Config *config)
{
	/* the same slot and tables: the command already sent stays right */
	ASSERT(strcmp(stream->config->slot, config->slot) == 0);
	stream->config = config;
}

static void
stream_close(Stream *stream)
{
	pgconn_finish(stream->conn);
	stream->conn = NULL;
	stream->is_fresh = false;
}

void
stream_destroy(Stream *stream)
{
	if (stream == NULL)
	{
		return;
	}
	stream_close(stream);
	free(stream);
}

bool
stream_is_connected(const Stream *stream)
{
	/* a fresh connection created the slot but streams nothing yet */
	return stream->conn != NULL && !stream->is_fresh;
}

Lsn
stream_server_lsn(const Stream *stream)
{
	return stream->server_end;
}

Lsn
stream_sent_flush_lsn(const Stream *stream)
{
	return stream->sent_flush;
}

StreamSlotError
stream_slot_error(const Stream *stream)
{
	return stream->slot_error;
}

/*
 * stream_classify: what an error result says about the slot. 42704 at
 * START_REPLICATION can only be the slot; 55000 and 58P01 have other causes
 * too (wal_level, another database; a missing plugin library), so for those
 * the message decides. A server with translated messages falls through to
 * STREAM_SLOT_OK here, and the caller may still inspect the slot.
 */
static StreamSlotError
stream_classify(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	if (state == NULL || primary == NULL)
	{
		return STREAM_SLOT_OK;
	}
	if (strcmp(state, "55006") == 0)
	{
		return STREAM_SLOT_BUSY;
	}
	if (strcmp(state, "42704") == 0)
	{
		return STREAM_SLOT_MISSING;
	}
	/* PG 13-15 say "cannot read from", PG 16+ "can no longer get changes" */
	if (strcmp(state, "55000") == 0 &&
	    (strstr(primary, "cannot read from logical replication slot") ||
	     strstr(primary, "can no longer get changes") ||
	     (detail != NULL && strstr(detail, "invalidated") != NULL)))
	{
		return STREAM_SLOT_INVALIDATED;
	}
	if (strcmp(state, "58P01") == 0 &&
	    strstr(primary, "has already been removed") != NULL)
	{
		return STREAM_SLOT_INVALIDATED;
	}
	return STREAM_SLOT_OK;
}

/* stream_log_result: a server error in the usual form, or libpq's own. */
static void
stream_log_result(Stream *stream, LogLevel level, const char *what,
                  const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	if (state == NULL || primary == NULL)
	{
		LOG_AT(level, "%s on %s: %s", what, pgconn_describe(stream->conn),
		       PQerrorMessage(pgconn_libpq(stream->conn)));
		return;
	}
	LOG_AT(level, "%s on %s: SQLSTATE %s: %s%s%s", what,
	       pgconn_describe(stream->conn), state, primary,
	       detail ? "\nDETAIL: " : "", detail ? detail : "");
}

static void
stream_put64(char *buf, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
	{
		buf[i] = (char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
stream_get64(const char *buf)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
	{
		v = (v << 8) | (unsigned char)buf[i];
	}
	return v;
}

/*
 * The command is formatted, as walsender commands take no parameters, but
 * only from a slot name validated by config.c ([a-z0-9_]) and table names
 * that are validated unquoted identifiers, so nothing can break out of it.
 */
/*
 * wal2json format-version 2 with the xid, commit time and commit LSN of
 * each transaction (apply.c, the latency log and the standby fence need
 * them), without column
 * types (the decoder reads values by column name), and only the tables the
 * catalogue watches, so the walsender filters the rest out before sending.
 */
static const char *const stream_fixed_options[][2] = {
    {"format-version", "2"}, {"include-xids", "1"},  {"include-timestamp", "1"},
    {"include-lsn", "1"},    {"include-types", "0"},
};

/* Append one option, or its name and the opening of its value when value
 * is NULL (the table list follows), to buf in style. */
static size_t
stream_append_option(char *buf, size_t size, size_t used,
                     StreamOptionsStyle style, const char *name,
                     const char *value)
{
	if (used >= size)
	{
		return used;
	}
	buf += used;
	size -= used;
	switch (style)
	{
		case STREAM_OPTIONS_COMMAND:
			return used + (size_t)(value
			                           ? snprintf(buf, size, "\"%s\" '%s', ",
			                                      name, value)
			                           : snprintf(buf, size, "\"%s\" '", name));
		case STREAM_OPTIONS_LINES:
			return used +
			       (size_t)(value ? snprintf(buf, size, "%s=%s\n", name, value)
			                      : snprintf(buf, size, "%s=", name));
		case STREAM_OPTIONS_ARRAY:
			return used +
			       (size_t)(value ? snprintf(buf, size, "%s,%s,", name, value)
			                      : snprintf(buf, size, "%s,\"", name));
	}
	return used;
}

void
stream_plugin_options(const Config *config, StreamOptionsStyle style, char *buf,
                      size_t size)
{
	static const char *const tables_close[] = {
	    [STREAM_OPTIONS_COMMAND] = "'",
	    [STREAM_OPTIONS_LINES] = "\n",
	    [STREAM_OPTIONS_ARRAY] = "\"",
	};
	size_t used = 0;

	ASSERT(size > 0);
	buf[0] = '\0';
	for (size_t i = 0;
	     i < sizeof(stream_fixed_options) / sizeof(stream_fixed_options[0]);
	     i++)
	{
		used = stream_append_option(buf, size, used, style,
		                            stream_fixed_options[i][0],
		                            stream_fixed_options[i][1]);
	}
	/*
	 * Table names are validated identifiers (letters, digits, _ and $, a
	 * dot between): no quoting or escaping is needed in any of the
	 * styles.
	 */
	used = stream_append_option(buf, size, used, style, "add-tables", NULL);
	for (int i = 0; i < config->ntables && used < size; i++)
	{
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
		                         i > 0 ? "," : "", config->tables[i]);
	}
	if (used < size)
	{
		snprintf(buf + used, size - used, "%s", tables_close[style]);
	}
}

static void
stream_format_start(const Stream *stream, char *buf, size_t size)
{
	char options[STREAM_OPTIONS_MAX];

	stream_plugin_options(stream->config, STREAM_OPTIONS_COMMAND, options,
	                      sizeof(options));
	snprintf(buf, size, "START_REPLICATION SLOT %s LOGICAL 0/0 (%s)",
	         stream->config->slot, options);
}

static PgconnStatus
stream_identify(Stream *stream)
{
	PgconnResult *res = NULL;
	PgconnStatus status;
	char system[sizeof(stream->system)];

	status = pgconn_exec(stream->conn, "IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM", 0,
	                     NULL, &res, NULL, NULL, 60 * 1000);
	if (status != PGCONN_OK)
	{
		return status;
	}
	if (!pgconn_check_shape(res, "IDENTIFY_SYSTEM", 1, 4))
	{
		pgconn_result_free(res);
		return PGCONN_FAIL;
	}
	if (pgconn_result_value(res, 0, 3) == NULL)
	{
		log_error("IDENTIFY_SYSTEM on %s: the connection is not to a database "
		          "(a logical slot needs replication=database)",
		          pgconn_describe(stream->conn));
		pgconn_result_free(res);
		return PGCONN_FAIL;
	}
	/* a reconnect to the same system says so at DEBUG: not per retry */
	snprintf(system, sizeof(system), "%s/%s", pgconn_result_value(res, 0, 0),
	         pgconn_result_value(res, 0, 1));
	LOG_AT(strcmp(system, stream->system) == 0 ? LOG_LEVEL_DEBUG
	                                           : LOG_LEVEL_INFO,
	       "connected to system %s, timeline %s, WAL at %s, database \"%s\"",
	       pgconn_result_value(res, 0, 0), pgconn_result_value(res, 0, 1),
	       pgconn_result_value(res, 0, 2), pgconn_result_value(res, 0, 3));
	memcpy(stream->system, system, sizeof(system));
	pgconn_result_free(res);
	return PGCONN_OK;
}

/* Connect in replication mode and identify the system. */
static PgconnStatus
stream_connect(Stream *stream)
{
	PgconnStatus status;

	stream->conn =
	    pgconn_connect(stream->config->dsn, "reckon", true, 0, &status);
	if (stream->conn == NULL)
	{
		return status;
	}
	status = stream_identify(stream);
	if (status != PGCONN_OK)
	{
		stream_close(stream);
	}
	return status;
}

/*
 * The server cannot decode: a standby before PostgreSQL 16 says so with
 * 0A000 "logical decoding cannot be used while in recovery"; wal_level
 * below logical is 55000 "logical decoding requires wal_level >= logical".
 */
static void
stream_log_create_error(Stream *stream, PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char what[CONFIG_NAME_MAX + 64];

	snprintf(what, sizeof(what), "CREATE_REPLICATION_SLOT \"%s\" failed",
	         stream->config->slot);
	stream_log_result(stream, LOG_LEVEL_ERROR, what, res);
	if (state != NULL && strcmp(state, "42710") == 0)
	{
		log_error("replication slot \"%s\" was created by another process "
		          "meanwhile: start reckon again without --create-slot, "
		          "or drop it (reckon-slot drop %s)",
		          stream->config->slot, stream->config->slot);
	}
	else if (message != NULL && strstr(message, "recovery") != NULL)
	{
		log_error("the server is a standby that cannot decode: logical "
		          "decoding on a standby needs PostgreSQL 16 or later "
		          "(with hot_standby_feedback on); point --dsn at the "
		          "primary, or at a standby of version 16 or later");
	}
}

PgconnStatus
stream_create_slot(Stream *stream, bool export_snapshot, char *snapshot,
                   size_t snapshot_size, Lsn *consistent)
{
	char command[CONFIG_NAME_MAX + 96];
	const char *point;
	const char *name;
	PgconnStatus status;
	PGresult *res;

	stream_close(stream);
	status = stream_connect(stream);
	if (status != PGCONN_OK)
	{
		return status;
	}
	/*
	 * The slot name is a validated identifier (config.c): letters, digits
	 * and underscores only, nothing to quote. EXPORT_SNAPSHOT is the form
	 * every server since 10 takes (15 also spells it (SNAPSHOT 'export')).
	 */
	snprintf(command, sizeof(command),
	         "CREATE_REPLICATION_SLOT %s LOGICAL wal2json %s",
	         stream->config->slot,
	         export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
	res = PQexec(pgconn_libpq(stream->conn), command);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != 4 ||
	    PQntuples(res) != 1)
	{
		stream_log_create_error(stream, res);
		status = PQstatus(pgconn_libpq(stream->conn)) == CONNECTION_OK
		             ? PGCONN_FAIL
		             : PGCONN_RETRY;
		PQclear(res);
		stream_close(stream);
		return status;
	}
	point = PQgetvalue(res, 0, 1);
	name = PQgetisnull(res, 0, 2) ? "" : PQgetvalue(res, 0, 2);
	/* the name goes into SET TRANSACTION SNAPSHOT: hex digits and dashes */
	if (!lsn_parse(point, consistent) || strlen(name) >= snapshot_size ||
	    strspn(name, "0123456789ABCDEFabcdef-") != strlen(name) ||
	    (export_snapshot && name[0] == '\0'))
	{
		log_error("CREATE_REPLICATION_SLOT \"%s\" returned consistent point "
		          "\"%s\" and snapshot \"%s\", which reckon cannot use",
		          stream->config->slot, point, name);
		PQclear(res);
		stream_close(stream);
		return PGCONN_FAIL;
	}
	snprintf(snapshot, snapshot_size, "%s", name);
	PQclear(res);
	stream->is_fresh = true;
	log_info("created replication slot \"%s\" with wal2json at %X/%X%s%s",
	         stream->config->slot, LSN_FORMAT_ARGS(*consistent),
	         export_snapshot ? ", snapshot " : "", snapshot);
	return PGCONN_OK;
}

PgconnStatus
stream_start(Stream *stream)
{
	PGresult *res;
	char command[STREAM_COMMAND_MAX];
	char what[CONFIG_NAME_MAX + 64];
	PgconnStatus status;
	const char *state;

	stream->slot_error = STREAM_SLOT_OK;
	if (stream->conn == NULL || !stream->is_fresh ||
	    pgconn_is_bad(stream->conn))
	{
		stream_close(stream);
		status = stream_connect(stream);
		if (status != PGCONN_OK)
		{
			return status;
		}
	}
	stream->is_fresh = false;
	stream_format_start(stream, command, sizeof(command));
	res = PQexec(pgconn_libpq(stream->conn), command);
	if (PQresultStatus(res) == PGRES_COPY_BOTH)
	{
		PQclear(res);
		stream->last_status_us = common_monotonic_us();
		stream->last_heard_us = stream->last_status_us;
		stream->asked_us = 0;
		stream->status_requested = false;
		log_info("streaming from slot \"%s\" (tables %d, %s)",
		         stream->config->slot, stream->config->ntables,
		         pgconn_describe(stream->conn));
		return PGCONN_OK;
	}
	stream->slot_error = stream_classify(res);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	snprintf(what, sizeof(what), "START_REPLICATION on slot \"%s\" failed",
	         stream->config->slot);
	stream_log_result(stream,
	                  stream->slot_error == STREAM_SLOT_BUSY ? LOG_LEVEL_DEBUG
	                                                         : LOG_LEVEL_ERROR,
	                  what, res);
	status = (stream->slot_error == STREAM_SLOT_BUSY || state == NULL ||
	          strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)
	             ? PGCONN_RETRY
	             : PGCONN_FAIL;
	PQclear(res);
	stream_close(stream);
	return status;
}

bool
stream_send_status(Stream *stream, bool reply_requested)
{
	char msg[1 + 8 * 4 + 1];
	PGconn *pq;
	Lsn flush;
	Lsn write;
	int64_t now_us = common_now_us() - STREAM_EPOCH_OFFSET_US;

	if (stream->conn == NULL)
	{
		return false;
	}
	flush = stream->cb.flush_lsn(stream->arg);
	/* paired with ack.c's own check: the confirmed LSN never goes back */
	ASSERT(flush >= stream->sent_flush);
	write = stream->received > flush ? stream->received : flush;
	msg[0] = 'r';
	stream_put64(msg + 1, write);
	stream_put64(msg + 9, flush);
	stream_put64(msg + 17, flush);
	stream_put64(msg + 25, (uint64_t)now_us);
	msg[33] = reply_requested ? 1 : 0;
	pq = pgconn_libpq(stream->conn);
	if (PQputCopyData(pq, msg, sizeof(msg)) <= 0 || PQflush(pq) != 0)
	{
		log_error("could not send status update on %s: %s",
		          pgconn_describe(stream->conn), PQerrorMessage(pq));
		return false;
	}
	if (flush != stream->sent_flush)
	{
		log_debug("status update: write %X/%X flush %X/%X",
		          LSN_FORMAT_ARGS(write), LSN_FORMAT_ARGS(flush));
	}
	stream->sent_flush = flush;
	stream->last_status_us = common_monotonic_us();
	stream->status_requested = false;
	return true;
}

static StreamState
stream_handle(Stream *stream, const char *buf, int len)
{
	if (len >= 25 && buf[0] == 'w')
	{
		Lsn start = stream_get64(buf + 1);
		Lsn wal_end = stream_get64(buf + 9);
		size_t data_len = (size_t)len - 25;

		if ((int64_t)data_len > stream->config->message_max_bytes)
		{
			log_error("message at %X/%X is %zu bytes, over message_max_bytes "
			          "(%lld): raise the limit to process it",
			          LSN_FORMAT_ARGS(start), data_len,
			          (long long)stream->config->message_max_bytes);
			return STREAM_FATAL;
		}
		if (wal_end > stream->server_end)
		{
			stream->server_end = wal_end;
		}
		if (start > stream->received)
		{
			stream->received = start;
		}
		if (!stream->cb.on_data(stream->arg, start, buf + 25, data_len))
		{
			/* error already logged */
			return STREAM_FATAL;
		}
		return STREAM_OK;
	}
	if (len >= 18 && buf[0] == 'k')
	{
		Lsn wal_end = stream_get64(buf + 1);

		if (wal_end > stream->server_end)
		{
			stream->server_end = wal_end;
		}
		stream->cb.on_keepalive(stream->arg, wal_end);
		if (buf[17])
		{
			stream->status_requested = true;
		}
		return STREAM_OK;
	}
	log_error("unexpected replication message of %d bytes, type 0x%02x, on %s",
	          len, len > 0 ? (unsigned char)buf[0] : 0,
	          pgconn_describe(stream->conn));
	return STREAM_LOST;
}

static StreamState
stream_lost(Stream *stream, const char *what)
{
	PGconn *pq = pgconn_libpq(stream->conn);

	log_error("replication connection %s lost (%s): %s",
	          pgconn_describe(stream->conn), what, PQerrorMessage(pq));
	stream_close(stream);
	return STREAM_LOST;
}

/*
 * The server ended the copy, normally with an error: a terminated walsender
 * (57P01) is worth a reconnect, WAL removed under the slot is not.
 */
static StreamState
stream_ended(Stream *stream)
{
	PGresult *res = PQgetResult(pgconn_libpq(stream->conn));
	StreamState state = STREAM_LOST;

	if (PQresultStatus(res) == PGRES_FATAL_ERROR)
	{
		stream->slot_error = stream_classify(res);
		stream_log_result(stream, LOG_LEVEL_ERROR,
		                  "the server ended the replication stream", res);
	}
	else
	{
		log_error("the server ended the replication stream on %s (%s)",
		          pgconn_describe(stream->conn),
		          PQresStatus(PQresultStatus(res)));
	}
	if (stream->slot_error == STREAM_SLOT_MISSING ||
	    stream->slot_error == STREAM_SLOT_INVALIDATED)
	{
		state = STREAM_FATAL;
	}
	PQclear(res);
	stream_close(stream);
	return state;
}

/* Read what libpq already holds; bounded so recomputes get their turn. */
static StreamState
stream_read_available(Stream *stream)
{
	PGconn *pq = pgconn_libpq(stream->conn);

	if (!PQconsumeInput(pq))
	{
		return stream_lost(stream, "receive");
	}
	for (int n = 0; n < 10000 && stream->cb.can_read(stream->arg); n++)
	{
		char *buf = NULL;
		int len = PQgetCopyData(pq, &buf, 1);
		StreamState state;

		if (len == 0)
		{
			break;
		}
		stream->last_heard_us = common_monotonic_us();
		if (len == -1)
		{
			return stream_ended(stream);
		}
		if (len < 0)
		{
			return stream_lost(stream, "copy data");
		}
		state = stream_handle(stream, buf, len);
		PQfreemem(buf);
		if (state == STREAM_LOST)
		{
			stream_close(stream);
		}
		if (state != STREAM_OK)
		{
			return state;
		}
	}
	return STREAM_OK;
}

/* whether the server has been silent for half of replication_timeout */
static bool
stream_is_asking(const Stream *stream, int64_t now_us)
{
	int64_t timeout_us = stream->config->replication_timeout_ms * 1000;

	return timeout_us > 0 && now_us - stream->last_heard_us >= timeout_us / 2;
}

/*
 * Status updates, and the silence check. An idle walsender sends nothing
 * while our status updates keep coming, so after half of
 * replication_timeout without a word the update asks for a reply (a
 * keepalive); a server still silent at replication_timeout is gone, or
 * the path to it is (a connection that stalls without a reset would
 * otherwise hang reckon until TCP gives up, hours later).
 */
static StreamState
stream_check_silence(Stream *stream, int64_t interval_us)
{
	int64_t now_us = common_monotonic_us();
	int64_t silent_us = now_us - stream->last_heard_us;
	int64_t timeout_us = stream->config->replication_timeout_ms * 1000;
	bool ask = stream_is_asking(stream, now_us);
	/* once per silence: the keepalive it asks for ends the silence */
	bool ask_now = ask && stream->asked_us <= stream->last_heard_us;

	if (timeout_us > 0 && silent_us >= timeout_us)
	{
		log_error("replication connection %s: no message from the server "
		          "in %lld ms (replication_timeout): closing it",
		          pgconn_describe(stream->conn), (long long)(silent_us / 1000));
		stream_close(stream);
		return STREAM_LOST;
	}
	if (stream->status_requested || ask_now ||
	    now_us - stream->last_status_us >= interval_us)
	{
		if (!stream_send_status(stream, ask))
		{
			return stream_lost(stream, "status update");
		}
		if (ask)
		{
			stream->asked_us = now_us;
		}
	}
	return STREAM_OK;
}

StreamState
stream_service(Stream *stream, int other_fd, int64_t timeout_ms)
{
	struct pollfd pfd[2];
	int nfds = 0;
	int64_t interval_us = stream->config->status_interval_ms * 1000;
	int64_t now_us;
	int64_t due_us;
	bool reading;

	if (stream->conn == NULL)
	{
		return STREAM_LOST;
	}
	reading = stream->cb.can_read(stream->arg);
	now_us = common_monotonic_us();
	due_us = stream->last_status_us + interval_us - now_us;
	if (stream->config->replication_timeout_ms > 0)
	{
		/* wake to start asking (at half the timeout), then to give up */
		int64_t half_us = stream->config->replication_timeout_ms * 500;
		int64_t silence_due_us =
		    stream->last_heard_us +
		    (stream_is_asking(stream, now_us) ? 2 : 1) * half_us - now_us;

		if (silence_due_us < due_us)
		{
			due_us = silence_due_us;
		}
	}
	if (stream->status_requested)
	{
		due_us = 0;
	}
	if (due_us < timeout_ms * 1000)
	{
		timeout_ms = due_us > 0 ? (due_us + 999) / 1000 : 0;
	}
	if (reading)
	{
		pfd[nfds++] = (struct pollfd){.fd = pgconn_socket(stream->conn),
		                              .events = POLLIN};
	}
	if (other_fd >= 0)
	{
		pfd[nfds++] = (struct pollfd){.fd = other_fd, .events = POLLIN};
	}
	(void)poll(pfd, (nfds_t)nfds, timeout_ms > 60000 ? 60000 : (int)timeout_ms);
	if (reading)
	{
		StreamState state = stream_read_available(stream);

		if (state != STREAM_OK)
		{
			return state;
		}
	}
	else
	{
		stream->last_heard_us = common_monotonic_us();
	}
	return stream_check_silence(stream, interval_us);
}

void
stream_finish(Stream *stream)
{
	PGconn *pq;
	int64_t deadline = common_monotonic_us() + 10 * 1000 * 1000;

	if (stream->conn == NULL || stream->is_fresh)
	{
		stream_close(stream);
		return;
	}
	if (!stream_send_status(stream, false))
	{
		stream_close(stream);
		return;
	}
	pq = pgconn_libpq(stream->conn);
	/*
	 * Ending the copy and waiting for the server's CopyDone means the
	 * walsender has read our last status update before we go.
	 */
	if (PQputCopyEnd(pq, NULL) <= 0 || PQflush(pq) != 0)
	{
		stream_close(stream);
		return;
	}
	while (common_monotonic_us() < deadline)
	{
		char *buf = NULL;
		int len = PQgetCopyData(pq, &buf, 1);

		if (buf != NULL)
		{
			PQfreemem(buf);
		}
		if (len == 0)
		{
			struct pollfd pfd = {.fd = PQsocket(pq), .events = POLLIN};

			(void)poll(&pfd, 1, 100);
			if (!PQconsumeInput(pq))
			{
				break;
			}
			continue;
		}
		if (len < 0)
		{
			break;
		}
	}
	PQclear(PQgetResult(pq));
	log_info("replication stream closed, flush %X/%X reported",
	         LSN_FORMAT_ARGS(stream->sent_flush));
	stream_close(stream);
}
