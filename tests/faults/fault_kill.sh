#!/bin/bash
# fault_kill.sh: reckon killed with SIGKILL 20 times (x FAULTS_SCALE) and
# restarted each time while a random workload keeps committing, at chosen
# moments rather than only at random ones:
#   random      after a random 0.2 to 3 s
#   open        while its recompute connection is inside a transaction (a
#               group's BEGIN .. COMMIT, or a one-statement recompute that is
#               running, which the server commits even after its client is
#               gone)
#   commit      right after a recompute transaction ended, before the status
#               update that would confirm it (sent every 10 s or on request)
#   completion  right after a recompute committed a completion (the
#               completion log of setup.sql grew)
# The moments are watched from one psql session (a coprocess) running a
# polling function, so the kill follows the observation by about a
# millisecond; a moment not seen within 20 s falls back to a kill at that
# time and is counted as such, not as the mode it waited for. The checks at
# the end are those of faults_finish: the oracle, no lost or duplicated
# completion, the confirmed LSN never backward.
. "$(dirname "$0")/lib.sh"
faults_setup
KILLS=$((20 * FAULTS_SCALE))

# The watcher: pg_stat_activity is read afresh each round
# (pg_stat_clear_snapshot), and only once reckon streams, so that the
# transaction that loads the lookup map at start is not taken for a
# recompute.
coproc WATCH { psql -X -At -q 2>&1; }
FAULTS_EXTRA_PIDS+=("$WATCH_PID")
cat >&"${WATCH[1]}" <<'SQL'
CREATE FUNCTION pg_temp.faults_wait(mode text, timeout_s float8) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE
	deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
	r record;
	is_open boolean;
	seen text;
	base bigint := (SELECT coalesce(max(id), 0) FROM faults.completion_log);
BEGIN
	LOOP
		PERFORM pg_stat_clear_snapshot();
		SELECT a.pid, a.state, a.xact_start,
			left(regexp_replace(a.query, '\s+', ' ', 'g'), 50) AS query
		INTO r
		FROM pg_stat_activity a
		WHERE a.application_name = 'reckon recompute'
			AND EXISTS (SELECT 1 FROM pg_stat_activity w
				WHERE w.application_name = 'reckon'
					AND w.backend_type = 'walsender');
		is_open := r.xact_start IS NOT NULL
			AND r.state IN ('active', 'idle in transaction')
			AND r.query NOT ILIKE '%pg_current_snapshot%';
		IF mode = 'open' AND is_open THEN
			RETURN format('seen: backend %s %s: %s', r.pid, r.state, r.query);
		ELSIF mode = 'commit' AND is_open THEN
			seen := r.query;
		ELSIF mode = 'commit' AND seen IS NOT NULL AND r.state = 'idle'
			AND seen NOT ILIKE 'ROLLBACK%' AND r.query NOT ILIKE 'ROLLBACK%' THEN
			RETURN format('seen: backend %s idle after: %s', r.pid, r.query);
		ELSIF mode = 'completion' THEN
			IF (SELECT max(id) FROM faults.completion_log) > base THEN
				RETURN (SELECT format('seen: %s %s', l.challenge_id, l.specifier)
					FROM faults.completion_log l ORDER BY l.id DESC LIMIT 1);
			END IF;
		END IF;
		IF clock_timestamp() > deadline THEN
			RETURN 'timeout';
		END IF;
		PERFORM pg_sleep(0.001);
	END LOOP;
END
$f$;
SQL
echo "select 'watcher ready';" >&"${WATCH[1]}"
read -t 30 -r line <&"${WATCH[0]}"
if [ "${line:-}" != "watcher ready" ]; then
	not_ok "the watcher session started" "$line"
	exit 1
fi

# The modes, in a random order: 6 random, 5 open, 5 commit and 4
# completion per 20 kills.
modes=()
for ((i = 0; i < KILLS; i++)); do
	case $((i % 20)) in
		[0-5]) modes+=(random) ;;
		[6-9] | 10) modes+=(open) ;;
		1[1-5]) modes+=(commit) ;;
		*) modes+=(completion) ;;
	esac
done
for ((i = KILLS - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	t=${modes[i]}
	modes[i]=${modes[j]}
	modes[j]=$t
done

faults_sampler_start
faults_workload_start $((FAULTS_SEED % 100000 + 1))
sleep 1
for ((k = 1; k <= KILLS; k++)); do
	mode=${modes[k - 1]}
	faults_reckon_start
	if [ "$mode" = random ]; then
		sleep "$(faults_rand 0.2 3)"
		seen="after the random delay"
	else
		# let it run a little first, so kills do not all land at start
		sleep "$(faults_rand 0 1)"
		echo "select pg_temp.faults_wait('$mode', 20);" >&"${WATCH[1]}"
		if ! read -t 40 -r seen <&"${WATCH[0]}"; then
			seen="no answer"
		fi
		case $seen in
			"seen: "* | timeout) ;;
			*)
				# an error, not an observation: the kills would no
				# longer be what they claim
				not_ok "the watcher answered" "$seen"
				exit 1
				;;
		esac
	fi
	kill -KILL "$RECKON_PID" 2>/dev/null
	wait "$RECKON_PID"
	rc=$?
	# 137: killed by our SIGKILL; anything else is reckon's own exit
	if [ $rc -eq 137 ]; then
		faults_count kills
		if [ "$seen" = timeout ]; then
			faults_count kills_fallback
			faults_log "kill $k ($mode, not seen within 20 s: killed anyway)"
		else
			faults_count "kills_$mode"
			faults_log "kill $k ($mode): $seen"
		fi
	else
		not_ok "reckon was still running before kill $k" "it exited with status $rc; last lines of $RECKON_LOG_FILE:
$(tail -n 15 "$RECKON_LOG_FILE")"
		faults_count reckon_died
	fi
done
echo '\q' >&"${WATCH[1]}"
check_eq "reckon was killed $KILLS times" "$KILLS" "${FAULTS_COUNT[kills]:-0}"
echo "  measured: kills random ${FAULTS_COUNT[kills_random]:-0}, open transaction ${FAULTS_COUNT[kills_open]:-0}, after a commit ${FAULTS_COUNT[kills_commit]:-0}, after a completion ${FAULTS_COUNT[kills_completion]:-0}, moment not seen ${FAULTS_COUNT[kills_fallback]:-0}"
# the last one runs until the end and must catch up
faults_reckon_start
faults_finish "after ${FAULTS_COUNT[kills]:-0} kill -9 and restarts"
faults_done
