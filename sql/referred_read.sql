-- referred_read.sql: the read half of referred.sql (challenge 'rd', joining
-- on an existing user's referral) for one batch of REFERRERS. Runs on the
-- READ server, a hot standby: a pure SELECT that writes nothing and does not
-- read public.user_challenges (the existing rows are the primary's
-- business, and a standby may lag behind them). Its rows go to
-- apply_rows.sql on the primary, which inserts the missing ones. Prepared
-- once with parameter types ($1 bigint[], $2 text, $3 bigint), as
-- referred.sql:
--   $1  the batch's referrer ids (duplicates and NULLs are ignored); see
--       referred.sql for why the key is the referrer
--   $2  the challenge id ('rd'); amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in referred.sql. For every user_events row whose referrer is a
-- key, when the referrer has a users row (deactivated or not, verified or
-- not) and the referrer is not the user itself: the REFERRED user
-- (user_events.user_id) gets a row with user_id = the referred user,
-- specifier hex(referred user id), complete, step 1. The referred user
-- needs no users row. One-shot rows: an existing row is never changed, and
-- it stays when the referrer changes or disappears.
--
-- Output: one row per referred user (none when $2 is missing or inactive):
-- user_id (the referred user), specifier, step 1, complete true, amount
-- (the catalogue's), may_create true, once true (apply_rows.sql: ON
-- CONFLICT DO NOTHING).
--
-- Bounded: users by primary key, user_events by
-- user_events(referrer, user_id) (a referrer's referrals).
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
),
-- The batch's referrers that exist. users.user_id is the key: one row per
-- referrer even if $1 repeats an id.
referrers AS (
	SELECT u.user_id AS referrer
	FROM public.users u
	WHERE u.user_id = ANY ($1)
),
-- Per referrer, a correlated subquery (OFFSET 0 keeps the planner from
-- flattening it into a join over all user_events):
-- user_events(referrer, user_id). user_events.user_id is the key: each
-- referred user appears once.
referred AS (
	SELECT ue.user_id
	FROM referrers r
	CROSS JOIN LATERAL (
		SELECT ue.user_id
		FROM public.user_events ue
		WHERE ue.referrer = r.referrer AND ue.user_id <> r.referrer
		OFFSET 0
	) ue
)
SELECT rd.user_id, to_hex(rd.user_id) AS specifier,
	1 AS step, true AS complete, ch.amount, true AS may_create, true AS once
FROM referred rd
CROSS JOIN ch
