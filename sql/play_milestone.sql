-- play_milestone.sql: the play-count milestones p1/p2/p3 for one batch of
-- users. Run by src/recompute.c (embedded by tools/embed.sh), prepared once
-- with parameter types ($1 bigint[], $2 text, $3 bigint) and executed per
-- batch:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('p1', 'p2' or 'p3'); its threshold (step_count),
--       amount and active flag come from public.challenges
--   $3  create_min: a missing row is created only once N >= $3 (the daemon
--       passes 1 for p1, 250 for p2, 1000 for p3, so a tier's row appears
--       once the tier below is within reach); an existing row is updated
--       whatever N is
--
-- Rule. Eligible users: a users row with is_verified and not is_deactivated;
-- other users' rows are frozen (not touched). N = number of plays of the
-- user's tracks with is_delete = false, read from public.aggregate_plays
-- (one row per track), never by counting plays: from the batch's
-- pg_temp.reckon_play_counts when the plays group's prelude filled it,
-- otherwise summed here. Row: specifier
-- hex(user_id)||':'||threshold (e.g. 'ff:250'), current_step_count =
-- least(N, threshold), complete when N >= threshold.
--
-- Sticky upsert. Once complete a row stays complete; amount follows the
-- catalogue until completion and is then fixed; completed_at is set once, at
-- the first completion; current_step_count always follows the data. The DO
-- UPDATE is guarded by IS DISTINCT FROM so that a recompute that would change
-- nothing writes nothing (no dead tuple, no WAL, no trigger on
-- user_challenges fires).
--
-- Output: one row per user_challenges row inserted or changed;
-- completed_now is true iff the row became complete in this statement. It is
-- judged against the row as the statement's snapshot saw it (prev_complete),
-- which is exact as long as one writer at a time handles a given (challenge,
-- user); a concurrent writer could make both report the same completion.
--
-- Prepared after play_counts_setup.sql has created pg_temp.reckon_play_counts
-- in the session (reckon does so at connect; a psql session runs that file
-- first).
--
-- Bounded: users by primary key, reckon_play_counts by primary key, tracks by
-- tracks(owner_id), aggregate_plays and user_challenges by primary key;
-- nothing scans a table (the planner may scan the small catalogue
-- public.challenges).
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active AND c.step_count IS NOT NULL
),
eligible AS (
	-- users.user_id is the key: one row per user even if $1 repeats an id.
	SELECT ch.id AS challenge_id, ch.step_count, ch.amount, u.user_id,
		to_hex(u.user_id) || ':' || ch.step_count AS specifier
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE u.is_verified AND NOT u.is_deactivated
),
-- Every lookup below is a correlated subquery keyed by one user (or one
-- user_challenges key), so the planner cannot turn it into a hash join over
-- a whole table, whatever it estimates for the batch.
cand AS (
	SELECT e.challenge_id, e.user_id, e.specifier, e.amount, n.n,
		least(n.n, e.step_count)::integer AS step,
		n.n >= e.step_count AS complete,
		-- The existing row's state (NULL: no row; is_complete is NOT NULL).
		prev.is_complete AS prev_complete,
		prev.current_step_count AS prev_step, prev.amount AS prev_amount,
		prev.completed_at AS prev_completed_at
	FROM eligible e
	LEFT JOIN LATERAL (
		SELECT uc.is_complete, uc.current_step_count, uc.amount,
			uc.completed_at
		FROM public.user_challenges uc
		WHERE uc.challenge_id = e.challenge_id
			AND uc.specifier = e.specifier
		-- LIMIT 1 (the key is unique anyway): a lookup per user, never a
		-- join over all of user_challenges.
		LIMIT 1
	) prev ON true
	-- N as the group's prelude (play_counts.sql) summed it for this batch;
	-- without it (a user it did not sum, or this statement run on its own)
	-- the same sum here. COALESCE evaluates the sum only when needed.
	CROSS JOIN LATERAL (
		SELECT coalesce(
			(SELECT pc.n FROM pg_temp.reckon_play_counts pc
			 WHERE pc.user_id = e.user_id),
			(SELECT coalesce(sum(ap.count), 0)::bigint
			 FROM public.tracks t
			 JOIN public.aggregate_plays ap ON ap.play_item_id = t.track_id
			 WHERE t.owner_id = e.user_id AND NOT t.is_delete)) AS n
	) n
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT cand.challenge_id, cand.user_id, cand.specifier,
		cand.complete, cand.step, cand.amount, now(),
		CASE WHEN cand.complete THEN now() END
	FROM cand
	WHERE (cand.n >= $3 AND cand.prev_complete IS NULL)
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
