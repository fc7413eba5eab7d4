-- profile_completion.sql: challenge 'p', profile completion, for one batch
-- of users.
-- reckon: policy sticky
--
-- Rule. Eligible users: a users row, not is_deactivated, with a handle;
-- other users get no candidate, so their rows are frozen. n = the facts
-- the user has of seven: bio, name, profile picture, cover photo (each not
-- NULL and not empty), at least 5 live follows (as follower), a live
-- repost, a live save. Specifier hex(user_id).
--
-- Bounded: users by primary key; follows, reposts and saves by their user
-- indexes, at most 5, 1 and 1 rows per user.
SELECT u.user_id, to_hex(u.user_id) AS specifier, f.n
FROM challenge ch
-- users.user_id is the key: one row per user even if $1 repeats an id.
JOIN public.users u ON u.user_id = ANY ($1)
CROSS JOIN LATERAL (
	SELECT (u.bio IS NOT NULL AND u.bio <> '')::integer
		+ (u.name IS NOT NULL AND u.name <> '')::integer
		+ (u.profile_picture IS NOT NULL AND u.profile_picture <> '')::integer
		+ (u.cover_photo IS NOT NULL AND u.cover_photo <> '')::integer
		-- LIMIT 5: a user with thousands of follows costs 5 rows.
		+ ((SELECT count(*)
			FROM (SELECT 1
				FROM public.follows fo
				WHERE fo.follower_user_id = u.user_id AND NOT fo.is_delete
				LIMIT 5) five) >= 5)::integer
		+ (coalesce((SELECT true
			FROM public.reposts r
			WHERE r.user_id = u.user_id AND NOT r.is_delete
			LIMIT 1), false))::integer
		+ (coalesce((SELECT true
			FROM public.saves s
			WHERE s.user_id = u.user_id AND NOT s.is_delete
			LIMIT 1), false))::integer AS n
	-- OFFSET 0: evaluated once per user, not once per use of n.
	OFFSET 0
) f
WHERE NOT u.is_deactivated AND u.handle IS NOT NULL
