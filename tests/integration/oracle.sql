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
-- extract(), not to_char(); profile facts use length(), follows are counted
-- in full), so a shared mistake is less likely to hide.
-- It knows only the final data, so it checks what must hold whatever the
-- history was:
--   missing      a row the rules require now does not exist: p1/p2/p3 for an
--                eligible user with N >= create_min (1/250/1000, as the
--                daemon's processors pass), c for every (user, ISO week) with
--                a live visible comment, u for K >= 1. With catalogue set
--                (below) also: p for a profile-eligible user (a users row,
--                not deactivated, handle NOT NULL) with F >= 1 of the seven
--                profile facts; fp for the owner of a live playlist; v for a
--                verified active user; m for is_mobile_user; rd for the
--                referred user of every valid referral (referrer has a users
--                row and is not the user); cp for the author of every valid
--                pin (live track of a verified active owner, pinned comment
--                live, on that track, not by the owner); and for every valid
--                referral pair a row under r or rv, unless the cap that
--                applies now is full (verified active referrer: rv;
--                otherwise r). A pair paid under the other challenge counts
--                (a referrer may have been verified, or not, back then).
--   step         a row whose user is eligible now (p1/p2/p3: verified, not
--                deactivated; p: profile-eligible; c/u: everyone) has a
--                current_step_count other than least(N, K or F, threshold).
--                Rows of users not eligible at the end are frozen and
--                skipped; c and one-shot rows must have step 1.
--   not_complete the rule says complete but the row is not. The converse is
--                allowed: completion is sticky, and the data may have gone
--                down since.
--   completed_at a complete row without completed_at, or an incomplete row
--                with one, or completed_at before created_at.
--   amount       a complete row whose amount is not the catalogue's, or a
--                live incomplete row whose amount does not follow it.
--   c_row        a c row that is not complete.
--   one_shot     a row of fp, v, m, rd, r, rv or cp that is not complete with
--                step 1 (they are born so and never change).
--   cap          a referrer with more rows under r or rv than the
--                challenge's step_count (r 5, rv 5000).
--   double_reward a referral pair with a row under both r and rv.
--   specifier    a row whose challenge is unknown, or whose specifier is not
--                what its challenge could produce for its user_id
--                (p1/p2/p3: hex:threshold; c: hex:IYYYIW with week 01..53;
--                u, p, fp, v, m, rd: hex; r, rv: hex:hex of two different
--                ids; cp: hex:hex, hex being to_hex(), the first the row's
--                user_id). Rows are not required to match data that still
--                exists (a comment, a pin, a referral): rows are never
--                deleted, the data may be.
--   aggregate    aggregate_plays differs from counting plays.
--
-- catalogue: the checks that REQUIRE rows of p, fp, v, m, rd, r, rv and cp
-- apply only when the psql variable catalogue is defined (any value):
--   psql -X -At -v ON_ERROR_STOP=1 -v catalogue=1 -f tests/integration/oracle.sql
-- so that the oracle stays usable while the daemon does not run those
-- processors yet (tests/integration/test_sql.sh and test_sql_catalogue.sh
-- set it). Every other check applies to the rows that exist, whatever the
-- variable: without rows of those challenges they find nothing.
WITH flags AS (
	-- psql replaces :{?catalogue} with TRUE or FALSE before sending.
	SELECT :{?catalogue} AS catalogue
),
cat AS (
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
-- Profile completion: users eligible for p and their seven facts.
profile_facts AS (
	SELECT u.user_id,
		(coalesce(length(u.bio), 0) > 0)::integer
		+ (coalesce(length(u.name), 0) > 0)::integer
		+ (coalesce(length(u.profile_picture), 0) > 0)::integer
		+ (coalesce(length(u.cover_photo), 0) > 0)::integer
		+ (coalesce(fo.n, 0) >= 5)::integer
		+ (rp.user_id IS NOT NULL)::integer
		+ (sv.user_id IS NOT NULL)::integer AS facts
	FROM public.users u
	LEFT JOIN (SELECT f.follower_user_id AS user_id, count(*) AS n
		FROM public.follows f WHERE NOT f.is_delete GROUP BY 1) fo
		ON fo.user_id = u.user_id
	LEFT JOIN (SELECT DISTINCT r.user_id FROM public.reposts r
		WHERE NOT r.is_delete) rp ON rp.user_id = u.user_id
	LEFT JOIN (SELECT DISTINCT s.user_id FROM public.saves s
		WHERE NOT s.is_delete) sv ON sv.user_id = u.user_id
	WHERE NOT u.is_deactivated AND u.handle IS NOT NULL
),
-- Valid referrals now: the referrer has a users row, is not the user.
-- verified: which of rv (true) and r applies to the referrer now.
ref_pairs AS (
	SELECT ue.referrer, ue.user_id AS referred,
		to_hex(ue.referrer) || ':' || to_hex(ue.user_id) AS specifier,
		u.is_verified AND NOT u.is_deactivated AS verified
	FROM public.user_events ue
	JOIN public.users u ON u.user_id = ue.referrer
	WHERE ue.user_id <> ue.referrer
),
-- Rows per referrer under r and rv (their user_id is the referrer).
ref_counts AS (
	SELECT uc.user_id, uc.challenge_id, count(*) AS n
	FROM public.user_challenges uc
	WHERE uc.challenge_id IN ('r', 'rv')
	GROUP BY uc.user_id, uc.challenge_id
),
-- Valid pins now.
pins AS (
	SELECT cm.user_id AS author, t.track_id
	FROM public.tracks t
	JOIN public.users o ON o.user_id = t.owner_id
	JOIN public.comments cm ON cm.comment_id = t.pinned_comment_id
	WHERE NOT t.is_delete AND o.is_verified AND NOT o.is_deactivated
		AND cm.entity_type = 'Track' AND cm.entity_id = t.track_id
		AND NOT cm.is_delete AND cm.user_id <> t.owner_id
),
-- Rows the catalogue processors' rules require (r and rv: see problems).
required_catalogue AS (
	SELECT c.id AS challenge_id, pf.user_id, to_hex(pf.user_id) AS specifier,
		least(pf.facts, c.step_count) AS step,
		pf.facts >= c.step_count AS complete
	FROM profile_facts pf
	JOIN cat c ON c.id = 'p' AND c.active AND c.step_count IS NOT NULL
	WHERE pf.facts >= 1
	UNION ALL
	SELECT c.id, o.user_id, to_hex(o.user_id), 1, true
	FROM (SELECT DISTINCT pl.playlist_owner_id AS user_id
		FROM public.playlists pl WHERE NOT pl.is_delete) o
	JOIN cat c ON c.id = 'fp' AND c.active
	UNION ALL
	SELECT c.id, e.user_id, to_hex(e.user_id), 1, true
	FROM eligible e
	JOIN cat c ON c.id = 'v' AND c.active
	UNION ALL
	SELECT c.id, ue.user_id, to_hex(ue.user_id), 1, true
	FROM public.user_events ue
	JOIN cat c ON c.id = 'm' AND c.active
	WHERE ue.is_mobile_user
	UNION ALL
	SELECT c.id, rp.referred, to_hex(rp.referred), 1, true
	FROM ref_pairs rp
	JOIN cat c ON c.id = 'rd' AND c.active
	UNION ALL
	SELECT c.id, p.author, to_hex(p.author) || ':' || to_hex(p.track_id), 1,
		true
	FROM pins p
	JOIN cat c ON c.id = 'cp' AND c.active
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
	UNION ALL
	SELECT rc.*
	FROM required_catalogue rc
	WHERE (SELECT f.catalogue FROM flags f)
),
-- Every existing row with what the rules say about it now. live: the rule
-- still applies to the row (challenge active and, for p1/p2/p3 and p, user
-- eligible), so its step must follow the data; otherwise it is frozen.
-- expected_specifier: for the challenges whose specifier is a function of
-- user_id (c, r, rv and cp are checked by pattern).
judged AS (
	SELECT uc.*, c.id IS NOT NULL AS known, c.amount AS cat_amount,
		c.step_count AS threshold, tiers.challenge_id IS NOT NULL AS is_p,
		CASE
			WHEN tiers.challenge_id IS NOT NULL THEN
				to_hex(uc.user_id) || ':' || c.step_count
			WHEN uc.challenge_id IN ('u', 'p', 'fp', 'v', 'm', 'rd') THEN
				to_hex(uc.user_id)
		END AS expected_specifier,
		CASE
			WHEN tiers.challenge_id IS NOT NULL THEN
				coalesce(c.active, false) AND c.step_count IS NOT NULL
				AND EXISTS (SELECT 1 FROM eligible e
					WHERE e.user_id = uc.user_id)
			WHEN uc.challenge_id = 'u' THEN
				coalesce(c.active, false) AND c.step_count IS NOT NULL
			WHEN uc.challenge_id = 'p' THEN
				coalesce(c.active, false) AND c.step_count IS NOT NULL
				AND EXISTS (SELECT 1 FROM profile_facts pf
					WHERE pf.user_id = uc.user_id)
			ELSE false
		END AS live,
		CASE
			WHEN tiers.challenge_id IS NOT NULL THEN
				coalesce((SELECT pn.n FROM play_n pn
					WHERE pn.user_id = uc.user_id), 0)
			WHEN uc.challenge_id = 'u' THEN
				coalesce((SELECT k.k FROM upload_k k
					WHERE k.user_id = uc.user_id), 0)
			WHEN uc.challenge_id = 'p' THEN
				coalesce((SELECT pf.facts FROM profile_facts pf
					WHERE pf.user_id = uc.user_id), 0)
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
	-- Referral pairs: a row under r or rv, unless the cap that applies now
	-- is full.
	SELECT 'missing', c.id, rp.specifier,
		format('referrer %s referred %s: no row under r or rv, %s has %s of %s',
			rp.referrer, rp.referred, c.id, coalesce(rc.n, 0), c.step_count)
	FROM ref_pairs rp
	JOIN cat c ON c.id = CASE WHEN rp.verified THEN 'rv' ELSE 'r' END
		AND c.active AND c.step_count IS NOT NULL
	LEFT JOIN ref_counts rc ON rc.user_id = rp.referrer
		AND rc.challenge_id = c.id
	WHERE (SELECT f.catalogue FROM flags f)
		AND coalesce(rc.n, 0) < c.step_count
		AND NOT EXISTS (SELECT 1 FROM public.user_challenges uc
			WHERE uc.challenge_id IN ('r', 'rv')
				AND uc.specifier = rp.specifier)
	UNION ALL
	SELECT 'cap', rc.challenge_id, to_hex(rc.user_id),
		format('referrer %s: %s rows, cap %s', rc.user_id, rc.n, c.step_count)
	FROM ref_counts rc
	JOIN cat c ON c.id = rc.challenge_id
	WHERE rc.n > c.step_count
	UNION ALL
	SELECT 'double_reward', uc.challenge_id, uc.specifier,
		format('user %s: the pair has a row under r and under rv',
			uc.user_id)
	FROM public.user_challenges uc
	WHERE uc.challenge_id = 'rv'
		AND EXISTS (SELECT 1 FROM public.user_challenges o
			WHERE o.challenge_id = 'r' AND o.specifier = uc.specifier)
	UNION ALL
	SELECT 'specifier', j.challenge_id, j.specifier,
		format('user %s: unknown challenge or malformed specifier',
			j.user_id)
	FROM judged j
	WHERE NOT j.known
		OR (j.challenge_id = 'c' AND NOT (
			j.specifier ~ '^[0-9a-f]+:[0-9]{4}(0[1-9]|[1-4][0-9]|5[0-3])$'
			AND split_part(j.specifier, ':', 1) = to_hex(j.user_id)))
		OR (j.challenge_id IN ('r', 'rv', 'cp') AND NOT (
			j.specifier ~ '^(0|[1-9a-f][0-9a-f]*):(0|[1-9a-f][0-9a-f]*)$'
			AND split_part(j.specifier, ':', 1) = to_hex(j.user_id)
			AND (j.challenge_id = 'cp' OR split_part(j.specifier, ':', 2)
				<> split_part(j.specifier, ':', 1))))
		OR (j.challenge_id NOT IN ('c', 'r', 'rv', 'cp')
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
	SELECT 'one_shot', j.challenge_id, j.specifier,
		format('user %s: one-shot row with is_complete %s, step %s',
			j.user_id, j.is_complete, j.current_step_count)
	FROM judged j
	WHERE j.challenge_id IN ('fp', 'v', 'm', 'rd', 'r', 'rv', 'cp')
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
