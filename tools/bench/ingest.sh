#!/usr/bin/env bash
# ingest.sh [small|large]: scenario 1 of the benchmark, ingest throughput.
# Works alone (starts its own cluster through lib.sh) or under
# tools/bench/run.sh; writes the markdown section "## 1. Ingest" to
# $(bench_section ingest) and prints it. A benchmark, not a test: a missed
# target is reported as MISS and the exit status stays 0; only a harness
# failure exits non-zero.
#
# What is measured: how fast reckon catches up with a backlog of plays,
# compared with pg_recvlogical, the cheapest possible consumer of the same
# slot type (it decodes nothing and writes to /dev/null). For each workload,
#   batch   N plays in transactions of 1,000 rows (one psql session),
#   single  N plays in single-row transactions (pgbench, 4 clients),
# on a fresh copy of the dataset:
#   1. both slots are created (wal2json, as reckon --create-slot does) and
#      the workload is written with neither consumer running; its end LSN is
#      recorded and a CHECKPOINT taken, so no checkpoint lands in a run;
#   2. pg_recvlogical, alone, streams its slot to the end LSN with exactly
#      reckon's wal2json options (bin/reckon --plugin-options: the same
#      format-version, xids, timestamps and add-tables list);
#   3. reckon, alone, with the default catalogue, catches up on its slot to
#      the same end LSN (--endpos: it exits once everything up to it is
#      recomputed and acknowledged, its start-up load of the track_owner map
#      included).
# The consumers run one after the other so that they never compete for the
# machine's cores. For each: catch-up seconds (start of the process to its
# exit), changes/s (plays / catch-up seconds), CPU seconds of the consumer
# (exact, from its rusage through /usr/bin/time) and of its walsender
# (/proc/PID/stat utime + stime, sampled every 20 ms, last sample before it
# exits), CPU microseconds per change. reckon's recompute backend does work
# that pg_recvlogical has no equivalent of; its CPU is shown apart and is not
# part of the per-change figure. Then a full recompute of every verified
# artist, rolled back, must find nothing left to write: the figure is of
# reckon doing its whole job, not of a no-op.
set -euo pipefail

size=${1:-small}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/lib.sh"

owns_cluster=false
[ -n "${BENCH_TEMPLATE:-}" ] || owns_cluster=true
bench_init "$size"

# Sized so that the large run of this scenario stays within ~8 minutes:
# single-row commits are bound by the commit flush (fsync on), not by the
# consumers.
case $size in
small) batch_plays=100000 single_plays=20000 ;;
large) batch_plays=1000000 single_plays=100000 ;;
esac
batch_plays=${INGEST_BATCH_PLAYS:-$batch_plays}
single_plays=${INGEST_SINGLE_PLAYS:-$single_plays}
single_clients=4
single_plays=$((single_plays / single_clients * single_clients))
db=ingest
slot=bench_ingest
floor_slot=bench_ingest_floor
section=$(bench_section ingest)
work=$(mktemp -d /tmp/reckon-ingest.XXXXXX)
hz=$(getconf CLK_TCK)
consumer_pid=

