-- referred.sql: challenge 'rd', joining on an existing user's referral, for
-- one batch of REFERRERS: keyed by the referrer, so that the referrer's
-- users row appearing (or any users change of it) reaches every user it
-- referred, and a user_events row reaches its referrer (the new row's
-- referrer column).
-- reckon: policy once
--
-- Rule. For every user_events row whose referrer is a key, when the referrer
-- has a users row (deactivated or not, verified or not) and is not the user
-- itself: the REFERRED user (user_events.user_id) gets a row with user_id =
-- the referred user, specifier hex(referred user id). The referred user
-- needs no users row. The row stays when the referrer changes or
-- disappears.
--
-- Bounded: users by primary key, user_events by
-- user_events(referrer, user_id) (a referrer's referrals).
SELECT rd.user_id, to_hex(rd.user_id) AS specifier
FROM challenge ch
-- The batch's referrers that exist, each once (users.user_id is the key).
JOIN public.users u ON u.user_id = ANY ($1)
-- Per referrer, a correlated subquery (OFFSET 0 keeps the planner from
-- flattening it into a join over all of user_events).
CROSS JOIN LATERAL (
	SELECT ue.user_id
	FROM public.user_events ue
	WHERE ue.referrer = u.user_id AND ue.user_id <> u.user_id
	OFFSET 0
) rd
