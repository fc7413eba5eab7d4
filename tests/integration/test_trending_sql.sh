#!/usr/bin/env bash
# test_trending_sql.sh: tests the trending statements (sql/trending_*.sql,
# sql/tastemaker.sql, sql/trending_winners.sql) and the trending section of
# sql/schema.sql directly through psql, without the daemon, running them
# the way src/trending.c does:
#   refresh: REFRESH MATERIALIZED VIEW CONCURRENTLY, and a plain REFRESH when
#     that fails with SQLSTATE 0A000 or 55000;
#   per (type, version) in (TRACKS, pnagD), (TRACKS, AnlGe),
#     (PLAYLISTS, pnagD), ONE transaction: trending_stage_create.sql,
#     trending_diff_create.sql, the stage statement ($1 version, $2 now()),
#     ANALYZE of the stage, the diff statement ($1), ANALYZE of the diff,
#     the apply statement ($1). Each statement is PREPAREd without
#     parameter types right before it runs, so the server infers them as it
#     does for the daemon's unnamed PQexecParams.
# The fixture's expected scores are written below as SQL expressions over
# literal constants, worked out by hand from the rules (see the comments),
# not by running the statements. Checked: the scores (1e-9 relative); a
# second cycle over unchanged data writes nothing (apply reports 0 0 0,
# pg_stat_user_tables n_tup_ins/upd/del of both score tables unchanged, no
# row's xmin/xmax changed); new plays on 1% of the tracks rewrite only those
# tracks' rows; a deleted track's and a private playlist's rows are pruned;
# REFRESH CONCURRENTLY of a never-populated matview fails with 0A000 (the
# daemon falls back to a plain REFRESH); the weekly winners (tt, tut, tp) of
# a Friday and a re-run that writes nothing; tastemaker rows and a re-run
# that writes nothing. Exits 1 on any failure.
#
# Needs PostgreSQL 15 binaries (tests/integration/cluster.sh starts a
# throwaway cluster and stops it at exit).

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
setup_db
export PGTZ=UTC

WORK="$CLUSTER_DIR/test_trending_sql" # removed with the cluster
mkdir -p "$WORK"

# prep NAME: the statement of sql/NAME.sql as PREPARE NAME.
prep()
{
	printf 'PREPARE %s AS\n' "$1"
	cat "sql/$1.sql"
	printf '\n;\n'
}

# ---------------------------------------------------------------------------
# Statement files
# ---------------------------------------------------------------------------

FILES="trending_stage_create trending_diff_create trending_stage_tracks
	trending_stage_playlists trending_diff_tracks trending_diff_playlists
	trending_apply_tracks trending_apply_playlists trending_winners tastemaker"
check_single_statement $FILES

# ---------------------------------------------------------------------------
# Never-populated matviews. The schema creates them WITH NO DATA: REFRESH
# CONCURRENTLY fails with 0A000 (the daemon then runs a plain REFRESH), and
# reading them fails with 55000 (so a stage run before any refresh fails
# loudly instead of staging nothing and pruning every stored score).
# ---------------------------------------------------------------------------

for mv in aggregate_interval_plays trending_params; do
	out=$(psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
		-c "REFRESH MATERIALIZED VIEW CONCURRENTLY public.$mv" 2>&1)
	if echo "$out" | grep -q 'ERROR:  0A000'; then
		ok "never populated: REFRESH CONCURRENTLY $mv fails with 0A000"
	else
		not_ok "never populated: REFRESH CONCURRENTLY $mv fails with 0A000" "$out"
	fi
	out=$(psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
		-c "SELECT count(*) FROM public.$mv" 2>&1)
	if echo "$out" | grep -q 'ERROR:  55000'; then
		ok "never populated: reading $mv fails with 55000"
	else
		not_ok "never populated: reading $mv fails with 55000" "$out"
	fi
done

# refresh: as the daemon does; prints "concurrent" or "plain" per matview.
refresh()
{
	local mv out
	for mv in aggregate_interval_plays trending_params; do
		if out=$(psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
			-c "REFRESH MATERIALIZED VIEW CONCURRENTLY public.$mv" 2>&1); then
			echo "$mv concurrent"
		elif echo "$out" | grep -Eq 'ERROR:  (0A000|55000)'; then
			q "REFRESH MATERIALIZED VIEW public.$mv" >/dev/null &&
				echo "$mv plain"
		else
			echo "$mv failed: $out"
		fi
	done
}