cleanup()
{
	local kids pid
	if [ -n "$consumer_pid" ]; then
		# consumer_pid is /usr/bin/time: stop the consumer it runs first
		kids=$(cat "/proc/$consumer_pid/task/$consumer_pid/children" 2>/dev/null || true)
		for pid in $kids; do kill -TERM "$pid" 2>/dev/null || true; done
		kill -TERM "$consumer_pid" 2>/dev/null || true
		wait "$consumer_pid" 2>/dev/null || true
	fi
	# INGEST_KEEP=1 keeps the consumers' logs for a look
	if [ "${INGEST_KEEP:-0}" = 1 ]; then
		bench_note "ingest: logs kept in $work"
	else
		rm -rf "$work"
	fi
	if $owns_cluster; then
		cluster_stop
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fifo opened read-write that never carries data: `read -t` on it is a
# sleep without a fork, so the sampler's own cost stays negligible.
mkfifo "$work/tick"
exec {tick_fd}<>"$work/tick"
nap() { read -r -t "$1" -u "$tick_fd" _ || true; }

# proc_ticks PID: sets ticks to utime + stime of PID (clock ticks); false
# when the process is gone. Builtins only (no fork): it runs every 20 ms.
proc_ticks()
{
	local stat fields
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	# the command name (field 2) may hold spaces: split after its ')'
	read -r -a fields <<<"${stat##*) }"
	ticks=$((fields[11] + fields[12]))
}

# Plugin options: whatever reckon sends in START_REPLICATION, so both
# consumers make the walsender do exactly the same decoding work.
floor_opts=()
while IFS= read -r o; do floor_opts+=(-o "$o"); done \
	< <("$BENCH_BINDIR/reckon" --plugin-options)
if [ ${#floor_opts[@]} -eq 0 ]; then
	echo "ingest: bin/reckon --plugin-options printed nothing" >&2
	exit 1
fi
add_tables=$("$BENCH_BINDIR/reckon" --plugin-options | sed -n 's/^add-tables=//p')

# The single-row workload: one play per transaction, users and tracks drawn
# as lib.sh draws them.
cat >"$work/single.sql" <<'PGB'
\set track 1 + int(:tracks * pow(random(0, 999999) / 1000000.0, 3))
\set uid random(1, :users)
INSERT INTO public.plays (user_id, play_item_id) VALUES (:uid, :track);
PGB

# workload KIND N: write N plays of KIND (batch or single).
workload()
{
	case $1 in
	batch)
		local i
		for ((i = 0; i < $2 / 1000; i++)); do
			echo "INSERT INTO public.plays (user_id, play_item_id)
				SELECT floor(:users * random())::bigint + 1,
					floor(:tracks * random() ^ 3)::bigint + 1
				FROM generate_series(1, 1000);"
		done | bq -d "$db" -v users="$users" -v tracks="$tracks"
		;;
	single)
		if ! "$CLUSTER_BINDIR/pgbench" -n -c "$single_clients" -j 2 \
			-t $(($2 / single_clients)) -D users="$users" \
			-D tracks="$tracks" -f "$work/single.sql" "$db" \
			>"$work/pgbench.out" 2>&1; then
			echo "ingest: pgbench failed:" >&2
			cat "$work/pgbench.out" >&2
			return 1
		fi
		;;
	esac
}

# sample KIND SLOT: until the consumer ($consumer_pid) and the server
# processes it uses have exited, keep the last CPU sample (ticks) of its
# walsender (ws_ticks) and, for reckon, of its recompute backend (rc_ticks).
# The pids are looked up while the consumer runs, until both are known (the
# recompute connection may come before or after the replication one).
sample()
{
	local ws_pid='' rc_pid='' row consumer_alive gone tries=0
	ws_ticks=0 rc_ticks=0
	[ "$1" = reckon ] || rc_pid=none
	while :; do
		consumer_alive=false
		kill -0 "$consumer_pid" 2>/dev/null && consumer_alive=true
		# a query per tick until both are known; once the walsender is,
		# give the recompute backend 50 more ticks, no more
		if [ -n "$ws_pid" ] && [ -z "$rc_pid" ] && [ $((tries += 1)) -gt 50 ]; then
			echo "ingest: reckon's recompute backend not found" >&2
			rc_pid=none
		fi
		if $consumer_alive && { [ -z "$ws_pid" ] || [ -z "$rc_pid" ]; }; then
			row=$(bq -d postgres -F ' ' -c "SELECT
				coalesce((SELECT active_pid::text FROM pg_replication_slots
				 WHERE slot_name = '$2'), '-'),
				coalesce((SELECT min(pid)::text FROM pg_stat_activity
				 WHERE application_name = 'reckon recompute'
				 AND datname = '$db'), '-')")
			[ -n "$ws_pid" ] || ws_pid=${row% *}
			[ -n "$rc_pid" ] || rc_pid=${row#* }
			[ "$ws_pid" != - ] || ws_pid=
			[ "$rc_pid" != - ] || rc_pid=
		fi
		gone=true
		if [ -n "$ws_pid" ] && proc_ticks "$ws_pid"; then
			ws_ticks=$ticks
			gone=false
		fi
		if [ -n "$rc_pid" ] && [ "$rc_pid" != none ] && proc_ticks "$rc_pid"; then
			rc_ticks=$ticks
			gone=false
		fi
		if ! $consumer_alive && $gone; then
			break
		fi
		nap 0.02
	done
}

# run KIND MODE END: run consumer KIND (floor or reckon) alone to END; sets
# r_secs, r_cpu, r_ws_cpu, r_rc_cpu.
run()
{
	local kind=$1 mode=$2 end=$3 t0 t1 log=$work/$1-$2.log
	local timing=$work/$1-$2.time
	bench_note "ingest: $mode: $kind catching up to $end"
	t0=$(date +%s.%N)
	case $kind in
	floor)
		/usr/bin/time -f '%U %S' -o "$timing" \
			"$CLUSTER_BINDIR/pg_recvlogical" -d "$db" --slot "$floor_slot" \
			--start --endpos "$end" --no-loop "${floor_opts[@]}" \
			-f /dev/null 2>"$log" &
		;;
	reckon)
		/usr/bin/time -f '%U %S' -o "$timing" \
			"$BENCH_BINDIR/reckon" --dsn "dbname=$db" --slot "$slot" \
			--endpos "$end" 2>"$log" &
		;;
	esac
	consumer_pid=$!
	if [ "$kind" = floor ]; then
		sample floor "$floor_slot"
	else
		sample reckon "$slot"
	fi
	if ! wait "$consumer_pid"; then
		consumer_pid=
		echo "ingest: $kind ($mode) failed; its log:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
	consumer_pid=
	t1=$(date +%s.%N)
	r_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	r_cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$timing")
	r_ws_cpu=$(awk -v t="$ws_ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
	r_rc_cpu=$(awk -v t="$rc_ticks" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
}

# pending: rows a full recompute of p1/p2/p3 would write now (0 = settled).
pending()
{
	bq -d "$db" <<SQL
$(cat "$ROOT/sql/play_counts_setup.sql");
PREPARE p(bigint[], text, bigint) AS $("$ROOT/bin/reckon" --print-sql=p1);
SELECT array_agg(user_id) AS ids FROM public.users WHERE is_verified \gset
BEGIN;
\o /dev/null
EXECUTE p(:'ids', 'p1', 1);
\o
SELECT :ROW_COUNT AS p1 \gset
\o /dev/null
EXECUTE p(:'ids', 'p2', 250);
\o
SELECT :ROW_COUNT AS p2 \gset
\o /dev/null
EXECUTE p(:'ids', 'p3', 1000);
\o
SELECT :ROW_COUNT AS p3 \gset
ROLLBACK;
SELECT :p1 + :p2 + :p3;
SQL
}

# measure MODE N: one workload and both consumers; results in $work/MODE.*
measure()
{
	local mode=$1 n=$2 before after end pend
	bench_note "ingest: $mode: fresh copy, slots, $n plays"
	bench_fresh_db "$db" >/dev/null
	bq -d "$db" -c "SELECT pg_create_logical_replication_slot('$slot', 'wal2json')" \
		-c "SELECT pg_create_logical_replication_slot('$floor_slot', 'wal2json')" \
		>/dev/null
	before=$(bq -d "$db" -c "SELECT count(*) FROM public.plays")
	workload "$mode" "$n"
	after=$(bq -d "$db" -c "SELECT count(*) FROM public.plays")
	if [ $((after - before)) -ne "$n" ]; then
		echo "ingest: $mode wrote $((after - before)) plays, expected $n" >&2
		exit 1
	fi
	end=$(bench_lsn)
	bq -d postgres -c "CHECKPOINT"
	echo "$end" >"$work/$mode.end"

	run floor "$mode" "$end"
	echo "$r_secs $r_cpu $r_ws_cpu $r_rc_cpu" >"$work/$mode.floor"
	run reckon "$mode" "$end"
	echo "$r_secs $r_cpu $r_ws_cpu $r_rc_cpu" >"$work/$mode.reckon"

	# Proof of work: reckon's processor runs (keys recomputed, rows
	# written) and a rolled-back full recompute that finds nothing left.
	# (the log is logfmt: the quotes of msg="..." come escaped, \"p1\")
	awk '/processor \\"p[123]\\": / {
		for (i = 1; i <= NF; i++) {
			if ($i == "\\\"p1\\\":") { batches++; keys += $(i + 1) }
			if ($(i + 1) == "rows" && $(i + 2) == "written,") w += $i
		}
	} END { printf "%d %d %d\n", batches, keys, w }' "$work/reckon-$mode.log" >"$work/$mode.work"
	pend=$(pending)
	echo "$pend" >"$work/$mode.pending"
	bq -d postgres -c "SELECT pg_drop_replication_slot(slot_name)
		FROM pg_replication_slots WHERE slot_name IN ('$slot', '$floor_slot')" >/dev/null
}

measure batch "$batch_plays"
measure single "$single_plays"

# The section.
field() { awk -v i="$2" '{ print $i }' "$1"; }
# us_per CPU N: microseconds per change
us_per() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.1f", c * 1e6 / n }'; }
rate() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
label() { [ "$1" = batch ] && echo "1,000-row transactions" || echo "single-row transactions"; }
count() { [ "$1" = batch ] && echo "$batch_plays" || echo "$single_plays"; }
{
	echo "## 1. Ingest"
	echo
	echo "A backlog of plays written with no consumer running, then consumed"
	echo "to the same end LSN by each consumer alone, on its own slot (created"
	echo "before the workload): pg_recvlogical with reckon's wal2json options"
	echo "(\`add-tables=$add_tables\`), writing to"
	echo "/dev/null, and reckon with the default catalogue (\`--endpos\`: done"
	echo "once every change is recomputed and acknowledged; its start-up load of"
	echo "the track_owner map included). Catch-up: process start to exit. CPU:"
	echo "the consumer process (rusage) and its walsender (/proc, sampled every"
	echo "20 ms); per change = (consumer + walsender) / plays. reckon's"
	echo "recompute backend is shown apart (pg_recvlogical has no such work)."
	echo
	echo "| workload | consumer | changes | catch-up s | changes/s | consumer CPU s | walsender CPU s | CPU µs/change | consumer-only µs/change | recompute backend CPU s |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for mode in batch single; do
		n=$(count "$mode")
		for kind in floor reckon; do
			f=$work/$mode.$kind
			secs=$(field "$f" 1) cpu=$(field "$f" 2) ws=$(field "$f" 3) rc=$(field "$f" 4)
			name=pg_recvlogical
			[ "$kind" = reckon ] && name=reckon
			[ "$kind" = floor ] && rc=-
			echo "| $(label "$mode") | $name | $n | $secs | $(rate "$secs" "$n") | $cpu | $ws" \
				"| $(us_per "$(sum "$cpu" "$ws")" "$n") | $(us_per "$cpu" "$n") | $rc |"
		done
	done
	echo
	echo "| ratio reckon / pg_recvlogical | catch-up time | CPU per change (consumer + walsender) | consumer CPU |"
	echo "|---|---:|---:|---:|"
	for mode in batch single; do
		fl=$work/$mode.floor rk=$work/$mode.reckon
		echo "| $(label "$mode") | $(bench_ratio "$(field "$rk" 1)" "$(field "$fl" 1)")" \
			"| $(bench_ratio "$(sum "$(field "$rk" 2)" "$(field "$rk" 3)")" "$(sum "$(field "$fl" 2)" "$(field "$fl" 3)")")" \
			"| $(bench_ratio "$(field "$rk" 2)" "$(field "$fl" 2)") |"
	done
	echo
	echo "Proof of work (reckon's log, then a full recompute of p1, p2 and p3"
	echo "for every verified artist, rolled back):"
	echo
	for mode in batch single; do
		read -r batches keys written <"$work/$mode.work"
		echo "- $(label "$mode"): $batches batches recomputed p1, p2 and p3 for"
		echo "  $keys artists in all and wrote $written user_challenges rows; the"
		echo "  full recompute afterwards would write $(cat "$work/$mode.pending") more rows (0: none missed)."
		if [ "$batches" -eq 0 ]; then
			echo "  reckon ran no recompute: its figures are those of a no-op."
		fi
	done
	echo
	echo "| target (large size) | measured | limit | verdict |"
	echo "|---|---:|---:|---|"
	for mode in batch single; do
		fl=$work/$mode.floor rk=$work/$mode.reckon
		t=$(bench_ratio "$(field "$rk" 1)" "$(field "$fl" 1)")
		c=$(bench_ratio "$(sum "$(field "$rk" 2)" "$(field "$rk" 3)")" "$(sum "$(field "$fl" 2)" "$(field "$fl" 3)")")
		echo "| $(label "$mode"): catch-up within 1.1x pg_recvlogical's | ${t}x | 1.1x | $(bench_verdict "$t" 1.1) |"
		echo "| $(label "$mode"): CPU per change at most pg_recvlogical's | ${c}x | 1.0x | $(bench_verdict "$c" 1.0) |"
	done
	echo
	bt=$(bench_ratio "$(field "$work/batch.reckon" 1)" "$(field "$work/batch.floor" 1)")
	st=$(bench_ratio "$(field "$work/single.reckon" 1)" "$(field "$work/single.floor" 1)")
	bc=$(us_per "$(sum "$(field "$work/batch.reckon" 2)" "$(field "$work/batch.reckon" 3)")" "$batch_plays")
	echo "For a user: after a backlog (a restart, an outage) reckon needs"
	echo "${bt}x (1,000-row transactions) and ${st}x (single-row transactions)"
	echo "the time a bare slot reader takes to read the same changes, every"
	echo "challenge recomputed and acknowledged on the way, at $bc µs of CPU per"
	echo "play (reckon and its walsender)."
	if [ "$size" != large ]; then
		echo
		echo "(Size $size: the targets are set for the large size.)"
	fi
} >"$section"
cat "$section"
