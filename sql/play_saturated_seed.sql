-- play_saturated_seed.sql: the users whose play-milestone rows no new play
-- can change, read once at start. Run by src/loaders.c as the plays
-- group's "saturated_seed" statement (see tools/reckon.conf), before the
-- stream starts, without parameters. Returns one row (user_id bigint) per
-- user whose p1, p2 and p3 rows are all complete at their thresholds: the
-- rows play_saturated.sql would report after a batch, without first
-- recomputing every such artist once, which after a restart cost a full
-- round of the heaviest recomputes before reckon caught up.
--
-- Why rows written earlier can be trusted: every change before the slot's
-- confirmed position has been recomputed into these rows, and every later
-- one is streamed again. A later change that lowers N (a track deleted or
-- moved, a play deleted, the user changed) is not a play INSERT, so it
-- dirties the user and the next batch decides anew; a play INSERT only
-- raises N, which leaves rows at their thresholds unchanged.
--
-- Bounded: user_challenges by its primary key's challenge_id prefix, one
-- range per tier.
WITH tiers AS (
	SELECT c.id, c.step_count
	FROM public.challenges c
	WHERE c.id IN ('p1', 'p2', 'p3') AND c.step_count IS NOT NULL
)
SELECT uc.user_id
FROM public.user_challenges uc
JOIN tiers t ON t.id = uc.challenge_id
WHERE uc.is_complete
	AND uc.current_step_count >= t.step_count
	AND uc.specifier = to_hex(uc.user_id) || ':' || t.step_count
GROUP BY uc.user_id
HAVING count(*) = 3
