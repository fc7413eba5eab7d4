-- trending_upsert_playlists.sql: writes the staged playlist scores of one
-- version to public.playlist_trending_scores (type 'PLAYLISTS'). Run by the
-- daemon's trending job (src/trending.c) in the run's transaction, after the
-- stage is filled and ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD'
-- Returns one row per row written: inserted boolean, true for a new row,
-- false for an updated one.
--
-- Only staged rows that are new or whose score IS DISTINCT FROM the stored
-- one are written, with a plain UPDATE and a plain INSERT: see
-- trending_upsert_tracks.sql for why not INSERT ... ON CONFLICT. The stage's
-- genre (NULL) is not stored. created_at records when the stored score was
-- last written.
WITH changed AS (
	SELECT s.id, s.time_range, s.score
	FROM pg_temp.reckon_trending_stage s
	WHERE NOT EXISTS (
		SELECT 1
		FROM public.playlist_trending_scores o
		WHERE o.playlist_id = s.id AND o.type = 'PLAYLISTS'
			AND o.version = $1::text AND o.time_range = s.time_range
			AND o.score IS NOT DISTINCT FROM s.score
	)
),
updated AS (
	UPDATE public.playlist_trending_scores t
	SET score = c.score, created_at = now()
	FROM changed c
	WHERE t.playlist_id = c.id AND t.type = 'PLAYLISTS'
		AND t.version = $1::text AND t.time_range = c.time_range
	RETURNING false AS inserted
),
inserted AS (
	INSERT INTO public.playlist_trending_scores
		(playlist_id, type, version, time_range, score, created_at)
	SELECT c.id, 'PLAYLISTS', $1::text, c.time_range, c.score, now()
	FROM changed c
	WHERE NOT EXISTS (
		SELECT 1
		FROM public.playlist_trending_scores o
		WHERE o.playlist_id = c.id AND o.type = 'PLAYLISTS'
			AND o.version = $1::text AND o.time_range = c.time_range
	)
	ORDER BY c.id, c.time_range
	RETURNING true AS inserted
)
SELECT inserted FROM updated
UNION ALL
SELECT inserted FROM inserted
