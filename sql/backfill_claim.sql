-- backfill_claim.sql: claim a backfill run for this session (a session
-- advisory lock, held until the run is finished or the session ends), so
-- two processes never run one. Run by src/backfill.c for each run it
-- plans or resumes.
-- $1 integer: the lock class (the batch lock's + 1); $2 integer: the run.
-- Returns one row: true when claimed, false when another session holds it.
SELECT pg_catalog.pg_try_advisory_lock($1::integer, $2::integer)
