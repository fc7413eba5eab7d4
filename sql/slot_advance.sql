-- slot_advance.sql: move a slot's confirmed position forward, giving up
-- the changes before it. Run by tools/reckon_slot.c (advance).
-- $1 name: the slot; $2 text: the target (pg_lsn), or NULL for the
-- current WAL position.
-- Returns one row: the position reached (pg_lsn as text).
SELECT end_lsn::text FROM
	pg_catalog.pg_replication_slot_advance($1,
		coalesce($2::pg_lsn, pg_catalog.pg_current_wal_lsn()))
