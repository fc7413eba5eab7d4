-- profile_completion.sql: challenge 'p', profile completion, for one batch
-- of users.
-- reckon: policy sticky
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('p'); threshold (step_count, 7), amount and
--       active come from public.challenges
--   $3  unused
--
-- Rule. Eligible users: a users row, not is_deactivated, with a handle;
-- other users get no candidate, so their rows are frozen. F = the facts
-- the user has of seven: bio, name, profile picture, cover photo (each not
-- NULL and not empty), at least 5 live follows (as follower), a live
-- repost, a live save. Row: specifier hex(user_id), step = least(F,
-- threshold), complete when F >= threshold; a missing row is created once
-- F >= 1.
--
-- Bounded: users by primary key; follows, reposts and saves by their user
-- indexes, at most 5, 1 and 1 rows per user.
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
	f.f >= 1 AS may_create
FROM eligible e
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
