-- trending_diff_create.sql: the difference between the stage and the stored
-- scores of one trending (type, version) run. Run by the daemon's trending
-- job (src/trending.c) right after trending_stage_create.sql, without
-- parameters. trending_diff_tracks.sql or trending_diff_playlists.sql fills
-- it with one row per score to write or delete, and trending_apply_*.sql
-- writes exactly those rows. ON COMMIT DROP, like the stage.
--   action  'i' a staged score with no stored row (insert)
--           'u' a stored row whose score or genre differs (update)
--           'd' a stored row the stage no longer holds (delete; genre and
--               score are NULL)
-- A table rather than a CTE of the writing statement: the planner then
-- sees its real size, usually a few thousand rows, and writes them through
-- the primary key, where a CTE's estimate (a fraction of the stage) made it
-- hash-join the whole score table once more for the UPDATE.
CREATE TEMP TABLE reckon_trending_diff (
	id bigint NOT NULL,
	time_range text NOT NULL,
	genre text,
	score double precision,
	action "char" NOT NULL
) ON COMMIT DROP