# cycle: one trending cycle over the refreshed matviews, in one session
# (one transaction per type/version); prints per run
# "TYPE VERSION ins=N upd=N del=N" from the row the apply statement
# returns. The session flushes its statistics before it ends.
cycle()
{
	local run type version kind
	{
		for run in "TRACKS pnagD" "TRACKS AnlGe" "PLAYLISTS pnagD"; do
			type=${run% *}
			version=${run#* }
			kind=$(echo "$type" | tr '[:upper:]' '[:lower:]')
			printf '\\echo @run %s %s\n' "$type" "$version"
			echo 'BEGIN;'
			printf '%s\n;\n' "$(cat sql/trending_stage_create.sql)"
			printf '%s\n;\n' "$(cat sql/trending_diff_create.sql)"
			prep "trending_stage_$kind"
			echo "EXECUTE trending_stage_$kind('$version', now());"
			echo 'ANALYZE pg_temp.reckon_trending_stage;'
			prep "trending_diff_$kind"
			echo "EXECUTE trending_diff_$kind('$version');"
			echo 'ANALYZE pg_temp.reckon_trending_diff;'
			prep "trending_apply_$kind"
			printf '%s\n' '\echo @apply'
			echo "EXECUTE trending_apply_$kind('$version');"
			echo 'COMMIT;'
			echo 'DEALLOCATE ALL;'
		done
		echo '\o /dev/null'
		echo 'SELECT pg_stat_force_next_flush();'
	} >"$WORK/cycle.sql"
	psql -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/cycle.sql" 2>&1 | awk -F'|' '
		/^@run / { split($0, w, " "); run = w[2] " " w[3]; next }
		/^@apply$/ { apply = 1; next }
		apply && NF == 3 {
			print run, "ins=" $1, "upd=" $2, "del=" $3; apply = 0; next
		}
		{ print "unexpected: " $0 }'
}

# Per-table write counters and every stored row's xmin/xmax, to compare
# around a cycle.
STATS="SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables
	WHERE relname IN ('track_trending_scores', 'playlist_trending_scores')
	ORDER BY relname"
snapshot()
{
	q "$STATS"
	q "SELECT 'T', track_id, version, time_range, xmin, xmax
		FROM public.track_trending_scores
		UNION ALL SELECT 'P', playlist_id, version, time_range, xmin, xmax
		FROM public.playlist_trending_scores ORDER BY 1, 2, 3, 4"
}

# ---------------------------------------------------------------------------
# Fixture. Times are offsets from now(); ages carry an extra hour so that
# whole days stay whole across the seconds the test takes.
#
# Follower counts (live follows): 1: 5 (11..15), 2: 2 (11, 12; 13's is
# deleted), 3: 1500, 4: 3 (4 follows 1500 users), 21: 4, 22: 2, 23: 5,
# 24: 5, 25: 0. Complete profiles (cover_photo, profile_picture, bio):
# 21, 22, 24, 25; 23 has no bio.
# ---------------------------------------------------------------------------

expect "fixture" "" <<'SQL'
INSERT INTO public.users (user_id, handle, bio, profile_picture, cover_photo)
VALUES (1, 'own1', NULL, NULL, NULL), (2, 'own2', NULL, NULL, NULL),
	(3, 'big', NULL, NULL, NULL), (4, 'fan', NULL, NULL, NULL),
	(21, 'k21', 'b', 'p', 'c'), (22, 'k22', 'b', 'p', 'c'),
	(23, 'k23', NULL, 'p', 'c'), (24, 'k24', 'b', 'p', 'c'),
	(25, 'k25', 'b', 'p', 'c');
INSERT INTO public.follows (follower_user_id, followee_user_id, is_delete)
SELECT f, 1, false FROM generate_series(11, 15) f
UNION ALL VALUES (11, 2, false), (12, 2, false), (13, 2, true)
UNION ALL SELECT 100000 + g, 3, false FROM generate_series(1, 1500) g
UNION ALL SELECT f, 4, false FROM generate_series(11, 13) f
UNION ALL SELECT 4, 200000 + g, false FROM generate_series(1, 1500) g
UNION ALL SELECT f, 21, false FROM generate_series(11, 14) f
UNION ALL SELECT f, 22, false FROM generate_series(11, 12) f
UNION ALL SELECT f, 23, false FROM generate_series(11, 15) f
UNION ALL SELECT f, 24, false FROM generate_series(11, 15) f;

INSERT INTO public.tracks (track_id, owner_id, genre, release_date, created_at,
	is_delete, is_unlisted, stem_of) VALUES
	(101, 1, 'Electronic', NULL, now() - interval '3 days 1 hour', false, false, NULL),
	(102, 1, 'Rock', now() - interval '10 days 1 hour', now() - interval '40 days', false, false, NULL),
	(103, 1, NULL, now() + interval '5 days', now() - interval '20 days 1 hour', false, false, NULL),
	(104, 2, 'Rock', NULL, now() - interval '1 day 1 hour', false, false, NULL),
	(105, 1, 'Jazz', NULL, now() - interval '1 day 1 hour', false, false, NULL),
	(106, 1, 'Rock', NULL, now() - interval '1 day 1 hour', true, false, NULL),
	(107, 1, 'Rock', NULL, now() - interval '1 day 1 hour', false, true, NULL),
	(108, 1, 'Rock', NULL, now() - interval '1 day 1 hour', false, false, '{"parent": 101}'),
	(109, 1, 'Rock', NULL, now() - interval '400 days 1 hour', false, false, NULL),
	(110, 1, 'Rock', NULL, now() - interval '7 days 1 hour', false, false, NULL);
-- Bulk tracks 1000 + k, k = 0..199: k plays and a repost by 21 (karma 4)
-- in the last week. Owner: 3 (1500 followers) for odd k; 4 (follows 1500)
-- for k = 8 mod 10; 1 otherwise.
INSERT INTO public.tracks (track_id, owner_id, genre, created_at)
SELECT 1000 + k, CASE WHEN k % 2 = 1 THEN 3 WHEN k % 10 = 8 THEN 4 ELSE 1 END,
	'Bulk', now() - interval '1 day 1 hour'
FROM generate_series(0, 199) k;

INSERT INTO public.plays (play_item_id, created_at)
SELECT t, now() - interval '2 days' FROM (VALUES
	(101), (101), (101), (101), (102), (103), (103), (104), (104), (104),
	(104), (104), (105), (105), (105), (106), (107), (108), (110)) v (t)
UNION ALL SELECT t, now() - interval '20 days' FROM (VALUES
	(101), (101), (101)) v (t)
UNION ALL SELECT t, now() - interval '40 days' FROM (VALUES
	(101), (101)) v (t)
UNION ALL SELECT 1000 + k, now() - interval '2 days'
	FROM generate_series(0, 199) k, generate_series(1, k) n;

INSERT INTO public.reposts (user_id, repost_item_id, repost_type, is_delete, created_at) VALUES
	(21, 101, 'track', false, now() - interval '2 days'),
	(23, 101, 'track', false, now() - interval '20 days'),
	(24, 101, 'track', true, now() - interval '2 days'),
	(22, 101, 'playlist', false, now() - interval '2 days'), -- not track 101
	(22, 102, 'track', false, now() - interval '2 days'),
	(21, 104, 'track', false, now() - interval '2 days'),
	(23, 105, 'track', false, now() - interval '2 days'),
	(21, 106, 'track', false, now() - interval '2 days'),
	(21, 109, 'track', false, now() - interval '2 days'),
	(21, 110, 'track', false, now() - interval '2 days'),
	(21, 201, 'playlist', false, now() - interval '2 days'),
	(23, 201, 'playlist', false, now() - interval '20 days'),
	(22, 201, 'track', false, now() - interval '2 days'),   -- not playlist 201
	(21, 204, 'playlist', false, now() - interval '2 days'),
	(21, 207, 'album', false, now() - interval '2 days');
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
SELECT 21, 1000 + k, 'track', now() - interval '2 days'
FROM generate_series(0, 199) k;
INSERT INTO public.saves (user_id, save_item_id, save_type, is_delete, created_at) VALUES
	(22, 101, 'track', false, now() - interval '2 days'),
	(21, 101, 'track', false, now() - interval '100 days'),
	(21, 103, 'track', false, now() - interval '2 days'),
	(25, 105, 'track', false, now() - interval '2 days'),
	(22, 201, 'playlist', false, now() - interval '200 days'),
	(24, 201, 'playlist', true, now() - interval '2 days'),
	(25, 210, 'playlist', false, now() - interval '2 days');

INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album,
	is_private, is_delete, playlist_contents, created_at) VALUES
	(201, 1, false, false, false, '{"track_ids": [{"track": 101}, {"track": 102}, {"track": 103}]}', now() - interval '10 days 1 hour'),
	(202, 1, false, false, false, '{"track_ids": [1, 2]}', now() - interval '1 day 1 hour'),
	(203, 1, false, false, false, '{"track_ids": [1, 2, 3]}', now() - interval '1 day 1 hour'),
	(204, 2, false, false, false, '{"track_ids": [1, 2, 3]}', now() - interval '1 day 1 hour'),
	(205, 1, false, true, false, '{"track_ids": [1, 2, 3]}', now() - interval '1 day 1 hour'),
	(206, 1, false, false, false, '{"track_ids": null}', now() - interval '1 day 1 hour'),
	(207, 1, true, false, false, '{"track_ids": [{"track": 1}, {"track": 2}, {"track": 3}, {"track": 4}]}', now() - interval '1 day 1 hour'),
	(208, 1, false, false, false, '{"track_ids": [1, 2, 3]}', now() - interval '1 day 1 hour'),
	(209, 1, false, false, false, NULL, now() - interval '1 day 1 hour'),
	(210, 1, false, false, false, '{"track_ids": [1, 2, 3]}', now() - interval '1 day 1 hour'),
	(211, 1, false, false, true, '{"track_ids": [1, 2, 3]}', now() - interval '1 day 1 hour');
