-- first_playlist.sql: challenge 'fp', a first playlist, for one batch of
-- users. Run by src/recompute.c (embedded by tools/embed.sh), prepared once
-- with parameter types ($1 bigint[], $2 text, $3 bigint) and executed per
-- batch:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('fp'); amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. A user who owns (playlist_owner_id) a playlist with is_delete =
-- false (albums and private playlists count) gets a row with specifier
-- hex(user_id), complete, current_step_count 1, amount from the catalogue,
-- completed_at now(). No users row is needed. A one-shot challenge: an
-- existing row is never changed (ON CONFLICT DO NOTHING writes nothing), and
-- it stays when the playlist is later deleted.
--
-- Output: one row per user_challenges row inserted (rows are born complete,
-- so completed_now is always true).
--
-- Bounded: playlists by playlists(playlist_owner_id), at most one live
-- playlist read per user; user_challenges by primary key.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
),
ids AS (
	SELECT DISTINCT x.user_id
	FROM unnest($1) AS x (user_id)
	WHERE x.user_id IS NOT NULL
),
-- Per user, a correlated subquery (LIMIT 1 keeps the planner from
-- flattening it into a join over all playlists): playlists(playlist_owner_id).
owners AS (
	SELECT ids.user_id
	FROM ids
	CROSS JOIN LATERAL (
		SELECT 1
		FROM public.playlists pl
		WHERE pl.playlist_owner_id = ids.user_id AND NOT pl.is_delete
		LIMIT 1
	) pl
)
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT ch.id, o.user_id, to_hex(o.user_id), true, 1, ch.amount, now(), now()
FROM owners o
CROSS JOIN ch
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY 3
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, true AS completed_now
