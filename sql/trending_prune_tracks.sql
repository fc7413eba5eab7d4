-- trending_prune_tracks.sql: deletes the stored track scores of one version
-- that the run did not stage (the track was deleted, unlisted, made a stem,
-- or a time range is no longer produced). Run by the daemon's trending job
-- (src/trending.c) in the run's transaction, after
-- trending_upsert_tracks.sql, with PQexecParams (types inferred):
--   $1  version text: 'pnagD' or 'AnlGe'
-- Returns one row (1) per deleted row. Rows of the other versions and of
-- playlists are never touched. The stage must hold the run's full result:
-- an empty stage deletes every row of the version.
DELETE FROM public.track_trending_scores t
WHERE t.type = 'TRACKS' AND t.version = $1::text
	AND NOT EXISTS (
		SELECT 1
		FROM pg_temp.reckon_trending_stage s
		WHERE s.id = t.track_id AND s.time_range = t.time_range
	)
RETURNING 1