SQL

check_eq "first refresh: CONCURRENTLY fails (never populated), plain refresh" \
	"aggregate_interval_plays plain
trending_params plain" "$(refresh)"

# The matviews against hand-counted values (track 101: plays 4 in the week,
# 3 more in the month, 2 older; reposts by 21 (2 days), 23 (20 days), 24
# deleted, 22's is a playlist repost; saves by 22 (2 days), 21 (100 days);
# karma = followers of 21 and 22 (23 has no bio) = 4 + 2).
expect "aggregate_interval_plays and trending_params, hand-counted" \
	"101|Electronic|4|7|9|5|2|2|1|2|2|1|1|2|6
102|Rock|1|1|1|5|1|0|1|1|1|0|0|0|2
103||2|2|2|5|0|1|0|0|0|1|1|1|4
104|Rock|5|5|5|2|1|0|1|1|1|0|0|0|4
105|Jazz|3|3|3|5|1|1|1|1|1|1|1|1|0
109|Rock|0|0|0|5|1|0|1|1|1|0|0|0|4
110|Rock|1|1|1|5|1|0|1|1|1|0|0|0|4
200|200|1" <<'SQL'
SELECT a.track_id, a.genre, a.week_listen_counts, a.month_listen_counts,
	p.play_count, p.owner_follower_count, p.repost_count, p.save_count,
	p.repost_week_count, p.repost_month_count, p.repost_year_count,
	p.save_week_count, p.save_month_count, p.save_year_count, p.karma
