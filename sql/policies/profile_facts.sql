-- profile_facts.sql: the write policy of profile completion ('p'): the
-- sticky policy (sql/policies/sticky.sql) for the user_challenges row, plus
-- the user's seven facts in challenge_profile_completion. Never run on its
-- own: src/rule.c puts the CTE below on sticky's "-- reckon: extension"
-- line (rule_policy_extend), then composes that policy with the rule
-- ("-- reckon: policy profile_facts": sql/rules/profile_completion.sql)
-- like any other, so the facts are stated once, in the rule, and the
-- statement on the primary, the read on a standby and the write of that
-- read are still one statement each. The rule's rows (rule) and the frame
-- (challenge, batch_keys: sql/rule_frame.sql) are in scope here.
-- reckon: extends sticky
-- reckon: columns user_id bigint, specifier text, n bigint, profile_description boolean, profile_name boolean, profile_picture boolean, profile_cover_photo boolean, follows boolean, favorites boolean, reposts boolean
--
-- The candidate rows: sticky's (n is the number of the seven facts the
-- user has), and the facts themselves, each true or false (never NULL): one
-- row per user.
--
-- Policy, as data: the user_challenges row as sticky writes it. The facts
-- row of a user the rule returns (an eligible user) is inserted, or updated
-- when one of its booleans differs; a user the rule returns no row for
-- keeps the row frozen, like their user_challenges row. A row that would
-- not change is not even proposed (the test against the row as the
-- snapshot saw it): ON CONFLICT DO UPDATE would lock it (write its xmax)
-- even when its guard then turns the update down. So a recompute that
-- changes nothing writes nothing here either.
--
-- Output: sticky's (the facts row is not reported: the daemon's rows are
-- user_challenges rows).
--
-- Bounded: challenge_profile_completion by primary key, one lookup per
-- candidate.
facts AS (
	INSERT INTO public.challenge_profile_completion AS f (user_id,
		profile_description, profile_name, profile_picture,
		profile_cover_photo, follows, favorites, reposts)
	SELECT r.user_id, r.profile_description, r.profile_name,
		r.profile_picture, r.profile_cover_photo, r.follows, r.favorites,
		r.reposts
	FROM rule r
	-- A correlated lookup keyed by one user (LIMIT 1: never a join over
	-- all of challenge_profile_completion). No row: all NULL, distinct.
	LEFT JOIN LATERAL (
		SELECT p.profile_description, p.profile_name, p.profile_picture,
			p.profile_cover_photo, p.follows, p.favorites, p.reposts
		FROM public.challenge_profile_completion p
		WHERE p.user_id = r.user_id
		LIMIT 1
	) prev ON true
	WHERE (prev.profile_description, prev.profile_name, prev.profile_picture,
			prev.profile_cover_photo, prev.follows, prev.favorites,
			prev.reposts)
		IS DISTINCT FROM
		(r.profile_description, r.profile_name, r.profile_picture,
			r.profile_cover_photo, r.follows, r.favorites, r.reposts)
	-- A fixed order: concurrent statements lock shared rows in one order.
	ORDER BY r.user_id
	ON CONFLICT (user_id) DO UPDATE SET
		profile_description = excluded.profile_description,
		profile_name = excluded.profile_name,
		profile_picture = excluded.profile_picture,
		profile_cover_photo = excluded.profile_cover_photo,
		follows = excluded.follows,
		favorites = excluded.favorites,
		reposts = excluded.reposts
	-- A concurrent writer changed the row since the snapshot: write only
	-- if it still differs.
	WHERE (f.profile_description, f.profile_name, f.profile_picture,
			f.profile_cover_photo, f.follows, f.favorites, f.reposts)
		IS DISTINCT FROM
		(excluded.profile_description, excluded.profile_name,
			excluded.profile_picture, excluded.profile_cover_photo,
			excluded.follows, excluded.favorites, excluded.reposts)
),
