#!/bin/bash
# demo.sh: `make demo`. Starts a throwaway PostgreSQL 15 cluster, loads
# sql/schema.sql and a small sample catalogue, starts reckon on it, drives a
# stream of plays, comments and uploads, and prints each challenge completion
# as it lands with its commit-to-completion latency, then the latencies per
# challenge. Stops and cleans up by itself after DEMO_SECONDS (default 20)
# or on Ctrl-C.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/cluster.sh"
DEMO_SECONDS=${DEMO_SECONDS:-20}
RECKON_PID=
TAIL_PID=

demo_cleanup()
{
	[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
	if [ -n "$RECKON_PID" ] && kill -0 "$RECKON_PID" 2>/dev/null; then
		kill -TERM "$RECKON_PID"
		wait "$RECKON_PID" 2>/dev/null
	fi
	cluster_stop
}

q()
{
	psql -X -At -q -v ON_ERROR_STOP=1 -c "$1"
}

echo "demo: starting a throwaway PostgreSQL 15 cluster (wal_level=logical)"
cluster_start || exit 1
trap demo_cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" >/dev/null || exit 1
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/state.sql" >/dev/null || exit 1

# A small catalogue: 20 artists (the first 8 verified), 3 tracks each, and
# history that leaves the verified artists a few plays short of 250.
q "insert into users(user_id, handle, name, is_verified)
   select g, 'artist' || g, 'Artist ' || g, g <= 8 from generate_series(1, 20) g"
q "insert into users(user_id, handle) select g, 'fan' || g from generate_series(100, 199) g"
q "insert into tracks(track_id, owner_id, genre)
   select t, (t - 1) / 3 + 1, 'Electronic' from generate_series(1, 40) t"
q "insert into plays(user_id, play_item_id, created_at)
   select 100 + g % 100, ((g % 8) * 3) + 1, now() - interval '3 days'
   from generate_series(1, 8 * 244) g"

# The rest of the catalogue (issue #18): cosign (cs) and the listen streak
# (e) are inactive in the catalogue by default; here everything is on.
# Remixes 201-216 (fans 101-116 made them) of the first track of artist
# (k - 1) % 8 + 1, which that artist will repost (cs); a remix contest
# hosted by each of artists 1-4 (w), winners named later; the fans will buy
# the artists' tracks (b; s for the verified seller); listeners 300 and 301
# will play at times 20 h apart, back-dated from 10 days ago (e).
q "update challenges set active = true where id in ('cs', 'e')"
q "insert into tracks(track_id, owner_id, genre)
   select 200 + k, 100 + k, 'Electronic' from generate_series(1, 16) k"
q "insert into remixes(parent_track_id, child_track_id)
   select ((k - 1) % 8) * 3 + 1, 200 + k from generate_series(1, 16) k"
q "insert into events(event_id, event_type, user_id, event_data, created_at, updated_at)
   select h, 'remix_contest', h, '{\"winners\": []}', now() - interval '1 day',
   now() - interval '1 day' from generate_series(1, 4) h"
STREAK_BASE=$(q "select extract(epoch from now() - interval '10 days')::bigint")

echo "demo: starting reckon (log in $CLUSTER_DIR/reckon.log)"
"$ROOT/bin/reckon" --create-slot >"$CLUSTER_DIR/reckon.log" 2>&1 &
RECKON_PID=$!
for _ in $(seq 1 50); do
	grep -q "streaming from slot" "$CLUSTER_DIR/reckon.log" && break
	kill -0 "$RECKON_PID" 2>/dev/null || { cat "$CLUSTER_DIR/reckon.log"; exit 1; }
	sleep 0.1
done
# --pid: tail (and the pipeline after it) ends when reckon does
echo "demo: what feeds each challenge (from reckon's configuration):"
# the log is logfmt: show the text of msg="...", its quotes unescaped
grep 'feeds' "$CLUSTER_DIR/reckon.log" | sed -e 's/^.* msg="/  /' -e 's/"$//' -e 's/\\"/"/g'
tail -n 0 -F --pid="$RECKON_PID" "$CLUSTER_DIR/reckon.log" 2>/dev/null |
	grep --line-buffered 'completed challenge' |
	sed -u -e 's/^.*completed challenge /  completed /' -e 's/"$//' -e 's/\\"/"/g' &
TAIL_PID=$!

# One long-lived session drives the writes: each statement is its own
# transaction, as listeners and uploaders produce them.
exec 3> >(psql -X -q -v ON_ERROR_STOP=1 >/dev/null)

# One step of the rest of the catalogue: fan 100 + i/8 fills in a profile
# field, follows, reposts or saves (p), makes a playlist (fp), installs the
# app (m), is referred by artist 1 (verified: rv) or 20 (not yet: r), which
# gives the fan rd; every 40th step verifies an
# artist (v), every 25th pins a fan's comment on artist 1's track (cp).
demo_catalogue_step()
{
	local i=$1 fan=$((100 + $1 / 8))
	demo_rest_step "$i"
	case $((i % 8)) in
		0) echo "update users set bio = 'bio', name = 'Fan $fan' where user_id = $fan;" ;;
		1) echo "update users set profile_picture = 'p.jpg', cover_photo = 'c.jpg' where user_id = $fan;" ;;
		2) echo "insert into follows(follower_user_id, followee_user_id) select $fan, g from generate_series(1, 5) g on conflict do nothing;" ;;
		3) echo "insert into reposts(user_id, repost_item_id, repost_type) values ($fan, 1, 'track') on conflict do nothing;" ;;
		4) echo "insert into saves(user_id, save_item_id, save_type) values ($fan, 1, 'track') on conflict do nothing;" ;;
		5) echo "insert into playlists(playlist_id, playlist_owner_id) values ($fan, $fan) on conflict do nothing;" ;;
		6) echo "insert into user_events(user_id, referrer, is_mobile_user) values ($fan, $((fan % 2 ? 1 : 20)), true) on conflict do nothing;" ;;
	esac
	if [ $((i % 40)) -eq 0 ] && [ $((8 + i / 40)) -le 20 ]; then
		echo "update users set is_verified = true where user_id = $((8 + i / 40));"
	fi
	if [ $((i % 25)) -eq 0 ]; then
		echo "insert into comments(comment_id, user_id, entity_id) values ($((100000 + i)), $fan, 1);"
		echo "update tracks set pinned_comment_id = $((100000 + i)) where track_id = 1;"
	fi
}

