-- first_playlist.sql: challenge 'fp', a first playlist, for one batch of
-- users.
-- reckon: policy once
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('fp'); amount and active come from
--       public.challenges
--   $3  unused
--
-- Rule. A user who owns (playlist_owner_id) a playlist with is_delete =
-- false (albums and private playlists count) gets a row with specifier
-- hex(user_id), complete at step 1. No users row is needed. The row stays
-- when the playlist is later deleted (a one-shot row never changes).
--
-- Bounded: playlists by playlists(playlist_owner_id), at most one live
-- playlist read per user.
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
SELECT o.user_id, to_hex(o.user_id) AS specifier, 1 AS step,
	true AS complete, ch.amount
FROM owners o
CROSS JOIN ch
