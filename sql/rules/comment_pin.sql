-- comment_pin.sql: challenge 'cp', a comment pinned by a verified artist,
-- for one batch of TRACK OWNERS.
-- reckon: policy once
--   $1  the batch's track owner ids (duplicates and NULLs are ignored):
--       keyed by the owner, who is dirtied by a track change (old and new
--       owner, pinned_comment_id), a comment change (the owner of the track
--       it is on, before and after) and a users change of the owner; every
--       track the key owns now is recomputed
--   $2  the challenge id ('cp'); amount and active come from
--       public.challenges
--   $3  unused
--
-- Rule. For every track with owner_id = a key and is_delete = false whose
-- pinned_comment_id names an existing comment with entity_type = 'Track',
-- entity_id = that track, is_delete = false (is_visible does not matter) and
-- an author (comments.user_id) other than the track's owner, when the owner
-- has a users row with is_verified = true and is_deactivated = false: the
-- comment's AUTHOR gets a row with user_id = the author, specifier
-- hex(author)||':'||hex(track_id), complete at step 1. The row stays when
-- the pin, the comment, the track or the owner's verification goes away.
--
-- Bounded: users by primary key, tracks by the partial index
-- tracks(owner_id) WHERE pinned_comment_id IS NOT NULL (an owner's pinned
-- tracks only), comments by primary key.
WITH ch AS (
	SELECT c.id, c.amount
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
),
-- The batch's owners who are verified and active. users.user_id is the key:
-- one row per owner even if $1 repeats an id.
owners AS (
	SELECT u.user_id AS owner_id
	FROM public.users u
	WHERE u.user_id = ANY ($1) AND u.is_verified AND NOT u.is_deactivated
),
-- Per owner its pinned tracks, per track its pinned comment: correlated
-- subqueries (OFFSET 0 and LIMIT 1 keep the planner from flattening them
-- into joins over all tracks or comments).
pins AS (
	SELECT cm.author, t.track_id
	FROM owners o
	CROSS JOIN LATERAL (
		SELECT t.track_id, t.pinned_comment_id
		FROM public.tracks t
		WHERE t.owner_id = o.owner_id AND t.pinned_comment_id IS NOT NULL
			AND NOT t.is_delete
		OFFSET 0
	) t
	CROSS JOIN LATERAL (
		SELECT cm.user_id AS author
		FROM public.comments cm
		WHERE cm.comment_id = t.pinned_comment_id
			AND cm.entity_type = 'Track' AND cm.entity_id = t.track_id
			AND NOT cm.is_delete AND cm.user_id <> o.owner_id
		LIMIT 1
	) cm
)
SELECT p.author AS user_id,
	to_hex(p.author) || ':' || to_hex(p.track_id) AS specifier,
	1 AS step, true AS complete, ch.amount
FROM pins p
CROSS JOIN ch
