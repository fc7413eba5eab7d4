-- trending_upsert_tracks.sql: writes the staged track scores of one version
-- to public.track_trending_scores (type 'TRACKS'). Run by the daemon's
-- trending job (src/trending.c) in the run's transaction, after the stage is
-- filled and ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD' or 'AnlGe'
-- Returns one row per row written: inserted boolean, true for a new row,
-- false for an updated one (xmax = 0 holds only for a freshly inserted
-- tuple; an ON CONFLICT update leaves its own xid as xmax).
--
-- Only staged rows that are new, or whose score or genre IS DISTINCT FROM
-- the stored one, are proposed to the INSERT: an unchanged row never reaches
-- ON CONFLICT, where even a DO UPDATE whose WHERE is false would lock the
-- row (and WAL-log the lock). A cycle over unchanged data therefore writes,
-- locks and logs nothing. The WHERE of the DO UPDATE repeats the comparison
-- for a row changed concurrently to the staged value. created_at records
-- when the stored score was last written. Rows are inserted in key order so
-- that concurrent writers lock in one order.
INSERT INTO public.track_trending_scores AS t
	(track_id, type, version, time_range, genre, score, created_at)
SELECT s.id, 'TRACKS', $1::text, s.time_range, s.genre, s.score, now()
FROM pg_temp.reckon_trending_stage s
WHERE NOT EXISTS (
	SELECT 1
	FROM public.track_trending_scores o
	WHERE o.track_id = s.id AND o.type = 'TRACKS' AND o.version = $1::text
		AND o.time_range = s.time_range
		AND o.score IS NOT DISTINCT FROM s.score
		AND o.genre IS NOT DISTINCT FROM s.genre
)
ORDER BY s.id, s.time_range
ON CONFLICT (track_id, type, version, time_range) DO UPDATE SET
	genre = excluded.genre,
	score = excluded.score,
	created_at = excluded.created_at
WHERE (t.score, t.genre) IS DISTINCT FROM (excluded.score, excluded.genre)
RETURNING (t.xmax = 0) AS inserted
