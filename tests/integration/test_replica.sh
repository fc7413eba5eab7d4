#!/bin/bash
# test_replica.sh: recompute reads on a hot standby (--read-dsn), fenced by
# its replay position, against a real streaming standby made with
# pg_basebackup -R (tests/integration/cluster.sh's cluster_standby).
#   a. With replay running, a workload's challenges are computed from the
#      standby (reads there, writes on the primary): the oracle holds, the
#      lookups loaded there, no batch fell back.
#   b. Replay paused (pg_wal_replay_pause()): a play that crosses the first
#      milestone does not complete from the standby's stale data, and its
#      commit is not acknowledged; once replay resumes it completes, still
#      without a fallback.
#   c. Replay paused past read_fence_timeout: the batch reads on the
#      primary instead, which is logged and counted in /metrics, the
#      milestone completes; later batches fall back without waiting again,
#      and once replay resumes reads go back to the standby.
#   d. A read server that is not a standby (the primary itself) is refused
#      with a message, and every batch reads on the primary.
. "$(dirname "$0")/lib.sh"
setup_db_with_standby
W=$CLUSTER_DIR
sq() { psql -X -At -v ON_ERROR_STOP=1 -p "$STANDBY_PORT" -c "$1"; }
# config TIMEOUT: the built-in catalogue with read_fence_timeout = TIMEOUT
config()
{
	sed "s/^read_fence_timeout = .*/read_fence_timeout = $1/" \
		"$ROOT/tools/reckon.conf" >"$W/reckon-$1.conf"
	grep -q "^read_fence_timeout = $1\$" "$W/reckon-$1.conf" ||
		not_ok "tools/reckon.conf sets read_fence_timeout"
	echo "$W/reckon-$1.conf"
}
replayed_to() { [ "$(sq "select pg_last_wal_replay_lsn() >= '$1'::pg_lsn")" = t ]; }
wait_replayed()
{
	local deadline=$(($(date +%s) + 30))
	while [ "$(date +%s)" -lt $deadline ]; do
		replayed_to "$1" && return 0
		sleep 0.1
	done
	return 1
}
pause()
{
	sq "select pg_wal_replay_pause()" >/dev/null
	for _ in $(seq 1 100); do
		[ "$(sq "select pg_get_wal_replay_pause_state()")" = paused ] && return 0
		sleep 0.1
	done
	return 1
}
resume() { sq "select pg_wal_replay_resume()" >/dev/null; }
p1() { q "select current_step_count || ':' || is_complete from user_challenges where challenge_id = 'p1' and user_id = $1"; }
# artist ID: a verified artist with one track and 249 plays, one short of p1
artist()
{
	q "insert into users(user_id, handle, is_verified) values ($1, 'a$1', true);
	   insert into tracks(track_id, owner_id) values ($1, $1);
	   insert into plays(play_item_id) select $1 from generate_series(1, 249)" >/dev/null
}
wait_p1() # ID WANT SECONDS
{
	local deadline=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt $deadline ]; do
		[ "$(p1 "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	[ "$(p1 "$1")" = "$2" ]
}
stop_reckon()
{
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" 30
}

check_eq "the standby is in recovery" "t" "$(sq "select pg_is_in_recovery()")"

# --- a. a workload read on the standby
awk -v seed=11 -v txns=1500 -v users=300 -v tracks=600 \
	-f "$ROOT/tests/integration/gen_workload.awk" >"$W/workload.sql"
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -f "$W/workload.sql" >/dev/null || not_ok "the workload loads"
log=$W/a.log
RECKON_LOG=$log reckon_catch_up -c "$(config 30s)" --read-dsn="$READ_DSN" -v &&
	ok "a. reckon catches up with its reads on the standby"
check_oracle "a. reads on the standby"
has "$log" "a. it says where it reads" 'read server: \\".*port='
has "$log" "a. it connects to the standby" "read server connected"
has "$log" "a. the lookups load on the standby" 'entries from public.tracks on the read server'
check_eq "a. no batch read on the primary" "0" "$(grep -c 'read on the primary' "$log")"
check_eq "a. every processor has a read statement" "0" "$(grep -c 'has no read statement' "$log")"

# --- b. replay paused: the fence waits, nothing stale completes
log=$W/b.log
artist 9000001
end=$(lsn_now)
"$RECKON" -c "$(config 60s)" --read-dsn="$READ_DSN" >"$log" 2>&1 &
pid=$!
wait_p1 9000001 "249:false" 30 && ok "b. an artist one play short of p1 has its row" ||
	not_ok "b. an artist one play short of p1 has its row" "$(p1 9000001); $(tail -n 20 "$log")"
