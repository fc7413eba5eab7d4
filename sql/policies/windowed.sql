-- windowed.sql: the windowed one-shot write policy (cosign, remix-contest
-- winner): one-shot rows, each anchored on a time in the data, at most a
-- cap of them in a rolling window that ends at that time, admitted one
-- after the other. Never run on its own: src/rule.c composes it with a rule
-- ("-- reckon: policy windowed") into the processor's statements, replacing
-- the "-- reckon: rule" line below with the rule itself (the statement on
-- the primary) or with the rows the rule returned on a hot standby, one
-- array per column ($4, $5, ... in the order of the "columns" line).
-- Parameters and the frame (challenge, batch_keys): sql/rule_frame.sql.
-- reckon: columns user_id bigint, specifier text, anchor timestamptz, rank bigint, window_prefixes text, window_len interval, window_cap bigint, prefix_cap bigint
--
-- The candidate rows. The prefix of a specifier is its text before the
-- first ':' (split_part(specifier, ':', 1)).
--   anchor           the time in the data the reward belongs to: the row's
--                    created_at, and the end of its window (a candidate
--                    without one is never paid)
--   rank             the order of a window group's candidates at one anchor
--   window_prefixes  the prefixes, separated by ',', whose rows share the
--                    rolling cap: they name the candidate's WINDOW GROUP
--                    (NULL: the candidate's own prefix). The rule must
--                    keep groups apart: the candidate's own prefix is in
--                    its list, and the lists of two groups share none.
--   window_len       the window: rows whose created_at lies in
--                    [anchor - window_len, anchor], both ends included,
--                    taken in UTC (a day is 24 h whatever the session's
--                    TimeZone); NULL: every row up to anchor
--   window_cap       at most this many rows of the group in the window
--                    (NULL: no rolling cap)
--   prefix_cap       at most this many rows ever with the candidate's own
--                    prefix (NULL: no such cap)
--
-- Policy, as data: every cap, window and grouping comes from the rule's
-- columns (the challenge names none); the catalogue row (challenge; none:
-- nothing is written) gives the amount.
--   - A specifier with a row under $2 is never paid again, and the
--     candidate uses no slot.
--   - The candidates of one window group are admitted in (anchor, rank,
--     specifier) order, one at a time: each is counted against the rows
--     that exist PLUS the candidates admitted before it in this statement,
--     in its window (window_cap) and under its prefix (prefix_cap). A
--     candidate with the specifier of one admitted before it is not paid
--     twice (and uses no slot); one refused leaves the next with the same
--     specifier its own chance at its own anchor.
--   - An admitted candidate becomes a row complete at step 1 with the
--     catalogue's amount, created_at = its anchor (so that later counts see
--     it in the right windows) and completed_at = when it was paid: now(),
--     as under the other policies, for a claim's cooldown and notifications
--     run from when the reward appeared (a backfilled or late-linked
--     reward of an old action is not claimable at once), but never before
--     the anchor (greatest: the data's clock may run ahead of the
--     database's, and completed_at >= created_at holds for every row). An
--     existing row is never changed (ON CONFLICT DO NOTHING).
-- A refused candidate is offered again at every recompute and stays
-- refused while its window is full at its anchor (rows are never deleted,
-- so that is for good unless the rule gives it another anchor or group);
-- nothing is written then. The caps and "paid once" hold with one writer at a time
-- per window group (reckon's group lock: the rule's keys own the groups).
-- Caps depend on existing rows and on the order of admission, so they are
-- decided here, on the primary, never on a standby.
--
-- Output: one row per user_challenges row inserted: challenge_id, user_id,
-- specifier, current_step_count, is_complete, completed_now (its
-- is_complete: a new row is new).
--
-- Bounded: user_challenges by primary key (is the specifier paid) and by
-- user_challenges (challenge_id, split_part(specifier, ':', 1), created_at)
-- (a window's rows, a prefix's rows), at most the cap of rows per lookup.
-- The admission walks each group's candidates once: a recursive CTE whose
-- step decides the next candidate of every group at once (as many steps as
-- the longest group has candidates), reading each candidate from arrays of
-- fixed-width elements (constant-time subscripts) and carrying only the
-- admitted anchors still inside a later window.
WITH RECURSIVE
-- reckon: frame
rule AS (
-- reckon: rule
),
-- The unpaid candidates (a count, not NOT EXISTS, so that it is not turned
-- into an anti-join over user_challenges), with the start of their window:
-- in UTC, a timestamp less an interval has no daylight saving time.
cand AS (
	SELECT r.user_id, r.specifier, r.anchor, r.rank,
		split_part(r.specifier, ':', 1) AS prefix,
		coalesce(r.window_prefixes, split_part(r.specifier, ':', 1))
			AS window_prefixes,
		coalesce((r.anchor AT TIME ZONE 'UTC' - r.window_len)
			AT TIME ZONE 'UTC', '-infinity') AS window_start,
		r.window_cap, r.prefix_cap
	FROM rule r
	WHERE r.anchor IS NOT NULL AND r.specifier IS NOT NULL
		AND (SELECT count(*)
			FROM public.user_challenges uc
			WHERE uc.challenge_id = $2 AND uc.specifier = r.specifier) = 0
),
-- What the existing rows leave each candidate, and its place: pos numbers
-- the candidates group after group, each group in admission order. Every
-- lookup is a correlated subquery keyed by one prefix, LIMIT the cap (a
-- full window or prefix costs at most the cap of rows); a missing cap
-- becomes the largest bigint, so that the arrays below hold no NULL.
placed AS (
	SELECT c.user_id, c.specifier, c.prefix, c.window_prefixes, c.anchor,
		c.window_start,
		coalesce(c.window_cap, 9223372036854775807) AS window_cap,
		coalesce(c.prefix_cap, 9223372036854775807) AS prefix_cap,
		CASE WHEN c.window_cap IS NULL THEN 0 ELSE (
			SELECT count(*) FROM (
				SELECT
				FROM public.user_challenges uc
				WHERE uc.challenge_id = $2
					AND split_part(uc.specifier, ':', 1)
						= ANY (string_to_array(c.window_prefixes, ','))
					AND uc.created_at BETWEEN c.window_start AND c.anchor
				LIMIT c.window_cap) w)
		END AS window_used,
		CASE WHEN c.prefix_cap IS NULL THEN 0 ELSE (
			SELECT count(*) FROM (
				SELECT
				FROM public.user_challenges uc
				WHERE uc.challenge_id = $2
					AND split_part(uc.specifier, ':', 1) = c.prefix
				LIMIT c.prefix_cap) p)
		END AS prefix_used,
		row_number() OVER (ORDER BY c.window_prefixes, c.anchor, c.rank,
			c.specifier) AS pos,
		-- The earliest window start of the group from here on: an admitted
		-- anchor before it is in no later candidate's window. A running
		-- min over the reverse order (a frame that ends at the current row
		-- grows by one row a row; one that starts there is aggregated
		-- again for every row).
		min(c.window_start) OVER (PARTITION BY c.window_prefixes
			ORDER BY c.anchor DESC, c.rank DESC, c.specifier DESC
			ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS keep_from
	FROM cand c
),
-- Numbers for the texts a step compares: a prefix, a specifier is named by
-- the pos of its first candidate (aggregates over a whole partition, one
-- pass each; a rank would compare every row with the one before). has_twin:
-- another candidate has the same specifier.
counted AS (
	SELECT p.*,
		min(p.pos) OVER (PARTITION BY p.prefix) AS prefix_id,
		min(p.pos) OVER (PARTITION BY p.specifier) AS specifier_id,
		count(*) OVER (PARTITION BY p.specifier) > 1 AS has_twin
	FROM placed p
),
-- Everything a step reads, as one row of arrays indexed by pos: elements of
-- fixed width and no NULL, so that a subscript is a constant-time offset.
arr AS (
	SELECT array_agg(c.anchor ORDER BY c.pos) AS anchor,
		array_agg(c.window_start ORDER BY c.pos) AS window_start,
		array_agg(c.keep_from ORDER BY c.pos) AS keep_from,
		array_agg(c.window_cap ORDER BY c.pos) AS window_cap,
		array_agg(c.window_used ORDER BY c.pos) AS window_used,
		array_agg(c.prefix_cap ORDER BY c.pos) AS prefix_cap,
		array_agg(c.prefix_used ORDER BY c.pos) AS prefix_used,
		array_agg(c.prefix_id ORDER BY c.pos) AS prefix_id,
		array_agg(c.specifier_id ORDER BY c.pos) AS specifier_id,
		array_agg(c.has_twin ORDER BY c.pos) AS has_twin
	FROM counted c
),
-- One row per group and step: pos, the candidate just decided (ok; the
-- first row of a group, before its first candidate, decides nothing), last,
-- the group's last candidate, and what was admitted so far in the group:
-- the anchors still inside a later window (win), the prefixes (prefixes, a
-- prefix_id per admitted row), the specifiers that have a twin still to
-- come (twins).
step (pos, last, ok, win, prefixes, twins) AS (
	SELECT min(c.pos) - 1, max(c.pos), NULL::boolean,
		'{}'::timestamptz[], '{}'::bigint[], '{}'::bigint[]
	FROM counted c
	GROUP BY c.window_prefixes
	UNION ALL
	SELECT s.pos + 1, s.last, d.ok,
		ARRAY(SELECT x
			FROM unnest(CASE WHEN d.ok THEN s.win || c.anchor
				ELSE s.win END) x
			WHERE x >= c.keep_from),
		CASE WHEN d.ok THEN s.prefixes || c.prefix_id ELSE s.prefixes END,
		CASE WHEN d.ok AND c.has_twin THEN s.twins || c.specifier_id
			ELSE s.twins END
	FROM step s
	-- The candidate pos + 1. Each (SELECT ... FROM arr) is uncorrelated: an
	-- InitPlan, evaluated once for the whole statement and then a
	-- parameter, so a step costs a subscript per column (a join to arr, or
	-- to counted, would fetch the arrays, or scan the candidates, again at
	-- every step: quadratic in the candidates of a group).
	CROSS JOIN LATERAL (
		SELECT (SELECT a.anchor FROM arr a)[s.pos + 1] AS anchor,
			(SELECT a.window_start FROM arr a)[s.pos + 1] AS window_start,
			(SELECT a.keep_from FROM arr a)[s.pos + 1] AS keep_from,
			(SELECT a.window_cap FROM arr a)[s.pos + 1] AS window_cap,
			(SELECT a.window_used FROM arr a)[s.pos + 1] AS window_used,
			(SELECT a.prefix_cap FROM arr a)[s.pos + 1] AS prefix_cap,
			(SELECT a.prefix_used FROM arr a)[s.pos + 1] AS prefix_used,
			(SELECT a.prefix_id FROM arr a)[s.pos + 1] AS prefix_id,
			(SELECT a.specifier_id FROM arr a)[s.pos + 1] AS specifier_id,
			(SELECT a.has_twin FROM arr a)[s.pos + 1] AS has_twin
		-- OFFSET 0: fetched once per step, not once per use.
		OFFSET 0
	) c
	CROSS JOIN LATERAL (
		SELECT NOT c.specifier_id = ANY (s.twins)
			AND c.window_used
				+ (SELECT count(*) FROM unnest(s.win) x
					WHERE x BETWEEN c.window_start AND c.anchor)
				< c.window_cap
			AND c.prefix_used
				+ (SELECT count(*) FROM unnest(s.prefixes) x
					WHERE x = c.prefix_id)
				< c.prefix_cap AS ok
		-- OFFSET 0: decided once per step, not once per use of ok.
		OFFSET 0
	) d
	WHERE s.pos < s.last
)
INSERT INTO public.user_challenges AS uc (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
SELECT ch.id, c.user_id, c.specifier, true, 1, ch.amount, c.anchor,
	greatest(now(), c.anchor)
FROM challenge ch
CROSS JOIN step s
JOIN counted c ON c.pos = s.pos
WHERE s.ok
-- A fixed order: concurrent statements lock shared keys in one order.
ORDER BY c.specifier
ON CONFLICT (challenge_id, specifier) DO NOTHING
RETURNING uc.challenge_id, uc.user_id, uc.specifier, uc.current_step_count,
	uc.is_complete, uc.is_complete AS completed_now
