-- referral.sql: challenges 'r' and 'rv', one row per rewarded referral, for
-- one batch of REFERRERS. Run by src/recompute.c (embedded by
-- tools/embed.sh), prepared once with parameter types ($1 bigint[], $2 text,
-- $3 bigint) and executed per batch, once per challenge (the daemon runs
-- both processors on one connection, one statement at a time):
--   $1  the batch's referrer ids (duplicates and NULLs are ignored): keyed by
--       the referrer, so that a users change of the referrer (it appears, is
--       verified, deactivated) reaches all its referrals, and a user_events
--       row reaches its referrer (the new row's referrer column)
--   $2  the challenge id: 'rv' (referrals by a verified, active referrer) or
--       'r' (by any other referrer); the cap (step_count: r 5, rv 5000),
--       amount and active come from public.challenges. The two ids are
--       named below: this statement serves exactly these two challenges.
--   $3  unused (typed explicitly at prepare time, so passing it is legal)
--
-- Rule. A referral is a user_events row whose referrer is a key, has a
-- users row, and is not the user itself; its pair is (referrer, referred =
-- user_events.user_id). A pair earns the referrer one row: user_id = the
-- referrer, specifier hex(referrer)||':'||hex(referred), complete,
-- current_step_count 1, amount from the catalogue, completed_at now(),
-- under 'rv' when the referrer is_verified and not is_deactivated NOW, else
-- under 'r'. So $2 = 'rv' writes only for currently verified, active
-- referrers and $2 = 'r' only for the others.
--   - A pair that already has a row under r or rv is never rewarded again
--     (a referrer verified later gets no rv row for a pair paid under r).
--   - Per referrer, the rows under $2 never exceed its cap: each run adds
--     at most cap minus the rows the referrer already has under $2 (counted
--     from user_challenges, so rows of pairs that no longer exist still
--     count), taking the unrewarded pairs in referred user id order.
--   - Referrals the r cap held back are paid under rv once the referrer is
--     verified and active (up to the rv cap), and the other way round.
--   - When a user's referrer changes, the new pair is a new referral; the
--     old pair's row stays (rows are never deleted or changed: ON CONFLICT
--     DO NOTHING). That is why the keys are referrers only: the old
--     referrer has nothing to recompute.
-- The cap and the "never twice" rule hold with one writer at a time per
-- referrer (the daemon's single recompute connection); two concurrent runs
-- for the same referrer could each fill the cap, or pay the same pair under
-- r and rv.
--
-- Output: one row per user_challenges row inserted (rows are born complete,
-- so completed_now is always true).
--
-- Bounded: users by primary key; user_challenges by
-- user_challenges(challenge_id, user_id) WHERE challenge_id IN ('r', 'rv')
-- (the referrer's rows, for the cap) and by primary key (a pair's rows);
-- user_events by user_events(referrer, user_id), which also yields the
-- referred user id order. A referrer whose cap is full reads no referral.
WITH ch AS (
	SELECT c.id, c.step_count AS cap, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.id IN ('r', 'rv') AND c.active
		AND c.step_count IS NOT NULL
),
-- The batch's referrers that exist and that $2 applies to now.
-- users.user_id is the key: one row per referrer even if $1 repeats an id.
referrers AS (
	SELECT ch.id AS challenge_id, ch.cap, ch.amount, u.user_id AS referrer
	FROM ch
	JOIN public.users u ON u.user_id = ANY ($1)
	WHERE (u.is_verified AND NOT u.is_deactivated) = (ch.id = 'rv')
),
-- Every lookup below is a correlated subquery keyed by one referrer (or one
-- user_challenges key), so the planner cannot turn it into a hash join over
-- a whole table, whatever it estimates for the batch. (The IN ('r', 'rv')
-- lets the planner use the partial index even in a generic plan, where
-- $2 is unknown.)
room AS (
	SELECT r.challenge_id, r.amount, r.referrer,
		greatest(r.cap - h.n, 0) AS room
	FROM referrers r
	CROSS JOIN LATERAL (
		SELECT count(*) AS n
		FROM public.user_challenges uc
		WHERE uc.challenge_id IN ('r', 'rv')
			AND uc.challenge_id = r.challenge_id
			AND uc.user_id = r.referrer
	) h
),
pairs AS (
	SELECT rm.challenge_id, rm.amount, rm.referrer, p.referred,
		to_hex(rm.referrer) || ':' || to_hex(p.referred) AS specifier
	FROM room rm
	CROSS JOIN LATERAL (
		SELECT ue.user_id AS referred
		FROM public.user_events ue
		WHERE ue.referrer = rm.referrer AND ue.user_id <> rm.referrer
			-- Not yet rewarded under either challenge (a count, not
			-- NOT EXISTS, so that it is not turned into an anti-join).
			-- The row's user_id is the referrer: redundant for the primary
			-- key, but it bounds the lookup by the referrer's rows should
			-- the planner pick the partial index instead.
			AND (SELECT count(*)
				FROM public.user_challenges uc
				WHERE uc.challenge_id IN ('r', 'rv')
					AND uc.specifier = to_hex(rm.referrer) || ':'
						|| to_hex(ue.user_id)
					AND uc.user_id = rm.referrer) = 0
		ORDER BY ue.user_id
		LIMIT rm.room
	) p
	WHERE rm.room > 0
)
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT p.challenge_id, p.referrer, p.specifier, true, 1, p.amount, now(),
	now()
FROM pairs p
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY p.specifier
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, true AS completed_now
