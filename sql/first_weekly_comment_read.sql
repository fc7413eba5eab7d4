-- first_weekly_comment_read.sql: the read half of first_weekly_comment.sql
-- (challenge 'c', one completed row per user and ISO week in which the user
-- commented) for one batch of users. Runs on the READ server, a hot
-- standby: a pure SELECT that writes nothing and does not read
-- public.user_challenges (the existing rows are the primary's business, and
-- a standby may lag behind them). Its rows go to apply_rows.sql on the
-- primary, which inserts the missing ones. Prepared once with parameter
-- types ($1 bigint[], $2 text, $3 bigint), as first_weekly_comment.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('c'); amount and active come from public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in first_weekly_comment.sql. For every week (ISO year and ISO
-- week of created_at taken in UTC, whatever the session's TimeZone) in which
-- the user has a comment with is_delete = false and is_visible = true: a row
-- with specifier hex(user_id)||':'||IYYYIW (two-digit week: 'ff:202501'),
-- complete, step 1. No users row is needed. One-shot rows: an existing row
-- is never changed.
--
-- Output: one row per (user, week) (none when $2 is missing or inactive):
-- user_id, specifier, step 1, complete true, amount (the catalogue's),
-- may_create true, once true (apply_rows.sql: ON CONFLICT DO NOTHING).
--
-- Bounded: comments by comments(user_id).
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
),
ids AS (
	SELECT DISTINCT x.user_id
	FROM unnest($1) AS x (user_id)
	WHERE x.user_id IS NOT NULL
),
-- Per user, a correlated subquery (DISTINCT keeps the planner from
-- flattening it into a hash join over all comments): comments(user_id).
weeks AS (
	SELECT ids.user_id, w.iso_week
	FROM ids
	CROSS JOIN LATERAL (
		-- AT TIME ZONE 'UTC' turns timestamptz into the UTC wall-clock
		-- timestamp, so to_char no longer depends on the session TimeZone.
		SELECT DISTINCT
			to_char(cm.created_at AT TIME ZONE 'UTC', 'IYYYIW') AS iso_week
		FROM public.comments cm
		WHERE cm.user_id = ids.user_id AND NOT cm.is_delete AND cm.is_visible
	) w
)
SELECT w.user_id, to_hex(w.user_id) || ':' || w.iso_week AS specifier,
	1 AS step, true AS complete, ch.amount, true AS may_create, true AS once
FROM weeks w
CROSS JOIN ch
