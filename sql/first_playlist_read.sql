-- first_playlist_read.sql: the read half of first_playlist.sql (challenge
-- 'fp', a first playlist) for one batch of users. Runs on the READ server,
-- a hot standby: a pure SELECT that writes nothing and does not read
-- public.user_challenges (the existing rows are the primary's business, and
-- a standby may lag behind them). Its rows go to apply_rows.sql on the
-- primary, which inserts the missing ones. Prepared once with parameter
-- types ($1 bigint[], $2 text, $3 bigint), as first_playlist.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('fp'); amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in first_playlist.sql. A user who owns (playlist_owner_id) a
-- playlist with is_delete = false (albums and private playlists count) gets
-- a row with specifier hex(user_id), complete, step 1. No users row is
-- needed. One-shot rows: an existing row is never changed, and it stays when
-- the playlist is later deleted.
--
-- Output: one row per such user (none when $2 is missing or inactive):
-- user_id, specifier, step 1, complete true, amount (the catalogue's),
-- may_create true, once true (apply_rows.sql: ON CONFLICT DO NOTHING).
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
SELECT o.user_id, to_hex(o.user_id) AS specifier,
	1 AS step, true AS complete, ch.amount, true AS may_create, true AS once
FROM owners o
CROSS JOIN ch
