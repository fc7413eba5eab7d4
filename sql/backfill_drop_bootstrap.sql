-- backfill_drop_bootstrap.sql: forget a slot's unfinished bootstrap runs
-- and their batches: they were for a slot that no longer exists, and the
-- new bootstrap covers every key. Run by src/backfill.c when it plans a
-- bootstrap, in the planning transaction.
-- $1 text: the slot. No rows returned.
WITH gone AS (
	DELETE FROM reckon.backfill_runs
	WHERE slot_name = $1 AND kind = 'bootstrap' AND finished_at IS NULL
	RETURNING run_id)
DELETE FROM reckon.backfill_batches
WHERE run_id IN (SELECT run_id FROM gone)
