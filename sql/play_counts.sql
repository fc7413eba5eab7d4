-- play_counts.sql: N, the plays of each eligible user's live tracks, for one
-- batch, into pg_temp.reckon_play_counts (play_counts_setup.sql). Run by
-- src/recompute.c as the plays group's "prelude" (tools/reckon.conf): in the
-- batch's transaction, after BEGIN and before the members p1, p2 and p3,
-- which read N from it instead of each summing it again.
--   $1  the batch's user ids (duplicates and NULLs are ignored)
-- Returns no rows.
--
-- Eligible as in the rule sql/rules/play_milestone.sql (verified, not deactivated): the tiers
-- touch no one else, so no one else is summed. N is read from
-- public.aggregate_plays (one row per track), never by counting plays.
-- A snapshot taken after this statement's may see more plays; that is fine:
-- every commit the batch acknowledges was visible before BEGIN, and a play
-- committed later dirties its owner again (a key in flight is never
-- skipped as saturated).
--
-- Bounded: users by primary key, tracks by tracks(owner_id),
-- aggregate_plays by primary key.
INSERT INTO pg_temp.reckon_play_counts AS pc (user_id, n)
SELECT u.user_id, n.n
FROM public.users u
CROSS JOIN LATERAL (
	SELECT coalesce(sum(ap.count), 0)::bigint AS n
	FROM public.tracks t
	JOIN public.aggregate_plays ap ON ap.play_item_id = t.track_id
	WHERE t.owner_id = u.user_id AND NOT t.is_delete
) n
WHERE u.user_id = ANY ($1::bigint[])
	AND u.is_verified AND NOT u.is_deactivated
-- a psql session may run it twice in one transaction; reckon never does
ON CONFLICT (user_id) DO UPDATE SET n = excluded.n
