-- referred.sql: challenge 'rd', joining on an existing user's referral, for
-- one batch of REFERRERS. Run by src/recompute.c (embedded by
-- tools/embed.sh), prepared once with parameter types ($1 bigint[], $2 text,
-- $3 bigint) and executed per batch:
--   $1  the batch's referrer ids (duplicates and NULLs are ignored): keyed by
--       the referrer, so that the referrer's users row appearing (or any
--       users change of it) reaches every user it referred, and a
--       user_events row reaches its referrer (the new row's referrer column)
--   $2  the challenge id ('rd'); amount and active come from
--       public.challenges
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. For every user_events row whose referrer is a key, when the referrer
-- has a users row (deactivated or not, verified or not) and the referrer is
-- not the user itself: the REFERRED user (user_events.user_id) gets a row
-- with user_id = the referred user, specifier hex(referred user id),
-- complete, current_step_count 1, amount from the catalogue, completed_at
-- now(). The referred user needs no users row. A one-shot challenge: an
-- existing row is never changed (ON CONFLICT DO NOTHING writes nothing), and
-- it stays when the referrer changes or disappears.
--
-- Output: one row per user_challenges row inserted (rows are born complete,
-- so completed_now is always true).
--
-- Bounded: users by primary key, user_events by
-- user_events(referrer, user_id) (a referrer's referrals), user_challenges by
-- primary key.
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
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT ch.id, rd.user_id, to_hex(rd.user_id), true, 1, ch.amount, now(),
	now()
FROM referred rd
CROSS JOIN ch
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY 3
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, true AS completed_now
