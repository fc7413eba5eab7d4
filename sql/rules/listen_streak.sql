-- listen_streak.sql: challenge 'e', the listen streak, for one batch of
-- LISTENERS (plays.user_id; not the track's owner, as the play milestones
-- are keyed).
-- reckon: policy streak
--
-- Rule. The candidates of a listener are the plays that can still change
-- its streak: with a state row in public.challenge_listen_streak, those
-- played (created_at) at least 16 h after its last counted listen; without
-- one, every play of the listener. Anonymous plays (user_id NULL) belong to
-- no key. The streak policy (sql/policies/streak.sql) folds them, in play
-- id order, from the state.
--
-- Why that is every play that matters, and needs no watermark: the last
-- counted listen only moves forward (an advance needs a gap of 16 h or
-- more), and a play less than 16 h after it is ignored whenever it is
-- folded. So a play before last + 16 h can never count again, and a play
-- already folded is before it (it either set last, or was ignored because
-- it was before the then last + 16 h). A replayed change, a recompute of
-- a listener with nothing new, a backfill over folded history: all find
-- only plays the fold ignores, or none. Deleting or pruning plays changes
-- nothing: the state is the memory.
--
-- On a hot standby the state read here may lag behind the primary's; it
-- is then older, last earlier, and the candidates a superset: the fold on
-- the primary, which reads the primary's state, ignores the extra plays.
--
-- Order. Plays are folded in id order among the candidates one recompute
-- sees. A play whose transaction commits after a higher id was folded (two
-- writers: ids are taken at insert, not at commit) is folded when it
-- becomes visible, by the next recompute of its listener: commit order
-- between recomputes, id order within one. Strict id order cannot be had:
-- no recompute can know that a lower id is still to commit. It is the
-- order the stream delivers plays in, so the rows never depend on when
-- reckon ran beyond which plays it had seen; a late play is judged against
-- the streak as it stood when it arrived (as both reference
-- implementations do: Go by id from a checkpoint, which skips a late lower
-- id altogether, Python in dispatch order).
--
-- Bounded: challenge_listen_streak by primary key; plays by
-- plays_user_created_idx (user_id, created_at) INCLUDE (id), from last +
-- 16 h on (an index-only scan where the heap is all-visible: a backfill
-- reads a listener's history from the index, not a heap page a play): in
-- steady state the plays since then, a few at most.
SELECT k.key AS user_id, p.id AS play_id, p.created_at AS played_at
FROM challenge ch
CROSS JOIN batch_keys k
-- A correlated subquery per listener; no row: no state.
LEFT JOIN LATERAL (
	SELECT s.last_listen_date
	FROM public.challenge_listen_streak s
	WHERE s.user_id = k.key
	LIMIT 1
) st ON true
CROSS JOIN LATERAL (
	SELECT pl.id, pl.created_at
	FROM public.plays pl
	WHERE pl.user_id = k.key
		-- '16 hours' is an exact interval whatever the TimeZone (days
		-- are not, across a DST change). No state: every play.
		AND pl.created_at >= coalesce(
			st.last_listen_date + interval '16 hours', '-infinity')
	-- OFFSET 0: evaluated per listener through the index, never flattened
	-- into a join over all of plays, whatever the planner estimates.
	OFFSET 0
) p
