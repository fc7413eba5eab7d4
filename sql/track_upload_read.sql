-- track_upload_read.sql: the read half of track_upload.sql (challenge 'u',
-- upload step_count (3) tracks) for one batch of users. Runs on the READ
-- server, a hot standby: a pure SELECT that writes nothing and does not
-- read public.user_challenges (the existing rows are the primary's
-- business, and a standby may lag behind them). Its rows go to
-- apply_rows.sql on the primary, which does the sticky upsert. Prepared once
-- with parameter types ($1 bigint[], $2 text, $3 bigint), as
-- track_upload.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('u'); step_count, amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in track_upload.sql. K = the user's tracks with
-- is_delete = false, is_unlisted = false and stem_of IS NULL (SQL NULL: a
-- jsonb 'null' value is not SQL NULL, so such a track does not count). No
-- users row is needed. Row: specifier hex(user_id), step =
-- least(K, step_count), complete when K >= step_count; a missing row may be
-- created for K >= 1, an existing one is updated whatever K is.
--
-- Output: one row per distinct key (none when $2 is missing, inactive or
-- has no step_count): user_id, specifier, step, complete, amount (the
-- catalogue's), may_create (K >= 1), once (false: a sticky upsert).
--
-- Bounded: tracks by tracks(owner_id).
WITH ch AS (
	SELECT c.id, c.step_count, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active AND c.step_count IS NOT NULL
),
ids AS (
	SELECT DISTINCT x.user_id
	FROM unnest($1) AS x (user_id)
	WHERE x.user_id IS NOT NULL
)
SELECT ids.user_id, to_hex(ids.user_id) AS specifier,
	least(k.k, ch.step_count)::integer AS step,
	k.k >= ch.step_count AS complete,
	ch.amount,
	k.k >= 1 AS may_create,
	false AS once
FROM ch
CROSS JOIN ids
-- A correlated subquery keyed by one user, so the planner cannot turn it
-- into a hash join over all tracks, whatever it estimates for the batch.
CROSS JOIN LATERAL (
	SELECT count(*) AS k
	FROM public.tracks t
	WHERE t.owner_id = ids.user_id
		AND NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
) k
