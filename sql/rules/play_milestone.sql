-- play_milestone.sql: the play-count milestones p1/p2/p3, for one batch of
-- users (processors p1, p2 and p3 of the plays group).
-- reckon: policy sticky
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('p1', 'p2' or 'p3'); its threshold (step_count),
--       amount and active flag come from public.challenges
--   $3  create_min: a missing row is created only once N >= $3 (the daemon
--       passes 1 for p1, 250 for p2, 1000 for p3, so a tier's row appears
--       once the tier below is within reach)
--
-- Rule. Eligible users: a users row with is_verified and not is_deactivated;
-- other users get no candidate, so their rows are frozen. N = number of
-- plays of the user's tracks with is_delete = false, read from
-- public.aggregate_plays (one row per track), never by counting plays.
-- Row: specifier hex(user_id)||':'||threshold (e.g. 'ff:250'),
-- step = least(N, threshold), complete when N >= threshold.
--
-- The one primary-only part: on the primary, N comes from the batch's
-- pg_temp.reckon_play_counts when the plays group's prelude
-- (sql/play_counts.sql) filled it, so p1, p2 and p3 sum an artist's tracks
-- once per batch instead of three times; a standby cannot have a temporary
-- table, so there each tier sums N itself (the same sum, the fallback here
-- for a user the prelude did not sum).
--
-- Bounded: users by primary key, reckon_play_counts by primary key, tracks
-- by tracks(owner_id), aggregate_plays by primary key (the planner may scan
-- the small catalogue public.challenges).
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
	n.n >= $3 AS may_create
FROM eligible e
-- A correlated subquery keyed by one user, so the planner cannot turn it
-- into a hash join over all tracks, whatever it estimates for the batch.
-- COALESCE evaluates the sum only when the prelude's row is missing.
CROSS JOIN LATERAL (
	SELECT coalesce(
-- reckon: primary-only begin
		(SELECT pc.n FROM pg_temp.reckon_play_counts pc
		 WHERE pc.user_id = e.user_id),
-- reckon: primary-only end
		(SELECT coalesce(sum(ap.count), 0)::bigint
		 FROM public.tracks t
		 JOIN public.aggregate_plays ap ON ap.play_item_id = t.track_id
		 WHERE t.owner_id = e.user_id AND NOT t.is_delete)) AS n
) n
