#!/bin/bash
# test_slot_daemon.sh: what reckon does when its slot cannot be streamed
# from, and the heartbeat. A missing slot (at start, or dropped while
# reckon runs) and an invalidated slot (at start, or invalidated while reckon
# runs) stop it with exit 1, a message naming the slot and the recovery
# steps, and the slot is never recreated behind the operator's back. A slot
# held by another consumer is retried, naming the holder, until it is
# released or slot_busy_timeout passes. With heartbeat_interval on and no
# writes at all, heartbeats come back with their latency and the slot is
# confirmed past them.
#
# One cluster with max_slot_wal_keep_size = 1MB: nothing here advances the
# WAL by a segment until the invalidation cases, which come last.
. "$(dirname "$0")/lib.sh"
setup_db "max_slot_wal_keep_size = 1MB"
q "create table public.unrelated (id bigserial primary key, v int)" >/dev/null

# conf NAME KEY=VALUE...: tools/reckon.conf with [reckon] settings replaced.
conf()
{
	local file="$CLUSTER_DIR/$1.conf" kv
	shift
	cp "$ROOT/tools/reckon.conf" "$file"
	for kv in "$@"; do
		sed -i "s/^${kv%%=*} = .*/${kv%%=*} = ${kv#*=}/" "$file"
		grep -q "^${kv%%=*} = ${kv#*=}\$" "$file" || echo "conf: no ${kv%%=*} line" >&2
	done
	echo "$file"
}

slot_field()
{
	q "select $1 from pg_replication_slots where slot_name = 'reckon'"
}

