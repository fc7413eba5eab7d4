#!/bin/bash
# fault_netcut.sh: the network between reckon and the server cut 16 times
# (x FAULTS_SCALE) while the workload commits. reckon reaches the server
# only through build/faults/proxy (tests/faults/proxy.c), both its
# replication and its SQL connection (PGHOST=127.0.0.1, PGPORT=the proxy's
# port; reckon connects like psql when no --dsn is given); the workload and
# the checks talk to the server directly. The server runs with
# wal_sender_timeout = 5s, so that a stall can outlast it. The cuts, in a
# random order, 1 to 3 s apart:
#   drop        every connection reset (RST) at once, 5 per 16
#   stall       nothing forwarded for 0.5 to 3 s, then forwarding again;
#               the connections survive, 5 per 16
#   long stall  nothing forwarded for 7 to 9 s, longer than
#               wal_sender_timeout: the server ends the replication
#               connection (the log says "replication timeout") while
#               reckon hears nothing; reckon learns of it only when the
#               stall ends, 3 per 16
#   stall+drop  a 2 to 4 s stall ended by a reset, as a partition that a
#               middlebox then forgets, 2 per 16
#   silence     a stall that does not end by itself: reckon (its
#               replication_timeout set to 4 s here) must notice the silence
#               and drop the connection on its own within 15 s; then
#               forwarding resumes, 1 per 16
# Before each cut reckon must be streaming again (within 60 s): it
# reconnects by itself (reconnect_min/reconnect_max backoff). The checks at
# the end are those of faults_finish.
. "$(dirname "$0")/lib.sh"
faults_setup "wal_sender_timeout = 5s"
# reckon's own silence timeout (60 s by default), short enough for a cut
sed -i 's/^replication_timeout = .*/replication_timeout = 4s/' "$FAULTS_CONF"
grep -q '^replication_timeout = 4s$' "$FAULTS_CONF" || {
	echo "tools/reckon.conf lacks a replication_timeout line" >&2
	exit 1
}
CUTS=$((16 * FAULTS_SCALE))
PROXY="$ROOT/build/faults/proxy"
if [ ! -x "$PROXY" ]; then
	echo "$PROXY is missing: make build/faults/proxy" >&2
	exit 1
fi

CTL="$CLUSTER_DIR/proxy.ctl"
mkfifo "$CTL"
"$PROXY" 0 "$CLUSTER_PORT" "$CTL" >"$CLUSTER_DIR/proxy.port" 2>"$FAULTS_LOGS/proxy.log" &
PROXY_PID=$!
FAULTS_EXTRA_PIDS+=("$PROXY_PID")
for _ in $(seq 1 50); do
	[ -s "$CLUSTER_DIR/proxy.port" ] && break
	sleep 0.1
done
PROXY_PORT=$(cat "$CLUSTER_DIR/proxy.port")
if [ -z "$PROXY_PORT" ]; then
	not_ok "the proxy started" "$(cat "$FAULTS_LOGS/proxy.log")"
	exit 1
fi
# proxy_say COMMAND: one line to the proxy's FIFO. A dead proxy would leave
# the FIFO without a reader and the write blocked forever, hence the check
# and the timeout.
proxy_say()
{
	if ! kill -0 "$PROXY_PID" 2>/dev/null ||
		! timeout 5 sh -c 'echo "$1" >"$2"' sh "$1" "$CTL"; then
		not_ok "the proxy is running (to say \"$1\")" "$(tail -n 5 "$FAULTS_LOGS/proxy.log")"
		exit 1
	fi
}

# wait_streaming SECONDS: until reckon's walsender streams, through the
# proxy (its client is 127.0.0.1, not the socket the workload uses)
wait_streaming()
{
	local deadline=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $deadline ]; do
		if [ "$(q "select count(*) from pg_stat_replication where application_name = 'reckon' and client_addr = '127.0.0.1' and state in ('streaming', 'catchup')")" = 1 ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

replication_timeouts()
{
	grep -c 'terminating walsender process due to replication timeout' "$CLUSTER_DIR/server.log"
}

kinds=()
for ((i = 0; i < CUTS; i++)); do
	case $((i % 16)) in
		[0-4]) kinds+=(drop) ;;
		[5-9]) kinds+=(stall) ;;
		1[0-2]) kinds+=(long_stall) ;;
		1[3-4]) kinds+=(stall_drop) ;;
		*) kinds+=(silence) ;;
	esac
