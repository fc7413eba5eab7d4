-- trending_winners.sql: the weekly trending rewards of one kind. Run by the
-- daemon's trending job (src/trending.c) once per kind after the Friday's
-- scores are stored, with PQexecParams (types inferred):
--   $1  friday date: the week's Friday (any other day of the week: nothing
--       is written, so a wrong date cannot pay a week twice)
--   $2  kind text: 'tt' (trending tracks), 'tut' (underground trending
--       tracks) or 'tp' (trending playlists); the challenges row of that id
--       must be active (its amount is what ranks 1-5 get, a tenth of it
--       ranks 6-10: tt/tut 1000 and 100, tp 100 and 10)
-- Returns one row per user_challenges row written: challenge_id, user_id,
-- specifier, amount, rank, id (the track or playlist id as text).
--
-- trending_results encodes each kind as (type, version): tt ('TRACKS',
-- 'pnagD'), tut ('UNDERGROUND_TRACKS', 'pnagD'), tp ('PLAYLISTS',
-- 'pnagD'). If it already holds rows of that (type, version) for the week,
-- nothing is written: re-running a Friday changes nothing. Otherwise the top
-- 10 by score (ties: higher id first) of the stored week scores with a
-- score > 0 (a zero score means the formula excludes the item, e.g. an
-- owner with fewer than 3 followers):
--   tt   TRACKS/pnagD/week of live tracks (tracks.is_delete = false)
--   tut  the same ranking without its global top 20, restricted to tracks
--        whose owner has fewer than 1500 followers and follows fewer than
--        1500 users (live follows)
--   tp   PLAYLISTS/pnagD/week of live playlists (is_delete = false)
-- are inserted into trending_results (user_id = the owner), then for each
-- of them a user_challenges row for the owner: challenge_id = $2,
-- specifier 'YYYY-MM-DD:rank' (the Friday), complete, current_step_count 1,
-- completed_at now(). Both inserts are ON CONFLICT DO NOTHING: a concurrent
-- run of the same week adds nothing, and a reward is created only for a
-- trending_results row this statement inserted.
WITH kind AS (
	SELECT c.id AS challenge_id, c.amount, $1::date AS week,
		CASE c.id WHEN 'tt' THEN 'TRACKS' WHEN 'tut' THEN 'UNDERGROUND_TRACKS'
			ELSE 'PLAYLISTS' END AS type,
		'pnagD'::text AS version
	FROM public.challenges c
	WHERE c.id = $2::text AND c.id IN ('tt', 'tut', 'tp') AND c.active
		AND extract(isodow FROM $1::date) = 5
),
todo AS (
	SELECT k.*
	FROM kind k
	WHERE NOT EXISTS (
		SELECT 1 FROM public.trending_results r
		WHERE r.type = k.type AND r.version = k.version AND r.week = k.week
	)
),
track_rank AS (
	SELECT s.track_id AS id, t.owner_id, s.score
	FROM public.track_trending_scores s
	JOIN public.tracks t ON t.track_id = s.track_id
	WHERE s.type = 'TRACKS' AND s.version = 'pnagD' AND s.time_range = 'week'
		AND s.score > 0 AND NOT t.is_delete
		AND EXISTS (SELECT 1 FROM todo WHERE todo.challenge_id IN ('tt', 'tut'))
),
top20 AS (
	SELECT tr.id FROM track_rank tr
	ORDER BY tr.score DESC, tr.id DESC
	LIMIT 20
),
picked AS (
	(SELECT tr.id, tr.owner_id, tr.score
	FROM track_rank tr
	WHERE EXISTS (SELECT 1 FROM todo WHERE todo.challenge_id = 'tt')
	ORDER BY tr.score DESC, tr.id DESC
	LIMIT 10)
	UNION ALL
	(SELECT tr.id, tr.owner_id, tr.score
	FROM track_rank tr
	WHERE EXISTS (SELECT 1 FROM todo WHERE todo.challenge_id = 'tut')
		AND tr.id NOT IN (SELECT top20.id FROM top20)
		AND (SELECT count(*) FROM public.follows f
			WHERE f.followee_user_id = tr.owner_id AND NOT f.is_delete) < 1500
		AND (SELECT count(*) FROM public.follows f
			WHERE f.follower_user_id = tr.owner_id AND NOT f.is_delete) < 1500
	ORDER BY tr.score DESC, tr.id DESC
	LIMIT 10)
	UNION ALL
	(SELECT s.playlist_id, p.playlist_owner_id, s.score
	FROM public.playlist_trending_scores s
	JOIN public.playlists p ON p.playlist_id = s.playlist_id
	WHERE s.type = 'PLAYLISTS' AND s.version = 'pnagD'
		AND s.time_range = 'week' AND s.score > 0 AND NOT p.is_delete
		AND EXISTS (SELECT 1 FROM todo WHERE todo.challenge_id = 'tp')
	ORDER BY s.score DESC, s.playlist_id DESC
	LIMIT 10)
),
ranked AS (
	SELECT p.id, p.owner_id,
		row_number() OVER (ORDER BY p.score DESC, p.id DESC)::integer AS rank
	FROM picked p
),
results AS (
	INSERT INTO public.trending_results AS r
		(user_id, id, rank, type, version, week)
	SELECT rk.owner_id, rk.id::text, rk.rank, todo.type, todo.version,
		todo.week
	FROM ranked rk CROSS JOIN todo
	ORDER BY rk.rank
	ON CONFLICT DO NOTHING
	RETURNING r.user_id, r.id, r.rank, r.week
),
rewards AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id,
		specifier, is_complete, current_step_count, amount, created_at,
		completed_at)
	SELECT todo.challenge_id, res.user_id,
		to_char(res.week, 'YYYY-MM-DD') || ':' || res.rank, true, 1,
		CASE WHEN res.rank <= 5 THEN todo.amount ELSE todo.amount / 10 END,
		now(), now()
	FROM results res CROSS JOIN todo
	ORDER BY res.rank
	ON CONFLICT (challenge_id, specifier) DO NOTHING
	RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.amount
)
SELECT w.challenge_id, w.user_id, w.specifier, w.amount, res.rank, res.id
FROM rewards w
JOIN results res ON w.specifier = to_char(res.week, 'YYYY-MM-DD') || ':' || res.rank
