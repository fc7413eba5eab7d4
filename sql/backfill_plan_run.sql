-- backfill_plan_run.sql: a new backfill run for one group. Run by
-- src/backfill.c when it plans, once per group, in one transaction.
-- $1 text: the slot; $2 text: the group; $3 text: the processor ('' for
-- every member); $4 text: the kind ('bootstrap' or 'manual').
-- Returns one row: the new run_id.
INSERT INTO reckon.backfill_runs (slot_name, group_name, processor, kind)
VALUES ($1, $2, nullif($3, ''), $4)
RETURNING run_id
