-- state.sql: reckon's own bookkeeping, in schema reckon: the backfill runs
-- and the batches each has committed (src/backfill.c). sql/roles.sql
-- includes it; run it on its own (as the schema's owner) when reckon
-- connects as a role of yours instead:
--   psql -d DB -f sql/state.sql
-- Safe to run again: nothing is created twice, nothing is dropped.
--
-- Why in the database and not in a file beside reckon: a backfill batch
-- inserts its row into backfill_batches in the same transaction as its
-- recompute, so after a kill -9 a batch is either committed and recorded
-- or neither; the resumed run starts after the last recorded key and never
-- redoes one (the primary key would refuse it).
--
-- The stream never carries these tables: reckon streams only the source
-- tables its rules name (wal2json add-tables).

-- quiet when run again: "already exists, skipping" is the expected case
SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS reckon;

-- One backfill of one group on behalf of one slot. kind 'bootstrap': run
-- by the daemon when it created the slot, resumed by it at start until
-- finished_at is set; 'manual': `reckon backfill`, resumed by running it
-- again. processor: the one member it recomputes, NULL for every member.
CREATE TABLE IF NOT EXISTS reckon.backfill_runs (
	run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slot_name text NOT NULL,
	group_name text NOT NULL,
	processor text,
	kind text NOT NULL CHECK (kind IN ('bootstrap', 'manual')),
	started_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
);

-- The batches a run has committed: keys after after_key up to last_key.
-- Insert-only: a backfill batch reading from the slot's exported snapshot
-- (REPEATABLE READ) could not update a row a later batch had changed.
CREATE TABLE IF NOT EXISTS reckon.backfill_batches (
	run_id bigint NOT NULL,
	after_key bigint NOT NULL,
	last_key bigint NOT NULL,
	keys integer NOT NULL,
	done_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (run_id, after_key)
);

RESET client_min_messages;
