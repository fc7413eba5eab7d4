-- tastemaker.sql: the tastemaker rewards (challenge 't'). Run by the
-- daemon's trending job (src/trending.c) after the weekly scores are
-- stored, with PQexecParams and NO parameters.
-- Returns one row per user_challenges row written: challenge_id, user_id,
-- specifier, amount.
--
-- The top 10 tracks of TRACKS/pnagD/week (the same ranking as
-- trending_winners.sql tt: score > 0, live track, ties by higher id first).
-- For each, the 10 earliest live reposters (repost_type 'track') and the 10
-- earliest live savers (save_type 'track'), by created_at then user_id, get
-- one row: specifier hex(user_id) || ':t:' || hex(track_id), complete,
-- current_step_count 1, the catalogue's amount, completed_at now(). A user
-- both among the reposters and the savers gets one row. Nothing when 't' is
-- missing or inactive. ON CONFLICT DO NOTHING: rows are one-shot, a re-run
-- writes nothing for users already rewarded for the track.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = 't' AND c.active
),
top AS (
	SELECT s.track_id
	FROM public.track_trending_scores s
	JOIN public.tracks t ON t.track_id = s.track_id
	WHERE s.type = 'TRACKS' AND s.version = 'pnagD' AND s.time_range = 'week'
		AND s.score > 0 AND NOT t.is_delete
		AND EXISTS (SELECT 1 FROM ch)
	ORDER BY s.score DESC, s.track_id DESC
	LIMIT 10
),
tastemakers AS (
	SELECT top.track_id, r.user_id
	FROM top
	CROSS JOIN LATERAL (
		SELECT rp.user_id
		FROM public.reposts rp
		WHERE rp.repost_item_id = top.track_id AND rp.repost_type = 'track'
			AND NOT rp.is_delete
		ORDER BY rp.created_at, rp.user_id
		LIMIT 10
	) r
	UNION
	SELECT top.track_id, s.user_id
	FROM top
	CROSS JOIN LATERAL (
		SELECT sv.user_id
		FROM public.saves sv
		WHERE sv.save_item_id = top.track_id AND sv.save_type = 'track'
			AND NOT sv.is_delete
		ORDER BY sv.created_at, sv.user_id
		LIMIT 10
	) s
)
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT ch.id, tm.user_id,
	to_hex(tm.user_id) || ':t:' || to_hex(tm.track_id), true, 1, ch.amount,
	now(), now()
FROM tastemakers tm CROSS JOIN ch
ORDER BY 3
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.amount