FROM public.aggregate_interval_plays a
JOIN public.trending_params p USING (track_id)
WHERE track_id < 1000;
SELECT count(*), count(*) FILTER (WHERE karma = 4 AND play_count = track_id - 1000
	AND week_listen_counts = track_id - 1000), count(DISTINCT owner_id) - 2
FROM public.aggregate_interval_plays a
JOIN public.trending_params p USING (track_id)
WHERE track_id >= 1000;
SQL

check_eq "second refresh: CONCURRENTLY" \
	"aggregate_interval_plays concurrent
trending_params concurrent" "$(refresh)"

# ---------------------------------------------------------------------------
# First cycle: every row is new.
# 7 fixture tracks + 200 bulk = 207 tracks x 3 ranges; 6 eligible playlists
# (201, 203, 204, 207, 208, 210) x 3 ranges.
# ---------------------------------------------------------------------------

check_eq "first cycle inserts every row" \
	"TRACKS pnagD ins=621 upd=0 del=0
TRACKS AnlGe ins=621 upd=0 del=0
PLAYLISTS pnagD ins=18 upd=0 del=0" "$(cycle)"

# Expected scores, by hand. N=1, F=50, O=1, R=0.25, i=0.01, q=1e5.
# K: pnagD karma, AnlGe 1 + ln(1 + karma). decay(d, L) = 1e5^(1 - d/L)
# when d > L (within [1e-5, ...]), else 1.
#  101 (karma 6, d 3): week 4 + 50*1 + 1*1 + 0.25*2 + 0.01*2 = 55.52;
#      month 7 + 50*2 + 1*1 + 0.52 = 108.52; allTime 9 + 0.5 + 0.02 = 9.52
#  102 (karma 2, released 10 days ago, created 40: d 10): week
#      (1 + 50 + 0.25) * decay(10, 7); month 51.25; allTime 1.25
#  103 (karma 4, release date in the future: anchor created_at, d 20):
#      week (2 + 1 + 0.01) * 1e-5 (decay(20, 7) = 1e5^(-13/7) = 5.2e-10,
#      floored at 1/q); month 3.01; allTime 2.01
#  104 owner 2 has 2 followers: 0
#  105 karma 0 (23 has no bio, 25 has no followers): pnagD 0; AnlGe K = 1:
#      week = month = 3 + 50 + 1 + 0.25 + 0.01 = 54.26; allTime 3.26
#  109 (karma 4, d 400): week 50.25 * 1e-5 (1 - 400/7 < -10: clamped to
#      1e-50, then to 1/q); month 50.25 * 1e-5; allTime 0.25
#  110 (karma 4, d 7 = L: no decay): week = month = 51.25; allTime 1.25
#  1000+k (karma 4, d 1): week = month = k + 50.25; allTime k + 0.25
cat >"$WORK/expected_tracks.sql" <<'SQL'
CREATE TEMP TABLE exp_base (track_id bigint, time_range text, genre text,
	base double precision, karma double precision, decay double precision);
