-- referral.sql: challenges 'r' and 'rv', one row per rewarded referral, for
-- one batch of REFERRERS (processors rv and r of the referrals group).
-- reckon: policy capped
--   $1  the batch's referrer ids (duplicates and NULLs are ignored): keyed by
--       the referrer, so that a users change of the referrer (it appears, is
--       verified, deactivated) reaches all its referrals, and a user_events
--       row reaches its referrer (the new row's referrer column)
--   $2  the challenge id: 'rv' (referrals by a verified, active referrer) or
--       'r' (by any other referrer); the cap (step_count: r 5, rv 5000),
--       amount and active come from public.challenges. The two ids are
--       named below: this rule serves exactly these two challenges.
--   $3  unused
--
-- Rule. A referral is a user_events row whose referrer is a key, has a
-- users row, and is not the user itself; its pair is (referrer, referred =
-- user_events.user_id). A pair is a candidate for the referrer: user_id =
-- the referrer, specifier hex(referrer)||':'||hex(referred), complete at
-- step 1, under 'rv' when the referrer is_verified and not is_deactivated
-- NOW, else under 'r'; rank = the referred user id (the cap takes pairs in
-- that order), shared_with = the other of the two (a pair paid under r is
-- never paid under rv, and the other way round). The capped policy
-- (sql/policies/capped.sql) applies the cap, so referrals the r cap held
-- back are paid under rv once the referrer is verified and active (up to
-- the rv cap), and the other way round. When a user's referrer changes, the
-- new pair is a new referral; the old pair's row stays. That is why the
-- keys are referrers only: the old referrer has nothing to recompute.
--
-- The one primary-only part, the early stop: on the primary, a referrer
-- whose cap under $2 is already full yields no candidate at all, so its
-- referrals are not even read (the policy would write none of them). A
-- standby does not judge rows of user_challenges (it may lag behind the
-- primary's), so there every referral of the batch's referrers is read and
-- the policy, on the primary, decides.
--
-- Bounded: users by primary key; user_events by
-- user_events(referrer, user_id), which also yields the referred user id
-- order; on the primary, user_challenges by user_challenges(user_id).
WITH ch AS (
	SELECT c.id, c.step_count AS cap, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.id IN ('r', 'rv') AND c.active
		AND c.step_count IS NOT NULL
),
-- The batch's referrers that exist and that $2 applies to now.
-- users.user_id is the key: one row per referrer even if $1 repeats an id.
referrers AS (
	SELECT ch.id, ch.amount, u.user_id AS referrer
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE (u.is_verified AND NOT u.is_deactivated) = (ch.id = 'rv')
-- reckon: primary-only begin
		AND (SELECT count(*)
			FROM public.user_challenges uc
			WHERE uc.user_id = u.user_id AND uc.challenge_id = ch.id) < ch.cap
-- reckon: primary-only end
)
SELECT r.referrer AS user_id,
	to_hex(r.referrer) || ':' || to_hex(p.referred) AS specifier,
	1 AS step, true AS complete, r.amount, p.referred AS rank,
	CASE WHEN r.id = 'rv' THEN 'r' ELSE 'rv' END AS shared_with
FROM referrers r
-- Per referrer, a correlated subquery (OFFSET 0 keeps the planner from
-- flattening it into a join over all of user_events).
CROSS JOIN LATERAL (
	SELECT ue.user_id AS referred
	FROM public.user_events ue
	WHERE ue.referrer = r.referrer AND ue.user_id <> r.referrer
	OFFSET 0
) p
