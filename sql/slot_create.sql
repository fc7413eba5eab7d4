-- slot_create.sql: create a wal2json logical replication slot through the
-- SQL function (no exported snapshot: the daemon's bootstrap creates its
-- slot on the replication connection instead). Run by src/slot.c
-- (reckon-slot create).
-- $1 name: the slot, validated ([a-z0-9_]{1,63}).
-- Returns one row: its consistent point (pg_lsn as text).
SELECT lsn::text FROM
	pg_catalog.pg_create_logical_replication_slot($1, 'wal2json')
