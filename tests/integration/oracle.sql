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
-- wrong). It only reads (it turns JIT off for its session: see below the
-- header); it does not depend on the session TimeZone.
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
--
-- The rest of the catalogue: cosign (cs), remix-contest winner (w), audio
-- matching buyer and seller (b, s), the listen streak (e), and the facts of
-- profile completion (public.challenge_profile_completion). Rules as issue
-- #18 settles them; times are compared as exact intervals (30 days = 720
-- hours, 7 days = 168 hours, 16 h, 48 h), never in the session's calendar.
-- Caps, as issue #18 settles them: a candidate at anchor ts is paid only
-- while fewer than 5 rows of its cosigner (cs) or host (w) lie in its own
-- window [ts - 30 days, ts] (7 days for w), counting the rows paid before
-- it. A candidate that qualifies late (an old save whose remix link came
-- after newer rows were paid) is judged in its own window, so a LATER
-- row's window may end up holding more than 5; what always holds is the
-- cap at each row's payment. Payment order is in the rows: completed_at
-- is the paying transaction's now() (the policy writes greatest(now(),
-- anchor): the workload's anchors are in the past), and one statement
-- pays its candidates in anchor order:
--   cap          a cs row with more than 5 rows of its cosigner (the first
--                part of the specifier) whose created_at lies in
--                [its created_at - 30 days, its created_at] and that were
--                paid no later than it ((completed_at, created_at) at most
--                its own); the same for a w row, its host (the contest's
--                user_id now) and 7 days; a contest with more than 5
--                rows.
--   missing      (with rest, below) cs: a qualifying action now (a live
--                track save or repost by a verified user P of a track R
--                that exists, a parent of which in remixes P owns) whose
--                pair hex(P):hex(R) has no row, although its own window
--                has room: fewer than 5 rows of P in [ts - 30 days, ts].
--                w: a winner
--                now (an integer element of the winners array of a
--                remix_contest not deleted whose host is verified, naming a
--                track that exists and is not deleted) whose pair
--                hex(contest):hex(owner of the track) has no row, although
--                the contest has fewer than 5 rows and the host's window
--                up to the contest's updated_at (the anchor a recompute
--                uses now) has fewer than 5. Rows never go away, so a
--                window full when a candidate was refused is still full:
--                these hold whatever the order in which candidates came.
--                b: a purchase now valid
--                of at least a dollar (amount / 1,000,000, integer
--                division) whose seller resolves (the current owner of the
--                track for 'track', of the playlist for 'album' and
--                'playlist') and whose hex(buyer):hex(content_id) has no b
--                row; s: the same with the seller verified now and no s
--                row.
--   anchor       a cs row whose pair still has save or repost rows, none of
--                which has the row's created_at (the action's); a w row
--                created after its contest's updated_at. This assumes what
--                the application does: saves and reposts are not deleted
--                and re-inserted with another created_at (an unsave is
--                is_delete), and a contest's updated_at never goes back.
--   amount       a b or s row whose amount is not the catalogue's amount
--                times the dollars of one of its specifier's valid
--                purchases of at least a dollar (any content_type: a track
--                and an album with the same id share the specifier). Valid
--                purchases stay valid and are not deleted (on-chain facts),
--                so a row without one is an error too. e: see e_row.
--   one_shot     cs, w, b and s rows are complete at step 1 (amount: the
--                catalogue's for cs and w, as for the other challenges).
--   specifier    cs, w, b, s: hex:hex, the remixer (w) or the buyer (b) being
--                the row's user_id; e: hex(user_id) and the UTC hour
--                YYYYMMDDHH24 of a play.
--   e_row        an e row that is neither a 7-day row (amount 7, step 1 to
--                7, complete exactly at 7) nor an endless row (catalogue
--                amount, step 1, complete).
--   profile_facts  a row of challenge_profile_completion of a
--                profile-eligible user (as for p) whose seven booleans
--                differ from the facts now (bio, name, profile_picture,
--                cover_photo non-empty; 5 or more live follows; a live save
--                (favorites); a live repost). With pfacts (below), also
--                such a user with at least one fact and no row.
-- The listen streak, with rest and e active: the streak is a fold over each
-- listener's plays (user_id not null) in id order, recomputed here by a
-- recursive query from public.plays: the first play counts (streak 1); a
-- play less than 16 h after the last counted one is ignored (negative gaps
-- too); 16 h to under 48 h adds 1; 48 h or more starts a streak of 1. A
-- counted play that starts a streak is a 7-day row (specifier at its hour,
-- step min(streak the run reached, 7), amount 7, complete at 7); one that
-- takes a streak past 7 an endless row (step 1, catalogue amount,
-- complete). Checked: every such row exists and is so (missing, streak),
-- no other e row exists (streak), and challenge_listen_streak holds the
-- last counted play's time, the streak and the time of the play that
-- started it, for every listener and no one else (streak_state). This
-- needs the plays the fold went over to be those still there: e active
-- before the first play with a listener, and no play with a listener
-- deleted or its user_id or created_at changed (gen_workload.awk deletes
-- only anonymous plays); a test that prunes plays turns e off or leaves
-- rest unset.
--
-- rest: the checks that REQUIRE rows of cs, w, b, s and e (missing, and
-- the fold of the listen streak) apply only with -v rest=1, and the rows
-- of challenge_profile_completion only with -v pfacts=1, until the daemon
-- runs those processors; a challenge inactive in the catalogue (cs and e
-- are, by default) requires nothing. The other checks above apply to the
-- rows that exist, whatever the variables.
--
-- JIT off for the session first (output to /dev/null, so that nothing is
-- printed whatever psql's options): on tables not analyzed yet the
-- planner's default estimate for the recursive fold puts the query above
-- jit_above_cost, and compiling it takes far longer than running it.
SELECT set_config('jit', 'off', false) \g /dev/null
WITH RECURSIVE flags AS (
	-- psql replaces :{?catalogue} with TRUE or FALSE before sending.
	SELECT :{?catalogue} AS catalogue, :{?rest} AS rest, :{?pfacts} AS pfacts
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
-- Profile completion: users eligible for p and their seven facts (the
-- columns of challenge_profile_completion), and how many hold.
profile_bools AS (
	SELECT u.user_id,
		coalesce(length(u.bio), 0) > 0 AS profile_description,
		coalesce(length(u.name), 0) > 0 AS profile_name,
		coalesce(length(u.profile_picture), 0) > 0 AS profile_picture,
		coalesce(length(u.cover_photo), 0) > 0 AS profile_cover_photo,
		coalesce(fo.n, 0) >= 5 AS follows,
		sv.user_id IS NOT NULL AS favorites,
		rp.user_id IS NOT NULL AS reposts
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
profile_facts AS (
	SELECT pb.user_id,
		pb.profile_description::integer + pb.profile_name::integer
		+ pb.profile_picture::integer + pb.profile_cover_photo::integer
		+ pb.follows::integer + pb.favorites::integer + pb.reposts::integer
		AS facts
	FROM profile_bools pb
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
-- The rest of the catalogue (see the header). rest_rows: the rows of cs, w,
-- b and s with the two hex parts of their specifier decoded (NULL when a
-- part is not lowercase hex of a positive bigint; "specifier" reports it).
rest_rows AS (
	SELECT uc.*,
		CASE WHEN split_part(uc.specifier, ':', 1) ~ '^[0-9a-f]{1,15}$' THEN
			('x' || lpad(split_part(uc.specifier, ':', 1), 16, '0'))::bit(64)::bigint
		END AS id1,
		CASE WHEN split_part(uc.specifier, ':', 2) ~ '^[0-9a-f]{1,15}$' THEN
			('x' || lpad(split_part(uc.specifier, ':', 2), 16, '0'))::bit(64)::bigint
		END AS id2
	FROM public.user_challenges uc
	WHERE uc.challenge_id IN ('cs', 'w', 'b', 's')
),
-- Cosign actions now: a live track save or repost by a verified user (the
-- cosigner) of a track that exists (the remix), some parent of which the
-- cosigner owns. Any parent; no check of is_delete or is_deactivated.
cs_actions AS (
	SELECT a.user_id AS cosigner, a.item AS remix, a.kind, a.created_at AS ts,
		r.owner_id AS remixer,
		to_hex(a.user_id) || ':' || to_hex(a.item) AS specifier
	FROM (
		SELECT sv.user_id, sv.save_item_id AS item, 'save' AS kind,
			sv.created_at
		FROM public.saves sv
		WHERE sv.save_type = 'track' AND NOT sv.is_delete
		UNION ALL
		SELECT rp.user_id, rp.repost_item_id, 'repost', rp.created_at
		FROM public.reposts rp
		WHERE rp.repost_type = 'track' AND NOT rp.is_delete
	) a
	JOIN public.users p ON p.user_id = a.user_id AND p.is_verified
	JOIN public.tracks r ON r.track_id = a.item
	WHERE EXISTS (SELECT 1 FROM public.remixes x
		JOIN public.tracks pt ON pt.track_id = x.parent_track_id
		WHERE x.child_track_id = a.item AND pt.owner_id = a.user_id)
),
-- Each cs row with the count of its cosigner's rows in its window.
cs_windows AS (
	SELECT x.specifier, x.user_id, x.id1 AS cosigner, x.id2 AS remix,
		x.created_at,
		-- the rows in its window paid no later than it (see "cap")
		(SELECT count(*) FROM rest_rows y
			WHERE y.challenge_id = 'cs' AND y.id1 = x.id1
				AND y.created_at >= x.created_at - interval '720 hours'
				AND y.created_at <= x.created_at
				AND (y.completed_at, y.created_at)
					<= (x.completed_at, x.created_at)) AS n
	FROM rest_rows x
	WHERE x.challenge_id = 'cs' AND x.id1 IS NOT NULL
),
-- Remix contests that pay now (not deleted, host verified); anchor: the
-- updated_at a recompute would use.
w_contests AS (
	SELECT e.event_id, e.user_id AS host, e.updated_at AS anchor,
		e.event_data
	FROM public.events e
	JOIN public.users h ON h.user_id = e.user_id AND h.is_verified
	WHERE e.event_type = 'remix_contest' AND NOT e.is_deleted
),
-- Their winners: each element of event_data->'winners' (nothing unless it
-- is an array) that is an integer (a JSON number without fraction or
-- exponent, or a string of digits) naming a track that exists and is not
-- deleted; one line per (contest, remixer), at the remixer's first
-- position.
w_pairs AS (
	SELECT c.event_id, c.host, c.anchor, t.owner_id AS remixer,
		min(el.pos) AS pos,
		to_hex(c.event_id) || ':' || to_hex(t.owner_id) AS specifier
	FROM w_contests c
	CROSS JOIN LATERAL jsonb_array_elements(
		CASE WHEN jsonb_typeof(c.event_data -> 'winners') = 'array'
			THEN c.event_data -> 'winners' ELSE '[]'::jsonb END
	) WITH ORDINALITY AS el (elem, pos)
	CROSS JOIN LATERAL (
		SELECT CASE jsonb_typeof(el.elem)
			WHEN 'number' THEN el.elem::text
			WHEN 'string' THEN el.elem #>> '{}'
		END AS txt
	) v
	-- CASE: the cast only once the text is known to fit a bigint
	JOIN public.tracks t ON t.track_id = CASE
		WHEN v.txt ~ '^-?[0-9]{1,18}$' THEN v.txt::bigint END
		AND NOT t.is_delete
	GROUP BY c.event_id, c.host, c.anchor, t.owner_id
),
-- Each w row with its contest's host and updated_at now (NULL: the
-- contest row is gone), and the count of the host's rows in its window.
w_rows AS (
	SELECT rr.*, e.user_id AS host, e.updated_at AS contest_updated_at
	FROM rest_rows rr
	LEFT JOIN public.events e ON e.event_id = rr.id1
	WHERE rr.challenge_id = 'w'
),
w_windows AS (
	SELECT x.specifier, x.user_id, x.id1 AS contest, x.host, x.created_at,
		(SELECT count(*) FROM w_rows y
			WHERE y.host = x.host
				AND y.created_at >= x.created_at - interval '168 hours'
				AND y.created_at <= x.created_at
				AND (y.completed_at, y.created_at)
					<= (x.completed_at, x.created_at)) AS n
	FROM w_rows x
	WHERE x.host IS NOT NULL
),
-- Valid purchases with their dollars, specifier and seller now (NULL: the
-- content has no row).
bs_purchases AS (
	SELECT sp.signature, sp.instruction_index, sp.slot, sp.content_type,
		sp.content_id, sp.buyer_user_id, sp.amount / 1000000 AS dollars,
		to_hex(sp.buyer_user_id) || ':' || to_hex(sp.content_id) AS specifier,
		CASE sp.content_type
			WHEN 'track' THEN (SELECT t.owner_id FROM public.tracks t
				WHERE t.track_id = sp.content_id)
			ELSE (SELECT pl.playlist_owner_id FROM public.playlists pl
				WHERE pl.playlist_id = sp.content_id)
		END AS seller
	FROM public.sol_purchases sp
	WHERE sp.is_valid
),
-- The listen streak's fold, when it is checked (rest, e active): one line
-- per counted play of each listener, in id order: its time t, the streak
-- after it and the time of the play that started that streak. The first
-- play counts; the next counted one is the first later play (by id) at
-- least 16 h after it.
e_checked AS (
	SELECT (SELECT f.rest FROM flags f)
		AND EXISTS (SELECT 1 FROM cat c WHERE c.id = 'e' AND c.active) AS on
),
e_fold (user_id, id, t, streak, started) AS (
	SELECT f.user_id, f.id, f.created_at, 1, f.created_at
	FROM (SELECT DISTINCT ON (p.user_id) p.user_id, p.id, p.created_at
		FROM public.plays p
		WHERE p.user_id IS NOT NULL AND (SELECT ec.on FROM e_checked ec)
		ORDER BY p.user_id, p.id) f
	UNION ALL
	SELECT s.user_id, n.id, n.created_at,
		CASE WHEN n.created_at < s.t + interval '48 hours'
			THEN s.streak + 1 ELSE 1 END,
		CASE WHEN n.created_at < s.t + interval '48 hours'
			THEN s.started ELSE n.created_at END
	FROM e_fold s
	CROSS JOIN LATERAL (
		SELECT p.id, p.created_at
		FROM public.plays p
		WHERE p.user_id = s.user_id AND p.id > s.id
			AND p.created_at >= s.t + interval '16 hours'
		ORDER BY p.id
		LIMIT 1
	) n
),
-- The rows the fold writes: a 7-day row per streak start, an endless row
-- per counted play past 7.
e_expected AS (
	SELECT f.user_id,
		to_hex(f.user_id) || to_char(f.t AT TIME ZONE 'UTC', 'YYYYMMDDHH24')
			AS specifier,
		CASE WHEN f.streak = 1 THEN least(r.reached, 7) ELSE 1 END AS step,
		f.streak > 1 OR r.reached >= 7 AS complete,
		CASE WHEN f.streak = 1 THEN 7 ELSE c.amount END AS amount
	FROM e_fold f
	JOIN (SELECT ef.user_id, ef.started, max(ef.streak) AS reached
		FROM e_fold ef GROUP BY ef.user_id, ef.started) r
		ON r.user_id = f.user_id AND r.started = f.started
	JOIN cat c ON c.id = 'e'
	WHERE f.streak = 1 OR f.streak > 7
),
-- What challenge_listen_streak must hold: the last counted play.
e_state AS (
	SELECT DISTINCT ON (f.user_id) f.user_id, f.t AS last, f.streak,
		f.started
	FROM e_fold f
	ORDER BY f.user_id, f.id DESC
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
		OR (j.challenge_id IN ('cs', 'w', 'b', 's') AND NOT (
			j.specifier ~ '^(0|[1-9a-f][0-9a-f]*):(0|[1-9a-f][0-9a-f]*)$'
			AND (j.challenge_id <> 'w'
				OR split_part(j.specifier, ':', 2) = to_hex(j.user_id))
			AND (j.challenge_id <> 'b'
				OR split_part(j.specifier, ':', 1) = to_hex(j.user_id))))
		OR (j.challenge_id = 'e' AND NOT (
			j.specifier ~ '^[0-9a-f]+[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])$'
			AND left(j.specifier, -10) = to_hex(j.user_id)))
		OR (j.challenge_id NOT IN ('c', 'r', 'rv', 'cp', 'cs', 'w', 'b', 's', 'e')
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
		-- e: see e_row; b, s: the dollars of a purchase
		AND j.challenge_id NOT IN ('e', 'b', 's')
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
	WHERE j.challenge_id IN ('fp', 'v', 'm', 'rd', 'r', 'rv', 'cp', 'cs', 'w',
			'b', 's')
		AND (NOT j.is_complete OR j.current_step_count IS DISTINCT FROM 1)
	UNION ALL
	-- cs: a qualifying action without a row while every window of its
	-- cosigner that would hold it has room.
	SELECT 'missing', c.id, a.specifier,
		format('cosigner %s %s of remix %s (owner %s) at %s: no row, %s rows in [ts - 30 days, ts]',
			a.cosigner, a.kind, a.remix, a.remixer, a.ts,
			(SELECT count(*) FROM cs_windows w
				WHERE w.cosigner = a.cosigner
					AND w.created_at >= a.ts - interval '720 hours'
					AND w.created_at <= a.ts))
	FROM cs_actions a
	JOIN cat c ON c.id = 'cs' AND c.active
	WHERE (SELECT f.rest FROM flags f)
		AND NOT EXISTS (SELECT 1 FROM public.user_challenges uc
			WHERE uc.challenge_id = 'cs' AND uc.specifier = a.specifier)
		AND (SELECT count(*) FROM cs_windows w
			WHERE w.cosigner = a.cosigner
				AND w.created_at >= a.ts - interval '720 hours'
				AND w.created_at <= a.ts) < 5
	UNION ALL
	SELECT 'cap', 'cs', w.specifier,
		format('cosigner %s: %s rows in the 30 days up to %s', w.cosigner,
			w.n, w.created_at)
	FROM cs_windows w
	WHERE w.n > 5
	UNION ALL
	SELECT 'anchor', 'cs', x.specifier,
		format('user %s: created_at %s, the pair''s actions are at %s',
			x.user_id, x.created_at,
			(SELECT string_agg(a.created_at::text, ', ' ORDER BY a.created_at)
			FROM (SELECT sv.created_at FROM public.saves sv
				WHERE sv.user_id = x.id1 AND sv.save_item_id = x.id2
					AND sv.save_type = 'track'
				UNION ALL
				SELECT rp.created_at FROM public.reposts rp
				WHERE rp.user_id = x.id1 AND rp.repost_item_id = x.id2
					AND rp.repost_type = 'track') a))
	FROM rest_rows x
	WHERE x.challenge_id = 'cs'
		AND (EXISTS (SELECT 1 FROM public.saves sv
				WHERE sv.user_id = x.id1 AND sv.save_item_id = x.id2
					AND sv.save_type = 'track')
			OR EXISTS (SELECT 1 FROM public.reposts rp
				WHERE rp.user_id = x.id1 AND rp.repost_item_id = x.id2
					AND rp.repost_type = 'track'))
		AND NOT EXISTS (SELECT 1 FROM public.saves sv
			WHERE sv.user_id = x.id1 AND sv.save_item_id = x.id2
				AND sv.save_type = 'track' AND sv.created_at = x.created_at)
		AND NOT EXISTS (SELECT 1 FROM public.reposts rp
			WHERE rp.user_id = x.id1 AND rp.repost_item_id = x.id2
				AND rp.repost_type = 'track' AND rp.created_at = x.created_at)
	UNION ALL
	-- w: a winner without a row while the contest and every window of the
	-- host that would hold the anchor have room.
	SELECT 'missing', c.id, wp.specifier,
		format('contest %s (host %s, updated_at %s): winner at position %s, remixer %s: no row, the contest has %s rows',
			wp.event_id, wp.host, wp.anchor, wp.pos, wp.remixer,
			(SELECT count(*) FROM w_rows y WHERE y.id1 = wp.event_id))
	FROM w_pairs wp
	JOIN cat c ON c.id = 'w' AND c.active
	WHERE (SELECT f.rest FROM flags f)
		AND NOT EXISTS (SELECT 1 FROM public.user_challenges uc
			WHERE uc.challenge_id = 'w' AND uc.specifier = wp.specifier)
		AND (SELECT count(*) FROM w_rows y WHERE y.id1 = wp.event_id) < 5
		AND (SELECT count(*) FROM w_windows w
			WHERE w.host = wp.host
				AND w.created_at >= wp.anchor - interval '168 hours'
				AND w.created_at <= wp.anchor) < 5
	UNION ALL
	SELECT 'cap', 'w', to_hex(y.id1),
		format('contest %s: %s rows', y.id1, count(*))
	FROM w_rows y
	WHERE y.id1 IS NOT NULL
	GROUP BY y.id1
	HAVING count(*) > 5
	UNION ALL
	SELECT 'cap', 'w', w.specifier,
		format('host %s: %s rows in the 7 days up to %s', w.host, w.n,
			w.created_at)
	FROM w_windows w
	WHERE w.n > 5
	UNION ALL
	SELECT 'anchor', 'w', y.specifier,
		format('user %s: created_at %s after the contest''s updated_at %s',
			y.user_id, y.created_at, y.contest_updated_at)
	FROM w_rows y
	WHERE y.created_at > y.contest_updated_at
	UNION ALL
	-- b, s: an earning purchase without a row (s: the first earning
	-- purchase of its specifier, in (slot, signature, instruction_index)
	-- order, decides the seller: a track and an album of one id collide,
	-- and only that purchase's seller, verified now, must have a row).
	SELECT DISTINCT 'missing', c.id, bp.specifier,
		format('purchase %s/%s of %s %s by %s, %s dollars, seller %s: no row',
			bp.signature, bp.instruction_index, bp.content_type,
			bp.content_id, bp.buyer_user_id, bp.dollars, bp.seller)
	FROM bs_purchases bp
	JOIN cat c ON c.id IN ('b', 's') AND c.active
	WHERE (SELECT f.rest FROM flags f)
		AND bp.dollars >= 1 AND bp.seller IS NOT NULL
		AND (c.id = 'b' OR (EXISTS (SELECT 1 FROM public.users u
				WHERE u.user_id = bp.seller AND u.is_verified)
			AND NOT EXISTS (SELECT 1 FROM bs_purchases first
				WHERE first.specifier = bp.specifier
					AND first.dollars >= 1 AND first.seller IS NOT NULL
					AND (first.slot, first.signature, first.instruction_index)
						< (bp.slot, bp.signature, bp.instruction_index))))
		AND NOT EXISTS (SELECT 1 FROM public.user_challenges uc
			WHERE uc.challenge_id = c.id AND uc.specifier = bp.specifier)
	UNION ALL
	SELECT 'amount', y.challenge_id, y.specifier,
		format('user %s: amount %s, catalogue %s times the dollars of a valid purchase (%s)',
			y.user_id, y.amount, c.amount,
			coalesce((SELECT string_agg(DISTINCT bp.dollars::text, ', ')
				FROM bs_purchases bp
				WHERE bp.buyer_user_id = y.id1 AND bp.content_id = y.id2
					AND bp.dollars >= 1), 'none'))
	FROM rest_rows y
	JOIN cat c ON c.id = y.challenge_id
	WHERE y.challenge_id IN ('b', 's')
		AND NOT EXISTS (SELECT 1 FROM bs_purchases bp
			WHERE bp.buyer_user_id = y.id1 AND bp.content_id = y.id2
				AND bp.dollars >= 1
				AND y.amount = c.amount * bp.dollars)
	UNION ALL
	-- e: the rows of the fold, no others, and the state.
	SELECT CASE WHEN uc.specifier IS NULL THEN 'missing' ELSE 'streak' END,
		'e', x.specifier,
		format('user %s: the fold wants step %s complete %s amount %s, the row has user %s step %s complete %s amount %s',
			x.user_id, x.step, x.complete, x.amount, uc.user_id,
			uc.current_step_count, uc.is_complete, uc.amount)
	FROM e_expected x
	LEFT JOIN public.user_challenges uc ON uc.challenge_id = 'e'
		AND uc.specifier = x.specifier
	WHERE uc.specifier IS NULL
		OR (uc.user_id, uc.current_step_count, uc.is_complete, uc.amount)
			IS DISTINCT FROM (x.user_id, x.step, x.complete, x.amount)
	UNION ALL
	SELECT 'streak', 'e', uc.specifier,
		format('user %s: no counted listen of the fold at this hour',
			uc.user_id)
	FROM public.user_challenges uc
	WHERE uc.challenge_id = 'e' AND (SELECT ec.on FROM e_checked ec)
		AND NOT EXISTS (SELECT 1 FROM e_expected x
			WHERE x.specifier = uc.specifier)
	UNION ALL
	SELECT 'streak_state', 'e', to_hex(coalesce(es.user_id, ls.user_id)),
		format('user %s: challenge_listen_streak (%s, %s, %s), the fold (%s, %s, %s)',
			coalesce(es.user_id, ls.user_id), ls.last_listen_date,
			ls.listen_streak, ls.streak_started_at, es.last, es.streak,
			es.started)
	FROM e_state es
	FULL JOIN public.challenge_listen_streak ls ON ls.user_id = es.user_id
	WHERE (SELECT ec.on FROM e_checked ec)
		AND (ls.last_listen_date, ls.listen_streak, ls.streak_started_at)
			IS DISTINCT FROM (es.last, es.streak, es.started)
	UNION ALL
	SELECT 'e_row', j.challenge_id, j.specifier,
		format('user %s: step %s, complete %s, amount %s', j.user_id,
			j.current_step_count, j.is_complete, j.amount)
	FROM judged j
	WHERE j.challenge_id = 'e' AND NOT coalesce(
		(j.amount = 7 AND j.current_step_count BETWEEN 1 AND 7
			AND j.is_complete = (j.current_step_count = 7))
		OR (j.amount = j.cat_amount AND j.current_step_count = 1
			AND j.is_complete), false)
	UNION ALL
	-- Profile facts of the users p covers.
	SELECT 'profile_facts', c.id, to_hex(pb.user_id),
		format('user %s: row %s, facts now %s', pb.user_id,
			CASE WHEN pc.user_id IS NULL THEN 'none' ELSE
				format('(%s, %s, %s, %s, %s, %s, %s)', pc.profile_description,
					pc.profile_name, pc.profile_picture,
					pc.profile_cover_photo, pc.follows, pc.favorites,
					pc.reposts) END,
			format('(%s, %s, %s, %s, %s, %s, %s)', pb.profile_description,
				pb.profile_name, pb.profile_picture, pb.profile_cover_photo,
				pb.follows, pb.favorites, pb.reposts))
	FROM profile_bools pb
	JOIN profile_facts pf ON pf.user_id = pb.user_id
	JOIN cat c ON c.id = 'p' AND c.active
	LEFT JOIN public.challenge_profile_completion pc
		ON pc.user_id = pb.user_id
	WHERE (pc.user_id IS NULL AND pf.facts >= 1
			AND (SELECT f.pfacts FROM flags f))
		OR (pc.user_id IS NOT NULL
			AND (pc.profile_description, pc.profile_name,
				pc.profile_picture, pc.profile_cover_photo, pc.follows,
				pc.favorites, pc.reposts)
			IS DISTINCT FROM (pb.profile_description, pb.profile_name,
				pb.profile_picture, pb.profile_cover_photo, pb.follows,
				pb.favorites, pb.reposts))
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
