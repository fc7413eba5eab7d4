-- trending_upsert_tracks.sql: writes the staged track scores of one version
-- to public.track_trending_scores (type 'TRACKS'). Run by the daemon's
-- trending job (src/trending.c) in the run's transaction, after the stage is
-- filled and ANALYZEd, with PQexecParams (types inferred):
--   $1  version text: 'pnagD' or 'AnlGe'
-- Returns one row per row written: inserted boolean, true for a new row,
-- false for an updated one.
--
-- Only staged rows that are new, or whose score or genre IS DISTINCT FROM
-- the stored one, are written: a cycle over unchanged data writes, locks and
-- logs nothing. Changed rows are written with a plain UPDATE and new ones
-- with a plain INSERT rather than INSERT ... ON CONFLICT DO UPDATE, whose
-- speculative insertion locks (and WAL-logs the lock of) every conflicting
-- row before updating it: measured with tools/bench/trending.sh, that lock
-- record was a large part of the WAL of a cycle with 1% changed scores. Both
-- CTEs see the same snapshot, so the INSERT takes exactly the staged rows
-- that have no stored row. The trending job is the only writer of this
-- table and never overlaps itself, so no concurrent insert can collide.
-- created_at records when the stored score was last written.
WITH changed AS (
	SELECT s.id, s.time_range, s.genre, s.score
	FROM pg_temp.reckon_trending_stage s
	WHERE NOT EXISTS (
		SELECT 1
		FROM public.track_trending_scores o
		WHERE o.track_id = s.id AND o.type = 'TRACKS'
			AND o.version = $1::text AND o.time_range = s.time_range
			AND o.score IS NOT DISTINCT FROM s.score
			AND o.genre IS NOT DISTINCT FROM s.genre
	)
),
updated AS (
	UPDATE public.track_trending_scores t
	SET genre = c.genre, score = c.score, created_at = now()
	FROM changed c
	WHERE t.track_id = c.id AND t.type = 'TRACKS' AND t.version = $1::text
		AND t.time_range = c.time_range
	RETURNING false AS inserted
),
inserted AS (
	INSERT INTO public.track_trending_scores
		(track_id, type, version, time_range, genre, score, created_at)
	SELECT c.id, 'TRACKS', $1::text, c.time_range, c.genre, c.score, now()
	FROM changed c
	WHERE NOT EXISTS (
		SELECT 1
		FROM public.track_trending_scores o
		WHERE o.track_id = c.id AND o.type = 'TRACKS'
			AND o.version = $1::text AND o.time_range = c.time_range
	)
	ORDER BY c.id, c.time_range
	RETURNING true AS inserted
)
SELECT inserted FROM updated
UNION ALL
SELECT inserted FROM inserted
