#!/usr/bin/env bash
# latency.sh [small|large]: scenario 2 of the benchmark, commit-to-completion
# latency. Works alone (starts its own cluster through lib.sh) or under
# tools/bench/run.sh; writes the markdown section "## 2. Latency" to
# $(bench_section latency) and prints it. A benchmark, not a test: a missed
# target is reported as MISS and the exit status stays 0; only a harness
# failure exits non-zero.
#
# Probes (build/bench/probe_driver, see its header): a pool of probe artists
# is added to a fresh copy of the dataset, ids from PROBE_BASE on (above any
# dataset id): verified user N owning track N, with exactly 249 plays and a
# settled, incomplete p1 row, so one more play completes p1. A trigger on
# user_challenges (created in the copy only) sends pg_notify on
# reckon_probe with the user id when a probe's p1 row becomes complete; the
# notification is delivered at the commit of the completing transaction.
# Latency = arrival - the moment just before the probe play's COMMIT was
# sent (synchronous_commit on, fsync on), in one process, CLOCK_MONOTONIC.
#
# For each background rate (plays/s by pgbench -R, Zipf-like tracks as in
# lib.sh; "max" = no -R), with a fresh slot each time:
#   reckon  bin/reckon on its own slot, probes timed to the notification;
#   floor   pg_recvlogical on its own slot with reckon's wal2json options
#           (bin/reckon --plugin-options), probes timed to the line carrying
#           the probe's play on its stdout; reckon is not running.
# Then, at each rate but "max", reckon again with its reads on a streaming
# hot standby of the same cluster (cluster.sh's cluster_standby:
# pg_basebackup -R, on this machine) through --read-dsn: each batch waits
# for the standby to replay its commits before reading there.
# Then, at 1,000 plays/s, the polling design (build/bench/poller_driver
# --mode poll, 30 s and 1 s ticks) instead of reckon; its probes are spread
# over at least one whole tick so that they sample every phase of it.
# Each run gets its own probe users, so no probe is ever completed twice.
#
# Environment (for development): LATENCY_RATES overrides the list of
# background rates ("0 250 1000 4000 max" large, "0 1000 max" small);
# LATENCY_POLLER another polling processor with poller_driver's options. Without build/bench/poller_driver
# the polling rows read "not measured: poller_driver missing".
set -euo pipefail

size=${1:-small}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/lib.sh"

owns_cluster=false
[ -n "${BENCH_TEMPLATE:-}" ] || owns_cluster=true
bench_init "$size"
make -s -C "$ROOT" build/bench/probe_driver >&2

# small is CI's quick check: fewer probes and rates, the same kinds of run
case $size in
small) probes=30 default_rates="0 1000 max" ;;
large) probes=200 default_rates="0 250 1000 4000 max" ;;
esac
rates=${LATENCY_RATES:-$default_rates}
probe_rate=10       # probes/s: modest, so probes do not load the system
warmup_ms=3000      # background load before the first probe of a run
timeout_ms=30000    # a probe not seen by then is lost (timeout)
poll_ticks="30000 1000"
db=latency
slot=bench_latency
floor_slot=bench_latency_floor
PROBE_BASE=100000000
driver=$ROOT/build/bench/probe_driver
poller=${LATENCY_POLLER:-$ROOT/build/bench/poller_driver}
section=$(bench_section latency)
work=$(mktemp -d /tmp/reckon-latency.XXXXXX)
consumer_pid=
pgbench_pid=
has_standby=false

