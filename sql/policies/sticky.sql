-- sticky.sql: the sticky-progress write policy (play milestones, track
-- upload, profile completion): a row per candidate that follows the data
-- until it completes, and stays complete. Never run on its own: src/rule.c
-- composes it with a rule (sql/rules/NAME.sql, "-- reckon: policy sticky")
-- into the processor's statements, replacing the "-- reckon: rule" line
-- below with
--   - the rule itself, for the statement that runs on the primary (one
--     statement, one round trip per member of a batch);
--   - the rows the rule returned on a hot standby, passed as one array per
--     column ($4, $5, ... in the order of the "columns" line), for the
--     statement that writes a standby's reads on the primary.
-- Parameters and the frame (challenge, batch_keys): sql/rule_frame.sql.
-- A policy that extends this one ("-- reckon: extends sticky": profile_facts)
-- puts its CTEs on the "-- reckon: extension" line below, after the rule's
-- rows.
-- reckon: columns user_id bigint, specifier text, n bigint
--
-- The candidate rows: one per (challenge, specifier) at most (the rules
-- return one row per specifier), n being the user's count of what the
-- challenge counts.
--
-- Policy, as data: the catalogue row (challenge) gives the threshold
-- (step_count; none: nothing is written) and the amount; create_min ($3)
-- the count at which a missing row is created. A row's step is least(n,
-- threshold), and it is complete once n >= threshold. A missing row is
-- created once n >= create_min. An existing row is updated whatever n is.
-- Once complete a row stays complete;
-- amount follows the catalogue until completion and is then fixed;
-- completed_at is set once, at the first completion; current_step_count
-- always follows the data (also downwards, also after completion). A user
-- the rule returns no row for keeps their row frozen.
--
-- A row that would not change is not even proposed for insertion (the test
-- against the row as the snapshot saw it, prev): ON CONFLICT DO UPDATE locks
-- the conflicting row even when its WHERE then declines the update, which
-- writes the row's xmax and WAL. The DO UPDATE's IS DISTINCT FROM guard
-- still decides when a concurrent writer changed the row since the
-- snapshot: a recompute that changes nothing writes nothing (no dead tuple,
-- no WAL, no trigger on user_challenges fires).
--
-- Output: one row per user_challenges row inserted or changed:
-- challenge_id, user_id, specifier, current_step_count, is_complete,
-- completed_now. completed_now is true iff the row became complete in this
-- statement, judged against prev (exact with one writer at a time per
-- (challenge, user): reckon's group lock).
--
-- Bounded: user_challenges by primary key, one lookup per candidate; what
-- the rule reads is the rule's business.
WITH
-- reckon: frame
rule AS (
-- reckon: rule
),
-- reckon: extension
-- Every lookup below is a correlated subquery keyed by one user_challenges
-- key, so the planner cannot turn it into a hash join over all of
-- user_challenges, whatever it estimates for the batch.
cand AS (
	SELECT ch.id AS challenge_id, r.user_id, r.specifier,
		least(r.n, ch.step_count)::integer AS step,
		r.n >= ch.step_count AS complete, ch.amount,
		r.n >= coalesce($3, 1) AS may_create,
		-- The existing row's state (NULL: no row; is_complete is NOT NULL).
		prev.is_complete AS prev_complete,
		prev.current_step_count AS prev_step, prev.amount AS prev_amount,
		prev.completed_at AS prev_completed_at
	FROM challenge ch
	CROSS JOIN rule r
	LEFT JOIN LATERAL (
		SELECT uc.is_complete, uc.current_step_count, uc.amount,
			uc.completed_at
		FROM public.user_challenges uc
		WHERE uc.challenge_id = $2 AND uc.specifier = r.specifier
		-- LIMIT 1 (the key is unique anyway): a lookup per row, never a
		-- join over all of user_challenges.
		LIMIT 1
	) prev ON true
	WHERE ch.step_count IS NOT NULL
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT cand.challenge_id, cand.user_id, cand.specifier,
		cand.complete, cand.step, cand.amount, now(),
		CASE WHEN cand.complete THEN now() END
	FROM cand
	WHERE (cand.may_create AND cand.prev_complete IS NULL)
		-- No row is proposed that would not change: ON CONFLICT DO UPDATE
		-- would lock it (and write its xmax) even when the guard below
		-- turns the update down.
		OR (cand.prev_complete IS NOT NULL
			AND (cand.prev_step, cand.prev_complete, cand.prev_amount,
				cand.prev_completed_at)
			IS DISTINCT FROM
			(cand.step,
			 cand.prev_complete OR cand.complete,
			 CASE WHEN cand.prev_complete THEN cand.prev_amount
				ELSE cand.amount END,
			 coalesce(cand.prev_completed_at,
				CASE WHEN cand.complete THEN now() END)))
	-- A fixed order: concurrent statements lock shared rows in one order.
	ORDER BY cand.specifier
	ON CONFLICT (challenge_id, specifier) DO UPDATE SET
		current_step_count = excluded.current_step_count,
		is_complete = uc.is_complete OR excluded.is_complete,
		amount = CASE WHEN uc.is_complete THEN uc.amount
			ELSE excluded.amount END,
		completed_at = coalesce(uc.completed_at, excluded.completed_at)
	WHERE (uc.current_step_count, uc.is_complete, uc.amount, uc.completed_at)
		IS DISTINCT FROM
		(excluded.current_step_count,
		 uc.is_complete OR excluded.is_complete,
		 CASE WHEN uc.is_complete THEN uc.amount ELSE excluded.amount END,
		 coalesce(uc.completed_at, excluded.completed_at))
	RETURNING uc.challenge_id, uc.user_id, uc.specifier,
		uc.current_step_count, uc.is_complete
)
SELECT w.challenge_id, w.user_id, w.specifier, w.current_step_count,
	w.is_complete,
	w.is_complete AND NOT coalesce(cand.prev_complete, false) AS completed_now
FROM written w
JOIN cand ON cand.challenge_id = w.challenge_id
	AND cand.specifier = w.specifier
