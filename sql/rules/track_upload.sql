-- track_upload.sql: challenge 'u', upload tracks, for one batch of users.
-- reckon: policy sticky
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('u'); threshold (step_count), amount and active
--       come from public.challenges
--   $3  unused
--
-- Rule. K = the user's tracks that are listed (NOT is_unlisted), not
-- deleted and not stems (stem_of IS NULL; a JSON null stored as jsonb
-- 'null' is not NULL, so such a track does not count). No users row is
-- needed. Row: specifier hex(user_id), step = least(K, threshold),
-- complete when K >= threshold; a missing row is created once K >= 1.
--
-- Bounded: tracks by tracks(owner_id), one count per user.
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
	k.k >= 1 AS may_create
FROM ch
CROSS JOIN ids
-- A correlated subquery keyed by one user: never a join over all tracks.
CROSS JOIN LATERAL (
	SELECT count(*) AS k
	FROM public.tracks t
	WHERE t.owner_id = ids.user_id
		AND NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
) k
