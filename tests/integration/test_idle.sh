#!/bin/bash
# test_idle.sh: with reckon running and only an unrelated table busy, the
# slot's confirmed_flush_lsn keeps up with the server's WAL end (an idle or
# filtered database retains no WAL for the slot), and no recompute runs.
. "$(dirname "$0")/lib.sh"
setup_db
q "create table public.unrelated (id bigserial primary key, v int)"
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
log="$CLUSTER_DIR/reckon.log"
"$RECKON" >"$log" 2>&1 &
pid=$!
sleep 1
for i in $(seq 1 20); do
	psql -X -q -c "insert into unrelated(v) select g from generate_series(1, 100) g" &
	psql -X -q -c "insert into unrelated(v) values ($i)"
	wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
done
wait_confirmed "$(lsn_now)" 15 && ok "confirmed_flush_lsn reaches the WAL end of the unrelated load" ||
	not_ok "the slot is at $(slot_confirmed) after the unrelated load"
# Idle: nothing at all happens; a keepalive still moves the slot to the end.
q "select pg_switch_wal()" >/dev/null
q "checkpoint" >/dev/null
wait_confirmed "$(lsn_now)" 40 && ok "an idle database: confirmed_flush_lsn follows the WAL end" ||
	not_ok "idle: the slot is at $(slot_confirmed)"
echo "  measured: retained WAL $(q "select pg_current_wal_lsn() - restart_lsn from pg_replication_slots") bytes, lag $(q "select pg_current_wal_lsn() - confirmed_flush_lsn from pg_replication_slots") bytes"
kill -TERM $pid
wait $pid
check_eq "reckon exits 0" "0" "$?"
check_eq "no recompute ran: nothing reckon watches changed" "0" "$(grep -c 'processor \\"' "$log")"
check_eq "no user_challenges row was written" "0" "$(q "select count(*) from user_challenges")"
test_done
