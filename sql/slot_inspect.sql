-- slot_inspect.sql: replication slots with what reckon and reckon-slot
-- show of them. Run by src/slot.c for slot_inspect ($1 a name) and
-- slot_list ($1 NULL), in the daemon and in reckon-slot.
-- $1 text: a slot's name, or NULL for every slot.
-- Returns 14 columns per slot, by name: name, is logical, plugin,
-- database, is this database, is active, active pid (0: none),
-- restart_lsn, confirmed_flush_lsn, wal_status, safe_wal_size (text, ''
-- when NULL), the bytes behind the current position from confirmed_flush
-- and from restart (-1 when NULL), and its holder ('' when inactive).
--
-- The current position is the receive position on a standby, where
-- pg_current_wal_lsn() fails. The holder comes from pg_stat_activity,
-- whose application_name and client_addr are NULL for other roles'
-- sessions without pg_read_all_stats: the pid alone is still printed.
WITH cur AS (SELECT CASE WHEN pg_catalog.pg_is_in_recovery()
	THEN pg_catalog.pg_last_wal_receive_lsn()
	ELSE pg_catalog.pg_current_wal_lsn() END AS lsn)
SELECT s.slot_name, s.slot_type = 'logical', coalesce(s.plugin, ''),
	coalesce(s.database, ''),
	s.database IS NOT DISTINCT FROM pg_catalog.current_database(),
	s.active, coalesce(s.active_pid, 0),
	coalesce(s.restart_lsn::text, ''),
	coalesce(s.confirmed_flush_lsn::text, ''), coalesce(s.wal_status, ''),
	coalesce(s.safe_wal_size::text, ''),
	coalesce(pg_catalog.pg_wal_lsn_diff(cur.lsn,
		s.confirmed_flush_lsn)::bigint, -1),
	coalesce(pg_catalog.pg_wal_lsn_diff(cur.lsn, s.restart_lsn)::bigint, -1),
	CASE WHEN s.active_pid IS NULL THEN '' ELSE 'pid ' || s.active_pid ||
		coalesce(' (application ' ||
		coalesce(nullif(a.application_name, ''), '?') || ', client ' ||
		coalesce(host(a.client_addr), 'local') || ', since ' ||
		date_trunc('second', a.backend_start) || ')', '') END
FROM pg_catalog.pg_replication_slots s CROSS JOIN cur
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = s.active_pid
WHERE $1::text IS NULL OR s.slot_name = $1::text ORDER BY s.slot_name