INSERT INTO exp_base VALUES
	(101, 'week', 'Electronic', 55.52, 6, 1),
	(101, 'month', 'Electronic', 108.52, 6, 1),
	(101, 'allTime', 'Electronic', 9.52, 6, 1),
	(102, 'week', 'Rock', 51.25, 2, power(1e5::float8, 1 - 10 / 7.0)),
	(102, 'month', 'Rock', 51.25, 2, 1),
	(102, 'allTime', 'Rock', 1.25, 2, 1),
	(103, 'week', NULL, 3.01, 4, 1e-5),
	(103, 'month', NULL, 3.01, 4, 1),
	(103, 'allTime', NULL, 2.01, 4, 1),
	(104, 'week', 'Rock', 0, 4, 1),
	(104, 'month', 'Rock', 0, 4, 1),
	(104, 'allTime', 'Rock', 0, 4, 1),
	(105, 'week', 'Jazz', 54.26, 0, 1),
	(105, 'month', 'Jazz', 54.26, 0, 1),
	(105, 'allTime', 'Jazz', 3.26, 0, 1),
	(109, 'week', 'Rock', 50.25, 4, 1e-5),
	(109, 'month', 'Rock', 50.25, 4, 1e-5),
	(109, 'allTime', 'Rock', 0.25, 4, 1),
	(110, 'week', 'Rock', 51.25, 4, 1),
	(110, 'month', 'Rock', 51.25, 4, 1),
	(110, 'allTime', 'Rock', 1.25, 4, 1);
INSERT INTO exp_base
SELECT 1000 + k, r, 'Bulk', k + CASE r WHEN 'allTime' THEN 0.25 ELSE 50.25 END, 4, 1
FROM generate_series(0, 199) k, unnest(ARRAY['week', 'month', 'allTime']) r;
CREATE TEMP TABLE exp_tracks AS
SELECT track_id, v.version, time_range, genre,
	base * CASE v.version WHEN 'pnagD' THEN karma ELSE 1 + ln(1 + karma) END
		* decay AS score
FROM exp_base, (VALUES ('pnagD'), ('AnlGe')) v (version);
SQL
# Playlists (owner 1 has 5 followers, owner 2 has 2):
#  201 (d 10): reposts 21 (2 days), 23 (20 days); saves 22 (200 days), 24's
#      deleted. week: 1 + 50*1 + 0.25*2 + 0.01*1 = 51.51, karma {21} = 4,
#      decay(10, 7); month: 1 + 50*2 + 0.51 = 101.51, karma {21, 23 (no
#      bio)} = 4; year: 1 + 100 + 1 + 0.51 = 102.51, karma {21, 22} = 6
#  203, 208: no reposts or saves: base 1, karma NULL counts as 1
#  204: owner 2: 0
#  207 (album): repost by 21 (type 'album'): 1 + 50 + 0.25 = 51.25 x 4
#  210: saved by 25 (complete profile, 0 followers): karma 0, so 0
#  202 (2 tracks), 205 (private), 206 (track_ids null), 209 (no contents),
#  211 (deleted): no rows
cat >"$WORK/expected_playlists.sql" <<'SQL'
CREATE TEMP TABLE exp_playlists (playlist_id bigint, time_range text,
	score double precision);
