-- backfill_finish_run.sql: mark a backfill run finished (every key done).
-- Run by src/backfill.c when a run's page comes back empty.
-- $1 bigint: the run. No rows returned.
UPDATE reckon.backfill_runs SET finished_at = now() WHERE run_id = $1
