-- oracle.sql: checks public.user_challenges against the challenge rules
-- applied to the FINAL source data, after a workload has run and reckon (or
-- a test standing in for it) has caught up. Used by
-- tests/integration/test_sql.sh and the daemon's integration tests.
--
-- How to read it: one query that returns one row per problem, columns
--   problem text, challenge_id text, specifier text, detail text
-- and returns NO rows when everything is consistent. Run it as
--   psql -X -At -v ON_ERROR_STOP=1 -f tests/integration/oracle.sql
-- and treat any output line as a failure (print the lines: they say what is
-- wrong). It only reads; it does not depend on the session TimeZone.
--
-- The rules are restated here independently of sql/*.sql (plays are counted
-- from public.plays, not from aggregate_plays; ISO weeks come from
-- extract(), not to_char()), so a shared mistake is less likely to hide.
-- It knows only the final data, so it checks what must hold whatever the
-- history was:
--   missing      a row the rules require now does not exist: p1/p2/p3 for an
--                eligible user with N >= create_min (1/250/1000, as the
--                daemon's processors pass), c for every (user, ISO week) with
--                a live visible comment, u for K >= 1.
--   step         a row whose user is eligible now (p: verified, not
--                deactivated; c/u: everyone) has a current_step_count other
--                than least(N or K, threshold). Rows of users not eligible at
--                the end are frozen and skipped; c rows must have step 1.
--   not_complete the rule says complete but the row is not. The converse is
--                allowed: completion is sticky, and the data may have gone
--                down since.
--   completed_at a complete row without completed_at, or an incomplete row
--                with one, or completed_at before created_at.
--   amount       a complete row whose amount is not the catalogue's, or a
--                live incomplete row whose amount does not follow it.
--   c_row        a c row that is not complete.
--   specifier    a row whose challenge is unknown, or whose specifier is not
--                what its challenge could produce for its user_id
--                (p: hex:threshold; c: hex:IYYYIW with week 01..53; u: hex).
--                A c row is not required to match a comment that still
--                exists: rows are never deleted, comments may be.
--   aggregate    aggregate_plays differs from counting plays.
WITH cat AS (
	SELECT c.id, c.type, c.amount, c.step_count, c.active
	FROM public.challenges c
),
-- The play-milestone tiers and the create_min the daemon passes for each.
tiers (challenge_id, create_min) AS (
	VALUES ('p1', 1::bigint), ('p2', 250::bigint), ('p3', 1000::bigint)
),
eligible AS (
	SELECT u.user_id
	FROM public.users u
	WHERE u.is_verified AND NOT u.is_deactivated
),
play_n AS (
	SELECT t.owner_id AS user_id, count(*) AS n
	FROM public.plays p
	JOIN public.tracks t ON t.track_id = p.play_item_id
	WHERE NOT t.is_delete
	GROUP BY t.owner_id
),
upload_k AS (
	SELECT t.owner_id AS user_id, count(*) AS k
	FROM public.tracks t
	WHERE NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
	GROUP BY t.owner_id
),
comment_weeks AS (
	SELECT DISTINCT cm.user_id,
		lpad(extract(isoyear FROM cm.created_at AT TIME ZONE 'UTC')::int::text, 4, '0')
		|| lpad(extract(week FROM cm.created_at AT TIME ZONE 'UTC')::int::text, 2, '0')
		AS iso_week
	FROM public.comments cm
	WHERE NOT cm.is_delete AND cm.is_visible
),
-- Rows the rules require on the final data.
required AS (
	SELECT c.id AS challenge_id, e.user_id,
		to_hex(e.user_id) || ':' || c.step_count AS specifier,
		least(coalesce(pn.n, 0), c.step_count) AS step,
		coalesce(pn.n, 0) >= c.step_count AS complete
	FROM tiers
	JOIN cat c ON c.id = tiers.challenge_id AND c.active
		AND c.step_count IS NOT NULL
	CROSS JOIN eligible e
	LEFT JOIN play_n pn ON pn.user_id = e.user_id
	WHERE coalesce(pn.n, 0) >= tiers.create_min
	UNION ALL
	SELECT c.id, cw.user_id, to_hex(cw.user_id) || ':' || cw.iso_week, 1, true
	FROM comment_weeks cw
	JOIN cat c ON c.id = 'c' AND c.active
	UNION ALL
	SELECT c.id, k.user_id, to_hex(k.user_id),
		least(k.k, c.step_count), k.k >= c.step_count
	FROM upload_k k
	JOIN cat c ON c.id = 'u' AND c.active AND c.step_count IS NOT NULL
	WHERE k.k >= 1
),
-- Every existing row with what the rules say about it now. live: the rule
-- still applies to the row (challenge active and, for p, user eligible), so
-- its step must follow the data; otherwise it is frozen.
judged AS (
	SELECT uc.*, c.id IS NOT NULL AS known, c.amount AS cat_amount,
		c.step_count AS threshold, tiers.challenge_id IS NOT NULL AS is_p,
		CASE
			WHEN tiers.challenge_id IS NOT NULL THEN
				to_hex(uc.user_id) || ':' || c.step_count
			WHEN uc.challenge_id = 'u' THEN to_hex(uc.user_id)
		END AS expected_specifier,
		CASE
			WHEN tiers.challenge_id IS NOT NULL THEN
				coalesce(c.active, false) AND c.step_count IS NOT NULL
				AND EXISTS (SELECT 1 FROM eligible e
					WHERE e.user_id = uc.user_id)
			WHEN uc.challenge_id = 'u' THEN
				coalesce(c.active, false) AND c.step_count IS NOT NULL
			ELSE false
		END AS live,
		CASE
			WHEN tiers.challenge_id IS NOT NULL THEN
				coalesce((SELECT pn.n FROM play_n pn
					WHERE pn.user_id = uc.user_id), 0)
			WHEN uc.challenge_id = 'u' THEN
				coalesce((SELECT k.k FROM upload_k k
					WHERE k.user_id = uc.user_id), 0)
		END AS measure
	FROM public.user_challenges uc
	LEFT JOIN cat c ON c.id = uc.challenge_id
	LEFT JOIN tiers ON tiers.challenge_id = uc.challenge_id
),
problems (problem, challenge_id, specifier, detail) AS (
	SELECT 'missing', r.challenge_id, r.specifier,
		format('user %s: rule wants step %s complete %s', r.user_id, r.step,
			r.complete)
	FROM required r
	WHERE NOT EXISTS (SELECT 1 FROM public.user_challenges uc
		WHERE uc.challenge_id = r.challenge_id
			AND uc.specifier = r.specifier)
	UNION ALL
	SELECT 'specifier', j.challenge_id, j.specifier,
		format('user %s: unknown challenge or malformed specifier',
			j.user_id)
	FROM judged j
	WHERE NOT j.known
		OR (j.challenge_id = 'c' AND NOT (
			j.specifier ~ '^[0-9a-f]+:[0-9]{4}(0[1-9]|[1-4][0-9]|5[0-3])$'
			AND split_part(j.specifier, ':', 1) = to_hex(j.user_id)))
		OR (j.challenge_id <> 'c'
			AND j.specifier IS DISTINCT FROM j.expected_specifier)
	UNION ALL
	SELECT 'step', j.challenge_id, j.specifier,
		format('user %s: step %s, rule wants %s', j.user_id,
			j.current_step_count, least(j.measure, j.threshold))
	FROM judged j
	WHERE j.live AND j.current_step_count IS DISTINCT FROM
		least(j.measure, j.threshold)
	UNION ALL
	SELECT 'not_complete', j.challenge_id, j.specifier,
		format('user %s: measure %s >= %s but incomplete', j.user_id,
			j.measure, j.threshold)
	FROM judged j
	WHERE j.live AND j.measure >= j.threshold AND NOT j.is_complete
	UNION ALL
	SELECT 'completed_at', j.challenge_id, j.specifier,
		format('user %s: is_complete %s, created_at %s, completed_at %s',
			j.user_id, j.is_complete, j.created_at, j.completed_at)
	FROM judged j
	WHERE (j.is_complete AND j.completed_at IS NULL)
		OR (NOT j.is_complete AND j.completed_at IS NOT NULL)
		OR j.completed_at < j.created_at
	UNION ALL
	SELECT 'amount', j.challenge_id, j.specifier,
		format('user %s: amount %s, catalogue %s (complete %s)', j.user_id,
			j.amount, j.cat_amount, j.is_complete)
	FROM judged j
	WHERE j.known AND (j.is_complete OR j.live)
		AND j.amount IS DISTINCT FROM j.cat_amount
	UNION ALL
	SELECT 'c_row', j.challenge_id, j.specifier,
		format('user %s: c row with is_complete %s, step %s', j.user_id,
			j.is_complete, j.current_step_count)
	FROM judged j
	WHERE j.challenge_id = 'c'
		AND (NOT j.is_complete OR j.current_step_count IS DISTINCT FROM 1)
	UNION ALL
	SELECT 'aggregate', NULL, a.play_item_id::text,
		format('aggregate_plays %s, plays %s', a.count, a.n)
	FROM (
		SELECT coalesce(ap.play_item_id, p.play_item_id) AS play_item_id,
			coalesce(ap.count, 0) AS count, coalesce(p.n, 0) AS n
		FROM public.aggregate_plays ap
		FULL JOIN (SELECT pl.play_item_id, count(*) AS n
			FROM public.plays pl GROUP BY pl.play_item_id) p
			ON p.play_item_id = ap.play_item_id
	) a
	WHERE a.count <> a.n
)
SELECT problem, challenge_id, specifier, detail
FROM problems
ORDER BY problem, challenge_id, specifier;
