-- track_upload.sql: challenge 'u', upload tracks, for one batch of users.
-- reckon: policy sticky
--
-- Rule. n = the user's tracks that are listed (NOT is_unlisted), not
-- deleted and not stems (stem_of IS NULL; a JSON null stored as jsonb
-- 'null' is not NULL, so such a track does not count). No users row is
-- needed. Specifier hex(user_id).
--
-- Bounded: tracks by tracks(owner_id), one count per user.
SELECT k.key AS user_id, to_hex(k.key) AS specifier, t.n
FROM challenge ch
CROSS JOIN batch_keys k
-- A correlated subquery keyed by one user: never a join over all tracks.
CROSS JOIN LATERAL (
	SELECT count(*) AS n
	FROM public.tracks t
	WHERE t.owner_id = k.key
		AND NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
) t
