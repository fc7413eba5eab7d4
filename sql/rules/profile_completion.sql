-- profile_completion.sql: challenge 'p', profile completion, for one batch
-- of users.
-- reckon: policy profile_facts
--
-- Rule. Eligible users: a users row, not is_deactivated, with a handle;
-- other users get no candidate, so their rows are frozen. The seven facts,
-- each a boolean: profile_description (bio), profile_name (name),
-- profile_picture, profile_cover_photo (cover_photo) (each not NULL and not
-- empty), follows (at least 5 live follows, as follower), reposts (a live
-- repost), favorites (a live save). n = how many of them hold. Specifier
-- hex(user_id). The profile_facts policy (sticky, plus the facts row in
-- challenge_profile_completion) writes both from these columns: the facts
-- are stated here only.
--
-- Bounded: users by primary key; follows, reposts and saves by their user
-- indexes, at most 5, 1 and 1 rows per user.
SELECT u.user_id, to_hex(u.user_id) AS specifier,
	f.profile_description::integer + f.profile_name::integer
		+ f.profile_picture::integer + f.profile_cover_photo::integer
		+ f.follows::integer + f.favorites::integer
		+ f.reposts::integer AS n,
	f.profile_description, f.profile_name, f.profile_picture,
	f.profile_cover_photo, f.follows, f.favorites, f.reposts
FROM challenge ch
-- users.user_id is the key: one row per user even if $1 repeats an id.
JOIN public.users u ON u.user_id = ANY ($1)
CROSS JOIN LATERAL (
	-- NULL IS NOT NULL is false, so no fact is NULL.
	SELECT (u.bio IS NOT NULL AND u.bio <> '') AS profile_description,
		(u.name IS NOT NULL AND u.name <> '') AS profile_name,
		(u.profile_picture IS NOT NULL AND u.profile_picture <> '')
			AS profile_picture,
		(u.cover_photo IS NOT NULL AND u.cover_photo <> '')
			AS profile_cover_photo,
		-- LIMIT 5: a user with thousands of follows costs 5 rows.
		(SELECT count(*)
			FROM (SELECT 1
				FROM public.follows fo
				WHERE fo.follower_user_id = u.user_id AND NOT fo.is_delete
				LIMIT 5) five) >= 5 AS follows,
		coalesce((SELECT true
			FROM public.saves s
			WHERE s.user_id = u.user_id AND NOT s.is_delete
			LIMIT 1), false) AS favorites,
		coalesce((SELECT true
			FROM public.reposts r
			WHERE r.user_id = u.user_id AND NOT r.is_delete
			LIMIT 1), false) AS reposts
	-- OFFSET 0: evaluated once per user, not once per use of a fact.
	OFFSET 0
) f
WHERE NOT u.is_deactivated AND u.handle IS NOT NULL
