-- referral_read.sql: the read half of referral.sql (challenges 'r' and
-- 'rv', one row per rewarded referral) for one batch of REFERRERS. Runs on
-- the READ server, a hot standby: a pure SELECT that writes nothing and does
-- not read public.user_challenges (the existing rows are the primary's
-- business, and a standby may lag behind them). Its rows go to
-- apply_rows.sql on the primary, which applies the rules that need the
-- existing rows: a pair already paid under r or rv is not paid again, and
-- the referrer's rows under $2 never exceed the cap. Prepared once with
-- parameter types ($1 bigint[], $2 text, $3 bigint), as referral.sql:
--   $1  the batch's referrer ids (duplicates and NULLs are ignored); see
--       referral.sql for why the key is the referrer
--   $2  the challenge id: 'rv' (referrals by a verified, active referrer) or
--       'r' (by any other referrer); amount and active come from
--       public.challenges, and the challenge needs a step_count (the cap,
--       which apply_rows.sql reads on the primary). This statement serves
--       exactly these two challenges.
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule, as in referral.sql. A referral is a user_events row whose referrer
-- is a key, has a users row, and is not the user itself; its pair is
-- (referrer, referred = user_events.user_id). A pair is a candidate for one
-- row: user_id = the referrer, specifier hex(referrer)||':'||hex(referred),
-- complete, step 1, under 'rv' when the referrer is_verified and not
-- is_deactivated NOW, else under 'r'. Every pair of the referrer is a
-- candidate here, paid or not: which are paid, and how much room the cap
-- leaves, is known only from user_challenges, on the primary.
--
-- Output: one row per pair (none when $2 is missing, inactive, has no
-- step_count or is neither r nor rv): user_id (the referrer), specifier,
-- step 1, complete true, amount (the catalogue's), may_create true, once
-- true (apply_rows.sql: ON CONFLICT DO NOTHING, and for r and rv the cap and
-- "never twice").
--
-- Bounded: users by primary key, user_events by
-- user_events(referrer, user_id). Unlike referral.sql, which stops reading a
-- referrer's referrals once its cap is filled (and reads none when it is
-- full), this reads all of each referrer's referrals: without
-- user_challenges it cannot tell the paid ones.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.id IN ('r', 'rv') AND c.active
		AND c.step_count IS NOT NULL
),
-- The batch's referrers that exist and that $2 applies to now.
-- users.user_id is the key: one row per referrer even if $1 repeats an id.
referrers AS (
	SELECT ch.amount, u.user_id AS referrer
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE (u.is_verified AND NOT u.is_deactivated) = (ch.id = 'rv')
)
SELECT r.referrer AS user_id,
	to_hex(r.referrer) || ':' || to_hex(p.referred) AS specifier,
	1 AS step, true AS complete, r.amount, true AS may_create, true AS once
FROM referrers r
-- Per referrer, a correlated subquery (OFFSET 0 keeps the planner from
-- flattening it into a join over all user_events):
-- user_events(referrer, user_id). user_events.user_id is the key: each pair
-- appears once.
CROSS JOIN LATERAL (
	SELECT ue.user_id AS referred
	FROM public.user_events ue
	WHERE ue.referrer = r.referrer AND ue.user_id <> r.referrer
	OFFSET 0
) p
