-- trending_diff_playlists.sql: compares the staged playlist scores with the
-- stored ones of one version. Run by the daemon's trending job
-- (src/trending.c) in the run's transaction, after the stage is filled and
-- ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD'
-- Inserts into pg_temp.reckon_trending_diff one row per staged score that
-- is new ('i') or whose score IS DISTINCT FROM the stored one ('u'), and
-- one per stored row of the version that the stage does not hold ('d': the
-- playlist was deleted, made private, or has fewer than 3 tracks now).
-- Returns nothing (INSERT 0 n). The stage's genre (NULL) is not compared:
-- playlist scores have none. See trending_diff_tracks.sql for why one
-- FULL JOIN.
INSERT INTO pg_temp.reckon_trending_diff (id, time_range, genre, score, action)
SELECT coalesce(s.id, o.playlist_id), coalesce(s.time_range, o.time_range),
	NULL, s.score,
	CASE
		WHEN o.playlist_id IS NULL THEN 'i'
		WHEN s.id IS NULL THEN 'd'
		ELSE 'u'
	END
FROM pg_temp.reckon_trending_stage s
FULL JOIN (
	SELECT playlist_id, time_range, score
	FROM public.playlist_trending_scores
	WHERE type = 'PLAYLISTS' AND version = $1::text
) o ON o.playlist_id = s.id AND o.time_range = s.time_range
WHERE s.id IS NULL OR o.playlist_id IS NULL
	OR o.score IS DISTINCT FROM s.score