INSERT INTO exp_playlists VALUES
	(201, 'week', 51.51 * 4 * power(1e5::float8, 1 - 10 / 7.0)),
	(201, 'month', 101.51 * 4),
	(201, 'year', 102.51 * 6),
	(203, 'week', 1), (203, 'month', 1), (203, 'year', 1),
	(208, 'week', 1), (208, 'month', 1), (208, 'year', 1),
	(204, 'week', 0), (204, 'month', 0), (204, 'year', 0),
	(207, 'week', 205), (207, 'month', 205), (207, 'year', 205),
	(210, 'week', 0), (210, 'month', 0), (210, 'year', 0);
SQL
# compare_scores: one line per missing, extra or wrong row.
compare_scores()
{
	cat "$WORK/expected_tracks.sql" "$WORK/expected_playlists.sql"
	cat <<'SQL'
SELECT format('track %s %s %s: stored %s genre %s, expected %s genre %s',
	coalesce(s.track_id, e.track_id), coalesce(s.version, e.version),
	coalesce(s.time_range, e.time_range), s.score, s.genre, e.score, e.genre)
FROM (SELECT * FROM public.track_trending_scores WHERE type = 'TRACKS') s
FULL JOIN exp_tracks e ON e.track_id = s.track_id AND e.version = s.version
	AND e.time_range = s.time_range
WHERE s.track_id IS NULL OR e.track_id IS NULL
	OR abs(s.score - e.score) > 1e-9 * abs(e.score)
	OR s.genre IS DISTINCT FROM e.genre;
SELECT format('playlist %s %s %s: stored %s, expected %s',
	coalesce(s.playlist_id, e.playlist_id), s.version,
	coalesce(s.time_range, e.time_range), s.score, e.score)
FROM (SELECT * FROM public.playlist_trending_scores
	WHERE type = 'PLAYLISTS' AND version = 'pnagD') s
FULL JOIN exp_playlists e ON e.playlist_id = s.playlist_id
	AND e.time_range = s.time_range
WHERE s.playlist_id IS NULL OR e.playlist_id IS NULL
	OR abs(s.score - e.score) > 1e-9 * abs(e.score);
SELECT 'other rows: ' || count(*) FROM public.playlist_trending_scores
WHERE type <> 'PLAYLISTS' OR version <> 'pnagD' HAVING count(*) > 0;
SQL
}
expect "stored scores equal the hand-computed ones (1e-9 relative)" "" \
	< <(compare_scores)
# 55.52 * 6; 55.52 * (1 + ln 7) = 55.52 * 2.94591; 102.5 * 10^(-15/7) =
# 102.5 * 0.0071969
expect "spot values: 101 week pnagD and AnlGe; 102 week decayed" \
	"101|pnagD|333.1200
101|AnlGe|163.5569
102|pnagD|0.7377" <<'SQL'
SELECT track_id, version, round(score::numeric, 4)
FROM public.track_trending_scores
WHERE time_range = 'week' AND (track_id = 101 OR (track_id = 102 AND version = 'pnagD'));
SQL

# ---------------------------------------------------------------------------
# Second cycle over unchanged data: writes, locks and logs nothing.
# ---------------------------------------------------------------------------

before=$(snapshot)
check_eq "second cycle (no change): nothing returned" \
	"TRACKS pnagD ins=0 upd=0 del=0
TRACKS AnlGe ins=0 upd=0 del=0
PLAYLISTS pnagD ins=0 upd=0 del=0" "$(cycle)"
after=$(snapshot)
check_eq "second cycle: n_tup_ins/upd/del unchanged, no xmin/xmax changed" \
	"$before" "$after"
# The counters are not vacuous: they moved with the first cycle.
check_eq "the first cycle's inserts are counted" \
	"playlist_trending_scores|18|0|0
track_trending_scores|1242|0|0" "$(q "$STATS")"

# ---------------------------------------------------------------------------
# 1% of the tracks (2 of 207) get 5 more plays this week: only their rows
# (3 ranges x 2 versions each) are rewritten.
# ---------------------------------------------------------------------------

q "CREATE TABLE public.rows0 AS SELECT track_id, version, time_range,
	xmin::text AS x_min, xmax::text AS x_max FROM public.track_trending_scores" >/dev/null
q "INSERT INTO public.plays (play_item_id, created_at)
	SELECT t, now() - interval '1 day' FROM (VALUES (1000), (1001)) v (t),
	generate_series(1, 5)" >/dev/null
refresh >/dev/null
check_eq "1% changed: 12 rows updated" \
	"TRACKS pnagD ins=0 upd=6 del=0
TRACKS AnlGe ins=0 upd=6 del=0
PLAYLISTS pnagD ins=0 upd=0 del=0" "$(cycle)"
check_eq "1% changed: n_tup_upd +12, nothing else" \
	"playlist_trending_scores|18|0|0
