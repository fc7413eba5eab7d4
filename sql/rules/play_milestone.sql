-- play_milestone.sql: the play-count milestones p1/p2/p3, for one batch of
-- users (processors p1, p2 and p3 of the plays group; create_min 1, 250 and
-- 1000, so a tier's row appears once the tier below is within reach).
-- reckon: policy sticky
--
-- Rule. Eligible users: a users row with is_verified and not is_deactivated;
-- other users get no candidate, so their rows are frozen. n = number of
-- plays of the user's tracks with is_delete = false, read from
-- public.aggregate_plays (one row per track), never by counting plays.
-- Specifier hex(user_id)||':'||threshold (e.g. 'ff:250').
--
-- The one primary-only part: on the primary, n comes from the batch's
-- pg_temp.reckon_play_counts when the plays group's prelude
-- (sql/play_counts.sql) filled it, so p1, p2 and p3 sum an artist's tracks
-- once per batch instead of three times; a standby cannot have a temporary
-- table, so there each tier sums n itself (the same sum, the fallback here
-- for a user the prelude did not sum).
--
-- Bounded: users by primary key, reckon_play_counts by primary key, tracks
-- by tracks(owner_id), aggregate_plays by primary key.
SELECT u.user_id, to_hex(u.user_id) || ':' || ch.step_count AS specifier,
	n.n
FROM challenge ch
-- users.user_id is the key: one row per user even if $1 repeats an id.
JOIN public.users u ON u.user_id = ANY ($1)
-- A correlated subquery keyed by one user, so the planner cannot turn it
-- into a hash join over all tracks, whatever it estimates for the batch.
-- COALESCE evaluates the sum only when the prelude's row is missing.
CROSS JOIN LATERAL (
	SELECT coalesce(
-- reckon: primary-only begin
		(SELECT pc.n FROM pg_temp.reckon_play_counts pc
		 WHERE pc.user_id = u.user_id),
-- reckon: primary-only end
		(SELECT coalesce(sum(ap.count), 0)::bigint
		 FROM public.tracks t
		 JOIN public.aggregate_plays ap ON ap.play_item_id = t.track_id
		 WHERE t.owner_id = u.user_id AND NOT t.is_delete)) AS n
) n
WHERE u.is_verified AND NOT u.is_deactivated
