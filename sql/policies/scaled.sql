-- scaled.sql: the one-shot write policy whose amount scales with each
-- candidate (audio matching, buyer 'b' and seller 's': so much per
-- dollar): a row per candidate, inserted once and never changed, worth the
-- catalogue's amount times the candidate's units. Never run on its own:
-- src/rule.c composes it with a rule ("-- reckon: policy scaled") into the
-- processor's statements, replacing the "-- reckon: rule" line below with
-- the rule itself (the statement on the primary) or with the rows the rule
-- returned on a hot standby, one array per column ($4, $5, ... in the
-- order of the "columns" line). Parameters and the frame (challenge,
-- batch_keys): sql/rule_frame.sql.
-- reckon: columns user_id bigint, specifier text, units bigint
--
-- The candidate rows: one per specifier (the rule picks which, e.g. the
-- first earning purchase of a content), units being what the catalogue
-- amount is multiplied by (the purchase's whole dollars).
--
-- Policy, as data: the catalogue row (challenge) gives the amount per
-- unit. A candidate with units >= 1 and no row for (challenge, specifier)
-- gets one, complete at step 1, amount = catalogue amount x units,
-- created_at and completed_at now(); a candidate under one unit gets none.
-- An existing row is never changed (ON CONFLICT DO NOTHING writes nothing,
-- not even a row lock): the units of the candidate that wrote it first
-- stay, whatever a later candidate of the same specifier says, and the row
-- stays when its facts go away. The amount is held at the largest integer
-- (a purchase of over $429 million at 5 per dollar): a statement that
-- failed would hold its batch back for good.
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
SELECT ch.id, r.user_id, r.specifier, true, 1,
	least(ch.amount::numeric * r.units, 2147483647)::integer, now(), now()
FROM challenge ch
CROSS JOIN rule r
WHERE r.units >= 1
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY r.specifier
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, uc.is_complete AS completed_now
