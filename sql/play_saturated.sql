-- play_saturated.sql: the users of one batch of the play-milestone group
-- (p1, p2, p3) whose rows no new play can change any more. Run by
-- src/recompute.c as the group's "saturated" statement (see tools/reckon.conf),
-- after the play_milestone rule ran for p1, p2 and p3 in the same transaction, with
-- PQexecParams (types inferred):
--   $1  the batch's user ids, a bigint[] literal (duplicates and NULLs are
--       ignored)
-- Returns one row (user_id bigint) per such user. reckon then skips the
-- play INSERTs of those users (dirty_monotone) until another change
-- (a track deleted or moved, a play deleted, the user changed) dirties them
-- again and their next batch decides anew.
--
-- Why a play cannot change them. A play INSERT only ever adds 1 to N (the
-- plays of the user's non-deleted tracks).
--   - A user who is not eligible (no users row, not verified, or
--     deactivated) has frozen rows: the play_milestone rule writes nothing for
--     them whatever N is. Becoming eligible is a users change, which
--     dirties the user.
--   - An eligible user whose rows of all three tiers are at their
--     threshold (current_step_count = step_count, so N >= the largest
--     threshold) is complete everywhere; current_step_count = least(N,
--     threshold) stays, the completion is sticky, and amount and
--     completed_at are fixed at completion. A tier missing from the
--     catalogue, or a row below its threshold, keeps the user unsaturated.
-- A catalogue change (a threshold raised) is not in the stream: restart
-- reckon after one, which forgets every saturated user.
--
-- Bounded: users and user_challenges by primary key, the three catalogue
-- rows.
WITH ids AS (
	SELECT DISTINCT x.user_id
	FROM unnest($1::bigint[]) AS x (user_id)
	WHERE x.user_id IS NOT NULL
),
tiers AS (
	SELECT c.id, c.step_count
	FROM public.challenges c
	WHERE c.id IN ('p1', 'p2', 'p3')
)
SELECT i.user_id
FROM ids i
LEFT JOIN public.users u ON u.user_id = i.user_id
WHERE u.user_id IS NULL OR NOT u.is_verified OR u.is_deactivated
	OR (
		(SELECT count(*) FROM tiers) = 3
		AND NOT EXISTS (
			SELECT 1
			FROM tiers t
			WHERE t.step_count IS NULL OR NOT EXISTS (
				SELECT 1
				FROM public.user_challenges uc
				WHERE uc.challenge_id = t.id
					AND uc.specifier = to_hex(i.user_id) || ':' || t.step_count
					AND uc.is_complete
					AND uc.current_step_count >= t.step_count
			)
		)
	)