cleanup()
{
	local pid
	for pid in $consumer_pid $pgbench_pid; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
	if $has_standby; then
		cluster_standby_stop
	fi
	if $owns_cluster; then
		cluster_stop
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# prepare_probes COUNT: the probe artists (see the header) and the trigger.
prepare_probes()
{
	bq -d "$db" -v base="$PROBE_BASE" -v n="$1" <<SQL
INSERT INTO public.users (user_id, handle, name, is_verified, created_at)
SELECT g, 'probe' || g, 'Probe ' || g, true, now() - interval '800 days'
FROM generate_series(:base, :base + :n - 1) g;
INSERT INTO public.tracks (track_id, owner_id, is_delete, is_unlisted, genre,
	created_at)
SELECT g, g, false, false, 'Electronic', now() - interval '300 days'
FROM generate_series(:base, :base + :n - 1) g;
INSERT INTO public.plays (user_id, play_item_id, created_at)
SELECT 1, g, now() - interval '1 day'
FROM generate_series(:base, :base + :n - 1) g, generate_series(1, 249);
$(cat "$ROOT/sql/play_counts_setup.sql");
PREPARE p(bigint[], text, bigint) AS $("$ROOT/bin/reckon" --print-sql=p1);
SELECT array_agg(g) AS ids FROM generate_series(:base, :base + :n - 1) g \gset
\o /dev/null
EXECUTE p(:'ids', 'p1', 1);
\o
CREATE FUNCTION public.bench_probe_notify() RETURNS trigger
LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.challenge_id = 'p1' AND NEW.is_complete
		AND NEW.user_id >= $PROBE_BASE
		AND (TG_OP = 'INSERT' OR NOT OLD.is_complete) THEN
		PERFORM pg_notify('reckon_probe', NEW.user_id::text);
	END IF;
	RETURN NULL;
END
\$\$;
CREATE TRIGGER bench_probe_notify
	AFTER INSERT OR UPDATE ON public.user_challenges
	FOR EACH ROW EXECUTE FUNCTION public.bench_probe_notify();
ANALYZE;
SQL
	local ready
	ready=$(bq -d "$db" -c "SELECT count(*) FROM public.user_challenges
		WHERE challenge_id = 'p1' AND user_id >= $PROBE_BASE
		AND current_step_count = 249 AND NOT is_complete")
	if [ "$ready" != "$1" ]; then
		echo "latency: $ready of $1 probe artists are at 249 plays" >&2
		exit 1
	fi
}

# The background load: one play per transaction, track skewed as lib.sh's.
cat >"$work/load.sql" <<'PGB'
\set track 1 + int(:tracks * pow(random(0, 999999) / 1000000.0, 3))
\set uid random(1, :users)
INSERT INTO public.plays (user_id, play_item_id) VALUES (:uid, :track);
PGB

# load_start RATE SECONDS: pgbench in the background (nothing for rate 0).
load_start()
{
	local rate_opt=()
	rm -f "$work/pgbench.out"
	[ "$1" = 0 ] && return 0
	[ "$1" = max ] || rate_opt=(-R "$1")
	"$CLUSTER_BINDIR/pgbench" -n "${rate_opt[@]}" -T "$2" -c 2 -j 2 \
		-D tracks="$tracks" -D users="$users" -f "$work/load.sql" "$db" \
		>"$work/pgbench.out" 2>&1 &
	pgbench_pid=$!
}

# load_wait: wait for pgbench; prints its tps (0 without load).
load_wait()
{
	if [ -z "$pgbench_pid" ]; then
		echo 0
		return 0
	fi
	if ! wait "$pgbench_pid"; then
		pgbench_pid=
		echo "latency: pgbench failed:" >&2
		cat "$work/pgbench.out" >&2
		return 1
	fi
	pgbench_pid=
	awk '/^tps = / {printf "%.0f", $3}' "$work/pgbench.out"
}

# consumer_stop: SIGTERM the consumer (reckon or the poller) and wait.
consumer_stop()
{
	[ -n "$consumer_pid" ] || return 0
	kill -TERM "$consumer_pid" 2>/dev/null || true
	wait "$consumer_pid" || true
	consumer_pid=
}

drop_slot()
{
	bq -d postgres -c "SELECT pg_drop_replication_slot(slot_name)
		FROM pg_replication_slots WHERE slot_name = '$1'" >/dev/null
}

# run_probes OUT FIRST RATE TIMEOUT_MS DRIVER-ARGS...: the probe driver's
# latencies to OUT; its summary and errors to stderr.
run_probes()
{
	local out=$1 first=$2 rate=$3 timeout=$4
	shift 4
	"$driver" --dsn "dbname=$db" --probes "$probes" --rate "$rate" \
		--first-user "$first" --timeout-ms "$timeout" \
		--warmup-ms "$warmup_ms" "$@" >"$out"
}

# measure KIND RATE FIRST [TICK_MS]: one run; writes the latencies to
# $work/KIND-RATE[-TICK].lat and the achieved rate to .tps.
measure()
{
	local kind=$1 rate=$2 first=$3 tick=${4:-} name=$1-$2${4:+-$4}
	local prate=$probe_rate timeout=$timeout_ms send_s log=$work/$name.log
	local args=(--mode notify)
	if [ "$kind" = poll ]; then
		# Spread the probes over at least one whole tick.
		prate=$(awk -v n="$probes" -v t="$tick" -v r="$probe_rate" \
			'BEGIN { x = n * 1000 / t; printf "%g", x < r ? x : r }')
		timeout=$((2 * tick + timeout_ms))
	fi
	send_s=$(awk -v n="$probes" -v r="$prate" 'BEGIN { printf "%d", n / r + 1 }')
	case $kind in
	reckon | standby)
		local read=()
		[ "$kind" = standby ] &&
			read=(--read-dsn "host=$PGHOST port=$STANDBY_PORT dbname=$db")
		"$BENCH_BINDIR/reckon" --dsn "dbname=$db" --slot "$slot" \
			--create-slot --backfill=none "${read[@]}" 2>"$log" &
		consumer_pid=$!
		args+=(--wait-slot "$slot")
		;;
	poll)
		"$poller" --dsn "dbname=$db" --mode poll --tick "$tick" \
			--duration $((warmup_ms / 1000 + send_s + timeout / 1000 + 10)) \
			2>"$log" &
		consumer_pid=$!
		;;
	floor)
		local cmd o
		cmd="exec $CLUSTER_BINDIR/pg_recvlogical -d $db --slot $floor_slot"
		cmd+=" --create-slot --if-not-exists --start -P wal2json -f - -s 1"
		while IFS= read -r o; do cmd+=" -o $o"; done \
			< <("$BENCH_BINDIR/reckon" --plugin-options)
		args=(--mode recvlogical --wait-slot "$floor_slot"
			--recvlogical-cmd "$cmd 2>>$log")
		;;
	esac
	load_start "$rate" $((warmup_ms / 1000 + send_s + 3))
	bench_note "latency: $name ($probes probes at $prate/s from user $first)"
	if ! run_probes "$work/$name.lat" "$first" "$prate" "$timeout" \
		"${args[@]}"; then
		echo "latency: probe driver failed ($name); consumer log:" >&2
		tail -n 30 "$log" >&2 || true
		exit 1
	fi
	load_wait >"$work/$name.tps"
	if [ -n "$consumer_pid" ] && ! kill -0 "$consumer_pid" 2>/dev/null; then
		echo "latency: the consumer of $name died; its log:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
	consumer_stop
	drop_slot "$slot"
	drop_slot "$floor_slot"
}

