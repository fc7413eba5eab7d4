-- backfill_load.sql: the unfinished backfill runs of a slot, of one kind
-- and for one processor, each with the last key its recorded batches
-- reached. Run by src/backfill.c before it plans (a run killed midway is
-- resumed, not started again).
-- $1 text: the slot; $2 text: the kind ('bootstrap' or 'manual');
-- $3 text: the processor ('' for every member of a group).
-- Returns per run: run_id, group_name, the last key done (the smallest
-- bigint when none), the batches and the keys done before.
SELECT r.run_id, r.group_name,
	coalesce(max(b.last_key), -9223372036854775808), count(b.run_id),
	coalesce(sum(b.keys), 0)
FROM reckon.backfill_runs r
LEFT JOIN reckon.backfill_batches b ON b.run_id = r.run_id
WHERE r.slot_name = $1 AND r.kind = $2
	AND coalesce(r.processor, '') = $3 AND r.finished_at IS NULL
GROUP BY r.run_id ORDER BY r.run_id
