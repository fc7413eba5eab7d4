-- slot_drop.sql: drop a replication slot. Run by tools/reckon_slot.c
-- (drop). $1 name: the slot. Returns one row, unused.
SELECT pg_catalog.pg_drop_replication_slot($1)
