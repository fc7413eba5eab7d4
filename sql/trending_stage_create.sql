-- trending_stage_create.sql: the stage of one trending (type, version) run.
-- Run by the daemon's trending job (src/trending.c) as the first statement
-- of the run's transaction, without parameters. The stage statement
-- (trending_stage_tracks.sql or trending_stage_playlists.sql) fills it with
-- every score the formulas give; the daemon then ANALYZEs it (autovacuum
-- never analyzes temp tables), and trending_diff_*.sql compares it with the
-- stored scores. ON COMMIT DROP: it lives for that one transaction, so each
-- run starts from an empty stage.
-- id is a track_id or playlist_id; genre is NULL for playlists.
-- No primary key: (id, time_range) is unique by construction (the matviews
-- have a unique track_id, playlists their primary key), every reader joins
-- the whole stage by hash, and maintaining an index on tens of thousands of
-- inserted rows took more than half of the stage's time.
CREATE TEMP TABLE reckon_trending_stage (
	id bigint NOT NULL,
	time_range text NOT NULL,
	genre text,
	score double precision NOT NULL
) ON COMMIT DROP
