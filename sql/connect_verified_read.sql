-- connect_verified_read.sql: the read half of connect_verified.sql
-- (challenge 'v', a verified account) for one batch of users. Runs on the
-- READ server, a hot standby: a pure SELECT that writes nothing and does not
-- read public.user_challenges (the existing rows are the primary's
-- business, and a standby may lag behind them). Its rows go to
-- apply_rows.sql on the primary, which inserts the missing ones. Prepared
-- once with parameter types ($1 bigint[], $2 text, $3 bigint), as
-- connect_verified.sql:
--   $1  the batch's user ids (duplicates and NULLs are ignored)
--   $2  the challenge id ('v'); amount and active come from public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in connect_verified.sql. A user whose users row has
-- is_verified = true and is_deactivated = false gets a row with specifier
-- hex(user_id), complete, step 1. One-shot rows: an existing row is never
-- changed, and it stays when the user is later unverified or deactivated.
--
-- Output: one row per such user (none when $2 is missing or inactive):
-- user_id, specifier, step 1, complete true, amount (the catalogue's),
-- may_create true, once true (apply_rows.sql: ON CONFLICT DO NOTHING).
--
-- Bounded: users by primary key.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
)
-- users.user_id is the key: one row per user even if $1 repeats an id.
SELECT u.user_id, to_hex(u.user_id) AS specifier,
	1 AS step, true AS complete, ch.amount, true AS may_create, true AS once
FROM ch
JOIN public.users u ON u.user_id = ANY ($1)
WHERE u.is_verified AND NOT u.is_deactivated
