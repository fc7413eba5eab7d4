-- play_milestone_read.sql: the read half of play_milestone.sql (the
-- play-count milestones p1/p2/p3) for one batch of users. Runs on the READ
-- server, a hot standby: a pure SELECT that writes nothing, creates nothing
-- and reads neither pg_temp.reckon_play_counts (temporary tables cannot
-- exist on a standby) nor public.user_challenges (the existing rows are the
-- primary's business, and a standby may lag behind them). Its rows go to
-- apply_rows.sql on the primary, which does the sticky upsert. Prepared once
-- with parameter types ($1 bigint[], $2 text, $3 bigint), as
-- play_milestone.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('p1', 'p2' or 'p3'); its threshold (step_count),
--       amount and active flag come from public.challenges
--   $3  create_min: a missing row may be created only once N >= $3 (the
--       daemon passes 1 for p1, 250 for p2, 1000 for p3); an existing row is
--       updated whatever N is
--
-- Rule, as in play_milestone.sql. Eligible users: a users row with
-- is_verified and not is_deactivated; other users get no row here, so their
-- rows are frozen. N = number of plays of the user's tracks with
-- is_delete = false, read from public.aggregate_plays (one row per track),
-- never by counting plays, always summed here (play_milestone.sql's
-- fallback: there is no prelude table on a standby). Row: specifier
-- hex(user_id)||':'||threshold (e.g. 'ff:250'), step = least(N, threshold),
-- complete when N >= threshold.
--
-- Output: one row per eligible user (none when $2 is missing, inactive or
-- has no step_count): user_id, specifier, step, complete, amount (the
-- catalogue's), may_create (N >= $3), once (false: a sticky upsert).
--
-- Bounded: users by primary key, tracks by tracks(owner_id),
-- aggregate_plays by primary key; nothing scans a table (the planner may
-- scan the small catalogue public.challenges).
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active AND c.step_count IS NOT NULL
),
eligible AS (
	-- users.user_id is the key: one row per user even if $1 repeats an id.
	SELECT ch.step_count, ch.amount, u.user_id,
		to_hex(u.user_id) || ':' || ch.step_count AS specifier
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE u.is_verified AND NOT u.is_deactivated
)
SELECT e.user_id, e.specifier,
	least(n.n, e.step_count)::integer AS step,
	n.n >= e.step_count AS complete,
	e.amount,
	coalesce(n.n >= $3, false) AS may_create,
	false AS once
FROM eligible e
-- A correlated subquery keyed by one user, so the planner cannot turn it
-- into a hash join over all tracks, whatever it estimates for the batch.
CROSS JOIN LATERAL (
	SELECT coalesce(sum(ap.count), 0)::bigint AS n
	FROM public.tracks t
	JOIN public.aggregate_plays ap ON ap.play_item_id = t.track_id
	WHERE t.owner_id = e.user_id AND NOT t.is_delete
) n
