-- first_weekly_comment.sql: challenge 'c', a first comment in an ISO week,
-- for one batch of users.
-- reckon: policy once
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('c'); amount and active come from
--       public.challenges
--   $3  unused
--
-- Rule. Per user, one row per ISO week (in UTC, whatever the session's
-- TimeZone) in which the user wrote a comment that is live (NOT is_delete)
-- and visible: specifier hex(user_id)||':'||IYYYIW (e.g. 'ff:202447'),
-- complete at step 1. A week's row stays when its comment is deleted.
--
-- Bounded: comments by comments(user_id), the user's comments.
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
	1 AS step, true AS complete, ch.amount
FROM weeks w
CROSS JOIN ch
