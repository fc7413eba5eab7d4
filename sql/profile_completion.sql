-- profile_completion.sql: challenge 'p', a complete profile (step_count
-- facts, 7), for one batch of users. Run by src/recompute.c (embedded by
-- tools/embed.sh), prepared once with parameter types ($1 bigint[], $2 text,
-- $3 bigint) and executed per batch:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('p'); step_count, amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. Eligible users: a users row with is_deactivated = false and a
-- handle (NOT NULL); other users' rows are frozen (not touched). F = how many
-- of these seven facts hold:
--   bio, name, profile_picture, cover_photo: each NOT NULL and not '' (a
--     value of blanks counts as text)
--   at least 5 follows with the user as follower_user_id, is_delete = false
--   at least one repost with is_delete = false
--   at least one save with is_delete = false
-- For F >= 1, or when the row already exists: specifier hex(user_id),
-- current_step_count = least(F, step_count), complete when F >= step_count.
--
-- Sticky upsert, as in play_milestone.sql: once complete a row stays
-- complete; amount follows the catalogue until completion and is then fixed;
-- completed_at is set once; current_step_count follows the data (also
-- downwards, also after completion). The DO UPDATE is guarded by
-- IS DISTINCT FROM so that a no-op recompute writes nothing. Moreover a row
-- that would not change is not even proposed for insertion (the same test,
-- against the row as the snapshot saw it): ON CONFLICT DO UPDATE locks the
-- conflicting row even when its WHERE then declines the update, which
-- writes the row's xmax and WAL; most recomputes of p (a follow, a repost,
-- any users change) change nothing. The guard still decides when a
-- concurrent writer changed the row since the snapshot.
--
-- Output: one row per user_challenges row inserted or changed; completed_now
-- is true iff the row became complete in this statement (judged against the
-- row as the statement's snapshot saw it, prev_complete: exact with one
-- writer at a time per (challenge, user)).
--
-- Bounded: users by primary key; follows, reposts and saves by their primary
-- keys (the user id leads each), follows reading at most 5 rows per user,
-- reposts and saves at most one live row; user_challenges by primary key.
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active AND c.step_count IS NOT NULL
),
eligible AS (
	-- users.user_id is the key: one row per user even if $1 repeats an id.
	SELECT ch.id AS challenge_id, ch.step_count, ch.amount, u.user_id,
		to_hex(u.user_id) AS specifier,
		(u.bio IS NOT NULL AND u.bio <> '')::integer
		+ (u.name IS NOT NULL AND u.name <> '')::integer
		+ (u.profile_picture IS NOT NULL AND u.profile_picture <> '')::integer
		+ (u.cover_photo IS NOT NULL AND u.cover_photo <> '')::integer
			AS profile_facts
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE NOT u.is_deactivated AND u.handle IS NOT NULL
),
-- Every lookup below is a correlated subquery keyed by one user (or one
-- user_challenges key), so the planner cannot turn it into a hash join over
-- a whole table, whatever it estimates for the batch.
cand AS (
	SELECT e.challenge_id, e.user_id, e.specifier, e.amount, f.f,
		least(f.f, e.step_count)::integer AS step,
		f.f >= e.step_count AS complete,
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
	CROSS JOIN LATERAL (
		SELECT e.profile_facts
			-- LIMIT 5: a user with thousands of follows costs 5 rows.
			+ ((SELECT count(*)
				FROM (SELECT 1
					FROM public.follows fo
					WHERE fo.follower_user_id = e.user_id AND NOT fo.is_delete
					LIMIT 5) five) >= 5)::integer
			+ (coalesce((SELECT true
				FROM public.reposts r
				WHERE r.user_id = e.user_id AND NOT r.is_delete
				LIMIT 1), false))::integer
			+ (coalesce((SELECT true
				FROM public.saves s
				WHERE s.user_id = e.user_id AND NOT s.is_delete
				LIMIT 1), false))::integer AS f
		-- OFFSET 0: evaluated once per user, not once per use of f.
		OFFSET 0
	) f
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT cand.challenge_id, cand.user_id, cand.specifier,
		cand.complete, cand.step, cand.amount, now(),
		CASE WHEN cand.complete THEN now() END
	FROM cand
	WHERE (cand.f >= 1 AND cand.prev_complete IS NULL)
		-- The guard below, against the row as the snapshot saw it.
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