# wait_slot CONDITION [SECONDS]: until pg_replication_slots says so.
wait_slot()
{
	local deadline=$(($(date +%s) + ${2:-15}))
	while [ "$(date +%s)" -lt $deadline ]; do
		[ "$(q "select count(*) from pg_replication_slots where slot_name = 'reckon' and ($1)")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# make_lost: advance the WAL by segments and checkpoint until the slot's
# WAL is gone (max_slot_wal_keep_size = 1MB keeps no past segment for it).
make_lost()
{
	for _ in 1 2 3 4 5; do
		q "insert into unrelated(v) values (1)" >/dev/null
		q "select pg_switch_wal()" >/dev/null
		q "insert into unrelated(v) values (2)" >/dev/null
		q "select pg_switch_wal()" >/dev/null
		q "checkpoint" >/dev/null
		[ "$(slot_field wal_status)" = lost ] && return 0
	done
	return 1
}

steps='drop the slot (reckon-slot drop NAME) if it still exists, then start reckon --create-slot, which recomputes every key'

# a. No slot, no --create-slot: exit 1 naming the slot; nothing created.
log="$CLUSTER_DIR/missing.log"
timeout 30 "$RECKON" >"$log" 2>&1
check_eq "a. a missing slot at start: reckon exits 1" "1" "$?"
has "$log" "a. the error names the missing slot and --create-slot" \
	'replication slot \\"reckon\\" does not exist: start reckon with --create-slot'
check_eq "a. the slot was not created" "0" "$(q "select count(*) from pg_replication_slots")"

# b. Another consumer holds the slot.
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
# as reckon's role, as the holder reckon meets in production is its own
# killed walsender: pg_stat_activity shows another role's application only
# to pg_read_all_stats, which the role does not have
PGUSER=${RECKON_ROLE:-$PGUSER} "$CLUSTER_BINDIR/pg_recvlogical" -d "$PGDATABASE" -S reckon --start -f /dev/null 2>/dev/null &
holder=$!
wait_slot "active" || not_ok "b. pg_recvlogical did not take the slot"
walsender=$(slot_field active_pid)
log="$CLUSTER_DIR/busy.log"
timeout 30 "$RECKON" -c "$(conf busy slot_busy_timeout=2s)" >"$log" 2>&1
check_eq "b. a slot held past slot_busy_timeout: reckon exits 1" "1" "$?"
has "$log" "b. while retrying it names the holder: the walsender's pid and application" \
	'level=warn pid=[0-9]* module=daemon msg="replication slot \\"reckon\\" is in use by pid '"$walsender"' (application pg_recvlogical, client local, since .*): retrying'
check_eq "b. the holder is named once in a 2 s wait (then at most every 10 s)" "1" \
	"$(grep -c 'is in use by' "$log")"
has "$log" "b. giving up, it names the holder too" \
	'level=fatal pid=[0-9]* module=daemon msg="replication slot \\"reckon\\" still in use by another process after [0-9]* ms (slot_busy_timeout): held by pid '"$walsender"' (application pg_recvlogical'
waited=$(grep -o 'still in use by another process after [0-9]* ms' "$log" | grep -o '[0-9]*')
[ -n "$waited" ] && [ "$waited" -ge 2000 ] && [ "$waited" -lt 3000 ] &&
	ok "b. it gave up at slot_busy_timeout, not a backoff step later ($waited ms)" ||
	not_ok "b. it gave up after ${waited:-?} ms, for a 2000 ms slot_busy_timeout"

# b2. The holder goes away before slot_busy_timeout: reckon streams. The
# same reckon then serves e. and d. (heartbeat on, status updates each 1 s).
log="$CLUSTER_DIR/run.log"
"$RECKON" -c "$(conf run slot_busy_timeout=30s heartbeat_interval=1s status_interval=1s stats_interval=2s)" >"$log" 2>&1 &
pid=$!
wait_log "$log" "is in use by pid $walsender" 10 &&
	ok "b2. reckon waits for the slot, naming pg_recvlogical's walsender" ||
	not_ok "b2. no busy line" "$(tail -n 5 "$log")"
kill -TERM $holder
wait $holder 2>/dev/null
wait_log "$log" 'streaming from slot \\"reckon\\"' 15 &&
	ok "b2. once the holder stopped, reckon streams from the slot" ||
	not_ok "b2. reckon did not start streaming" "$(tail -n 10 "$log")"
has "$log" "b2. and says how long the slot was busy" 'replication slot \\"reckon\\" was released after [0-9]* ms'

# e. Heartbeats, with no writes at all.
wait_log "$log" "heartbeat: stream latency" 10 &&
	ok "e. a heartbeat came back through the slot" || not_ok "e. no heartbeat line" "$(tail -n 10 "$log")"
wait_log "$log" "stats: .*heartbeat latency [0-9.]* ms" 10 &&
	ok "e. the stats line shows the last heartbeat latency" || not_ok "e. no heartbeat in the stats line"
wait_count "$log" "heartbeat: stream latency" 3 10 &&
	ok "e. heartbeats keep coming, one a second" || not_ok "e. fewer than 3 heartbeats in 10 s"
beats=$(grep -c "heartbeat: stream latency" "$log")
worst=$(grep -o "heartbeat: stream latency [0-9.]* ms" "$log" | awk '{ if ($4 > m) m = $4 } END { print m + 0 }')
echo "  measured: $beats heartbeats, worst stream latency $worst ms"
awk -v m="$worst" 'BEGIN { exit !(m < 1000) }' && ok "e. heartbeat latency under a second" ||
	not_ok "e. heartbeat latency $worst ms"
# messages of our own, non-transactional, outside any B..C: one with the
# heartbeat prefix, one with another prefix (ignored); the slot passes both
mlsn=$(q "select pg_logical_emit_message(false, 'reckon.heartbeat', (extract(epoch from clock_timestamp()) * 1000000)::bigint::text)")
olsn=$(q "select pg_logical_emit_message(false, 'someone.else', 'not ours')")
wait_confirmed "$olsn" 10 && ok "e. confirmed_flush_lsn passes the messages ($mlsn, $olsn)" ||
	not_ok "e. the slot is at $(slot_confirmed), not past the messages at $mlsn and $olsn"
check_eq "e. other prefixes are ignored, and no recompute ran" "0" \
	"$(grep -c 'not a time\|processor \\"' "$log")"
lsn=$(lsn_now)
wait_confirmed "$lsn" 10 && ok "e. with nothing else written, the slot keeps up with the WAL end" ||
	not_ok "e. the slot is at $(slot_confirmed), the WAL end was $lsn"

# d. The slot dropped while reckon runs: its walsender is terminated while
# reckon is stopped, so the slot is free to drop before reckon reconnects.
kill -STOP $pid
q "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = 'reckon'" >/dev/null
wait_slot "not active" || not_ok "d. the walsender did not release the slot"
q "select pg_drop_replication_slot('reckon')" >/dev/null
kill -CONT $pid
wait_exit $pid 15
check_eq "d. the slot dropped under a running reckon: it exits 1" "1" "$?"
has "$log" "d. START_REPLICATION said 42704" 'START_REPLICATION on slot \\"reckon\\" failed on .*SQLSTATE 42704'
has "$log" "d. the error names the slot, its last confirmed position and the steps" \
	'level=fatal pid=[0-9]* module=daemon msg="replication slot \\"reckon\\" no longer exists (dropped while reckon was running): the changes after its last confirmed position [0-9A-F]*/[0-9A-F]* cannot be recovered from it; .*'"$steps"
check_eq "d. and it did not recreate the slot" "0" "$(q "select count(*) from pg_replication_slots")"

# d2. WAL removed under a slot the server has not invalidated (a file
# deleted by hand stands in for the race): slot_check sees nothing wrong,
# START_REPLICATION succeeds, and the walsender fails reading the WAL with
# 58P01 inside the copy stream.
q "alter system set max_slot_wal_keep_size = -1" >/dev/null
q "select pg_reload_conf()" >/dev/null
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
segment=$(q "select pg_walfile_name(restart_lsn) from pg_replication_slots where slot_name = 'reckon'")
for _ in 1 2; do
	q "insert into unrelated(v) values (3)" >/dev/null
	q "select pg_switch_wal()" >/dev/null
done
q "checkpoint" >/dev/null
rm -f "$CLUSTER_DIR/data/pg_wal/$segment"
log="$CLUSTER_DIR/removed.log"
timeout 30 "$RECKON" >"$log" 2>&1
check_eq "d2. WAL removed under the slot: reckon exits 1" "1" "$?"
has "$log" "d2. the stream ended with 58P01" \
	"the server ended the replication stream on .*SQLSTATE 58P01: requested WAL segment $segment has already been removed"
has "$log" "d2. the error says the slot was invalidated, with the steps" \
	'level=fatal pid=[0-9]* module=daemon msg="replication slot \\"reckon\\" was invalidated (.*): .*'"$steps"
check_eq "d2. it was not retried: one START_REPLICATION" "1" "$(grep -c 'streaming from slot' "$log")"
q "select pg_drop_replication_slot('reckon')" >/dev/null
q "alter system reset max_slot_wal_keep_size" >/dev/null
q "select pg_reload_conf()" >/dev/null

# c. An invalidated slot at start, with or without --create-slot.
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
make_lost && ok "c. the slot is lost after WAL switches and a checkpoint" ||
	not_ok "c. wal_status is $(slot_field wal_status)"
log="$CLUSTER_DIR/lost.log"
timeout 30 "$RECKON" >"$log" 2>&1
check_eq "c. an invalidated slot at start: reckon exits 1" "1" "$?"
has "$log" "c. the error says the slot was invalidated, with the steps" \
	'replication slot \\"reckon\\" was invalidated (.*): .*'"$steps"
timeout 30 "$RECKON" --create-slot >"$log" 2>&1
check_eq "c. --create-slot does not replace it: exit 1" "1" "$?"
check_eq "c. the lost slot is still there, not recreated" "lost" "$(slot_field wal_status)"

# c2. Invalidated while reckon runs: reckon is stopped (so it confirms
# nothing) while the WAL moves on; the checkpointer terminates its
# walsender, and the reconnect meets SQLSTATE 55000.
q "select pg_drop_replication_slot('reckon')" >/dev/null
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
log="$CLUSTER_DIR/lost_running.log"
"$RECKON" >"$log" 2>&1 &
pid=$!
wait_log "$log" 'streaming from slot \\"reckon\\"' 15 || not_ok "c2. reckon did not start streaming"
wait_slot "active" 5
kill -STOP $pid
make_lost && ok "c2. the slot is lost while reckon holds it" ||
	not_ok "c2. wal_status is $(slot_field wal_status)"
has "$CLUSTER_DIR/server.log" "c2. the checkpointer terminated reckon's walsender to invalidate the slot" \
	'terminating process [0-9]* to release replication slot "reckon"'
kill -CONT $pid
wait_exit $pid 15
check_eq "c2. the slot invalidated under a running reckon: it exits 1" "1" "$?"
has "$log" "c2. START_REPLICATION said 55000" 'START_REPLICATION on slot \\"reckon\\" failed on .*SQLSTATE 55000: cannot read from logical replication slot \\"reckon\\"'
has "$log" "c2. the error says the slot was invalidated, with the steps" \
	'level=fatal pid=[0-9]* module=daemon msg="replication slot \\"reckon\\" was invalidated (the WAL it still needed is gone, .*): .*'"$steps"
check_eq "c2. it did not recreate the slot" "lost" "$(slot_field wal_status)"
test_done
