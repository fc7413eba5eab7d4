-- backfill_record_batch.sql: record one committed backfill batch, in the
-- batch's own transaction, so a resumed run starts after its last key and
-- never runs a page twice (the primary key (run_id, after_key) refuses it).
-- Run by src/recompute.c for each backfill page (sql/state.sql's tables).
-- $1 bigint: the run; $2 bigint: the key the page started after;
-- $3 bigint: its last key; $4 integer: its number of keys.
-- No rows returned.
INSERT INTO reckon.backfill_batches (run_id, after_key, last_key, keys)
VALUES ($1, $2, $3, $4)
