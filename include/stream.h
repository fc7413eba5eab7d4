/*
 * stream.h: the logical replication connection: CREATE_REPLICATION_SLOT
 * (--create-slot), START_REPLICATION with wal2json, the CopyBoth loop,
 * standby status updates.
 *
 * Pipeline: [stream] -> decode -> apply -> dirty ... ack -> [stream]. The
 * stream hands every XLogData payload and keepalive to its consumer through
 * StreamCallbacks and reports as flushed only what the consumer's flush_lsn
 * callback (ack.c) returns.
 */
#ifndef RECKON_STREAM_H
#define RECKON_STREAM_H

#include "common.h"
#include "config.h"
#include "pgconn.h"

typedef struct StreamCallbacks
{
	/*
	 * on_data: one wal2json message starting at lsn. Returns false when the
	 * message cannot be processed; the stream then stops for good (nothing
	 * past the message can be acknowledged).
	 */
	bool (*on_data)(void *arg, Lsn lsn, const char *data, size_t len);
	/* on_keepalive: the server has sent everything before wal_end. */
	void (*on_keepalive)(void *arg, Lsn wal_end);
	/* flush_lsn: the position to confirm as flushed now. */
	Lsn (*flush_lsn)(void *arg);
	/* can_read: false while the consumer is full (backpressure). */
	bool (*can_read)(void *arg);
} StreamCallbacks;

typedef enum StreamState
{
	STREAM_OK,
	STREAM_LOST, /* connection lost: reconnect with backoff */
	STREAM_FATAL /* a message could not be processed, or a server error
	              * that a reconnect cannot fix (see stream_slot_error) */
} StreamState;

/*
 * StreamSlotError: what a failed stream_start() or stream_service() says
 * about the slot, from the server's SQLSTATE (and message, where one
 * SQLSTATE covers several causes). Connection trouble (08xxx, 57P0x) and
 * other errors are STREAM_SLOT_OK: the slot itself is not known to be bad.
 */
typedef enum StreamSlotError
{
	STREAM_SLOT_OK,
	STREAM_SLOT_BUSY,       /* 55006: active for another process */
	STREAM_SLOT_MISSING,    /* 42704: it does not exist (was dropped) */
	STREAM_SLOT_INVALIDATED /* 55000 "cannot read from logical replication
	                         * slot" (invalidated), or 58P01 "requested WAL
	                         * segment ... has already been removed" */
} StreamSlotError;

typedef struct Stream Stream;

/*
 * The wal2json options reckon streams with, formatted three ways: for
 * START_REPLICATION ("name" 'value', ...), as NAME=VALUE lines (what
 * pg_recvlogical -o takes; `reckon --plugin-options` prints them), and as the
 * elements of a text[] literal (pg_logical_slot_peek_changes' options).
 */
typedef enum StreamOptionsStyle
{
	STREAM_OPTIONS_COMMAND,
	STREAM_OPTIONS_LINES,
	STREAM_OPTIONS_ARRAY
} StreamOptionsStyle;

/* the size of a buffer stream_plugin_options never truncates */
#define STREAM_OPTIONS_MAX (CONFIG_TABLES_MAX * (2 * CONFIG_NAME_MAX + 2) + 256)

/* stream_plugin_options: config's plugin options, in style, into buf. */
void stream_plugin_options(const Config *config, StreamOptionsStyle style,
                           char *buf, size_t size);

/*
 * stream_set_config: borrow a reloaded configuration from now on (its
 * timings apply at once); the connection is kept. Its slot and tables are
 * those of the running one (config_reload_check).
 */
void stream_set_config(Stream *stream, const Config *config);

/* stream_create: an unconnected stream; config and arg are borrowed. */
Stream *stream_create(const Config *config, StreamCallbacks callbacks,
                      void *arg);
void stream_destroy(Stream *stream);

/*
 * stream_start: connect in replication mode, IDENTIFY_SYSTEM and
 * START_REPLICATION on the configured slot from its confirmed position
 * (on the connection that created the slot, if it has run nothing since).
 * RETRY covers a busy slot (SQLSTATE 55006) and connection trouble; FAIL a
 * missing or invalidated slot and any other error a retry cannot fix.
 * stream_slot_error() then tells the slot's cases apart. The server's error
 * is logged here, at DEBUG for a busy slot (the caller says who holds it).
 */
PgconnStatus stream_start(Stream *stream) WARN_UNUSED;

/*
 * stream_create_slot: connect and create the configured slot with
 * CREATE_REPLICATION_SLOT ... LOGICAL wal2json, exporting a snapshot when
 * export_snapshot is set (its name into snapshot, "" otherwise) and its
 * consistent point into *consistent. The connection then stays idle, so
 * the snapshot stays importable (SET TRANSACTION SNAPSHOT) until the
 * stream_start() that streams from that point on it. FAIL names the cause:
 * a slot created meanwhile, a server that cannot decode.
 */
PgconnStatus stream_create_slot(Stream *stream, bool export_snapshot,
                                char *snapshot, size_t snapshot_size,
                                Lsn *consistent) WARN_UNUSED;

/*
 * stream_slot_error: what the last failed stream_start() or the last
 * stream_service() that did not return STREAM_OK found out about the slot.
 */
StreamSlotError stream_slot_error(const Stream *stream);

bool stream_is_connected(const Stream *stream);

/*
 * stream_service: wait up to timeout_ms for the replication socket (while
 * the consumer can read) or other_fd (-1: none) to be readable, then
 * process every message already received and send a status update if one is
 * due or was asked for. Returns the stream's state; on LOST the connection
 * is closed and stream_start() may be called again. An error from the
 * server that means the slot is gone or lost its WAL (stream_slot_error()
 * MISSING or INVALIDATED) is FATAL: a reconnect cannot bring it back.
 */
StreamState stream_service(Stream *stream, int other_fd, int64_t timeout_ms);

/*
 * stream_send_status: send a standby status update now with the consumer's
 * flush position; reply_requested asks the server for a keepalive back.
 */
bool stream_send_status(Stream *stream, bool reply_requested) WARN_UNUSED;

/*
 * stream_finish: a last status update, then end the copy and wait for the
 * server to acknowledge it, so the confirmed position is in place before
 * the process exits. Closes the connection.
 */
void stream_finish(Stream *stream);

/* stream_server_lsn: the server's WAL end from its last message. */
Lsn stream_server_lsn(const Stream *stream);
/* stream_sent_flush_lsn: the flush position last reported. */
Lsn stream_sent_flush_lsn(const Stream *stream);

#endif
