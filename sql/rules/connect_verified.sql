-- connect_verified.sql: challenge 'v', a verified account, for one batch of
-- users.
-- reckon: policy once
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('v'); amount and active come from
--       public.challenges
--   $3  unused
--
-- Rule. A user whose users row is_verified and not is_deactivated gets a
-- row with specifier hex(user_id), complete at step 1. It stays when the
-- user is later unverified (a one-shot row never changes).
--
-- Bounded: users by primary key.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
)
-- users.user_id is the key: one row per user even if $1 repeats an id.
SELECT u.user_id, to_hex(u.user_id) AS specifier, 1 AS step,
	true AS complete, ch.amount
FROM ch
JOIN public.users u ON u.user_id = ANY ($1)
WHERE u.is_verified AND NOT u.is_deactivated
