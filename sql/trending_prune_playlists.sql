-- trending_prune_playlists.sql: deletes the stored playlist scores of one
-- version that the run did not stage (the playlist was deleted, made
-- private, or has fewer than 3 tracks now). Run by the daemon's trending job
-- (src/trending.c) in the run's transaction, after
-- trending_upsert_playlists.sql, with PQexecParams (types inferred):
--   $1  version text: 'pnagD'
-- Returns one row (1) per deleted row. The stage must hold the run's full
-- result: an empty stage deletes every row of the version.
DELETE FROM public.playlist_trending_scores t
WHERE t.type = 'PLAYLISTS' AND t.version = $1::text
	AND NOT EXISTS (
		SELECT 1
		FROM pg_temp.reckon_trending_stage s
		WHERE s.id = t.playlist_id AND s.time_range = t.time_range
	)
RETURNING 1
