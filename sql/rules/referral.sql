-- referral.sql: challenges 'r' and 'rv', one row per rewarded referral, for
-- one batch of REFERRERS (processors rv and r of the referrals group):
-- keyed by the referrer, so that a users change of the referrer (it
-- appears, is verified, deactivated) reaches all its referrals, and a
-- user_events row reaches its referrer (the new row's referrer column).
-- reckon: policy capped
--
-- Rule. A referral is a user_events row whose referrer is a key, has a
-- users row, and is not the user itself; its pair is (referrer, referred =
-- user_events.user_id). A pair is a candidate for the referrer: user_id =
-- the referrer, specifier hex(referrer)||':'||hex(referred), under 'rv'
-- when the referrer is_verified and not is_deactivated NOW, else under 'r'
-- (this rule serves exactly these two challenges, named below); rank = the
-- referred user id (the cap takes pairs in that order), shared_with = the
-- other of the two (a pair paid under r is never paid under rv, and the
-- other way round). The capped policy applies the caps (step_count: r 5,
-- rv 5000), so referrals the r cap held back are paid under rv once the
-- referrer is verified and active, and the other way round. When a user's
-- referrer changes, the new pair is a new referral; the old pair's row
-- stays. That is why the keys are referrers only: the old referrer has
-- nothing to recompute.
--
-- The one primary-only part, the early stop: on the primary, a referrer
-- whose cap under the challenge is already full yields no candidate at
-- all, so its referrals are not even read (the policy would write none of
-- them). A standby does not judge rows of user_challenges (it may lag
-- behind the primary's), so there every referral of the batch's referrers
-- is read and the policy, on the primary, decides.
--
-- Bounded: users by primary key; user_events by
-- user_events(referrer, user_id); on the primary, user_challenges by
-- user_challenges(user_id, challenge_id).
SELECT u.user_id, to_hex(u.user_id) || ':' || to_hex(p.referred) AS specifier,
	p.referred AS rank,
	CASE WHEN ch.id = 'rv' THEN 'r' ELSE 'rv' END AS shared_with
FROM challenge ch
-- The batch's referrers that exist, each once (users.user_id is the key).
JOIN public.users u ON u.user_id = ANY ($1)
-- Per referrer, a correlated subquery (OFFSET 0 keeps the planner from
-- flattening it into a join over all of user_events).
CROSS JOIN LATERAL (
	SELECT ue.user_id AS referred
	FROM public.user_events ue
	WHERE ue.referrer = u.user_id AND ue.user_id <> u.user_id
	OFFSET 0
) p
WHERE ch.id IN ('r', 'rv') AND ch.step_count IS NOT NULL
	AND (u.is_verified AND NOT u.is_deactivated) = (ch.id = 'rv')
-- reckon: primary-only begin
	AND (SELECT count(*)
		FROM public.user_challenges uc
		WHERE uc.user_id = u.user_id AND uc.challenge_id = ch.id)
		< ch.step_count
-- reckon: primary-only end
