-- heartbeat.sql: the daemon's heartbeat, a non-transactional logical
-- message with the prefix "reckon.heartbeat" (APPLY_HEARTBEAT_PREFIX in
-- include/apply.h), which the stream brings back to measure its latency.
-- Run by src/daemon.c every heartbeat_interval.
-- $1 text: the wall-clock time it is sent, in Unix microseconds.
-- Returns one row (the message's LSN), unused.
--
-- Non-transactional, so wal2json sends it on its own, outside any B..C, as
-- soon as its WAL is flushed. A statement without a transaction id commits
-- asynchronously, and in PostgreSQL 15 (pg_logical_emit_message has no
-- flush argument before 17) its record would then wait for the WAL writer
-- (up to wal_writer_delay, 200 ms): the latency would mostly measure that.
-- pg_current_xact_id() gives the statement an xid, so its commit flushes
-- the message at once, as a real commit is; the empty transaction itself
-- is not decoded.
SELECT pg_catalog.pg_logical_emit_message(false, 'reckon.heartbeat', $1)
FROM pg_catalog.pg_current_xact_id()
