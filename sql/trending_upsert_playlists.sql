-- trending_upsert_playlists.sql: writes the staged playlist scores of one
-- version to public.playlist_trending_scores (type 'PLAYLISTS'). Run by the
-- daemon's trending job (src/trending.c) in the run's transaction, after the
-- stage is filled and ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD'
-- Returns one row per row written: inserted boolean, true for a new row,
-- false for an updated one (xmax = 0 holds only for a freshly inserted
-- tuple; an ON CONFLICT update leaves its own xid as xmax).
--
-- Only staged rows that are new or whose score IS DISTINCT FROM the stored
-- one reach the INSERT (see trending_upsert_tracks.sql: an unchanged row
-- proposed to ON CONFLICT would still be locked and WAL-logged), so a cycle
-- over unchanged data writes nothing. The stage's genre (NULL) is not
-- stored. created_at records when the stored score was last written.
INSERT INTO public.playlist_trending_scores AS t
	(playlist_id, type, version, time_range, score, created_at)
SELECT s.id, 'PLAYLISTS', $1::text, s.time_range, s.score, now()
FROM pg_temp.reckon_trending_stage s
WHERE NOT EXISTS (
	SELECT 1
	FROM public.playlist_trending_scores o
	WHERE o.playlist_id = s.id AND o.type = 'PLAYLISTS'
		AND o.version = $1::text AND o.time_range = s.time_range
		AND o.score IS NOT DISTINCT FROM s.score
)
ORDER BY s.id, s.time_range
ON CONFLICT (playlist_id, type, version, time_range) DO UPDATE SET
	score = excluded.score,
	created_at = excluded.created_at
WHERE t.score IS DISTINCT FROM excluded.score
RETURNING (t.xmax = 0) AS inserted