# stats FILE: "p50 p99 max lost" of a latency file; a lost probe (timeout)
# ranks above every latency, so a percentile it reaches reads "lost".
stats()
{
	local f=$1
	[ -s "$f" ] || {
		echo "- - - -"
		return 0
	}
	{
		grep -v '^timeout$' "$f" | sort -g || true
	} | awk -v lost="$(grep -c '^timeout$' "$f" || true)" '
		{ v[NR] = $1 }
		function pct(q,   k) {
			k = int(q * (NR + lost) + 0.999999)
			if (k < 1) k = 1
			return k > NR ? "lost" : sprintf("%.1f", v[k])
		}
		END { print pct(0.50), pct(0.99), (lost > 0 ? "lost" : sprintf("%.1f", v[NR])), lost }'
}

bench_note "latency: preparing a copy of the dataset and the probe artists"
bench_fresh_db "$db" >/dev/null
nrates=$(wc -w <<<"$rates")
have_poller=false
[ -x "$poller" ] && have_poller=true
runs=$((3 * nrates + 2))
prepare_probes $((runs * probes))
# the standby copies the cluster as it is now, probes included
bench_note "latency: starting a streaming standby"
CLUSTER_DIR=${CLUSTER_DIR:-$PGHOST} CLUSTER_PORT=${CLUSTER_PORT:-$PGPORT}
cluster_standby || exit 1
has_standby=true

next=$PROBE_BASE
for rate in $rates; do
	measure reckon "$rate" "$next"
	next=$((next + probes))
	measure floor "$rate" "$next"
	next=$((next + probes))
	if [ "$rate" != max ]; then
		measure standby "$rate" "$next"
	fi
	next=$((next + probes))
done
for tick in $poll_ticks; do
	if $have_poller; then
		measure poll 1000 "$next" "$tick"
	fi
	next=$((next + probes))
done

