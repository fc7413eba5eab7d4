-- first_weekly_comment.sql: challenge 'c', a first comment in an ISO week,
-- for one batch of users.
-- reckon: policy once
--
-- Rule. Per user, one row per ISO week (in UTC, whatever the session's
-- TimeZone) in which the user wrote a comment that is live (NOT is_delete)
-- and visible: specifier hex(user_id)||':'||IYYYIW (e.g. 'ff:202447'). A
-- week's row stays when its comment is deleted.
--
-- Bounded: comments by comments(user_id), the user's comments.
SELECT k.key AS user_id, to_hex(k.key) || ':' || w.iso_week AS specifier
FROM challenge ch
CROSS JOIN batch_keys k
CROSS JOIN LATERAL (
	-- AT TIME ZONE 'UTC' turns timestamptz into the UTC wall-clock
	-- timestamp, so to_char no longer depends on the session TimeZone.
	SELECT DISTINCT
		to_char(cm.created_at AT TIME ZONE 'UTC', 'IYYYIW') AS iso_week
	FROM public.comments cm
	WHERE cm.user_id = k.key AND NOT cm.is_delete AND cm.is_visible
) w
