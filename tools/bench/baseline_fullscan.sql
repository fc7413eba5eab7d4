-- baseline_fullscan.sql: the full-scan processor, one of the two designs
-- reckon replaces (issue #6), as a benchmark baseline. Run by
-- build/bench/poller_driver --mode scan (tools/bench/poller_driver.c), which
-- prepares each statement below (split at the "-- @statement NAME" lines)
-- and, every tick (30 s in production), runs scan_milestone once per tier
-- (p1, p2, p3) and scan_weekly_comment once, each in its own transaction.
--
-- What makes it the full-scan design is HOW it finds users: it does not. Each
-- tier recounts N for every owner with a GROUP BY over ALL plays joined to
-- tracks (not aggregate_plays, which the production processor did not have),
-- and proposes a row for every eligible user; c regroups ALL comments per
-- user and ISO week. Its cost therefore grows with the tables, whether or not
-- anything changed (about 49 s per tier per tick in production).
--
-- The rows written are those reckon writes (sql/rules/play_milestone.sql and
-- sql/rules/first_weekly_comment.sql state the rules): same specifiers, same
-- create_min, same sticky completion, amount and completed_at. Like reckon's
-- statements, an upsert that would change nothing is not proposed, so a tick
-- writes only rows that really change: the baseline pays for finding the
-- users, not for rewriting settled rows (generous to it: an unguarded
-- upsert would also rewrite every settled row each tick). Every name is
-- schema-qualified: the driver's session has an empty search_path.

-- @statement scan_milestone
-- One play-milestone tier for every eligible user.
--   $1 text    the challenge id ('p1', 'p2' or 'p3'); threshold
--              (step_count) and amount come from public.challenges
--   $2 bigint  create_min: a missing row is created only once N >= $2 (1,
--              250, 1000 for p1, p2, p3, as reckon's configuration passes)
-- Returns one row: users (eligible users recomputed), rows (user_challenges
-- rows inserted or changed).
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $1 AND c.active AND c.step_count IS NOT NULL
),
-- The scan: N per owner over the whole plays table.
counts AS (
	SELECT t.owner_id AS user_id, count(*) AS n
	FROM public.plays p
	JOIN public.tracks t ON t.track_id = p.play_item_id
	WHERE NOT t.is_delete
	GROUP BY t.owner_id
),
-- Every eligible user, N = 0 when none of their tracks was played (an
-- existing row follows the data down to 0); other users' rows are frozen.
cand AS (
	SELECT ch.id AS challenge_id, u.user_id, ch.amount,
		to_hex(u.user_id) || ':' || ch.step_count AS specifier,
		coalesce(n.n, 0) AS n,
		least(coalesce(n.n, 0), ch.step_count)::integer AS step,
		coalesce(n.n, 0) >= ch.step_count AS complete
	FROM ch
	CROSS JOIN public.users u
	LEFT JOIN counts n ON n.user_id = u.user_id
	WHERE u.is_verified AND NOT u.is_deactivated
),
prev AS (
	SELECT cand.*, uc.is_complete AS prev_complete,
		uc.current_step_count AS prev_step, uc.amount AS prev_amount,
		uc.completed_at AS prev_completed_at
	FROM cand
	LEFT JOIN public.user_challenges uc
		ON uc.challenge_id = cand.challenge_id
		AND uc.specifier = cand.specifier
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT prev.challenge_id, prev.user_id, prev.specifier, prev.complete,
		prev.step, prev.amount, now(),
		CASE WHEN prev.complete THEN now() END
	FROM prev
	WHERE (prev.n >= $2 AND prev.prev_complete IS NULL)
		OR (prev.prev_complete IS NOT NULL
			AND (prev.prev_step, prev.prev_complete, prev.prev_amount,
				prev.prev_completed_at)
			IS DISTINCT FROM
			(prev.step,
			 prev.prev_complete OR prev.complete,
			 CASE WHEN prev.prev_complete THEN prev.prev_amount
				ELSE prev.amount END,
			 coalesce(prev.prev_completed_at,
				CASE WHEN prev.complete THEN now() END)))
	-- The order reckon's statement locks rows in, so the two never deadlock.
	ORDER BY prev.specifier
	ON CONFLICT (challenge_id, specifier) DO UPDATE SET
		current_step_count = excluded.current_step_count,
		is_complete = uc.is_complete OR excluded.is_complete,
		amount = CASE WHEN uc.is_complete THEN uc.amount
			ELSE excluded.amount END,
		completed_at = coalesce(uc.completed_at, excluded.completed_at)
	WHERE (uc.current_step_count, uc.is_complete, uc.amount, uc.completed_at)
		IS DISTINCT FROM
		(excluded.current_step_count,
		 uc.is_complete OR excluded.is_complete,
		 CASE WHEN uc.is_complete THEN uc.amount ELSE excluded.amount END,
		 coalesce(uc.completed_at, excluded.completed_at))
	RETURNING uc.user_id
)
SELECT (SELECT count(*) FROM cand) AS users,
	(SELECT count(*) FROM written) AS rows

-- @statement scan_weekly_comment
-- Challenge c for every user: one complete row per user and ISO week (ISO
-- year and week of created_at in UTC) with a live, visible comment.
--   $1 text  the challenge id ('c'); amount comes from public.challenges
-- Rows only ever appear (an aggregate challenge): existing ones are skipped
-- by the anti-join, and ON CONFLICT DO NOTHING covers a row another writer
-- inserted meanwhile. Returns one row: users (users with a live comment),
-- rows (rows inserted).
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $1 AND c.active
),
-- The scan: every (user, ISO week) over the whole comments table.
weeks AS (
	SELECT cm.user_id,
		to_char(cm.created_at AT TIME ZONE 'UTC', 'IYYYIW') AS iso_week
	FROM public.comments cm
	WHERE NOT cm.is_delete AND cm.is_visible
	GROUP BY 1, 2
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT ch.id, w.user_id, to_hex(w.user_id) || ':' || w.iso_week,
		true, 1, ch.amount, now(), now()
	FROM weeks w
	CROSS JOIN ch
	WHERE NOT EXISTS (
		SELECT 1
		FROM public.user_challenges x
		WHERE x.challenge_id = ch.id
			AND x.specifier = to_hex(w.user_id) || ':' || w.iso_week)
	ORDER BY 3
	ON CONFLICT (challenge_id, specifier) DO NOTHING
	RETURNING uc.user_id
)
SELECT (SELECT count(DISTINCT w.user_id) FROM weeks w) AS users,
	(SELECT count(*) FROM written) AS rows
