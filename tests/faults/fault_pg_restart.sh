#!/bin/bash
# fault_pg_restart.sh: the PostgreSQL server restarted under reckon 8 times
# (x FAULTS_SCALE), half with pg_ctl restart -m fast (a clean shutdown:
# sessions terminated, a shutdown checkpoint) and half with -m immediate (a
# crash: recovery from the WAL at start), in a random order, 2 to 5 s
# apart, while the workload commits and reckon streams and recomputes.
# One reckon process lives through all of it: after each restart it must
# stream again by itself (reconnect_min/reconnect_max backoff), within
# 60 s. The workload driver resumes after the last transaction that
# committed (lib.sh), so the final data is the script's whatever the
# moment of each restart, and faults_finish checks the oracle, no lost or
# duplicated completion, and the confirmed position (which a crash may
# rewind on the server's side: see faults_check_monotonic).
#
# A fast restart must finish within 30 s (it takes 1 or 2 s here, a
# shutdown checkpoint included). When it does not, that is a failed check, and the scenario
# stops reckon with SIGTERM so that the shutdown can end, starts the
# server again and a new reckon, and goes on with the remaining restarts.
. "$(dirname "$0")/lib.sh"
faults_setup
RESTARTS=$((8 * FAULTS_SCALE))

pg_ctl_as_owner()
{
	cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" "$@"
}

# wait_streaming SECONDS: until reckon's walsender streams; prints the
# time it took
wait_streaming()
{
	local start deadline
	start=$(date +%s.%N)
	deadline=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $deadline ]; do
		if [ "$(q "select count(*) from pg_stat_replication where application_name = 'reckon' and state in ('streaming', 'catchup')" 2>/dev/null)" = 1 ]; then
			awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", e - s }'
			return 0
		fi
		sleep 0.1
	done
	return 1
}

modes=()
for ((i = 0; i < RESTARTS; i++)); do
	if [ $((i % 2)) -eq 0 ]; then modes+=(fast); else modes+=(immediate); fi
done
for ((i = RESTARTS - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	t=${modes[i]}
	modes[i]=${modes[j]}
	modes[j]=$t
done

faults_sampler_start
faults_workload_start $((FAULTS_SEED % 100000 + 2))
faults_reckon_start
wait_streaming 60 >/dev/null || not_ok "reckon streams at start"
slowest=0
for ((r = 1; r <= RESTARTS; r++)); do
	mode=${modes[r - 1]}
	sleep "$(faults_rand 2 5)"
	faults_reckon_alive "before restart $r"
	start=$(date +%s)
	if pg_ctl_as_owner -w -t 30 -m "$mode" -l "$CLUSTER_DIR/server.log" restart >/dev/null 2>&1; then
		faults_count restarts
		faults_count "restarts_$mode"
		ok "pg_ctl restart -m $mode $r completed ($(($(date +%s) - start)) s)"
	else
		# what is left of the server: the postmaster and its children
		pm=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid" 2>/dev/null)
		not_ok "pg_ctl restart -m $mode $r completed within 30 s" "$(ps -o pid,pcpu,etime,args -p "${pm:-0}" --ppid "${pm:-0}")
$(tail -n 3 "$RECKON_LOG_FILE")"
		faults_count restarts
		faults_count "restarts_$mode"
		faults_count restarts_hung
		# Stopping reckon is what lets the shutdown end: that it does is
		# part of the diagnosis (the log says so).
		kill -TERM "$RECKON_PID"
		wait "$RECKON_PID"
		faults_log "restart $r (-m $mode) hung; reckon stopped with SIGTERM (exit $?)"
		for _ in $(seq 1 100); do
			pg_ctl_as_owner status >/dev/null 2>&1 || break
			sleep 0.1
		done
		if pg_ctl_as_owner status >/dev/null 2>&1; then
			faults_log "the shutdown still hangs without reckon: stopping -m immediate"
			pg_ctl_as_owner -w -m immediate stop >/dev/null 2>&1
		else
			faults_log "the shutdown completed once reckon was gone"
		fi
		pg_ctl_as_owner -w -l "$CLUSTER_DIR/server.log" start >/dev/null || exit 1
		faults_reckon_start
	fi
	if took=$(wait_streaming 60); then
		faults_log "reckon streams again ${took} s after the server was back"
		slowest=$(awk -v a="$slowest" -v b="$took" 'BEGIN { print (b > a ? b : a) }')
	else
		not_ok "reckon streams again within 60 s of restart $r (-m $mode)" "$(tail -n 10 "$RECKON_LOG_FILE")"
	fi
	faults_reckon_alive "after restart $r"
done
check_eq "the server was restarted $RESTARTS times" "$RESTARTS" "${FAULTS_COUNT[restarts]:-0}"
echo "  measured: restarts -m fast ${FAULTS_COUNT[restarts_fast]:-0}, -m immediate ${FAULTS_COUNT[restarts_immediate]:-0}, hung ${FAULTS_COUNT[restarts_hung]:-0}; slowest return to streaming ${slowest} s"
faults_finish "after $RESTARTS server restarts"
faults_done
