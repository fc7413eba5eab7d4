-- play_counts_setup.sql: the session's table of play counts, created once
-- per connection by src/session.c before it prepares the statements that
-- read it (it runs every built-in statement named *_setup, whatever the
-- configuration: the play_milestone rule reads this table, and sums N itself
-- when the plays group's prelude, play_counts.sql, did not fill it). No
-- parameters, no rows returned.
--
-- Why a table: p1, p2 and p3 each need N, the plays of the user's tracks,
-- and summing an artist's thousands of tracks is the expensive part of a
-- batch; play_counts.sql sums once per batch into this table and the three
-- tiers read it. ON COMMIT DELETE ROWS: the rows live for the batch's
-- transaction only, so no batch ever reads another's counts, and a batch
-- that rolls back takes its rows with it.
CREATE TEMP TABLE IF NOT EXISTS reckon_play_counts (
	user_id bigint PRIMARY KEY,
	n bigint NOT NULL
) ON COMMIT DELETE ROWS
