-- all_keys.sql: every key a processor of the default catalogue can have,
-- in ascending order, a page at a time. Run by src/recompute.c as a
-- group's "rescan_keys" statement (see tools/reckon.conf): by a backfill
-- (src/backfill.c), which recomputes every key of every group, and after a
-- TRUNCATE of a table a group's rules read, when the stream names no rows.
-- $1 bigint: the last key done (the smallest bigint to start);
-- $2 bigint: the page size (the group's batch_size).
-- Returns one row (user_id bigint) per key, at most $2.
--
-- Every processor is keyed by a user id (the user, a track's owner, a
-- referrer, a listener), but not every one needs a users row: c counts the
-- comments of any user id, fp the playlists, m the user_events rows, u the
-- tracks, e the plays of a listener (plays.user_id), b the purchases of a
-- buyer (sol_purchases.buyer_user_id), w the contests of a host
-- (events.user_id). So the keys are the user ids of every table a rule is
-- keyed by, not only users; a key with nothing to recompute writes
-- nothing.
--
-- Bounded: each source gives at most $2 distinct ids after $1 through its
-- index on the id (users and user_events by primary key, the others by
-- their *_idx of sql/schema.sql, user_events.referrer by
-- user_events_referrer_idx), and the page is the $2 smallest of those: the
-- $2 smallest of the union are among them. A UNION over whole sources
-- would read every id after $1 for every page. A DISTINCT over an index
-- still reads every row of the ids it returns; that is fine for a user's
-- tracks or comments, not for a listener's plays (thousands each): the
-- listeners come from a loose index scan of plays_user_created_idx, one
-- probe per listener (the smallest user_id after the one before), at most
-- $2 probes.
WITH RECURSIVE listeners (user_id) AS (
	(SELECT pl.user_id FROM public.plays pl
	 WHERE pl.user_id > $1 ORDER BY pl.user_id LIMIT 1)
	UNION ALL
	SELECT (SELECT pl.user_id FROM public.plays pl
		WHERE pl.user_id > l.user_id ORDER BY pl.user_id LIMIT 1)
	FROM listeners l
	-- the probe after the last listener finds none (NULL): the end
	WHERE l.user_id IS NOT NULL
)
SELECT DISTINCT k.user_id
FROM (
	(SELECT u.user_id FROM public.users u
	 WHERE u.user_id > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	(SELECT DISTINCT t.owner_id FROM public.tracks t
	 WHERE t.owner_id > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	(SELECT DISTINCT c.user_id FROM public.comments c
	 WHERE c.user_id > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	(SELECT DISTINCT p.playlist_owner_id FROM public.playlists p
	 WHERE p.playlist_owner_id > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	(SELECT e.user_id FROM public.user_events e
	 WHERE e.user_id > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	(SELECT DISTINCT e.referrer FROM public.user_events e
	 WHERE e.referrer > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	-- a recursive CTE is evaluated as far as it is read: $2 probes at most
	(SELECT l.user_id FROM listeners l
	 WHERE l.user_id IS NOT NULL LIMIT $2)
	UNION ALL
	(SELECT DISTINCT s.buyer_user_id FROM public.sol_purchases s
	 WHERE s.buyer_user_id > $1 ORDER BY 1 LIMIT $2)
	UNION ALL
	(SELECT DISTINCT ev.user_id FROM public.events ev
	 WHERE ev.user_id > $1 ORDER BY 1 LIMIT $2)
) AS k (user_id)
ORDER BY k.user_id
LIMIT $2