track_trending_scores|1242|12|0" "$(q "$STATS")"
check_eq "1% changed: exactly those tracks' rows were written" \
	"1000|6
1001|6" "$(q "SELECT track_id, count(*) FROM (
	SELECT track_id, version, time_range, xmin::text, xmax::text
	FROM public.track_trending_scores EXCEPT SELECT * FROM public.rows0) c
	GROUP BY 1 ORDER BY 1")"
# New values: k + 5 more plays: 1000 week = (0 + 5 + 50.25) * 4,
# allTime (5 + 0.25) * 4; 1001 week (1 + 5 + 50.25) * 4.
cat >>"$WORK/expected_tracks.sql" <<'SQL'
UPDATE exp_tracks SET score = score + 5 * CASE version WHEN 'pnagD' THEN 4
	ELSE 1 + ln(5) END WHERE track_id IN (1000, 1001);
SQL
expect "1% changed: all scores as expected (1000, 1001 with 5 more plays)" "" \
	< <(compare_scores)

# ---------------------------------------------------------------------------
# Prune: track 101 deleted, playlist 203 made private.
# ---------------------------------------------------------------------------

q "UPDATE public.tracks SET is_delete = true WHERE track_id = 101;
	UPDATE public.playlists SET is_private = true WHERE playlist_id = 203" >/dev/null
refresh >/dev/null
check_eq "deleted track and private playlist: their rows pruned" \
	"TRACKS pnagD ins=0 upd=0 del=3
TRACKS AnlGe ins=0 upd=0 del=3
PLAYLISTS pnagD ins=0 upd=0 del=3" "$(cycle)"
cat >>"$WORK/expected_tracks.sql" <<'SQL'
DELETE FROM exp_tracks WHERE track_id = 101;
SQL
cat >>"$WORK/expected_playlists.sql" <<'SQL'
DELETE FROM exp_playlists WHERE playlist_id = 203;
SQL
expect "after the prune: all scores as expected" "" < <(compare_scores)
check_eq "after the prune: n_tup_del +6 tracks, +3 playlists" \
	"playlist_trending_scores|18|0|3
track_trending_scores|1242|12|6" "$(q "$STATS")"

# ---------------------------------------------------------------------------
# Part B: weekly winners (trending_winners.sql) and tastemakers
# (tastemaker.sql), over the scores stored above.
# ---------------------------------------------------------------------------

# Playlist 203 public again: its rows come back (a tie with 208 at 1).
q "UPDATE public.playlists SET is_private = false WHERE playlist_id = 203" >/dev/null
check_eq "playlist 203 public again: its 3 rows inserted" \
	"TRACKS pnagD ins=0 upd=0 del=0
TRACKS AnlGe ins=0 upd=0 del=0
PLAYLISTS pnagD ins=3 upd=0 del=0" "$(cycle)"

FRIDAY=$(q "SELECT current_date - (extract(isodow FROM current_date)::int + 2) % 7")
# winners KIND [DATE]: run trending_winners.sql ($1 date, $2 kind).
winners()
{
	{
		prep trending_winners
		echo "EXECUTE trending_winners('${2:-$FRIDAY}', '$1');"
	} | sql
}

# owner of bulk track 1000 + k: 3 for odd k, 4 for k = 8 mod 10, else 1.
owner_of() { local k=$(($1 - 1000)); if [ $((k % 2)) -eq 1 ]; then echo 3; elif [ $((k % 10)) -eq 8 ]; then echo 4; else echo 1; fi; }
# Expected rows: challenge|user|specifier|amount|rank|id.
# tt: the top 10 week scores are bulk tracks 1199..1190 ((k + 50.25) * 4).
# tut: without the top 20 (1199..1180) and owners 3 (1500 followers) and 4
# (follows 1500 users): 1176, 1174, 1172, 1170, 1166, 1164, 1162, 1160,
# 1156, 1154, all owned by 1. tp: 207 (205), 201 (about 14.8), then 208
# and 203 tied at 1 (higher id first); 204 and 210 score 0.
exp_winners()
{
	local kind=$1 big=$2 small=$3 rank=0 id
	shift 3
	for id in "$@"; do
		rank=$((rank + 1))
		if [ "$kind" = tp ]; then owner=1; else owner=$(owner_of "$id"); fi
		echo "$kind|$owner|$FRIDAY:$rank|$([ $rank -le 5 ] && echo "$big" || echo "$small")|$rank|$id"
	done
}
check_eq "tt: top 10 tracks of the week, 1000 for ranks 1-5, 100 for 6-10" \
	"$(exp_winners tt 1000 100 1199 1198 1197 1196 1195 1194 1193 1192 1191 1190)" \
	"$(winners tt)"
