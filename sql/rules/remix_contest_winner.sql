-- remix_contest_winner.sql: challenge 'w', a remix contest's winner, for
-- one batch of contest HOSTS (the processor w): keyed by the host, so that
-- a contest's write (events.user_id: winners named, the contest updated,
-- deleted or moved to another host) and the host's users row (verified
-- later: its contests' winners are paid then) reach every contest of the
-- host, whose rewards share one cap.
-- reckon: policy windowed
--
-- Rule. A contest is an events row of the host (events.user_id = a key)
-- with event_type 'remix_contest', not is_deleted, while the host is
-- verified now. Its winners are event_data->'winners' when that is a JSON
-- array (else none): each element that is a JSON number or string of
-- decimal digits only, within bigint, is a track id; any other element
-- (1.5, "abc", " 7", -3, null, an object) is ignored. A winner whose track
-- exists and is not is_delete is a candidate for the track's current owner
-- (the remixer): user_id = that owner, specifier
-- hex(event_id)||':'||hex(remixer), anchor = the contest's updated_at (the
-- row's created_at). A host's winners are ranked by (updated_at, event_id,
-- position in the array); two winning tracks of one remixer in one contest
-- are two candidates with one specifier: one row, the second uses no slot.
-- Caps, as data for the windowed policy: at most 5 rows per contest (the
-- contest's prefix hex(event_id): prefix_cap), and at most 5 rows of the
-- host's contests (the prefixes of every events row whose user_id is the
-- host now, live, deleted or of another type alike: window_prefixes) whose
-- created_at lies in [anchor - 7 days, anchor].
--
-- The anchor is the contest's updated_at now: a winner refused because the
-- host's window was full is offered again at every recompute of the host
-- and paid once the contest row changes again (a new updated_at) with room
-- in the new window; rows already paid keep their own created_at. One-shot:
-- a winner removed from the array, a deleted contest, a host no longer
-- verified take no row back.
--
-- Not a trigger: a winning track deleted and later restored, or a winning
-- track changing owner, dirties no host (the stream has no way from a
-- track to the contests that name it); such a winner is paid at the host's
-- next recompute (any write of one of its events, its users row). A
-- contest moved from host A to host B dirties B only (events keeps
-- REPLICA IDENTITY DEFAULT: the old user_id is not in the WAL); A's window
-- loses that contest's rows, which matters to A's next recompute only.
--
-- Bounded: users by primary key; events by events(user_id) (the host's
-- events, twice: the contests and the prefixes of the window); tracks by
-- primary key.
SELECT t.owner_id AS user_id,
	to_hex(e.event_id) || ':' || to_hex(t.owner_id) AS specifier,
	e.updated_at AS anchor,
	row_number() OVER (PARTITION BY h.user_id
		ORDER BY e.updated_at, e.event_id, wn.pos) AS rank,
	hp.prefixes AS window_prefixes,
	interval '7 days' AS window_len,
	5::bigint AS window_cap,
	5::bigint AS prefix_cap
FROM challenge ch
-- The batch's hosts that exist and are verified, each once (users.user_id
-- is the key).
JOIN public.users h ON h.user_id = ANY ($1)
-- Per host the prefixes of all its events (the window's rows), and its live
-- remix contests: correlated subqueries (OFFSET 0 keeps the planner from
-- flattening them into joins over all events).
CROSS JOIN LATERAL (
	SELECT string_agg(to_hex(x.event_id), ',' ORDER BY x.event_id)
		AS prefixes
	FROM public.events x
	WHERE x.user_id = h.user_id
) hp
CROSS JOIN LATERAL (
	SELECT e.event_id, e.updated_at, e.event_data
	FROM public.events e
	WHERE e.user_id = h.user_id AND e.event_type = 'remix_contest'
		AND NOT e.is_deleted
	OFFSET 0
) e
-- The winners in array order. An element's text (#>> '{}': a string's
-- content, a number's digits) must be all digits to be a track id, and
-- small enough for bigint (compared as numeric, which cannot overflow);
-- nested CASEs, so that no cast ever sees any other text.
CROSS JOIN LATERAL (
	SELECT el.track_id, el.pos
	FROM jsonb_array_elements(CASE
		WHEN jsonb_typeof(e.event_data -> 'winners') = 'array'
		THEN e.event_data -> 'winners' ELSE '[]'::jsonb END)
		WITH ORDINALITY AS w (v, pos)
	CROSS JOIN LATERAL (
		SELECT w.pos, CASE
			WHEN jsonb_typeof(w.v) IN ('number', 'string')
				AND (w.v #>> '{}') ~ '^[0-9]+$'
			THEN CASE
				WHEN (w.v #>> '{}')::numeric <= 9223372036854775807
				THEN (w.v #>> '{}')::bigint END
			END AS track_id
	) el
	WHERE el.track_id IS NOT NULL
) wn
-- The winning track's owner, the remixer (LIMIT 1: a lookup per winner).
CROSS JOIN LATERAL (
	SELECT t.owner_id
	FROM public.tracks t
	WHERE t.track_id = wn.track_id AND NOT t.is_delete
	LIMIT 1
) t
WHERE h.is_verified
