#!/usr/bin/env bash
# memory.sh [small|large]: scenario 4 of the benchmark, reckon's memory.
# Works alone (starts its own cluster through lib.sh) or under
# tools/bench/run.sh; writes the markdown section "## 4. Memory" to
# $(bench_section memory) and prints it. A benchmark, not a test: a missed
# target is reported as MISS and the exit status stays 0; only a harness
# failure exits non-zero.
#
# What is measured: reckon's peak RSS (VmHWM of /proc/PID/status, which
# counts every page the process ever had resident, so a transient peak is
# not missed) in pairs of runs that differ in one thing only, and the
# difference divided by the count of what differs:
#   dirty users  with the bench configuration below, reckon receives one
#                transaction that updates USERS distinct users rows (100k
#                small, 1M large), each dirtying its user; the group's
#                window is 1h, so nothing is recomputed and every key stays
#                in the dirty set. Baseline: the same with 1,000 users. The
#                peak is read once the stats line (every second) shows all
#                of them dirty.
#   tracks       reckon starts with the track_owner lookup map loaded from
#                the dataset's tracks table (20k small, 500k large), then
#                with a copy of it cut down to 10,000 rows (and analyzed:
#                the map is sized from the table's estimate). The peak is
#                read at the first stats line after streaming started.
# Each run has its own slot, created just before reckon starts, so it
# receives only its own transaction. bytes per entry = (peak - baseline
# peak) / (count - baseline count).
#
# Bench configuration: tools/reckon.conf cut down to the [reckon] settings,
# the track_owner lookup and the plays group with p1 alone (one dirty set),
# with the trending job off, a stats line every second and dirty_keys_max
# twice the count, so the stream never pauses on a full set.
set -euo pipefail

size=${1:-small}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/lib.sh"

owns_cluster=false
[ -n "${BENCH_TEMPLATE:-}" ] || owns_cluster=true
bench_init "$size"

case $size in
small) dirty_users=100000 ;;
large) dirty_users=1000000 ;;
esac
dirty_users=${MEMORY_DIRTY_USERS:-$dirty_users}
base_users=1000
# 10,000 tracks: one full fetch of the cursor that loads the map, so the
# fetch buffer (a fixed cost, which malloc keeps resident after the load) is
# in the baseline too and is not counted per track.
base_tracks=10000
db=memory
slot=bench_memory
section=$(bench_section memory)
work=$(mktemp -d /tmp/reckon-memory.XXXXXX)
config=$work/reckon.conf
reckon_pid=
wait_s=900 # bound of every wait on reckon: the large run takes ~1 min

