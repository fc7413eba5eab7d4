-- trending_apply_tracks.sql: writes the differences of one version to
-- public.track_trending_scores (type 'TRACKS'). Run by the daemon's trending
-- job (src/trending.c) in the run's transaction, after
-- trending_diff_tracks.sql filled pg_temp.reckon_trending_diff and it was
-- ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD' or 'AnlGe'
-- Returns one row: inserted, updated, deleted (bigint), the rows written.
--
-- Only the rows of the diff are touched: a cycle over unchanged data
-- writes, locks and logs nothing. A plain UPDATE, INSERT and DELETE rather
-- than INSERT ... ON CONFLICT DO UPDATE, whose speculative insertion locks
-- (and WAL-logs the lock of) every conflicting row before updating it:
-- measured with tools/bench/trending.sh, that lock record was a large part
-- of the WAL of a cycle with 1% changed scores. The trending job is the
-- only writer of this table and never overlaps itself, so no concurrent
-- insert can collide with the INSERT. created_at records when the stored
-- score was last written.
WITH updated AS (
	UPDATE public.track_trending_scores t
	SET genre = d.genre, score = d.score, created_at = now()
	FROM pg_temp.reckon_trending_diff d
	WHERE d.action = 'u' AND t.track_id = d.id AND t.type = 'TRACKS'
		AND t.version = $1::text AND t.time_range = d.time_range
	RETURNING 1
),
inserted AS (
	INSERT INTO public.track_trending_scores
		(track_id, type, version, time_range, genre, score, created_at)
	SELECT d.id, 'TRACKS', $1::text, d.time_range, d.genre, d.score, now()
	FROM pg_temp.reckon_trending_diff d
	WHERE d.action = 'i'
	ORDER BY d.id, d.time_range
	RETURNING 1
),
deleted AS (
	DELETE FROM public.track_trending_scores t
	USING pg_temp.reckon_trending_diff d
	WHERE d.action = 'd' AND t.track_id = d.id AND t.type = 'TRACKS'
		AND t.version = $1::text AND t.time_range = d.time_range
	RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS inserted,
	(SELECT count(*) FROM updated) AS updated,
	(SELECT count(*) FROM deleted) AS deleted
