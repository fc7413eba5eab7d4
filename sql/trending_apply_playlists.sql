-- trending_apply_playlists.sql: writes the differences of one version to
-- public.playlist_trending_scores (type 'PLAYLISTS'). Run by the daemon's
-- trending job (src/trending.c) in the run's transaction, after
-- trending_diff_playlists.sql filled pg_temp.reckon_trending_diff and it
-- was ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD'
-- Returns one row: inserted, updated, deleted (bigint), the rows written.
-- See trending_apply_tracks.sql for why plain UPDATE, INSERT and DELETE.
WITH updated AS (
	UPDATE public.playlist_trending_scores t
	SET score = d.score, created_at = now()
	FROM pg_temp.reckon_trending_diff d
	WHERE d.action = 'u' AND t.playlist_id = d.id AND t.type = 'PLAYLISTS'
		AND t.version = $1::text AND t.time_range = d.time_range
	RETURNING 1
),
inserted AS (
	INSERT INTO public.playlist_trending_scores
		(playlist_id, type, version, time_range, score, created_at)
	SELECT d.id, 'PLAYLISTS', $1::text, d.time_range, d.score, now()
	FROM pg_temp.reckon_trending_diff d
	WHERE d.action = 'i'
	ORDER BY d.id, d.time_range
	RETURNING 1
),
deleted AS (
	DELETE FROM public.playlist_trending_scores t
	USING pg_temp.reckon_trending_diff d
	WHERE d.action = 'd' AND t.playlist_id = d.id AND t.type = 'PLAYLISTS'
		AND t.version = $1::text AND t.time_range = d.time_range
	RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS inserted,
	(SELECT count(*) FROM updated) AS updated,
	(SELECT count(*) FROM deleted) AS deleted
