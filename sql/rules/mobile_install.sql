-- mobile_install.sql: challenge 'm', the mobile app installed, for one
-- batch of users.
-- reckon: policy once
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('m'); amount and active come from
--       public.challenges
--   $3  unused
--
-- Rule. A user whose user_events row has is_mobile_user gets a row with
-- specifier hex(user_id), complete at step 1. No users row is needed.
--
-- Bounded: user_events by primary key (user_id).
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
)
SELECT ue.user_id, to_hex(ue.user_id) AS specifier, 1 AS step,
	true AS complete, ch.amount
FROM ch
JOIN public.user_events ue ON ue.user_id = ANY ($1)
WHERE ue.is_mobile_user
