-- apply_rows.sql: the write half of every recompute processor, run on the
-- PRIMARY with the rows that the processor's read statement (sql/NAME_read.sql,
-- run on a hot standby) returned for one batch and one challenge. Prepared
-- once with parameter types ($1 text, $2 bigint[], $3 text[], $4 integer[],
-- $5 boolean[], $6 integer[], $7 boolean[], $8 boolean[]) and executed per
-- read result:
--   $1  the challenge id (the read's $2)
--   $2..$8  the read's columns as parallel arrays, one element per read row,
--       in any order: user_id, specifier, step, complete, amount, may_create,
--       once. Each specifier appears at most once (the read statements
--       return one row per specifier); all rows of one call are of one kind
--       (once or not), as every read statement returns
--
-- It writes what the second half of NAME.sql writes, judged against
-- public.user_challenges as this statement's snapshot sees it:
--
-- One-shot rows (once, the ON CONFLICT DO NOTHING statements): a row with
-- is_complete = complete, current_step_count = step, the amount, created_at
-- now() and completed_at now() when complete is inserted when may_create and
-- no row exists for ($1, specifier); an existing row is never changed
-- (ON CONFLICT DO NOTHING writes nothing, not even a row lock). For $1 'r'
-- and 'rv' (referral.sql) the rules that need the existing rows hold here,
-- where those rows are: a pair with a row under r or rv is never paid again,
-- and per referrer (user_id) at most cap (the step_count of $1 in
-- public.challenges, on the primary) minus the rows it already has under $1
-- are inserted (rows of pairs that no longer exist count too), taking the
-- unpaid pairs in referred user id order, the id being parsed back from the
-- specifier's second part.
--
-- Sticky rows (not once: play_milestone, track_upload, profile_completion),
-- exactly as in play_milestone.sql: a missing row is created when
-- may_create; an existing row is updated whatever may_create is. Once
-- complete a row stays complete; amount follows the catalogue until
-- completion and is then fixed; completed_at is set once, at the first
-- completion; current_step_count always follows the data (also downwards,
-- also after completion). A row that would not change is not even proposed
-- for insertion (the test against the row as the snapshot saw it, prev):
-- ON CONFLICT DO UPDATE locks the conflicting row even when its WHERE then
-- declines the update, which writes the row's xmax and WAL. The DO UPDATE's
-- IS DISTINCT FROM guard still decides when a concurrent writer changed the
-- row since the snapshot.
--
-- Output, as NAME.sql: one row per user_challenges row inserted or changed:
-- challenge_id, user_id, specifier, current_step_count, is_complete,
-- completed_now. completed_now is true iff the row became complete in this
-- statement: judged against prev for sticky rows (exact with one writer at a
-- time per (challenge, user)); an inserted one-shot row is new, so its
-- is_complete.
--
-- Bounded by the read result: user_challenges by primary key (prev, and for
-- r/rv whether a pair is paid) and, for r/rv only, by
-- user_challenges(challenge_id, user_id) WHERE challenge_id IN ('r', 'rv')
-- (a referrer's rows, for the cap); nothing scans a table (the planner may
-- scan the small catalogue public.challenges).
WITH input AS (
	SELECT $1 AS challenge_id, i.user_id, i.specifier, i.step, i.complete,
		i.amount, i.may_create, i.once
	FROM unnest($2, $3, $4, $5, $6, $7, $8)
		AS i (user_id, specifier, step, complete, amount, may_create, once)
),
-- Sticky rows. Every lookup below is a correlated subquery keyed by one
-- user_challenges key, so the planner cannot turn it into a hash join over
-- all of user_challenges, whatever it estimates for the batch.
cand AS (
	SELECT i.challenge_id, i.user_id, i.specifier, i.step, i.complete,
		i.amount, i.may_create,
		-- The existing row's state (NULL: no row; is_complete is NOT NULL).
		prev.is_complete AS prev_complete,
		prev.current_step_count AS prev_step, prev.amount AS prev_amount,
		prev.completed_at AS prev_completed_at
	FROM input i
	LEFT JOIN LATERAL (
		SELECT uc.is_complete, uc.current_step_count, uc.amount,
			uc.completed_at
		FROM public.user_challenges uc
		WHERE uc.challenge_id = i.challenge_id
			AND uc.specifier = i.specifier
		-- LIMIT 1 (the key is unique anyway): a lookup per row, never a
		-- join over all of user_challenges.
		LIMIT 1
	) prev ON true
	WHERE NOT i.once
),
sticky_written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT cand.challenge_id, cand.user_id, cand.specifier,
		cand.complete, cand.step, cand.amount, now(),
		CASE WHEN cand.complete THEN now() END
	FROM cand
	WHERE (cand.may_create AND cand.prev_complete IS NULL)
		-- No row is proposed that would not change: ON CONFLICT DO UPDATE
		-- would lock it (and write its xmax) even when the guard below
		-- turns the update down.
		OR (cand.prev_complete IS NOT NULL
			AND (cand.prev_step, cand.prev_complete, cand.prev_amount,
				cand.prev_completed_at)
			IS DISTINCT FROM
			(cand.step,
			 cand.prev_complete OR cand.complete,
			 CASE WHEN cand.prev_complete THEN cand.prev_amount
				ELSE cand.amount END,
			 coalesce(cand.prev_completed_at,
				CASE WHEN cand.complete THEN now() END)))
	-- A fixed order: concurrent statements lock shared rows in one order.
	ORDER BY cand.specifier
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
	RETURNING uc.challenge_id, uc.user_id, uc.specifier,
		uc.current_step_count, uc.is_complete
),
-- Referral (r, rv) only, as referral.sql: the room the cap leaves each
-- referrer under $1. Empty for any other challenge, so nothing below reads
-- for it. (The IN ('r', 'rv') lets the planner use the partial index even
-- in a generic plan, where $1 is unknown.)
room AS (
	SELECT k.user_id, greatest(ch.cap - h.n, 0) AS room
	FROM (SELECT c.step_count AS cap
		FROM public.challenges c
		WHERE c.id = $1 AND c.id IN ('r', 'rv')) ch
	CROSS JOIN (SELECT DISTINCT i.user_id FROM input i WHERE i.once) k
	CROSS JOIN LATERAL (
		SELECT count(*) AS n
		FROM public.user_challenges uc
		WHERE uc.challenge_id IN ('r', 'rv')
			AND uc.challenge_id = $1
			AND uc.user_id = k.user_id
	) h
),
-- Referral only: the pairs not yet paid under either challenge (a count,
-- not NOT EXISTS, so that it is not turned into an anti-join; the row's
-- user_id is the referrer, which bounds the lookup by the referrer's rows
-- should the planner pick the partial index), numbered per referrer in
-- referred user id order: the second part of the specifier is
-- to_hex(referred), and a 64-bit two's complement bit string, so the
-- order is numeric (text order is not: 'ff' > '100').
unpaid AS (
	SELECT i.challenge_id, i.user_id, i.specifier, i.step, i.complete,
		i.amount,
		row_number() OVER (PARTITION BY i.user_id
			ORDER BY ('x' || lpad(split_part(i.specifier, ':', 2), 16, '0'))
				::bit(64)::bigint) AS nth
	FROM input i
	WHERE i.once AND i.may_create AND $1 IN ('r', 'rv')
		AND (SELECT count(*)
			FROM public.user_challenges uc
			WHERE uc.challenge_id IN ('r', 'rv')
				AND uc.specifier = i.specifier
				AND uc.user_id = i.user_id) = 0
),
oneshot AS (
	SELECT i.challenge_id, i.user_id, i.specifier, i.step, i.complete,
		i.amount
	FROM input i
	WHERE i.once AND i.may_create AND $1 NOT IN ('r', 'rv')
	UNION ALL
	SELECT u.challenge_id, u.user_id, u.specifier, u.step, u.complete,
		u.amount
	FROM unpaid u
	JOIN room rm ON rm.user_id = u.user_id
	WHERE u.nth <= rm.room
),
once_written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT o.challenge_id, o.user_id, o.specifier, o.complete, o.step,
		o.amount, now(), CASE WHEN o.complete THEN now() END
	FROM oneshot o
	-- A fixed order: concurrent statements lock shared keys in one order.
	ORDER BY o.specifier
	ON CONFLICT (challenge_id, specifier) DO NOTHING
	RETURNING uc.challenge_id, uc.user_id, uc.specifier,
		uc.current_step_count, uc.is_complete
)
SELECT w.challenge_id, w.user_id, w.specifier, w.current_step_count,
	w.is_complete, w.is_complete AS completed_now
FROM once_written w
UNION ALL
SELECT w.challenge_id, w.user_id, w.specifier, w.current_step_count,
	w.is_complete,
	w.is_complete AND NOT coalesce(cand.prev_complete, false) AS completed_now
FROM sticky_written w
JOIN cand ON cand.challenge_id = w.challenge_id
	AND cand.specifier = w.specifier
