-- first_playlist.sql: challenge 'fp', a first playlist, for one batch of
-- users.
-- reckon: policy once
--
-- Rule. A user who owns (playlist_owner_id) a playlist with is_delete =
-- false (albums and private playlists count) gets a row with specifier
-- hex(user_id). No users row is needed. The row stays when the playlist is
-- later deleted (a one-shot row never changes).
--
-- Bounded: playlists by playlists(playlist_owner_id), at most one live
-- playlist read per user.
SELECT k.key AS user_id, to_hex(k.key) AS specifier
FROM challenge ch
CROSS JOIN batch_keys k
-- Per user, a correlated subquery (LIMIT 1 keeps the planner from
-- flattening it into a join over all playlists).
CROSS JOIN LATERAL (
	SELECT 1
	FROM public.playlists pl
	WHERE pl.playlist_owner_id = k.key AND NOT pl.is_delete
	LIMIT 1
) pl