check_eq "tut: underground top 10 (no global top 20, small owners only)" \
	"$(exp_winners tut 1000 100 1176 1174 1172 1170 1166 1164 1162 1160 1156 1154)" \
	"$(winners tut)"
check_eq "tp: top playlists, 100 for ranks 1-5, ties by higher id first" \
	"$(exp_winners tp 100 10 207 201 208 203)" "$(winners tp)"
expect "trending_results rows per (type, version, week)" \
	"PLAYLISTS|pnagD|$FRIDAY|4|201,203,207,208
TRACKS|pnagD|$FRIDAY|10|1190,1191,1192,1193,1194,1195,1196,1197,1198,1199
UNDERGROUND_TRACKS|pnagD|$FRIDAY|10|1154,1156,1160,1162,1164,1166,1170,1172,1174,1176" <<'SQL'
SELECT type, version, week, count(*), string_agg(id, ',' ORDER BY id)
FROM public.trending_results GROUP BY 1, 2, 3;
SQL
expect "winners rows are complete, step 1, completed" "tp|4|t
tt|10|t
tut|10|t" <<'SQL'
SELECT challenge_id, count(*), bool_and(is_complete AND current_step_count = 1
	AND completed_at IS NOT NULL)
FROM public.user_challenges WHERE challenge_id IN ('tt', 'tut', 'tp') GROUP BY 1;
SQL
uc0=$(q "SELECT count(*), max(xmin::text) FROM public.user_challenges")
tr0=$(q "SELECT count(*), max(xmin::text) FROM public.trending_results")
# Even after the scores change, the same Friday is not paid again.
q "UPDATE public.track_trending_scores SET score = score * 10
	WHERE track_id = 1100 AND version = 'pnagD' AND time_range = 'week'" >/dev/null
for k in tt tut tp; do
	check_eq "$k: the same Friday again writes nothing" "" "$(winners "$k")"
done
check_eq "a date that is not a Friday writes nothing" "" \
	"$(winners tt "$(q "SELECT '$FRIDAY'::date + 1")")"
check_eq "re-runs: user_challenges and trending_results unchanged" \
	"$uc0 $tr0" "$(q "SELECT count(*), max(xmin::text) FROM public.user_challenges") $(q "SELECT count(*), max(xmin::text) FROM public.trending_results")"
q "UPDATE public.track_trending_scores SET score = score / 10
	WHERE track_id = 1100 AND version = 'pnagD' AND time_range = 'week'" >/dev/null

# Tastemakers. Every bulk track is reposted by 21 (2 days ago). Track 1199
# also gets: a deleted repost by 299 (3 days ago, earliest: ignored),
# reposts by 300..311 (1 day ago, one minute apart), saves by 400, 401 and
# 21 (1 day ago) and a playlist save by 402 (ignored). The 10 earliest
# reposters of 1199: 21, 300..308; savers: 21, 400, 401 (21 once).
expect "tastemaker fixture" "" <<'SQL'
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, is_delete, created_at)
SELECT 299, 1199, 'track', true, now() - interval '3 days'
UNION ALL SELECT g, 1199, 'track', false, now() - interval '1 day' + g * interval '1 minute'
FROM generate_series(300, 311) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at) VALUES
	(400, 1199, 'track', now() - interval '1 day'),
	(401, 1199, 'track', now() - interval '1 day'),
	(21, 1199, 'track', now() - interval '1 day'),
	(402, 1199, 'playlist', now() - interval '1 day');
SQL
exp_t=$(
	for u in 21 $(seq 300 308) 400 401; do
		printf 't|%d|%x:t:%x|100\n' "$u" "$u" 1199
	done
	for tr in $(seq 1190 1198); do
		printf 't|21|15:t:%x|100\n' "$tr"
	done | LC_ALL=C sort
)
got_t=$({ prep tastemaker; echo 'EXECUTE tastemaker;'; } | sql | LC_ALL=C sort)
check_eq "tastemaker: 10 earliest reposters and savers of each top 10 track" \
	"$(printf '%s\n' "$exp_t" | LC_ALL=C sort)" "$got_t"
check_eq "tastemaker again: writes nothing" "" \
	"$({ prep tastemaker; echo 'EXECUTE tastemaker;'; } | sql)"

test_done
