-- trending_diff_tracks.sql: compares the staged track scores of one version
-- with the stored ones. Run by the daemon's trending job (src/trending.c) in
-- the run's transaction, after the stage is filled and ANALYZEd, with
-- PQexecParams (types inferred):
--   $1  version text: 'pnagD' or 'AnlGe'
-- Inserts into pg_temp.reckon_trending_diff one row per staged score that
-- is new ('i') or whose score or genre IS DISTINCT FROM the stored one
-- ('u'), and one per stored row of the version that the stage does not
-- hold ('d': the track was deleted, unlisted or made a stem). Returns
-- nothing (INSERT 0 n). Rows of the other versions and of playlists are
-- never read. The stage must hold the run's full result: an empty stage
-- marks every stored row of the version for deletion.
--
-- One FULL JOIN finds all three kinds in a single pass over the stored
-- rows, where an anti-join for the changed rows and another for the pruned
-- ones read them twice: measured with tools/bench/trending.sh large, 1.9 s
-- instead of 3.9 s per version for 1.46M stored rows.
INSERT INTO pg_temp.reckon_trending_diff (id, time_range, genre, score, action)
SELECT coalesce(s.id, o.track_id), coalesce(s.time_range, o.time_range),
	s.genre, s.score,
	CASE
		WHEN o.track_id IS NULL THEN 'i'
		WHEN s.id IS NULL THEN 'd'
		ELSE 'u'
	END
FROM pg_temp.reckon_trending_stage s
FULL JOIN (
	SELECT track_id, time_range, genre, score
	FROM public.track_trending_scores
	WHERE type = 'TRACKS' AND version = $1::text
) o ON o.track_id = s.id AND o.time_range = s.time_range
WHERE s.id IS NULL OR o.track_id IS NULL
	OR o.score IS DISTINCT FROM s.score
	OR o.genre IS DISTINCT FROM s.genre
