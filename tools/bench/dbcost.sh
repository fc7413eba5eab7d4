#!/usr/bin/env bash
# dbcost.sh [small|large]: scenario 3 of the benchmark, the database cost of
# each design for the same workload. Works alone (starts its own cluster
# through lib.sh) or under tools/bench/run.sh; writes the markdown section
# "## 3. Database cost" to $(bench_section dbcost) and prints it. A
# benchmark, not a test: a missed target is reported as MISS and the exit
# status stays 0; only a harness failure exits non-zero, with a message.
#
# Designs, each on a fresh copy of the dataset and under its own role, so
# that pg_stat_statements (top-level statements, filtered by role and
# database) counts its statements and nothing else (not the workload, not
# the aggregate_plays trigger the workload fires):
#   reckon  bin/reckon as bench_reckon on its own slot, created before the
#           workload; its walsender's CPU (/proc/PID/stat) is counted too,
#           since decoding is work the database does for it;
#   poll    build/bench/poller_driver --mode poll --tick 1000 as bench_poll
#           (checkpoint polling at a 1 s tick, baseline_polling.sql);
#   scan    build/bench/poller_driver --mode scan --tick 30000 as bench_scan
#           (full scan at a 30 s tick, baseline_fullscan.sql).
# Workload: single-play transactions at a fixed rate (pgbench -R, -c 2, the
# Zipf-like tracks of lib.sh) for a window of 10 s (small) or 60 s (large).
# reckon and poll are measured from after their start-up until they have
# recomputed the window's plays (reckon: its slot confirmed past the last
# commit; poll: two more ticks). The full scan's cost does not depend on the
# plays of the window, only on the tables: it runs two ticks (at 0 and 30 s)
# during the workload, and its figure is the mean cost of a tick times the
# ticks a 30 s tick makes in the window (window / 30 s), per 10,000 plays
# ingested in the window.
# Idle: then, with no writes, each design runs for the window again (the
# full scan: its ticks in that time); statements per minute are scaled from
# the window (driver designs: statements per tick times ticks per minute).
# Two dataset sizes: the template (plays of the size) and a copy cut down to
# small_plays plays (same users, tracks and comments; user_challenges
# brought up to date with lib.sh's bench_settle), to show how each cost
# grows with the plays table.
# Correctness: after each run, tests/integration/oracle.sql (which counts
# plays itself) must report no problem for p1, p2, p3 and c.
# The listen streak (e, inactive in the catalogue): one more reckon run on
# the full dataset with e active, reported apart (its statement's cost per
# 10,000 plays, and reckon's total with it).
#
# Environment: DBCOST_RATE (plays/s, default 1000), DBCOST_SECONDS (window,
# default 10 small / 60 large).
set -euo pipefail

size=${1:-small}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/lib.sh"

# The harness's own notices (DROP ... IF EXISTS) are noise.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

owns_cluster=false
[ -n "${BENCH_TEMPLATE:-}" ] || owns_cluster=true
bench_init "$size"
make -s -C "$ROOT" bin/reckon build/bench/poller_driver >&2

case $size in
small) window=10 ;;
large) window=60 ;;
esac
window=${DBCOST_SECONDS:-$window}
rate=${DBCOST_RATE:-1000}
poll_tick=1000
scan_tick=30000
full_tpl=$BENCH_TEMPLATE
small_tpl=dbcost_small_tpl
db=dbcost
slot=bench_dbcost
driver=$ROOT/build/bench/poller_driver
section=$(bench_section dbcost)
work=$(mktemp -d /tmp/reckon-dbcost.XXXXXX)
consumer_pid=
pgbench_pid=

