#!/usr/bin/env bash
# backfill.sh [small|large]: scenario 6 of the benchmark, the backfill
# rate. Works alone (starts its own cluster through lib.sh) or under
# tools/bench/run.sh; writes the markdown section "## 6. Backfill" to
# $(bench_section backfill) and prints it. A benchmark, not a test: it sets
# no target, and only a harness failure exits non-zero.
#
# What is measured, on a copy of the bench dataset, with the default
# configuration (every group, batch_size 1000):
#   bootstrap  reckon --create-slot (--backfill=all): the slot created with
#              an exported snapshot, every key of every group recomputed
#              from it, then --endpos reached. Time from the backfill's
#              first log line to "backfill done".
#   manual     reckon backfill on that slot afterwards (every row already
#              right: nothing is written), each batch from its own
#              snapshot.
# Users per second = users in the dataset / seconds; keys per second (a
# key is one user of one group, so about groups x users) as reckon logs it.
set -euo pipefail

size=${1:-small}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/lib.sh"

owns_cluster=false
[ -n "${BENCH_TEMPLATE:-}" ] || owns_cluster=true
bench_init "$size"

db=backfill
slot=bench_backfill
section=$(bench_section backfill)
work=$(mktemp -d /tmp/reckon-backfill.XXXXXX)
chmod 755 "$work"

cleanup()
{
	rm -rf "$work"
	if $owns_cluster; then
		cluster_stop
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_fresh_db "$db"
nusers=$(bq -d "$db" -c "SELECT count(*) FROM users")

# seconds LOG: the backfill's duration, from its "done" line
seconds() { sed -n 's/.*backfill done: [0-9]* keys in \([0-9.]*\) s.*/\1/p' "$1"; }
keys() { sed -n 's/.*backfill done: \([0-9]*\) keys in.*/\1/p' "$1"; }

bench_note "backfill: bootstrap of $nusers users"
"$ROOT/bin/reckon" --dsn "dbname=$db" --slot "$slot" --create-slot \
	--metrics-addr= --endpos "$(bench_lsn)" 2>"$work/bootstrap.log" ||
	{
		tail -n 20 "$work/bootstrap.log" >&2
		exit 1
	}
bench_note "backfill: reckon backfill beside the slot"
"$ROOT/bin/reckon" backfill --dsn "dbname=$db" --slot "$slot" \
	2>"$work/manual.log" || {
	tail -n 20 "$work/manual.log" >&2
	exit 1
}
completed=$(bq -d "$db" -c "SELECT count(*) FROM user_challenges WHERE is_complete")
groups=$(bq -d "$db" -c "SELECT count(*) FROM reckon.backfill_runs WHERE kind = 'bootstrap'")

{
	echo "## 6. Backfill"
	echo
	echo "\`tools/bench/backfill.sh $size\`: every key of every group ($groups groups," \
		"batch_size 1000) recomputed on a copy of the dataset ($nusers users);"
	echo "$completed completed rows afterwards."
	echo
	echo "| run | keys | seconds | keys/s | users/s |"
	echo "|---|---:|---:|---:|---:|"
	for run in bootstrap manual; do
		s=$(seconds "$work/$run.log")
		k=$(keys "$work/$run.log")
		echo "| $run | $k | $s | $(awk -v k="$k" -v s="$s" 'BEGIN { printf "%.0f", k / s }')" \
			"| $(awk -v u="$nusers" -v s="$s" 'BEGIN { printf "%.0f", u / s }') |"
	done
	echo
	echo "bootstrap: reckon --create-slot, reading from the slot's exported"
	echo "snapshot and writing every row; manual: reckon backfill afterwards,"
	echo "every batch from its own snapshot, with nothing left to write."
} >"$section"
cat "$section"
