-- first_weekly_comment.sql: challenge 'c', one completed row per user and
-- ISO week in which the user commented, for one batch of users. Run by
-- src/recompute.c (embedded by tools/embed.sh), prepared once with parameter
-- types ($1 bigint[], $2 text, $3 bigint) and executed per batch:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('c'); amount and active come from public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. For every week (ISO year and ISO week of created_at taken in UTC,
-- whatever the session's TimeZone) in which the user has a comment with
-- is_delete = false and is_visible = true: a row with specifier
-- hex(user_id)||':'||IYYYIW (two-digit week: 'ff:202501'), complete,
-- current_step_count 1, amount from the catalogue, completed_at now(). No
-- users row is needed. An aggregate challenge only ever gains rows: existing
-- rows are never changed (ON CONFLICT DO NOTHING writes nothing), and a row
-- stays when its comments are later deleted or hidden.
--
-- Output: one row per user_challenges row inserted (rows are born complete,
-- so completed_now is always true).
--
-- Bounded: comments by comments(user_id), user_challenges by primary key.
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
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT ch.id, w.user_id, to_hex(w.user_id) || ':' || w.iso_week,
	true, 1, ch.amount, now(), now()
FROM weeks w
CROSS JOIN ch
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY 3
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, true AS completed_now