# One step of the rest of the catalogue, every few steps:
#   cs  artist a reposts remix 200 + k of their track (k = a, then a + 8);
#   w   a contest's winners named: two more remixes (up to 5 per contest
#       and per host in 7 days);
#   b/s a fan buys a verified artist's track: $2, valid at once, or $3,
#       pending and validated 5 steps later;
#   e   listener 300 or 301 plays, 20 h after their last play: the 7th
#       play completes the 7-day streak, every later one an endless day.
demo_rest_step()
{
	local i=$1 n a k c l
	if [ $((i % 20)) -eq 5 ]; then
		n=$((i / 20))
		a=$((n % 8 + 1))
		k=$((a + 8 * (n / 8 % 2)))
		echo "insert into reposts(user_id, repost_item_id, repost_type) values ($a, $((200 + k)), 'track') on conflict do nothing;"
	fi
	if [ $((i % 30)) -eq 10 ]; then
		n=$((i / 30))
		c=$((n % 4 + 1))
		echo "update events set event_data = jsonb_set(event_data, '{winners}', (event_data->'winners') || jsonb_build_array($((201 + (2 * n) % 16)), $((202 + (2 * n) % 16)))), updated_at = now() where event_id = $c;"
	fi
	if [ $((i % 15)) -eq 7 ]; then
		n=$((i / 15))
		if [ $((n % 2)) -eq 0 ]; then
			echo "insert into sol_purchases(signature, instruction_index, amount, slot, content_type, content_id, buyer_user_id, is_valid) values ('demo$n', 0, 2000000, $i, 'track', $((n % 24 + 1)), $((150 + n % 50)), true);"
		else
			echo "insert into sol_purchases(signature, instruction_index, amount, slot, content_type, content_id, buyer_user_id, is_valid) values ('demo$n', 0, 3000000, $i, 'track', $((n % 24 + 1)), $((150 + n % 50)), null);"
		fi
	fi
	if [ $((i % 15)) -eq 12 ] && [ $((i / 15 % 2)) -eq 1 ]; then
		echo "update sol_purchases set is_valid = true where signature = 'demo$((i / 15))';"
	fi
	if [ $((i % 12)) -eq 0 ]; then
		n=$((i / 12))
		l=$((300 + n % 2))
		echo "insert into plays(user_id, play_item_id, created_at) values ($l, 201, to_timestamp($STREAK_BASE + $((n / 2)) * 72000));"
	fi
}