cleanup()
{
	if [ -n "$reckon_pid" ]; then
		kill -TERM "$reckon_pid" 2>/dev/null || true
		wait "$reckon_pid" 2>/dev/null || true
	fi
	if [ "${MEMORY_KEEP:-0}" = 1 ]; then
		bench_note "memory: logs kept in $work"
	else
		rm -rf "$work"
	fi
	if $owns_cluster; then
		cluster_stop
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$config" <<CONF
# memory.sh's configuration (see its header): p1's dirty set alone, a window
# long enough that nothing is recomputed while the keys accumulate.
[reckon]
slot = $slot
status_interval = 10s
stats_interval = 1s
trending_interval = 0
heartbeat_interval = 0
dirty_keys_max = $((2 * dirty_users))

[lookup track_owner]
table = public.tracks
key = track_id
value = owner_id

[group plays]
window = 1h
batch_size = 1000
dirty = public.plays.play_item_id -> track_owner
dirty = public.tracks.owner_id
dirty = public.users.user_id

[processor p1]
group = plays
challenge = p1
sql = play_milestone
create_min = 1
CONF

# wait_log LOG PATTERN WHAT: wait until LOG has a line matching PATTERN
# (grep -E); a harness failure if reckon dies or it takes over $wait_s s.
wait_log()
{
	local deadline=$((SECONDS + wait_s))
	until grep -qE "$2" "$1"; do
		if ! kill -0 "$reckon_pid" 2>/dev/null; then
			echo "memory: reckon exited while waiting for $3; its log:" >&2
			tail -n 30 "$1" >&2
			exit 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			echo "memory: no $3 after $wait_s s; reckon's log:" >&2
			tail -n 30 "$1" >&2
			exit 1
		fi
		sleep 0.2
	done
}

# reckon_start NAME: a new slot, then reckon on it; waits until it streams
# (the lookup map is loaded before that).
reckon_start()
{
	bq -d "$db" -c "SELECT pg_create_logical_replication_slot('$slot', 'wal2json')" >/dev/null
	"$BENCH_BINDIR/reckon" --dsn "dbname=$db" --config "$config" \
		2>"$work/$1.log" &
	reckon_pid=$!
	wait_log "$work/$1.log" 'module=stream msg="streaming from slot' "streaming ($1)"
}

# reckon_peak: "VmHWM VmRSS" of the running reckon, kB. The peak is the
# figure; the current RSS shows how much of it was transient.
reckon_peak()
{
	awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { print h, r }' \
		"/proc/$reckon_pid/status"
}

# reckon_stop: SIGTERM (a clean stop: nothing is in flight), drop the slot.
reckon_stop()
{
	kill -TERM "$reckon_pid"
	wait "$reckon_pid" || {
		reckon_pid=
		echo "memory: reckon did not stop cleanly" >&2
		exit 1
	}
	reckon_pid=
	bq -d postgres -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
}

# dirty_run NAME COUNT: peak RSS (kB, to $work/NAME.kb) once COUNT users
# are dirty.
dirty_run()
{
	bench_note "memory: $1: reckon with $2 dirty users"
	reckon_start "$1"
	bq -d "$db" -c "UPDATE public.users SET name = name WHERE user_id <= $2"
	# The stats line gives the dirty set's size: "dirty N (plays=N)".
	wait_log "$work/$1.log" "stats: .* dirty $2 \\(plays=$2\\)" "$2 dirty users ($1)"
	reckon_peak >"$work/$1.kb"
	reckon_stop
}

# lookup_run NAME: peak RSS (kB, to $work/NAME.kb) once the lookup map is
# loaded from the current tracks table.
lookup_run()
{
	local tracks_now
	tracks_now=$(bq -d "$db" -c "SELECT count(*) FROM public.tracks")
	bench_note "memory: $1: reckon with $tracks_now tracks in the map"
	reckon_start "$1"
	wait_log "$work/$1.log" 'lookup \\"track_owner\\" loaded: '"$tracks_now"' entries' \
		"the map loaded ($1)"
	# the first stats line after streaming started: start-up is over
	wait_log "$work/$1.log" 'stats: ' "a stats line ($1)"
	reckon_peak >"$work/$1.kb"
	reckon_stop
}

bench_note "memory: preparing a copy of the dataset with $dirty_users users"
bench_fresh_db "$db" >/dev/null
# Enough users rows for the dirty set (listeners, ids after the dataset's).
bq -d "$db" -c "INSERT INTO public.users (user_id, handle, name, created_at)
	SELECT g, 'm' || g, 'Memory ' || g, now() - interval '800 days'
	FROM generate_series((SELECT max(user_id) + 1 FROM public.users), $dirty_users) g" \
	-c "VACUUM ANALYZE public.users"
full_tracks=$(bq -d "$db" -c "SELECT count(*) FROM public.tracks")

dirty_run dirty-base "$base_users"
dirty_run dirty-peak "$dirty_users"
lookup_run tracks-full
bq -d "$db" -c "DELETE FROM public.tracks WHERE track_id > $base_tracks" \
	-c "VACUUM ANALYZE public.tracks"
lookup_run tracks-base

# per_entry PEAK_KB BASE_KB COUNT: bytes per entry, 1 decimal.
per_entry()
{
	awk -v p="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (p - b) * 1024 / n }'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
read -r db_kb db_rss <"$work/dirty-base.kb"
read -r dp_kb dp_rss <"$work/dirty-peak.kb"
read -r tb_kb tb_rss <"$work/tracks-base.kb"
read -r tf_kb tf_rss <"$work/tracks-full.kb"
per_user=$(per_entry "$dp_kb" "$db_kb" $((dirty_users - base_users)))
per_track=$(per_entry "$tf_kb" "$tb_kb" $((full_tracks - base_tracks)))
{
	echo "## 4. Memory"
	echo
	echo "reckon's peak RSS (VmHWM) in pairs of runs that differ in one thing"
	echo "only; bytes per entry = (peak - baseline peak) / (count - baseline"
	echo "count). Dirty users: one transaction updates that many users rows,"
	echo "each dirtying its user in p1's dirty set, with a 1h window so that"
	echo "none is recomputed; the peak is read once all are dirty. Tracks: the"
	echo "track_owner map loaded at start from the dataset's tracks table, and"
	echo "from a copy cut down to $base_tracks rows (one full fetch of the cursor"
	echo "that loads the map, so its fetch buffer, a fixed cost, is in both);"
	echo "the peak is read at the first stats line. Bench configuration: the [reckon] settings, the"
	echo "track_owner lookup and the plays group with p1 alone. The current RSS"
	echo "(VmRSS) at the same moment is shown for comparison: the difference is"
	echo "what was resident only for a while (the lookup is loaded through a"
	echo "cursor, 10,000 rows per fetch)."
	echo
	echo "| measurement | count | peak RSS MB | baseline count | baseline peak MB | bytes per entry | same from VmRSS |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	echo "| dirty users pending | $dirty_users | $(mb "$dp_kb") | $base_users | $(mb "$db_kb") | $per_user" \
		"| $(per_entry "$dp_rss" "$db_rss" $((dirty_users - base_users))) |"
	echo "| tracks in the lookup map | $full_tracks | $(mb "$tf_kb") | $base_tracks | $(mb "$tb_kb") | $per_track" \
		"| $(per_entry "$tf_rss" "$tb_rss" $((full_tracks - base_tracks))) |"
	echo
	echo "| target | measured | limit | verdict |"
	echo "|---|---:|---:|---|"
	echo "| bytes per dirty user | $per_user | 64 | $(bench_verdict "$per_user" 64) |"
	echo "| bytes per track | $per_track | 48 | $(bench_verdict "$per_track" 48) |"
	echo
	rest=$(awk -v b="$(per_entry "$dp_rss" "$db_rss" $((dirty_users - base_users)))" \
		'BEGIN { printf "%.0f", b - 96 }')
	echo "What an entry costs (src/dirty.c, src/lookup.c): a dirty key is one"
	echo "malloc'ed uthash entry of 88 bytes (key, safe_lsn, dirty and commit"
	echo "times: 32 bytes, plus uthash's 56-byte UT_hash_handle), a 96-byte"
	echo "chunk in glibc's malloc; the other $rest bytes per key of the current"
	echo "RSS are uthash's bucket array (16 bytes per bucket, doubled as the set"
	echo "grows; the old array is still resident while it is rehashed, hence a"
	echo "higher peak). A track is one 16-byte slot (key, value) of an"
	echo "open-addressing table kept between 3/8 and 3/4 full (capacity a power"
	echo "of 2 sized from the table's row estimate), so 21 to 43 bytes per track."
	echo
	echo "For a user: a backlog of $dirty_users dirty users costs reckon" \
		"$(awk -v p="$dp_kb" -v b="$db_kb" 'BEGIN { printf "%.0f", (p - b) / 1024 }') MB"
	echo "(the dirty set is bounded by dirty_keys_max, 1,000,000 per"
	echo "processor by default), and every million tracks in the lookup map"
	echo "about $(awk -v b="$per_track" 'BEGIN { printf "%.0f", b * 1e6 / 1048576 }') MB."
	if [ "$size" != large ]; then
		echo
		echo "(Size $size: the counts the targets were set for are those of the large size.)"
	fi
} >"$section"
cat "$section"