done
for ((i = CUTS - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	t=${kinds[i]}
	kinds[i]=${kinds[j]}
	kinds[j]=$t
done

RECKON_ENV=(PGHOST=127.0.0.1 PGPORT="$PROXY_PORT")
faults_sampler_start
faults_workload_start $((FAULTS_SEED % 100000 + 3))
faults_reckon_start "${RECKON_ENV[@]}"
long_seen=0
for ((c = 1; c <= CUTS; c++)); do
	kind=${kinds[c - 1]}
	if ! wait_streaming 60; then
		not_ok "reckon streams through the proxy before cut $c" "$(tail -n 10 "$RECKON_LOG_FILE")"
	fi
	sleep "$(faults_rand 1 3)"
	faults_reckon_alive "before cut $c"
	case $kind in
		drop)
			proxy_say drop
			faults_count drops
			faults_log "cut $c: drop"
			;;
		stall)
			d=$(faults_rand 0.5 3)
			proxy_say "stall $d"
			sleep "$d"
			faults_count stalls
			faults_log "cut $c: stall $d s"
			;;
		long_stall)
			d=$(faults_rand 7 9)
			before=$(replication_timeouts)
			proxy_say "stall $d"
			sleep "$d"
			faults_count stalls
			faults_count long_stalls
			if [ "$(replication_timeouts)" -gt "$before" ]; then
				long_seen=$((long_seen + 1))
			fi
			faults_log "cut $c: stall $d s (past wal_sender_timeout; replication timeouts logged by the server: $before -> $(replication_timeouts))"
			;;
		silence)
			before=$(grep -c 'in [0-9]* ms (replication_timeout)' "$RECKON_LOG_FILE")
			proxy_say "stall 600"
			start=$(date +%s)
			while [ "$(grep -c 'in [0-9]* ms (replication_timeout)' "$RECKON_LOG_FILE")" -le "$before" ] &&
				[ $(($(date +%s) - start)) -lt 15 ]; do
				sleep 0.2
			done
			if [ "$(grep -c 'in [0-9]* ms (replication_timeout)' "$RECKON_LOG_FILE")" -gt "$before" ]; then
				ok "cut $c: reckon noticed a silent connection by itself ($(($(date +%s) - start)) s)"
			else
				not_ok "cut $c: reckon noticed a silent connection by itself within 15 s" \
					"$(tail -n 5 "$RECKON_LOG_FILE")"
			fi
			proxy_say pass
			faults_count stalls
			faults_count silences
			faults_log "cut $c: silence, noticed by reckon"
			;;
		stall_drop)
			d=$(faults_rand 2 4)
			proxy_say "stall 60"
			sleep "$d"
			proxy_say drop
			proxy_say pass
			faults_count stalls
			faults_count drops
			faults_log "cut $c: stall $d s, then drop"
			;;
	esac
	faults_count cuts
done
proxy_say pass
if wait_streaming 60; then
	ok "reckon streams through the proxy after the last cut"
else
	not_ok "reckon streams through the proxy after the last cut" "$(tail -n 10 "$RECKON_LOG_FILE")"
fi
check_eq "the network was cut $CUTS times" "$CUTS" "${FAULTS_COUNT[cuts]:-0}"
# A long stall that the server did not time out would test nothing of
# what it claims to.
check_eq "every long stall outlasted wal_sender_timeout (server log)" \
	"${FAULTS_COUNT[long_stalls]:-0}" "$long_seen"
echo "  measured: drops ${FAULTS_COUNT[drops]:-0}, stalls ${FAULTS_COUNT[stalls]:-0} (past wal_sender_timeout ${FAULTS_COUNT[long_stalls]:-0}), $(grep -c 'drop:' "$FAULTS_LOGS/proxy.log") drop commands reset $(sed -n 's/.*drop: \([0-9]*\) connections reset/\1/p' "$FAULTS_LOGS/proxy.log" | awk '{ s += $1 } END { print s + 0 }') connections"
faults_finish "after $CUTS network cuts"
proxy_say quit
wait "$PROXY_PID"
check_eq "the proxy exits 0" 0 "$?"
faults_done
