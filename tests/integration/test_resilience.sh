#!/bin/bash
# test_resilience.sh: the stream is served while a recompute runs longer
# than wal_sender_timeout; a slot held by another process is waited for
# (bounded by slot_busy_timeout); a terminated walsender or recompute
# backend is reconnected with backoff and nothing is lost.
. "$(dirname "$0")/lib.sh"
setup_db "wal_sender_timeout = 2s"
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) values (1, 'a', true)"
q "insert into tracks(track_id, owner_id) values (1, 1)"

# 1. A recompute of 6 s against a 2 s wal_sender_timeout.
slow_sql="$CLUSTER_DIR/slow.sql"
# a rule (one-shot policy) that sleeps and returns nothing; its catalogue
# row makes the policy run it
printf -- '-- reckon: policy once\nSELECT 0::bigint AS user_id, %s::text AS specifier FROM (SELECT pg_catalog.pg_sleep(6)) s (v) WHERE v::text = $2\n' "''" >"$slow_sql"
q "insert into challenges(id, type, amount, step_count, active) values ('slow', 'boolean', 1, 1, true)" >/dev/null
conf="$CLUSTER_DIR/slow.conf"
cat "$ROOT/tools/reckon.conf" >"$conf"
printf '\n[processor slow]\nchallenge = slow\nsql = %s\ndirty = public.comments.user_id\n' "$slow_sql" >>"$conf"
q "insert into comments(comment_id, user_id) values (1, 1)"
q "insert into plays(play_item_id) select 1 from generate_series(1, 250)"
start=$(date +%s)
RECKON_LOG="$CLUSTER_DIR/slow.log" reckon_catch_up --config "$conf" || exit 1
echo "  measured: catch-up with a 6 s recompute took $(($(date +%s) - start)) s"
check_eq "the walsender never timed out during the long recompute" "0" \
	"$(grep -c 'replication timeout' "$CLUSTER_DIR/server.log")"
check_eq "and the stream was never lost" "0" "$(grep -c 'lost' "$CLUSTER_DIR/slow.log")"
check_eq "p1 completed alongside" "t" "$(q "select is_complete from user_challenges where challenge_id = 'p1'")"

# 2. A slot held by another consumer: reckon gives up after slot_busy_timeout.
"$CLUSTER_BINDIR/pg_recvlogical" -d "$PGDATABASE" -S reckon --start -f /dev/null 2>/dev/null &
holder=$!
sleep 1
bconf="$CLUSTER_DIR/busy.conf"
sed 's/^slot_busy_timeout = .*/slot_busy_timeout = 2s/' "$ROOT/tools/reckon.conf" >"$bconf"
msg=$(timeout 60 "$RECKON" --config "$bconf" 2>&1)
check_eq "a slot held past slot_busy_timeout exits 1" "1" "$?"
echo "$msg" | grep -q 'still in use by another process' && ok "the error says the slot is in use" || not_ok "busy message: $msg"
# and waits when the holder goes away in time
(sleep 2; kill $holder) &
q "insert into plays(play_item_id) values (1)"
RECKON_LOG="$CLUSTER_DIR/busy.log" reckon_catch_up && ok "reckon waited for the slot to be released, then caught up"
grep -q '55006' "$CLUSTER_DIR/busy.log" && ok "it saw SQLSTATE 55006 while waiting" || not_ok "no 55006 in the log"
wait

# 3. Connections terminated under reckon's feet.
log="$CLUSTER_DIR/kill.log"
"$RECKON" >"$log" 2>&1 &
pid=$!
# terminated once it streams: a connection lost while reckon still starts
# up (connect, catalog check, lookups) makes it exit 1 for its supervisor
# to restart, which is not what this step tests (slow under valgrind)
for _ in $(seq 1 300); do
	grep -q 'streaming from slot' "$log" && break
	sleep 0.1
done
grep -q 'streaming from slot' "$log" || not_ok "reckon streams within 30 s" "$(tail -n 5 "$log")"
for round in 1 2 3; do
	q "insert into plays(play_item_id) select 1 from generate_series(1, 100)" >/dev/null
	q "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'reckon%'" >/dev/null
	sleep 1
done
q "insert into plays(play_item_id) select 1 from generate_series(1, 700)" >/dev/null
end=$(lsn_now)
wait_confirmed "$end" 30 && ok "after three terminations reckon reconnected and caught up" || not_ok "slot at $(slot_confirmed), end $end"
kill -TERM $pid
wait $pid
check_eq "reckon exits 0" "0" "$?"
grep -q "replication connection .* lost\|server ended the replication stream\|terminating connection" "$log" && ok "the loss was logged" || not_ok "no loss logged"
check_eq "p2 completed at 1051 plays" "t|1000" "$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'p2'")"
check_oracle "resilience"
test_done
