-- setup.sql: what the fault suite adds to a test database after
-- sql/schema.sql, in its own schema "faults" so nothing of the contract
-- changes. None of it is in a table reckon streams (wal2json's add-tables
-- names only the rules' source tables), so reckon never sees it.
--
-- faults.progress: one row per workload transaction that committed, written
--   by that transaction itself just before its COMMIT. A workload run cut
--   short by a server restart resumes after max(txn): the marker commits
--   atomically with the transaction, so each transaction of the script is
--   applied exactly once whatever the moment of the cut (even a COMMIT
--   whose reply was lost), and the final data is the script's.
--
-- faults.completion_log: every change of public.user_challenges that
--   matters for exactly-once, written by a trigger inside the transaction
--   that made it (reckon's recompute), so an event is logged if and only if
--   its recompute committed:
--     complete  a row born complete or turned complete
--     revoke    a complete row turned incomplete (completion is sticky)
--     delete    a row deleted (rows are never deleted)
--   A key completed twice, or a completion revoked, is a duplicated
--   completion that the final rows alone could not show: counts.sql counts
--   them.
CREATE SCHEMA faults;

CREATE TABLE faults.progress (
	txn integer PRIMARY KEY
);

CREATE TABLE faults.completion_log (
	id bigserial PRIMARY KEY,
	event text NOT NULL,
	challenge_id text NOT NULL,
	specifier text NOT NULL,
	user_id bigint NOT NULL,
	step integer,
	xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
	logged_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);

-- SECURITY DEFINER: the trigger fires in reckon's recompute, which runs as
-- the least-privilege role of sql/roles.sql (tests/integration/as_role.sh);
-- that role has no grant on this schema and must not get one, so the log
-- is written with the owner's rights. A fixed search_path, as for every
-- SECURITY DEFINER function; every name is qualified anyway.
CREATE FUNCTION faults.log_completion() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO faults.completion_log
			(event, challenge_id, specifier, user_id, step)
		VALUES ('delete', OLD.challenge_id, OLD.specifier, OLD.user_id,
			OLD.current_step_count);
		RETURN OLD;
	END IF;
	IF NEW.is_complete AND (TG_OP = 'INSERT' OR NOT OLD.is_complete) THEN
		INSERT INTO faults.completion_log
			(event, challenge_id, specifier, user_id, step)
		VALUES ('complete', NEW.challenge_id, NEW.specifier, NEW.user_id,
			NEW.current_step_count);
	ELSIF TG_OP = 'UPDATE' AND OLD.is_complete AND NOT NEW.is_complete THEN
		INSERT INTO faults.completion_log
			(event, challenge_id, specifier, user_id, step)
		VALUES ('revoke', NEW.challenge_id, NEW.specifier, NEW.user_id,
			NEW.current_step_count);
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER faults_log_completion
	AFTER INSERT OR UPDATE OR DELETE ON public.user_challenges
	FOR EACH ROW EXECUTE FUNCTION faults.log_completion();
