-- replay_lsn.sql: how far the read server (a hot standby) has replayed
-- the primary's WAL; NULL when it is not in recovery. No parameters; one
-- row, one column (pg_lsn as text). Run by src/replica.c, the fence before
-- a batch's reads on the read server.
SELECT pg_catalog.pg_last_wal_replay_lsn()::text
