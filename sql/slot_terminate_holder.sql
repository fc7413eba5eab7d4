-- slot_terminate_holder.sql: end the backend holding a slot, waiting up
-- to 5 s for it to go. Run by tools/reckon_slot.c (drop --force) before
-- each attempt to drop.
-- $1 name: the slot. Returns one row per holder (whether it ended).
SELECT pg_catalog.pg_terminate_backend(active_pid, 5000)
FROM pg_catalog.pg_replication_slots
WHERE slot_name = $1 AND active_pid IS NOT NULL