cleanup()
{
	local pid
	for pid in $consumer_pid $pgbench_pid; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
	if $owns_cluster; then
		cluster_stop
	elif [ -n "${PGHOST:-}" ]; then
		bq -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
			-c "DROP DATABASE IF EXISTS $small_tpl WITH (FORCE)" \
			>/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die()
{
	echo "dbcost: $*" >&2
	exit 1
}

# wait_for WHAT SECONDS COMMAND...: run COMMAND every 0.2 s until it
# succeeds; fails the harness after SECONDS or when the consumer died.
wait_for()
{
	local what=$1 deadline=$((SECONDS + $2))
	shift 2
	until "$@"; do
		if [ -n "$consumer_pid" ] && ! kill -0 "$consumer_pid" 2>/dev/null; then
			die "the consumer died while waiting for $what; its log: $(tail -n 20 "$log" 2>/dev/null)"
		fi
		[ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $what"
		sleep 0.2
	done
}

# One role per design; superuser (the throwaway cluster trusts everyone),
# REPLICATION for reckon's slot.
bq -d postgres <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bench_reckon', 'bench_poll', 'bench_scan'] LOOP
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN SUPERUSER REPLICATION', r);
		END IF;
	END LOOP;
END
$$;
SQL

# The workload: one play per transaction, tracks skewed as lib.sh's.
cat >"$work/load.sql" <<'PGB'
\set track 1 + int(:tracks * pow(random(0, 999999) / 1000000.0, 3))
\set uid random(1, :users)
INSERT INTO public.plays (user_id, play_item_id) VALUES (:uid, :track);
PGB

# load: pgbench on $db at $rate plays/s for the window, in the foreground.
load()
{
	"$CLUSTER_BINDIR/pgbench" -n -R "$rate" -T "$window" -c 2 -j 2 \
		-D tracks="$tracks" -D users="$users" -f "$work/load.sql" "$db" \
		>"$work/pgbench.out" 2>&1 &
	pgbench_pid=$!
	if ! wait "$pgbench_pid"; then
		pgbench_pid=
		die "pgbench failed: $(cat "$work/pgbench.out")"
	fi
	pgbench_pid=
}

stats_reset() { bq -d postgres -c "SELECT pg_stat_statements_reset()" >/dev/null; }

# stats ROLE: "ms buffers calls" of ROLE's top-level statements in $db since
# the last reset (execution + planning time; shared hit + read). The session
# setup a connection runs once (set_config) is left out.
stats()
{
	bq -d postgres -F ' ' -c "
		SELECT round(coalesce(sum(s.total_exec_time + s.total_plan_time), 0)::numeric, 3),
			coalesce(sum(s.shared_blks_hit + s.shared_blks_read), 0),
			coalesce(sum(s.calls), 0)
		FROM pg_stat_statements s
		JOIN pg_roles r ON r.oid = s.userid
		JOIN pg_database d ON d.oid = s.dbid
		WHERE r.rolname = '$1' AND d.datname = '$db' AND s.toplevel
			AND s.query NOT LIKE '%pg_catalog.set_config(%'"
}

# top ROLE OUT: ROLE's three costliest statements, "ms|calls|text", for
# the section's note on where the time goes.
top()
{
	bq -d postgres -c "
		SELECT round((s.total_exec_time + s.total_plan_time)::numeric, 0),
			s.calls,
			left(regexp_replace(s.query, '\s+', ' ', 'g'), 60)
		FROM pg_stat_statements s
		JOIN pg_roles r ON r.oid = s.userid
		JOIN pg_database d ON d.oid = s.dbid
		WHERE r.rolname = '$1' AND d.datname = '$db' AND s.toplevel
			AND s.query NOT LIKE '%pg_catalog.set_config(%'
		ORDER BY 1 DESC LIMIT 3" >"$2"
}

# streak_stats: "ms calls" of the listen streak's statement (the streak
# policy, sql/policies/streak.sql) in $db since the last reset.
streak_stats()
{
	bq -d postgres -F ' ' -c "
		SELECT round(coalesce(sum(s.total_exec_time + s.total_plan_time), 0)::numeric, 1),
			coalesce(sum(s.calls), 0)
		FROM pg_stat_statements s
		JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = '$db' AND s.toplevel
			AND s.query LIKE '%streak.sql:%'"
}

max_play() { bq -d "$db" -c "SELECT coalesce(max(id), 0) FROM public.plays"; }
new_plays() { bq -d "$db" -c "SELECT count(*) FROM public.plays WHERE id > $1"; }
ticks() { grep -c '[ "]tick [0-9]*:' "$1" || true; }
ticks_at_least() { [ "$(ticks "$1")" -ge "$2" ]; }

# check_rows: the oracle's problems with p1, p2, p3 and c rows in $db.
check_rows()
{
	bq -d "$db" -f "$ROOT/tests/integration/oracle.sql" >"$work/oracle.out"
	awk -F'|' '$2 ~ /^(p1|p2|p3|c)$/' "$work/oracle.out" >"$work/oracle.bad" || true
	if [ -s "$work/oracle.bad" ]; then
		echo "dbcost: $(wc -l <"$work/oracle.bad") wrong rows after $1, e.g.:" >&2
		head -n 5 "$work/oracle.bad" >&2
	fi
	wc -l <"$work/oracle.bad"
}

consumer_stop()
{
	[ -n "$consumer_pid" ] || return 0
	kill -TERM "$consumer_pid" 2>/dev/null || true
	wait "$consumer_pid" || die "$1 exited with an error; its log: $(tail -n 20 "$log")"
	consumer_pid=
}

reckon_caught_up()
{
	[ "$(bq -d postgres -c "SELECT confirmed_flush_lsn >= '$1'::pg_lsn
		FROM pg_replication_slots WHERE slot_name = '$slot'")" = t ]
}
reckon_streaming() { [ -n "$(bench_walsender_pid "$slot")" ]; }

# Each measure_* writes $work/DESIGN-LABEL.res:
#   plays ms buffers walsender_cpu_s idle_statements_per_min wrong_rows rows_written

measure_reckon()
{
	local label=$1 wpid before c0 c1 end ms blks calls ims iblks icalls
	log=$work/reckon-$label.log
	"$BENCH_BINDIR/reckon" --dsn "dbname=$db user=bench_reckon" --slot "$slot" \
		--create-slot --backfill=none 2>"$log" &
	consumer_pid=$!
	wait_for "reckon's walsender" 120 reckon_streaming
	sleep 1 # the lookup map is loaded and the first status sent
	wpid=$(bench_walsender_pid "$slot")
	before=$(max_play)
	stats_reset
	c0=$(bench_cpu "$wpid")
	load
	end=$(bench_lsn)
	wait_for "reckon to confirm $end" 120 reckon_caught_up "$end"
	read -r ms blks calls < <(stats bench_reckon)
	top bench_reckon "$work/reckon-$label.top"
	streak_stats >"$work/reckon-$label.streak"
	c1=$(bench_cpu "$wpid")
	stats_reset
	sleep "$window"
	read -r ims iblks icalls < <(stats bench_reckon)
	consumer_stop reckon
	echo "$(new_plays "$before") $ms $blks $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')" \
		"$(awk -v c="$icalls" -v w="$window" 'BEGIN { printf "%.1f", c * 60 / w }')" \
		"$(check_rows "reckon ($label)")" \
		"$(grep -o '[0-9]* rows written' "$log" | awk '{ s += $1 } END { print s + 0 }')" \
		>"$work/reckon-$label.res"
	bq -d postgres -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
}

measure_poll()
{
	local label=$1 before n ms blks calls ims iblks icalls
	log=$work/poll-$label.log
	"$driver" --dsn "dbname=$db user=bench_poll" --mode poll \
		--tick "$poll_tick" 2>"$log" &
	consumer_pid=$!
	wait_for "the poller's first tick" 60 grep -q '[ "]tick 1:' "$log"
	before=$(max_play)
	stats_reset
	load
	# The tick after the last commit has recomputed it.
	n=$(ticks "$log")
	wait_for "two more ticks" 60 ticks_at_least "$log" $((n + 2))
	read -r ms blks calls < <(stats bench_poll)
	top bench_poll "$work/poll-$label.top"
	stats_reset
	sleep "$window"
	read -r ims iblks icalls < <(stats bench_poll)
	consumer_stop "poller_driver --mode poll"
	echo "$(new_plays "$before") $ms $blks 0" \
		"$(awk -v c="$icalls" -v w="$window" 'BEGIN { printf "%.1f", c * 60 / w }')" \
		"$(check_rows "polling ($label)")" \
		"$(awk '/[ "]stopped after / { print $(NF - 2) }' "$log")" \
		>"$work/poll-$label.res"
}

# measure_scan: two ticks (at 0 and 30 s) while the workload runs; the
# figure is scaled from the mean tick (see the header).
measure_scan()
{
	local label=$1 before plays t ms blks calls it ims iblks icalls rows
	log=$work/scan-$label.log
	before=$(max_play)
	stats_reset
	"$driver" --dsn "dbname=$db user=bench_scan" --mode scan \
		--tick "$scan_tick" --duration $((scan_tick / 1000 + 1)) 2>"$log" &
	consumer_pid=$!
	load
	plays=$(new_plays "$before")
	# It stops by itself after its second tick.
	wait "$consumer_pid" || die "the full scan failed: $(tail -n 20 "$log")"
	consumer_pid=
	t=$(ticks "$log")
	[ "$t" -ge 1 ] || die "the full scan made no tick; its log: $(cat "$log")"
	read -r ms blks calls < <(stats bench_scan)
	top bench_scan "$work/scan-$label.top"
	rows=$(awk '/[ "]stopped after / { print $(NF - 2) }' "$log")
	# Idle: the window again, no writes; its first tick also catches up
	# with the plays the ticks above did not see yet (for the check).
	log=$work/scan-$label-idle.log
	stats_reset
	"$driver" --dsn "dbname=$db user=bench_scan" --mode scan \
		--tick "$scan_tick" --duration "$window" 2>"$log" &
	consumer_pid=$!
	wait "$consumer_pid" || die "the idle full scan failed: $(tail -n 20 "$log")"
	consumer_pid=
	it=$(ticks "$log")
	read -r ims iblks icalls < <(stats bench_scan)
	rows=$((rows + $(awk '/[ "]stopped after / { print $(NF - 2) }' "$log")))
	echo "$plays" \
		"$(awk -v m="$ms" -v t="$t" -v w="$window" -v k="$scan_tick" 'BEGIN { printf "%.3f", m / t * w * 1000 / k }')" \
		"$(awk -v m="$blks" -v t="$t" -v w="$window" -v k="$scan_tick" 'BEGIN { printf "%.0f", m / t * w * 1000 / k }')" \
		0 \
		"$(awk -v c="$icalls" -v t="$it" -v k="$scan_tick" 'BEGIN { printf "%.1f", (t > 0 ? c / t : 0) * 60000 / k }')" \
		"$(check_rows "full scan ($label)")" "$rows" \
		>"$work/scan-$label.res"
}

# make_small_tpl: the template cut down to its first small_plays plays
# (TRUNCATE and re-insert rather than DELETE: cheaper at the large size, and
# the table is compact, as one that only ever had that many plays), then
# settled again so that no design starts with rows to fix.
make_small_tpl()
{
	bq -d postgres -c "DROP DATABASE IF EXISTS $small_tpl WITH (FORCE)" \
		-c "CREATE DATABASE $small_tpl TEMPLATE $full_tpl" >/dev/null
	bq -d "$small_tpl" -v keep="$small_plays" >/dev/null <<'SQL'
BEGIN;
CREATE TEMP TABLE keep AS SELECT * FROM public.plays WHERE id <= :keep;
TRUNCATE public.plays;
INSERT INTO public.plays SELECT * FROM keep ORDER BY id;
COMMIT;
VACUUM ANALYZE;
SQL
	bench_settle "$small_tpl" >/dev/null
}

labels=(big small)
declare -A tpl_of=([big]=$full_tpl [small]=$small_tpl)
declare -A plays_of=([big]=$plays [small]=$small_plays)
bench_note "dbcost: cutting a copy of the dataset down to $small_plays plays"
make_small_tpl
for label in "${labels[@]}"; do
	for design in reckon poll scan; do
		bench_note "dbcost: $design on ${plays_of[$label]} plays ($rate plays/s for $window s)"
		BENCH_TEMPLATE=${tpl_of[$label]} bench_fresh_db "$db" >/dev/null
		"measure_$design" "$label"
	done
done
# The listen streak (e) is inactive in the catalogue, as in the designs
# above (the polling designs compute the play milestones and c only). Its
# cost: reckon again, on the full dataset, with e active (every listener's
# history settled in the template: lib.sh's bench_settle), so that each
# play dirties its listener too.
bench_note "dbcost: reckon with the listen streak on $plays plays ($rate plays/s for $window s)"
BENCH_TEMPLATE=$full_tpl bench_fresh_db "$db" >/dev/null
bq -d "$db" -c "UPDATE public.challenges SET active = true WHERE id = 'e'" >/dev/null
measure_reckon streak

# The section. field FILE N: the Nth field of a result file.
field() { awk -v i="$2" '{ print $i }' "$work/$1.res"; }
per10k() { awk -v v="$1" -v p="$2" 'BEGIN { printf "%.1f", (p > 0 ? v * 10000 / p : 0) }'; }
# total_ms DESIGN-LABEL: statements ms + walsender CPU ms, per 10k plays.
total_ms()
{
	awk '{ printf "%.1f", ($1 > 0 ? ($2 + $4 * 1000) * 10000 / $1 : 0) }' "$work/$1.res"
}
{
	echo "## 3. Database cost"
	echo
	echo "The same workload for each design: single-play transactions at"
	echo "$rate plays/s for $window s (pgbench -R, 2 clients, fsync and"
	echo "synchronous_commit on), on a fresh copy of the dataset, each design"
	echo "under its own role; database time (pg_stat_statements execution +"
	echo "planning of the design's top-level statements) and shared buffers"
	echo "(hit + read) per 10,000 plays ingested, until the window's plays are"
	echo "recomputed. reckon's total adds its walsender's CPU time (decoding is"
	echo "database work done for it). Polling ticks every 1 s; the full scan"
	echo "every 30 s, its figure being its mean tick times window / 30 s. Idle:"
	echo "statements per minute with no writes. Two sizes: the dataset's"
	echo "$plays plays, and a copy cut down to $small_plays plays."
	echo
	echo "| design | plays in table | plays ingested | db ms / 10k plays | shared buffers / 10k plays | walsender CPU s | total ms / 10k plays | statements/min idle | rows written | wrong rows (oracle) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for design in reckon poll scan; do
		case $design in
		reckon) name="reckon" ;;
		poll) name="checkpoint polling, 1 s tick" ;;
		scan) name="full scan, 30 s tick" ;;
		esac
		for label in "${labels[@]}"; do
			r=$design-$label
			p=$(field "$r" 1)
			echo "| $name | ${plays_of[$label]} | $p | $(per10k "$(field "$r" 2)" "$p")" \
				"| $(per10k "$(field "$r" 3)" "$p") | $([ "$design" = reckon ] && field "$r" 4 || echo -)" \
				"| $(total_ms "$r") | $(field "$r" 5) | $(field "$r" 7) | $(field "$r" 6) |"
		done
	done
	echo
	echo "Where the time goes ($plays plays; ms, calls, statement):"
	echo
	for design in reckon poll scan; do
		awk -F'|' -v d="$design" -v q='`' '{ printf "- %s: %s ms, %s calls: %s%s%s\n", d, $1, $2, q, $3, q }' \
			"$work/$design-big.top"
	done
	echo
	rb=$(total_ms reckon-big) rs=$(total_ms reckon-small)
	pb=$(total_ms poll-big) sb=$(total_ms scan-big)
	idle=$(field reckon-big 5)
	r_poll=$(bench_ratio "$rb" "$pb")
	r_scan=$(bench_ratio "$rb" "$sb")
	r_flat=$(awk -v a="$rb" -v b="$rs" 'BEGIN {
		if (a + 0 == 0 || b + 0 == 0) print "n/a"
		else printf "%.2f", (a > b ? a / b : b / a) }')
	echo "| target (total ms / 10k plays, $plays plays) | measured | limit | verdict |"
	echo "|---|---:|---:|---|"
	echo "| reckon / checkpoint polling at 1 s | $r_poll | 0.33 | $(bench_verdict "$r_poll" 0.3334) |"
	echo "| reckon / full scan at 30 s | $r_scan | 0.033 | $(bench_verdict "$r_scan" 0.03334) |"
	echo "| reckon statements/min idle | $idle | 0 | $(bench_verdict "$idle" 0) |"
	echo "| reckon between $small_plays and $plays plays (larger / smaller) | $r_flat | 1.2 | $(bench_verdict "$r_flat" 1.2) |"
	echo
	read -r e_ms e_calls <"$work/reckon-streak.streak"
	ep=$(field reckon-streak 1)
	echo "The listen streak (e, inactive by default), measured apart: reckon"
	echo "with e active, on the $plays plays, costs $(total_ms reckon-streak) ms"
	echo "per 10,000 plays in all against ${rb} ms without it; the streak's"
	echo "own statement $(per10k "$e_ms" "$ep") ms per 10,000 plays ($e_calls calls)."
	echo
	echo "For a user: for every 10,000 plays the database spends ${rb} ms on"
	echo "reckon against ${pb} ms on 1-second polling and ${sb} ms on"
	echo "30-second full scans, and none at all while nothing happens."
	if [ "$size" != large ]; then
		echo
		echo "(Size $size: the targets are set for the large size.)"
	fi
} >"$section"
cat "$section"
