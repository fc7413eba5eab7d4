#!/usr/bin/env bash
# run.sh [small|large]: the benchmark harness behind `make bench`. Starts one
# throwaway cluster (tools/bench/lib.sh: fsync on, pg_stat_statements), loads
# the dataset of the size once, runs the end-to-end scenarios against copies
# of it, stops it, then runs the scenarios that bring their own data (the
# trending job, the decoder), and writes every section, in order, to
# tools/bench/results-SIZE.md (also printed). A benchmark, not a test: a
# missed target is reported as MISS and the exit status stays 0; only a
# harness failure exits non-zero.
set -euo pipefail

size=${1:-small}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/lib.sh"
bench_sizes "$size" || exit 2
started=$(date +%s)
result=$ROOT/tools/bench/results-$size.md
export BENCH_OUT
BENCH_OUT=$(mktemp -d /tmp/reckon-bench.XXXXXX)
chmod 755 "$BENCH_OUT"
# removed however the harness ends; bench_init's cluster_start replaces
# this trap with one that also stops the cluster, hence the second below
trap 'rm -rf "$BENCH_OUT"' EXIT

make -s -C "$ROOT" bin/reckon bench-drivers >&2
bench_init "$size"
trap 'cluster_stop; rm -rf "$BENCH_OUT"' EXIT
export BENCH_TEMPLATE PGHOST PGPORT PGUSER

# capture FILE: a wal2json stream of the benchmark's kind of workload
# (plays in 1,000-row transactions, single-row comments, track and user
# updates), as reckon receives it, for the decoder scenario.
capture()
{
	local end opts=()
	bench_fresh_db capture
	bq -d capture -c "SELECT pg_create_logical_replication_slot('bench_capture', 'wal2json')" >/dev/null
	for i in $(seq 1 20); do
		echo "INSERT INTO plays (user_id, play_item_id) SELECT 1 + g % 1000, $i + g FROM generate_series(1, 1000) g;"
	done | bq -d capture
	for i in $(seq 1 1000); do
		echo "INSERT INTO comments (comment_id, user_id, entity_id) VALUES (-$i, $i, $i);"
	done | bq -d capture
	bq -d capture -c "UPDATE tracks SET genre = 'Pop' WHERE track_id <= 500" \
		-c "UPDATE users SET bio = 'bio' WHERE user_id <= 500"
	end=$(bench_lsn)
	while IFS= read -r o; do opts+=(-o "$o"); done < <("$ROOT/bin/reckon" --plugin-options)
	cluster_as_owner "$CLUSTER_BINDIR/pg_recvlogical" -h "$PGHOST" -p "$PGPORT" \
		-U postgres -d capture --slot bench_capture --start --endpos "$end" \
		--no-loop "${opts[@]}" -f - >"$1"
}

for scenario in ingest latency dbcost memory backfill; do
	bench_note "scenario $scenario"
	"$ROOT/tools/bench/$scenario.sh" "$size" >/dev/null
done
bench_note "capturing a stream for the decoder scenario"
capture "$BENCH_OUT/capture.jsonl"
cluster_stop

bench_note "scenario trending"
"$ROOT/tools/bench/trending.sh" "$size" >/dev/null
bench_note "scenario decoder"
"$ROOT/tools/bench/decoder.sh" "$BENCH_OUT/capture.jsonl" >"$BENCH_OUT/decoder.md"

{
	echo "# reckon benchmark ($size)"
	echo
	echo "- command: \`make bench size=$size\` (tools/bench/run.sh $size)"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores," \
		"$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)," \
		"$(. /etc/os-release && echo "$PRETTY_NAME"), PostgreSQL 15, shared with other work"
	echo "- dataset: $users users (3% verified artists), $tracks tracks, $plays plays" \
		"(Zipf-like per track), $((plays / 20)) comments"
	echo "- every ratio is measured in this run, on the same data"
	for scenario in ingest latency dbcost memory; do
		echo
		cat "$BENCH_OUT/$scenario.md"
	done
	echo
	echo "## 5. Trending"
	echo
	sed -e '1d' -e 's/^#/##/' "$ROOT/tools/bench/trending-$size.md"
	echo
	cat "$BENCH_OUT/decoder.md"
	echo
	cat "$BENCH_OUT/backfill.md"
	echo
	echo "Total harness runtime: $(($(date +%s) - started)) s."
} >"$result"
cat "$result"
