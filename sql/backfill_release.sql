-- backfill_release.sql: release a finished run's claim (see
-- backfill_claim.sql). Run by src/backfill.c once the run is finished.
-- $1 integer: the lock class; $2 integer: the run.
-- Returns one row: whether this session held it.
SELECT pg_catalog.pg_advisory_unlock($1::integer, $2::integer)
