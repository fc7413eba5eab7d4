-- connect_verified.sql: challenge 'v', a verified account, for one batch of
-- users. Run by src/recompute.c (embedded by tools/embed.sh), prepared once
-- with parameter types ($1 bigint[], $2 text, $3 bigint) and executed per
-- batch:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('v'); amount and active come from public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. A user whose users row has is_verified = true and is_deactivated =
-- false gets a row with specifier hex(user_id), complete, current_step_count
-- 1, amount from the catalogue, completed_at now(). A one-shot challenge: an
-- existing row is never changed (ON CONFLICT DO NOTHING writes nothing), and
-- it stays when the user is later unverified or deactivated.
--
-- Output: one row per user_challenges row inserted (rows are born complete,
-- so completed_now is always true).
--
-- Bounded: users and user_challenges by primary key.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
)
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
-- users.user_id is the key: one row per user even if $1 repeats an id.
SELECT ch.id, u.user_id, to_hex(u.user_id), true, 1, ch.amount, now(), now()
FROM ch
JOIN public.users u ON u.user_id = ANY ($1)
WHERE u.is_verified AND NOT u.is_deactivated
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY 3
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, true AS completed_now
