-- comment_pin.sql: challenge 'cp', a comment pinned by a verified artist,
-- for one batch of TRACK OWNERS: keyed by the owner, who is dirtied by a
-- track change (old and new owner, pinned_comment_id), a comment change
-- (the owner of the track it is on, before and after) and a users change
-- of the owner; every track the key owns now is recomputed.
-- reckon: policy once
--
-- Rule. For every track with owner_id = a key and is_delete = false whose
-- pinned_comment_id names an existing comment with entity_type = 'Track',
-- entity_id = that track, is_delete = false (is_visible does not matter) and
-- an author (comments.user_id) other than the track's owner, when the owner
-- has a users row with is_verified = true and is_deactivated = false: the
-- comment's AUTHOR gets a row with user_id = the author, specifier
-- hex(author)||':'||hex(track_id). The row stays when the pin, the comment,
-- the track or the owner's verification goes away.
--
-- Bounded: users by primary key, tracks by the partial index
-- tracks(owner_id) WHERE pinned_comment_id IS NOT NULL (an owner's pinned
-- tracks only), comments by primary key.
SELECT cm.author AS user_id,
	to_hex(cm.author) || ':' || to_hex(t.track_id) AS specifier
FROM challenge ch
-- The batch's owners, each once (users.user_id is the key).
JOIN public.users o ON o.user_id = ANY ($1)
-- Per owner its pinned tracks, per track its pinned comment: correlated
-- subqueries (OFFSET 0 and LIMIT 1 keep the planner from flattening them
-- into joins over all tracks or comments).
CROSS JOIN LATERAL (
	SELECT t.track_id, t.pinned_comment_id
	FROM public.tracks t
	WHERE t.owner_id = o.user_id AND t.pinned_comment_id IS NOT NULL
		AND NOT t.is_delete
	OFFSET 0
) t
CROSS JOIN LATERAL (
	SELECT cm.user_id AS author
	FROM public.comments cm
	WHERE cm.comment_id = t.pinned_comment_id
		AND cm.entity_type = 'Track' AND cm.entity_id = t.track_id
		AND NOT cm.is_delete AND cm.user_id <> o.user_id
	LIMIT 1
) cm
WHERE o.is_verified AND NOT o.is_deactivated
