-- profile_completion_read.sql: the read half of profile_completion.sql
-- (challenge 'p', a complete profile: step_count facts, 7) for one batch of
-- users. Runs on the READ server, a hot standby: a pure SELECT that writes
-- nothing and does not read public.user_challenges (the existing rows are
-- the primary's business, and a standby may lag behind them). Its rows go
-- to apply_rows.sql on the primary, which does the sticky upsert. Prepared
-- once with parameter types ($1 bigint[], $2 text, $3 bigint), as
-- profile_completion.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('p'); step_count, amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in profile_completion.sql. Eligible users: a users row with
-- is_deactivated = false and a handle (NOT NULL); other users get no row
-- here, so their rows are frozen. F = how many of these seven facts hold:
--   bio, name, profile_picture, cover_photo: each NOT NULL and not '' (a
--     value of blanks counts as text)
--   at least 5 follows with the user as follower_user_id, is_delete = false
--   at least one repost with is_delete = false
--   at least one save with is_delete = false
-- Row: specifier hex(user_id), step = least(F, step_count), complete when
-- F >= step_count; a missing row may be created for F >= 1, an existing one
-- is updated whatever F is.
--
-- Output: one row per eligible user (none when $2 is missing, inactive or
-- has no step_count): user_id, specifier, step, complete, amount (the
-- catalogue's), may_create (F >= 1), once (false: a sticky upsert).
--
-- Bounded: users by primary key; follows, reposts and saves by their primary
-- keys (the user id leads each), follows reading at most 5 rows per user,
-- reposts and saves at most one live row.
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active AND c.step_count IS NOT NULL
),
eligible AS (
	-- users.user_id is the key: one row per user even if $1 repeats an id.
	SELECT ch.step_count, ch.amount, u.user_id,
		to_hex(u.user_id) AS specifier,
		(u.bio IS NOT NULL AND u.bio <> '')::integer
		+ (u.name IS NOT NULL AND u.name <> '')::integer
		+ (u.profile_picture IS NOT NULL AND u.profile_picture <> '')::integer
		+ (u.cover_photo IS NOT NULL AND u.cover_photo <> '')::integer
			AS profile_facts
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE NOT u.is_deactivated AND u.handle IS NOT NULL
)
SELECT e.user_id, e.specifier,
	least(f.f, e.step_count)::integer AS step,
	f.f >= e.step_count AS complete,
	e.amount,
	f.f >= 1 AS may_create,
	false AS once
FROM eligible e
-- Correlated subqueries keyed by one user, so the planner cannot turn them
-- into hash joins over whole tables, whatever it estimates for the batch.
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