# The section.
cell() { awk -v i="$2" '{print $i}' <<<"$1"; }
# secs MS: "12.3 s", or MS as it is when it is not a number ("lost").
secs() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f s", v / 1000; else print v }'; }
fmt_rate() { [ "$1" = max ] && echo "as fast as possible" || echo "$1"; }
{
	echo "## 2. Latency"
	echo
	echo "Commit-to-completion latency of a play that completes a milestone"
	echo "(p1, the 250th play of a verified artist), under a background load"
	echo "of single-play transactions on Zipf-like tracks (pgbench -c 2 -j 2,"
	echo "fsync and synchronous_commit on). A probe's latency runs from just"
	echo "before its COMMIT is sent to the moment the client sees the"
	echo "completion: a NOTIFY sent by a trigger on user_challenges, delivered"
	echo "when reckon's recompute commits. The floor is the same probe timed to"
	echo "the line carrying its play on pg_recvlogical's stdout (own slot,"
	echo "reckon's wal2json options, reckon stopped): what any logical-decoding"
	echo "consumer could see at best. $probes probes per row at ${probe_rate}/s,"
	echo "each crossing p1 for its own artist; \"lost\": probes not seen within"
	echo "the timeout (${timeout_ms} ms; polling: 2 ticks more), which rank"
	echo "above every latency. Times in ms."
	echo
	echo "| background plays/s | achieved (pgbench tps) | reckon p50 | p99 | max | lost | floor p50 | p99 | max | lost |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for rate in $rates; do
		r=$(stats "$work/reckon-$rate.lat")
		f=$(stats "$work/floor-$rate.lat")
		echo "| $(fmt_rate "$rate") | $(cat "$work/reckon-$rate.tps") / $(cat "$work/floor-$rate.tps")" \
			"| $(cell "$r" 1) | $(cell "$r" 2) | $(cell "$r" 3) | $(cell "$r" 4)" \
			"| $(cell "$f" 1) | $(cell "$f" 2) | $(cell "$f" 3) | $(cell "$f" 4) |"
	done
	for rate in $rates; do
		[ "$rate" = max ] && continue
		s=$(stats "$work/standby-$rate.lat")
		echo "| $(fmt_rate "$rate"), reckon reading on a hot standby (--read-dsn) | $(cat "$work/standby-$rate.tps")" \
			"| $(cell "$s" 1) | $(cell "$s" 2) | $(cell "$s" 3) | $(cell "$s" 4) | | | | |"
	done
	for tick in $poll_ticks; do
		label="1000, polling every $((tick / 1000)) s instead of reckon"
		if $have_poller; then
			p=$(stats "$work/poll-1000-$tick.lat")
			echo "| $label | $(cat "$work/poll-1000-$tick.tps")" \
				"| $(cell "$p" 1) | $(cell "$p" 2) | $(cell "$p" 3) | $(cell "$p" 4) | | | | |"
		else
			echo "| $label | | not measured: poller_driver missing | | | | | | | |"
		fi
	done
	echo
	echo "Achieved: pgbench's tps during the reckon run / the floor run."
	fallbacks=0
	for rate in $rates; do
		[ "$rate" = max ] && continue
		# the stats line reckon logs as it stops
		n=$(sed -n 's/.*reads on the standby [0-9]* on the primary \([0-9]*\).*/\1/p' \
			"$work/standby-$rate.log" | tail -n 1)
		fallbacks=$((fallbacks + ${n:-0}))
	done
	echo "The standby rows: reads on a streaming standby of this cluster (same"
	echo "machine), each batch first waiting for it to replay the batch's"
	echo "commits; batches that fell back to the primary in those runs: $fallbacks."
	echo
	r=$(stats "$work/reckon-1000.lat")
	f=$(stats "$work/floor-1000.lat")
	r50=$(cell "$r" 1) r99=$(cell "$r" 2) f99=$(cell "$f" 2)
	if [ "$f99" = lost ] || [ "$f99" = - ]; then
		limit=n/a
	else
		limit=$(awk -v f="$f99" 'BEGIN { printf "%.1f", f + 50 }')
	fi
	verdict()
	{
		case $1 in
		lost) echo MISS ;;
		-) echo n/a ;;
		*) bench_verdict "$1" "$2" ;;
		esac
	}
	echo "| target (large size; at 1,000 plays/s) | measured | limit | verdict |"
	echo "|---|---:|---:|---|"
	echo "| reckon p50 under 25 ms | $r50 | 25 | $(verdict "$r50" 25) |"
	if [ "$limit" = n/a ]; then
		echo "| reckon p99 under the floor's p99 + 50 ms | $r99 | n/a | n/a |"
	else
		echo "| reckon p99 under the floor's p99 + 50 ms | $r99 | $limit | $(verdict "$r99" "$limit") |"
	fi
	echo
	if $have_poller; then
		p=$(stats "$work/poll-1000-30000.lat")
		echo "For a user: at 1,000 plays/s, the play that earns a milestone shows"
		echo "up as a completed challenge ${r50} ms after it commits (half of the"
		echo "time; 99% within ${r99} ms), where 30-second polling makes them wait"
		echo "$(secs "$(cell "$p" 1)") (99%: $(secs "$(cell "$p" 2)"))."
	else
		echo "For a user: at 1,000 plays/s, the play that earns a milestone shows"
		echo "up as a completed challenge ${r50} ms after it commits (half of the"
		echo "time; 99% within ${r99} ms)."
	fi
	if [ "$size" != large ]; then
		echo
		echo "(Size $size: the targets are set for the large size.)"
	fi
} >"$section"
cat "$section"
