-- capped.sql: the capped one-shot write policy (referrals): one-shot rows,
-- at most the catalogue's cap of them per user under a challenge, and a
-- specifier paid at most once across the challenges that share it. Never
-- run on its own: src/rule.c composes it with a rule ("-- reckon: policy
-- capped") into the processor's statements, replacing the "-- reckon:
-- rule" line below with the rule itself (the statement on the primary) or
-- with the rows the rule returned on a hot standby, one array per column
-- ($4, $5, ... in the order of the "columns" line). Parameters and the
-- frame (challenge, batch_keys): sql/rule_frame.sql.
-- reckon: columns user_id bigint, specifier text, rank bigint, shared_with text
--
-- The candidate rows: rank orders a user's candidates for the cap (lowest
-- first); shared_with names one other challenge under which a row for the
-- same specifier counts as paid too (NULL: none).
--
-- Policy, as data: the cap is the step_count of the catalogue row
-- (challenge; none: nothing is written).
--   - A specifier with a row under $2 or under shared_with is never paid
--     again.
--   - Per user, at most cap minus the rows the user already has under $2
--     are inserted (rows whose facts are gone count too: rows are never
--     deleted), taking the unpaid candidates in rank order.
--   - An inserted row is complete at step 1 with the catalogue's amount,
--     created_at and completed_at now(); an existing row is never changed
--     (ON CONFLICT DO NOTHING).
-- The cap and "paid once" hold with one writer at a time per user
-- (reckon's group lock): two concurrent runs could each fill the cap.
--
-- Output: one row per user_challenges row inserted: challenge_id, user_id,
-- specifier, current_step_count, is_complete, completed_now (its
-- is_complete: a new row is new).
--
-- Bounded: user_challenges by user_challenges(user_id) (a user's rows, for
-- the cap) and by primary key (a specifier's rows, at most two lookups per
-- candidate).
WITH
-- reckon: frame
rule AS (
-- reckon: rule
),
-- The room the cap leaves each user of the candidates. Every lookup here
-- and below is a correlated subquery keyed by one user (or one
-- user_challenges key), so the planner cannot turn it into a hash join over
-- all of user_challenges, whatever it estimates for the batch.
room AS (
	SELECT k.user_id, greatest(ch.step_count - h.n, 0) AS room
	FROM challenge ch
	CROSS JOIN (SELECT DISTINCT r.user_id FROM rule r) k
	CROSS JOIN LATERAL (
		SELECT count(*) AS n
		FROM public.user_challenges uc
		WHERE uc.user_id = k.user_id AND uc.challenge_id = $2
	) h
	WHERE ch.step_count IS NOT NULL
),
-- The candidates not yet paid under $2 or shared_with (a count, not NOT
-- EXISTS, so that it is not turned into an anti-join), numbered per user in
-- rank order.
unpaid AS (
	SELECT r.user_id, r.specifier,
		row_number() OVER (PARTITION BY r.user_id
			ORDER BY r.rank, r.specifier) AS nth
	FROM rule r
	WHERE (SELECT count(*)
		FROM public.user_challenges uc
		WHERE uc.challenge_id IN ($2, r.shared_with)
			AND uc.specifier = r.specifier) = 0
),
written AS (
	INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
		is_complete, current_step_count, amount, created_at, completed_at)
	SELECT ch.id, u.user_id, u.specifier, true, 1, ch.amount, now(), now()
	FROM challenge ch
	CROSS JOIN unpaid u
	JOIN room rm ON rm.user_id = u.user_id
	WHERE u.nth <= rm.room
	-- A fixed order: concurrent statements lock shared keys in one order.
	ORDER BY u.specifier
	ON CONFLICT (challenge_id, specifier) DO NOTHING
	RETURNING uc.challenge_id, uc.user_id, uc.specifier,
		uc.current_step_count, uc.is_complete
)
SELECT w.challenge_id, w.user_id, w.specifier, w.current_step_count,
	w.is_complete, w.is_complete AS completed_now
FROM written w
