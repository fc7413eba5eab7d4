-- streak.sql: the streak write policy (the listen streak 'e'): a fold of
-- each listener's new plays into its state, public.challenge_listen_streak,
-- and the rows the fold's advances earn. Never run on its own: src/rule.c
-- composes it with a rule ("-- reckon: policy streak",
-- sql/rules/listen_streak.sql) into the processor's statements, replacing
-- the "-- reckon: rule" line below with the rule itself (the statement on
-- the primary) or with the rows the rule returned on a hot standby, one
-- array per column ($4, $5, $6). Parameters and the frame (challenge,
-- batch_keys): sql/rule_frame.sql.
-- reckon: columns user_id bigint, play_id bigint, played_at timestamptz
--
-- The candidate rows: plays of a listener (user_id) that may change its
-- streak, any superset of them (the fold ignores what it must: a standby's
-- read, from a state older than the primary's, offers plays folded
-- already).
--
-- The fold (public.listen_streak_fold, sql/schema.sql), per listener, over
-- its candidates in play_id order, from its state (none: no last listen):
-- a play less than 16 h after the last counted listen is ignored (negative
-- gaps included); 16 h to under 48 h adds 1 to the streak; 48 h or more,
-- or no last listen, starts a streak of 1. Each play that counts (an
-- advance, at its time t) becomes the last counted listen. The order
-- across recomputes: see the rule.
--
-- Rows, with spec(t) = hex(user) || the UTC hour of t as YYYYMMDDHH24 (no
-- colon; advances are 16 h apart, so a listener's specifiers never
-- collide):
--   - the 7-day row of a streak, spec(its start): created when the streak
--     starts (created_at = t), amount 7, current_step_count = min(streak,
--     7), complete at 7 (completed_at = the seventh advance's t). A
--     broken streak leaves its row as it was, incomplete;
--   - each advance beyond 7: an "endless" row spec(t), step 1, the
--     catalogue's amount, complete (created_at = completed_at = t).
-- Times come from the plays, never now(): a backfill writes what the
-- stream would have. The state names the open 7-day row by its start
-- (streak_started_at); a state without one (imported from elsewhere)
-- writes no 7-day row for the streak it continues, endless rows still.
--
-- Writes only what changed: no candidate, nothing at all (no row lock, no
-- dead tuple, in either table). A candidate in the rule's form is always an
-- advance (the first of them in id order is at least 16 h after the last
-- listen); a read from a standby may offer only plays the fold ignores,
-- and then nothing is written either. The state row of a listener is
-- written once per statement, when it advanced. A 7-day row is proposed
-- only when it would change, as the sticky policy does (ON CONFLICT DO
-- UPDATE would lock it even when its WHERE declines); an endless row is
-- inserted or left (DO NOTHING: no lock).
--
-- Exact with one writer at a time per listener (reckon's group lock): the
-- state read and the state written are the same statement's.
--
-- Output: one row per user_challenges row inserted or changed:
-- challenge_id, user_id, specifier, current_step_count, is_complete,
-- completed_now (it became complete in this statement).
--
-- Bounded: challenge_listen_streak and user_challenges by primary key, one
-- lookup per listener and per 7-day row; the fold is linear in the
-- candidates. Measured on the 2-core development machine (shared, so
-- times vary by 2x), 1,000 listeners of 2,000 plays each over a year,
-- every one on a daily streak: the first fold (a backfill page) of all
-- 1,000 took 5 to 11 s, writing 494,000 rows (reading the plays about
-- half of it, the fold 0.5 s, the rest the writes), of 250 of them 2.5 to
-- 3.8 s; then one new play each, 1,000 listeners in 42 ms, and nothing
-- new, 10 ms (8 buffers a listener).
WITH
-- reckon: frame
rule AS (
-- reckon: rule
),
-- Per listener, its candidates' times in play id order: the fold's input.
listeners AS (
	SELECT r.user_id,
		array_agg(r.played_at ORDER BY r.play_id) AS played_at
	FROM challenge ch
	CROSS JOIN rule r
	GROUP BY r.user_id
),
-- The advances, each with the streak after it, the time that started
-- that streak, and whether it is the listener's last (its new state).
-- Every lookup is a correlated subquery keyed by one listener, never a
-- join over the whole state table.
advances AS MATERIALIZED (
	SELECT l.user_id, f.listen_at, f.listen_streak, f.streak_started_at,
		f.is_last
	FROM listeners l
	LEFT JOIN LATERAL (
		SELECT s.last_listen_date, s.listen_streak, s.streak_started_at
		FROM public.challenge_listen_streak s
		WHERE s.user_id = l.user_id
		LIMIT 1
	) st ON true
	CROSS JOIN LATERAL public.listen_streak_fold(st.last_listen_date,
		st.listen_streak, st.streak_started_at, l.played_at) f
),
-- The state after the last advance of each listener that advanced.
state AS (
	INSERT INTO public.challenge_listen_streak AS s (user_id,
		last_listen_date, listen_streak, streak_started_at)
	SELECT a.user_id, a.listen_at, a.listen_streak, a.streak_started_at
	FROM advances a
	WHERE a.is_last
	ORDER BY a.user_id
	ON CONFLICT (user_id) DO UPDATE SET
		last_listen_date = excluded.last_listen_date,
		listen_streak = excluded.listen_streak,
		streak_started_at = excluded.streak_started_at
	RETURNING s.user_id
),
-- The 7-day rows the advances reach: per streak, its count so far (at most
-- 7) and, at 7, when it completed; with the row as the snapshot saw it.
week AS (
	SELECT w.*, prev.is_complete AS prev_complete,
		prev.current_step_count AS prev_step,
		prev.completed_at AS prev_completed_at
	FROM (
		SELECT a.user_id,
			to_hex(a.user_id) || to_char(a.streak_started_at AT TIME ZONE 'UTC',
				'YYYYMMDDHH24') AS specifier,
			a.streak_started_at AS created_at,
			max(a.listen_streak) AS step,
			max(a.listen_streak) >= 7 AS complete,
			min(a.listen_at) FILTER (WHERE a.listen_streak = 7) AS completed_at
		FROM advances a
		WHERE a.listen_streak <= 7 AND a.streak_started_at IS NOT NULL
		GROUP BY a.user_id, a.streak_started_at
	) w
	LEFT JOIN LATERAL (
		SELECT uc.is_complete, uc.current_step_count, uc.completed_at
		FROM public.user_challenges uc
		WHERE uc.challenge_id = $2 AND uc.specifier = w.specifier
		LIMIT 1
	) prev ON true
),
week_written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT ch.id, w.user_id, w.specifier, w.complete, w.step, 7,
		w.created_at, w.completed_at
	FROM challenge ch
	CROSS JOIN week w
	-- No row is proposed that would not change (see above).
	WHERE w.prev_complete IS NULL
		OR (w.prev_step, w.prev_complete, w.prev_completed_at)
			IS DISTINCT FROM
			(w.step, w.prev_complete OR w.complete,
			 coalesce(w.prev_completed_at, w.completed_at))
	-- A fixed order: concurrent statements lock shared rows in one order.
	ORDER BY w.specifier
	ON CONFLICT (challenge_id, specifier) DO UPDATE SET
		current_step_count = excluded.current_step_count,
		is_complete = uc.is_complete OR excluded.is_complete,
		completed_at = coalesce(uc.completed_at, excluded.completed_at)
	WHERE (uc.current_step_count, uc.is_complete, uc.completed_at)
		IS DISTINCT FROM
		(excluded.current_step_count, uc.is_complete OR excluded.is_complete,
		 coalesce(uc.completed_at, excluded.completed_at))
	RETURNING uc.challenge_id, uc.user_id, uc.specifier,
		uc.current_step_count, uc.is_complete
),
-- An endless row per advance beyond 7.
endless_written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT ch.id, a.user_id,
		to_hex(a.user_id) || to_char(a.listen_at AT TIME ZONE 'UTC',
			'YYYYMMDDHH24'),
		true, 1, ch.amount, a.listen_at, a.listen_at
	FROM challenge ch
	CROSS JOIN advances a
	WHERE a.listen_streak > 7
	ORDER BY 3
	ON CONFLICT (challenge_id, specifier) DO NOTHING
	RETURNING uc.challenge_id, uc.user_id, uc.specifier,
		uc.current_step_count, uc.is_complete
)
SELECT w.challenge_id, w.user_id, w.specifier, w.current_step_count,
	w.is_complete,
	w.is_complete AND NOT coalesce(week.prev_complete, false) AS completed_now
FROM week_written w
JOIN week ON week.specifier = w.specifier
UNION ALL
SELECT e.challenge_id, e.user_id, e.specifier, e.current_step_count,
	e.is_complete, e.is_complete AS completed_now
FROM endless_written e
