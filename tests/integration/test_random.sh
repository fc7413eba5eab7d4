#!/bin/bash
# test_random.sh: thousands of random mixed transactions (some rolled back)
# streamed through reckon; then the same kind of workload while reckon is
# killed with SIGKILL at random moments and restarted. Both times the final
# user_challenges must equal the rules applied to the final data, and the
# slot's confirmed position must never go backward.
#
# The rest of the catalogue (cs, e, w, b, s; issue #18) is checked too:
# cs and e, inactive in the catalogue, are activated before each workload,
# and the oracle (lib.sh's check_oracle) checks them, and p's facts rows.
. "$(dirname "$0")/lib.sh"
setup_db
TXNS=${RANDOM_TXNS:-3000}
KILLS=${RANDOM_KILLS:-8}
workload()
{
	awk -v seed="$1" -v txns="$TXNS" -v users=40 -v tracks=80 \
		-f "$ROOT/tests/integration/gen_workload.awk"
}

# activate_rest: cs and e active (they are not by default) in $PGDATABASE.
activate_rest()
{
	q "update challenges set active = true where id in ('cs', 'e')" >/dev/null
}

# check_rest_rows: the rest of the catalogue wrote rows of each challenge.
check_rest_rows()
{
	check_eq "rows of cs, e, w, b and s were written ($1)" "5" \
		"$(q "select count(distinct challenge_id) from user_challenges where challenge_id in ('cs', 'e', 'w', 'b', 's')")"
}
activate_rest

# Phase 1: reckon runs while the workload commits, then catches up.
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
"$RECKON" >"$CLUSTER_DIR/reckon1.log" 2>&1 &
pid=$!
start=$(date +%s.%N)
workload 1 | psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null || not_ok "workload 1 failed"
echo "  measured: workload of $TXNS transactions took $(($(date +%s) - ${start%.*})) s"
kill -TERM $pid
wait $pid
check_eq "reckon exits 0 on SIGTERM during a workload" "0" "$?"
reckon_catch_up || exit 1
check_eq "rolled-back transactions left nothing behind" "0" \
	"$(q "select count(*) from plays where play_item_id < 0")"
check_oracle "random workload, $TXNS transactions"
check_eq "completions were earned" "t" "$(q "select count(*) > 10 from user_challenges where is_complete")"
check_rest_rows "random workload"

# Phase 2: a fresh database, reckon killed -9 repeatedly during the workload.
q "select pg_drop_replication_slot('reckon')" >/dev/null
q "create database kill9" >/dev/null
export PGDATABASE=kill9
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" >/dev/null
activate_rest
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
samples="$CLUSTER_DIR/confirmed.txt"
(
	while [ ! -f "$CLUSTER_DIR/stop-sampling" ]; do
		q "select confirmed_flush_lsn - '0/0'::pg_lsn from pg_replication_slots where slot_name = 'reckon'" >>"$samples" 2>/dev/null
		sleep 0.05
	done
) &
sampler=$!
# a short pause between transactions keeps the workload running while the
# kills happen
workload 2 | sed 's/^-- txn .*/SELECT pg_sleep(0.002);/' |
	psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null &
writer=$!
kills=0
while [ $kills -lt "$KILLS" ] || { kill -0 $writer 2>/dev/null && [ $kills -lt 30 ]; }; do
	"$RECKON" --slot reckon >>"$CLUSTER_DIR/reckon2.log" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -KILL $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
done
wait $writer || not_ok "workload 2 failed"
echo "  measured: reckon killed with SIGKILL $kills times during the workload"
reckon_catch_up || exit 1
touch "$CLUSTER_DIR/stop-sampling"
wait $sampler
check_oracle "after $kills kill -9 and restarts"
check_rest_rows "kill -9"
check_eq "no duplicate (challenge, specifier) rows" "0" \
	"$(q "select count(*) from (select 1 from user_challenges group by challenge_id, specifier having count(*) > 1) d")"
backward=$(awk 'NF { if (seen && $1 + 0 < last + 0) bad++; last = $1; seen = 1 } END { print bad + 0 }' "$samples")
check_eq "the slot's confirmed LSN never went backward ($(wc -l <"$samples") samples)" "0" "$backward"
grep -q "is active for PID\|55006" "$CLUSTER_DIR/reckon2.log" &&
	echo "  measured: a restart found the slot still held by the killed walsender and waited"
test_done
