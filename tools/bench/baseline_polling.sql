-- baseline_polling.sql: the checkpoint-polling processor, the second design
-- reckon replaces (issue #6), as a benchmark baseline. Run by
-- build/bench/poller_driver --mode poll (tools/bench/poller_driver.c), which
-- splits this file at the "-- @statement NAME" lines, runs poll_setup once,
-- prepares the others, and then, every tick (1 s or 30 s), for each
-- processor p1, p2, p3 and c, in one transaction:
--   BEGIN
--   poll_dirty_plays (p1/p2/p3) or poll_dirty_comments (c): lock the
--     processor's checkpoint, find the rows past it and the users they
--     touch;
--   if any: the repo's own recompute statement for just those users
--     (sql/rules/play_milestone.sql with create_min 1/250/1000,
--     sql/rules/first_weekly_comment.sql), then poll_advance;
--   COMMIT
-- so the recompute and the checkpoint move together, and a crash between
-- ticks redoes the window. What makes it the polling design is HOW it finds
-- users: a dirty scan of the source table by id every tick, whether or not
-- anything was written, with one checkpoint per processor (each processor
-- of the old design polled on its own). A completion waits for the next
-- tick.
--
-- Known limits of the design, kept on purpose (they are what reckon fixes):
-- only new plays and new comments are seen (a track deleted or moved, a user
-- verified, a comment deleted are not), and an id is checkpointed when it is
-- seen, so a transaction that took a smaller id and commits after a larger
-- one was seen is missed until its user is dirtied again. Every name is
-- schema-qualified: the driver's session has an empty search_path.

-- @statement poll_setup
-- The checkpoint table, one row per processor: the largest source id already
-- recomputed. No parameters (run with the simple protocol, once).
CREATE TABLE IF NOT EXISTS public.bench_checkpoint (
	name text PRIMARY KEY,
	last_id bigint NOT NULL
)

-- @statement poll_init_plays
-- A processor that starts is caught up: its checkpoint begins at the current
-- largest play id (the benchmark's dataset is settled); an existing
-- checkpoint is kept, so a restarted driver resumes where it stopped.
--   $1 text  the processor's name (its challenge id)
INSERT INTO public.bench_checkpoint (name, last_id)
SELECT $1, coalesce(max(p.id), 0)
FROM public.plays p
ON CONFLICT (name) DO NOTHING

-- @statement poll_init_comments
-- As poll_init_plays, for the comments processor (comment_id).
--   $1 text  the processor's name
INSERT INTO public.bench_checkpoint (name, last_id)
SELECT $1, coalesce(max(cm.comment_id), 0)
FROM public.comments cm
ON CONFLICT (name) DO NOTHING

-- @statement poll_dirty_plays
-- The dirty scan of a play-milestone processor: the plays past its
-- checkpoint (a range scan of plays_pkey), and the owners of their tracks.
-- FOR UPDATE holds the checkpoint until COMMIT, so two pollers of the same
-- processor cannot both recompute one window.
--   $1 text  the processor's name
-- Returns one row: owners (bigint[], NULL when no play is new), last_id (the
-- largest play id seen, the checkpoint to advance to), plays (how many).
WITH cp AS (
	SELECT b.last_id
	FROM public.bench_checkpoint b
	WHERE b.name = $1
	FOR UPDATE
),
d AS (
	SELECT p.id, p.play_item_id
	FROM cp
	JOIN public.plays p ON p.id > cp.last_id
)
SELECT
	-- One primary-key lookup per new play (LIMIT 1 keeps the planner from
	-- flattening it into a hash join that reads all of tracks, which it
	-- picks since it cannot estimate the window).
	(SELECT array_agg(DISTINCT o.owner_id)
	 FROM d
	 CROSS JOIN LATERAL (
		SELECT t.owner_id
		FROM public.tracks t
		WHERE t.track_id = d.play_item_id
		LIMIT 1
	 ) o) AS owners,
	coalesce((SELECT max(d.id) FROM d), (SELECT cp.last_id FROM cp))
		AS last_id,
	(SELECT count(*) FROM d) AS plays

-- @statement poll_dirty_comments
-- The dirty scan of the weekly-comment processor: the comments past its
-- checkpoint (a range scan of comments_pkey) and their authors.
--   $1 text  the processor's name
-- Returns one row: users (bigint[] or NULL), last_id, comments.
WITH cp AS (
	SELECT b.last_id
	FROM public.bench_checkpoint b
	WHERE b.name = $1
	FOR UPDATE
),
d AS (
	SELECT cm.comment_id, cm.user_id
	FROM cp
	JOIN public.comments cm ON cm.comment_id > cp.last_id
)
SELECT
	(SELECT array_agg(DISTINCT d.user_id) FROM d) AS users,
	coalesce((SELECT max(d.comment_id) FROM d), (SELECT cp.last_id FROM cp))
		AS last_id,
	(SELECT count(*) FROM d) AS comments

-- @statement poll_advance
-- Move the processor's checkpoint past the window just recomputed, in the
-- recompute's transaction.
--   $1 text    the processor's name
--   $2 bigint  the new checkpoint (last_id from the dirty scan)
UPDATE public.bench_checkpoint
SET last_id = $2
WHERE name = $1
