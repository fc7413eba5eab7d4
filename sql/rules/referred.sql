-- referred.sql: challenge 'rd', joining on an existing user's referral, for
-- one batch of REFERRERS.
-- reckon: policy once
--   $1  the batch's referrer ids (duplicates and NULLs are ignored): keyed by
--       the referrer, so that the referrer's users row appearing (or any
--       users change of it) reaches every user it referred, and a
--       user_events row reaches its referrer (the new row's referrer column)
--   $2  the challenge id ('rd'); amount and active come from
--       public.challenges
--   $3  unused
--
-- Rule. For every user_events row whose referrer is a key, when the referrer
-- has a users row (deactivated or not, verified or not) and is not the user
-- itself: the REFERRED user (user_events.user_id) gets a row with user_id =
-- the referred user, specifier hex(referred user id), complete at step 1.
-- The referred user needs no users row. The row stays when the referrer
-- changes or disappears.
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
-- flattening it into a join over all of user_events).
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
SELECT rd.user_id, to_hex(rd.user_id) AS specifier, 1 AS step,
	true AS complete, ch.amount
FROM referred rd
CROSS JOIN ch
