-- slot_peek.sql: a slot's next changes, without consuming them. Run by
-- tools/reckon_slot.c (peek).
-- $1 name: the slot; $2 int: at most this many changes;
-- $3 text[]: wal2json's options, as the stream sets them.
-- Returns per change: its LSN (pg_lsn as text) and wal2json's line.
SELECT lsn::text, data FROM
	pg_catalog.pg_logical_slot_peek_changes($1, NULL, $2::int,
		VARIADIC $3::text[])
LIMIT $2::int