echo "demo: driving plays, comments, uploads, profile edits, follows, reposts,"
echo "demo: saves, playlists, verifications, app installs, referrals, comment"
echo "demo: pins, cosigns, contest winners, purchases and listen streaks for"
echo "demo: $DEMO_SECONDS s (Ctrl-C stops)"
end=$(($(date +%s) + DEMO_SECONDS))
track=41
comment=1
i=0
while [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	artist=$((i % 8))
	echo "insert into plays(user_id, play_item_id) values ($((100 + i % 100)), $((artist * 3 + 1)));" >&3
	if [ $((i % 7)) -eq 0 ]; then
		echo "insert into comments(comment_id, user_id, entity_id) values ($comment, $((100 + i % 100)), 1);" >&3
		comment=$((comment + 1))
	fi
	if [ $((i % 11)) -eq 0 ] && [ $track -le 80 ]; then
		echo "insert into tracks(track_id, owner_id) values ($track, $((i % 20 + 1)));" >&3
		track=$((track + 1))
	fi
	demo_catalogue_step "$i" >&3
	sleep 0.03
done
exec 3>&-
sleep 1
kill -TERM "$RECKON_PID"
wait "$RECKON_PID"
rc=$?
RECKON_PID=
echo
echo "demo: reckon stopped (exit $rc). user_challenges by challenge:"
psql -X -q -c "select challenge_id, count(*) as rows,
	count(*) filter (where is_complete) as complete
	from user_challenges group by 1 order by 1"
grep -o '[0-9.]* ms after its commit' "$CLUSTER_DIR/reckon.log" |
	awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "demo: no completion"; exit }
		n = asort_v(v, NR)
		printf "demo: %d completions, commit-to-completion latency p50 %.1f ms, max %.1f ms\n", NR, v[int((NR + 1) / 2)], v[NR]
	}
	function asort_v(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return n
	}'
# The same per challenge: each line of the log names its challenge.
echo "demo: latency per challenge (completions, p50, max):"
sed -n 's/.*completed challenge \\"\([a-z0-9]*\)\\".* \([0-9.]*\) ms after its commit.*/\1 \2/p' \
	"$CLUSTER_DIR/reckon.log" | sort -k1,1 -k2,2n |
	awk '$1 != id { flush(); id = $1; n = 0 } { v[++n] = $2 } END { flush() }
	function flush() {
		if (n > 0)
			printf "  %-4s %4d  p50 %7.1f ms  max %7.1f ms\n", id, n, v[int((n + 1) / 2)], v[n]
	}'
grep 'stats:' "$CLUSTER_DIR/reckon.log" | tail -n 1 | sed -e 's/^.*stats: /demo: reckon stats: /' -e 's/"$//'

# One trending cycle, as the daemon runs it every hour (on a Friday it also
# pays the weekly winners).
echo "demo: one trending cycle (reckon trending --once):"
"$ROOT/bin/reckon" trending --once 2>&1 | grep -E 'scores|winners|cycle done' |
	sed -e 's/^.* msg="/  /' -e 's/"$//' -e 's/\\"/"/g'
psql -X -q -c "select 'track scores' as what, count(*) from track_trending_scores
	union all select 'playlist scores', count(*) from playlist_trending_scores
	union all select 'tastemaker rows', count(*) from user_challenges where challenge_id = 't'"
exit "$rc"