wait_confirmed "$end" 30 || not_ok "b. caught up before the pause"
pause && ok "b. replay is paused on the standby" || not_ok "b. replay is paused on the standby"
q "insert into plays(play_item_id) values (9000001)" >/dev/null
play=$(lsn_now)
sleep 3
check_eq "b. with replay paused the milestone does not complete from stale data" \
	"249:false" "$(p1 9000001)"
lsn_ge "$(slot_confirmed)" "$play" &&
	not_ok "b. the play's commit is not acknowledged while its batch waits" ||
	ok "b. the play's commit is not acknowledged while its batch waits"
resume
wait_p1 9000001 "250:true" 15 && ok "b. after resume the milestone completes" ||
	not_ok "b. after resume the milestone completes" "$(p1 9000001); $(tail -n 20 "$log")"
has "$log" "b. its completion is logged" 'completed challenge \\"p1\\" specifier \\"895441:250\\" user 9000001'
wait_confirmed "$play" 15 && ok "b. and then acknowledged" || not_ok "b. and then acknowledged"
check_eq "b. no batch read on the primary" "0" "$(grep -c 'read on the primary' "$log")"
stop_reckon
check_eq "b. reckon stops cleanly" "0" "$?"
has "$log" "b. its last stats line counts the reads on the standby, none on the primary" \
	'stats: .*reads on the standby [1-9][0-9]* on the primary 0"$'

# --- c. replay paused past the bound: the fallback to the primary
log=$W/c.log
port=$(cluster_free_port)
artist 9000002
artist 9000003
end=$(lsn_now)
wait_replayed "$end" || not_ok "c. the standby replays the setup"
"$RECKON" -c "$(config 1s)" --read-dsn="$READ_DSN" --metrics-addr="127.0.0.1:$port" \
	>"$log" 2>&1 &
pid=$!
wait_p1 9000003 "249:false" 30 || not_ok "c. the artists have their rows" "$(tail -n 20 "$log")"
pause || not_ok "c. replay is paused on the standby"
q "insert into plays(play_item_id) values (9000002)" >/dev/null
wait_p1 9000002 "250:true" 20 && ok "c. past read_fence_timeout the milestone completes from the primary" ||
	not_ok "c. past read_fence_timeout the milestone completes from the primary" "$(p1 9000002); $(tail -n 20 "$log")"
has "$log" "c. the fallback is logged, with the positions and the wait" \
	'read on the primary: the read server has replayed [0-9A-F/]*, the changes end at [0-9A-F/]* (waited 1000 ms) (fallback 1)'
q "insert into plays(play_item_id) values (9000003)" >/dev/null
wait_p1 9000003 "250:true" 20 && ok "c. while it stays behind, the next batch falls back too" ||
	not_ok "c. while it stays behind, the next batch falls back too" "$(tail -n 20 "$log")"
# the endpoint serves a snapshot the daemon publishes every few hundred ms
scrape=$W/metrics
for _ in $(seq 1 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
		printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && timeout 10 cat <&3) >"$scrape" 2>/dev/null
	fallbacks=$(awk '$1 == "reckon_read_fallbacks_total" { print $2 }' "$scrape" | tr -d '\r')
	[ "${fallbacks:-0}" -ge 2 ] && break
	sleep 0.1
done
check_eq "c. /metrics counts both fallbacks" "2" "$fallbacks"
resume
artist 9000004
q "insert into plays(play_item_id) values (9000004)" >/dev/null
wait_p1 9000004 "250:true" 20 && ok "c. after resume a new milestone completes" ||
	not_ok "c. after resume a new milestone completes" "$(tail -n 20 "$log")"
has "$log" "c. reads go back to the standby, and it says so" 'the read server has caught up'
stop_reckon
check_eq "c. reckon stops cleanly" "0" "$?"
has "$log" "c. its last stats line counts the two fallbacks" \
	'stats: .*reads on the standby [1-9][0-9]* on the primary 2"$'
check_oracle "c. after the fallbacks"

# --- d. a read server that is not a standby
log=$W/d.log
artist 9000005
q "insert into plays(play_item_id) values (9000005)" >/dev/null
RECKON_LOG=$log reckon_catch_up -c "$(config 1s)" \
	--read-dsn="host=$CLUSTER_DIR port=$CLUSTER_PORT dbname=$PGDATABASE" &&
	ok "d. reckon catches up with the primary named as the read server"
has "$log" "d. it says the read server is not a standby" 'is not in recovery (not a hot standby, or promoted)'
check_eq "d. the milestone completes, read on the primary" "250:true" "$(p1 9000005)"
check_oracle "d. read on the primary"

test_done
