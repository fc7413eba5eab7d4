-- mobile_install_read.sql: the read half of mobile_install.sql (challenge
-- 'm', the mobile app installed) for one batch of users. Runs on the READ
-- server, a hot standby: a pure SELECT that writes nothing and does not
-- read public.user_challenges (the existing rows are the primary's
-- business, and a standby may lag behind them). Its rows go to
-- apply_rows.sql on the primary, which inserts the missing ones. Prepared
-- once with parameter types ($1 bigint[], $2 text, $3 bigint), as
-- mobile_install.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('m'); amount and active come from public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in mobile_install.sql. A user whose user_events row has
-- is_mobile_user = true gets a row with specifier hex(user_id), complete,
-- step 1. No users row is needed. One-shot rows: an existing row is never
-- changed, and it stays when is_mobile_user is later cleared.
--
-- Output: one row per such user (none when $2 is missing or inactive):
-- user_id, specifier, step 1, complete true, amount (the catalogue's),
-- may_create true, once true (apply_rows.sql: ON CONFLICT DO NOTHING).
--
-- Bounded: user_events by primary key.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
)
-- user_events.user_id is the key: one row per user even if $1 repeats an id.
SELECT ue.user_id, to_hex(ue.user_id) AS specifier,
	1 AS step, true AS complete, ch.amount, true AS may_create, true AS once
FROM ch
JOIN public.user_events ue ON ue.user_id = ANY ($1)
WHERE ue.is_mobile_user
