-- cosign.sql: challenge 'cs', a remix cosigned by its parent's artist, for
-- one batch of COSIGNERS (the processor cs): keyed by the cosigner P, so
-- that each thing the reward depends on reaches P's actions: P's save or
-- repost (saves.user_id, reposts.user_id), a remixes row naming one of P's
-- tracks as parent (its parent_track_id through the track_owner lookup: a
-- link added after the save), a track changing owner to P (tracks.owner_id),
-- P's users row (verified later).
-- reckon: policy windowed
--
-- Rule. An action is a save or a repost by P (saves / reposts: user_id =
-- P, type 'track', not is_delete) of a track R that has a tracks row, where
-- some parent of R (remixes.child_track_id = R) is a track owned by P now,
-- and P is_verified now. It is a candidate for R's current owner (the
-- remixer): user_id = that owner, specifier hex(P)||':'||hex(R), anchor =
-- the action's created_at (the row's created_at). P's actions are ranked
-- by (created_at, R, repost before save); a save and a repost of one R are
-- two candidates with one specifier: the first admitted is paid, the other
-- uses no slot, and one refused leaves the other its own chance at its own
-- time. Caps, as data for the windowed policy: at most 5 rows with P's
-- prefix (hex(P): window_prefixes) whose created_at lies in [anchor - 30
-- days, anchor]; no cap per prefix beyond it (P is the prefix).
--
-- One-shot: an unsave, a remix link or a parent's owner that goes away, P
-- losing verification never take a row back (rows are never deleted); a
-- refused action stays refused while its window is full. Neither R nor its
-- parent need be live (is_delete, is_unlisted do not matter), nor P or the
-- remixer active: the reference implementations do not check them. The
-- application refuses a save of one's own track, so the remixer is not P.
--
-- Bounded: users by primary key; saves and reposts by their primary keys
-- (user_id leads: P's actions); tracks by primary key; remixes by
-- remixes(child_track_id, parent_track_id) (R's parents).
SELECT t.owner_id AS user_id,
	to_hex(u.user_id) || ':' || to_hex(a.track_id) AS specifier,
	a.created_at AS anchor,
	row_number() OVER (PARTITION BY u.user_id
		ORDER BY a.created_at, a.track_id, a.is_save) AS rank,
	to_hex(u.user_id) AS window_prefixes,
	interval '30 days' AS window_len,
	5::bigint AS window_cap,
	NULL::bigint AS prefix_cap
FROM challenge ch
-- The batch's cosigners that exist and are verified, each once
-- (users.user_id is the key).
JOIN public.users u ON u.user_id = ANY ($1)
-- Per cosigner its live track reposts and saves: correlated subqueries
-- (OFFSET 0 keeps the planner from flattening them into joins over all
-- reposts or saves).
CROSS JOIN LATERAL (
	SELECT r.repost_item_id AS track_id, r.created_at, false AS is_save
	FROM public.reposts r
	WHERE r.user_id = u.user_id AND r.repost_type = 'track'
		AND NOT r.is_delete
	UNION ALL
	SELECT s.save_item_id, s.created_at, true
	FROM public.saves s
	WHERE s.user_id = u.user_id AND s.save_type = 'track'
		AND NOT s.is_delete
	OFFSET 0
) a
-- R's owner, the remixer (LIMIT 1: a lookup per action).
CROSS JOIN LATERAL (
	SELECT t.owner_id
	FROM public.tracks t
	WHERE t.track_id = a.track_id
	LIMIT 1
) t
-- Some parent of R owned by P: per parent of R a primary-key lookup of the
-- parent track (LIMIT 1: stop at the first).
CROSS JOIN LATERAL (
	SELECT
	FROM public.remixes rm
	CROSS JOIN LATERAL (
		SELECT pt.owner_id
		FROM public.tracks pt
		WHERE pt.track_id = rm.parent_track_id
		LIMIT 1
	) pt
	WHERE rm.child_track_id = a.track_id AND pt.owner_id = u.user_id
	LIMIT 1
) par
WHERE u.is_verified
