-- track_upload.sql: challenge 'u', upload step_count (3) tracks, for one batch
-- of users. Run by src/recompute.c (embedded by tools/embed.sh), prepared
-- once with parameter types ($1 bigint[], $2 text, $3 bigint) and executed
-- per batch:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('u'); step_count, amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. K = the user's tracks with is_delete = false, is_unlisted = false
-- and stem_of IS NULL (SQL NULL: a stem carries its parent in stem_of, and a
-- jsonb 'null' value is not SQL NULL, so such a track does not count). No
-- users row is needed. For K >= 1, or when the row already exists: specifier
-- hex(user_id), current_step_count = least(K, step_count), complete when
-- K >= step_count.
--
-- Sticky upsert, as in play_milestone.sql: once complete a row stays
-- complete; amount follows the catalogue until completion and is then fixed;
-- completed_at is set once; current_step_count follows the data (also
-- downwards, also after completion). The DO UPDATE is guarded by
-- IS DISTINCT FROM so that a no-op recompute writes nothing.
--
-- Output: one row per user_challenges row inserted or changed; completed_now
-- is true iff the row became complete in this statement (judged against the
-- row as the statement's snapshot saw it, prev_complete: exact with one
-- writer at a time per (challenge, user)).
--
-- Bounded: tracks by tracks(owner_id), user_challenges by primary key.
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active AND c.step_count IS NOT NULL
),
ids AS (
	SELECT DISTINCT x.user_id
	FROM unnest($1) AS x (user_id)
	WHERE x.user_id IS NOT NULL
),
-- Every lookup below is a correlated subquery keyed by one user (or one
-- user_challenges key), so the planner cannot turn it into a hash join over
-- a whole table, whatever it estimates for the batch.
cand AS (
	SELECT ch.id AS challenge_id, ids.user_id,
		to_hex(ids.user_id) AS specifier, ch.amount, k.k,
		least(k.k, ch.step_count)::integer AS step,
		k.k >= ch.step_count AS complete,
		-- The existing row's state (NULL: no row; is_complete is NOT NULL).
		prev.is_complete AS prev_complete,
		prev.current_step_count AS prev_step, prev.amount AS prev_amount,
		prev.completed_at AS prev_completed_at
	FROM ch
	CROSS JOIN ids
	LEFT JOIN LATERAL (
		SELECT uc.is_complete, uc.current_step_count, uc.amount,
			uc.completed_at
		FROM public.user_challenges uc
		WHERE uc.challenge_id = ch.id
			AND uc.specifier = to_hex(ids.user_id)
		-- LIMIT 1 (the key is unique anyway): a lookup per user, never a
		-- join over all of user_challenges.
		LIMIT 1
	) prev ON true
	CROSS JOIN LATERAL (
		SELECT count(*) AS k
		FROM public.tracks t
		WHERE t.owner_id = ids.user_id
			AND NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
	) k
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT cand.challenge_id, cand.user_id, cand.specifier,
		cand.complete, cand.step, cand.amount, now(),
		CASE WHEN cand.complete THEN now() END
	FROM cand
	WHERE (cand.k >= 1 AND cand.prev_complete IS NULL)
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
