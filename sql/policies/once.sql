-- once.sql: the one-shot write policy (first playlist, connect verified,
-- mobile install, referred, first weekly comment, comment pin): a row per
-- candidate, inserted once and never changed. Never run on its own:
-- src/rule.c composes it with a rule ("-- reckon: policy once") into the
-- processor's statements, replacing the "-- reckon: rule" line below with
-- the rule itself (the statement on the primary) or with the rows the rule
-- returned on a hot standby, one array per column ($4, $5, ... in the
-- order of the "columns" line). Parameters and the frame (challenge,
-- batch_keys): sql/rule_frame.sql.
-- reckon: columns user_id bigint, specifier text
--
-- Policy. A candidate with no row for (challenge, specifier) gets one,
-- complete at step 1 with the catalogue's amount, created_at and
-- completed_at now(). An existing row is never
-- changed (ON CONFLICT DO NOTHING writes nothing, not even a row lock), so
-- a row stays when the fact that earned it goes away.
--
-- Output: one row per user_challenges row inserted: challenge_id, user_id,
-- specifier, current_step_count, is_complete, completed_now (a new row is
-- new: completed_now is its is_complete).
--
-- Bounded: user_challenges by primary key, one lookup per candidate.
WITH
-- reckon: frame
rule AS (
-- reckon: rule
)
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT ch.id, r.user_id, r.specifier, true, 1, ch.amount, now(), now()
FROM challenge ch
CROSS JOIN rule r
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY r.specifier
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, uc.is_complete AS completed_now
