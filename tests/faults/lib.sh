# lib.sh: helpers shared by the fault scenarios (tests/faults/fault_*.sh).
# Source it from a scenario; it sources tests/integration/lib.sh (ok,
# not_ok, check_eq, q, setup_db, check_oracle, wait_confirmed, test_done,
# ...), which it uses as it is.
#
# A scenario calls faults_setup, starts the workload driver and the sampler
# of the slot's confirmed position, runs reckon while it injects its faults,
# and ends with faults_finish, which stops the workload, lets reckon catch
# up, and checks the oracle, the exactly-once counts and the sampled
# positions. Every scenario draws its randomness from FAULTS_SEED (printed
# first), so a failing run can be replayed with the same seed; the timing
# of the faults still depends on the machine.
#
# Environment: FAULTS_SCALE (positive integer, multiplies the number of
# faults), FAULTS_SEED, FAULTS_OUT (where logs and the .counts file go,
# build/faults by default), FAULTS_RECKON (the reckon binary to test,
# bin/reckon by default).

# One run of the suite at a time in a working tree: every run writes
# build/faults/NAME/ and NAME.counts, and two of them at once would mix
# their logs and samples (and share two cores). A scenario started by
# itself takes the lock that run.sh takes for a whole run (FAULTS_LOCKED
# says it is held): flock -o holds it in the flock process, so no server
# or reckon started here inherits it and keeps it past the end.
if [ -z "${FAULTS_LOCKED:-}" ]; then
	export FAULTS_LOCKED=1
	mkdir -p "$(dirname "${BASH_SOURCE[0]}")/../../build/faults"
	_lock="$(dirname "${BASH_SOURCE[0]}")/../../build/faults/.lock"
	flock -n -o "$_lock" true ||
		echo "# waiting for another run of the fault suite in this tree ($_lock)" >&2
	exec flock -o -w 1800 "$_lock" bash "$0" "$@"
fi

. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

FAULTS_NAME=$(basename "$0" .sh)
FAULTS_OUT=${FAULTS_OUT:-$ROOT/build/faults}
FAULTS_SCALE=${FAULTS_SCALE:-1}
FAULTS_SEED=${FAULTS_SEED:-$((($(date +%s) * 31 + $$) % 1000000))}
case "$FAULTS_SCALE" in
	'' | *[!0-9]* | 0)
		echo "FAULTS_SCALE must be a positive integer, not \"$FAULTS_SCALE\"" >&2
		exit 2
		;;
esac
# this scenario's own stream of random numbers: same seed, same choices
RANDOM=$((FAULTS_SEED + $(printf '%s' "$FAULTS_NAME" | cksum | cut -d' ' -f1) % 1000))
# Logs outlive the cluster (its directory is removed at exit) so that a
# failure can be read afterwards.
FAULTS_LOGS="$FAULTS_OUT/$FAULTS_NAME"
FAULTS_COUNTS="$FAULTS_OUT/$FAULTS_NAME.counts"
rm -rf "$FAULTS_LOGS" "$FAULTS_COUNTS"
mkdir -p "$FAULTS_LOGS"
echo "# $FAULTS_NAME: FAULTS_SEED=$FAULTS_SEED FAULTS_SCALE=$FAULTS_SCALE (replay: FAULTS_SEED=$FAULTS_SEED tests/faults/run.sh tests/faults/$FAULTS_NAME.sh)"

# Workload: 40 users and 80 tracks, as test_random, so thresholds keep being
# crossed. Transactions are fed in chunks of FAULTS_CHUNK with a pause
# after each, which keeps the rate (and the data the oracle reads at the
# end) bounded while the faults play out.
FAULTS_CHUNK=25
FAULTS_PAUSE=${FAULTS_PAUSE:-0.002}
FAULTS_TXNS=$((60000 * FAULTS_SCALE))

RECKON_PID=
RECKON_RUNS=0
RECKON_ENV=()
WORKLOAD_PID=
SAMPLER_PID=
FAULTS_EXTRA_PIDS=()
declare -A FAULTS_COUNT=()

# faults_count KEY [N]: add N (1) to a figure of this scenario.
faults_count()
{
	FAULTS_COUNT[$1]=$((${FAULTS_COUNT[$1]:-0} + ${2:-1}))
}

faults_log()
{
	echo "# $(date -u +%H:%M:%S.%N | cut -c1-12) $*"
}

# faults_rand LOW HIGH: a decimal number of seconds in [LOW, HIGH), 3 places.
faults_rand()
{
	awk -v lo="$1" -v hi="$2" -v r="$RANDOM" -v s="$RANDOM" \
		'BEGIN { printf "%.3f\n", lo + (hi - lo) * (r * 32768 + s) / 1073741824 }'
}

# The processes this scenario started, stopped by their pids on any exit,
# then the cluster (cluster_stop, from cluster.sh); the server log is kept.
faults_cleanup()
{
	local pid
	for pid in $RECKON_PID $WORKLOAD_PID $SAMPLER_PID "${FAULTS_EXTRA_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "${CLUSTER_DIR:-}" ] && [ -f "$CLUSTER_DIR/server.log" ]; then
		cp "$CLUSTER_DIR/server.log" "$FAULTS_LOGS/server.log"
	fi
	cluster_stop
}

# faults_setup [postgresql.conf lines...]: a throwaway cluster with the
# schema, the suite's additions (setup.sql), the slot, and reckon's
# configuration: the built-in one (tools/reckon.conf, which bin/reckon
# embeds) with two intervals shortened to 1 s:
#   stats_interval   so that even a reckon killed soon after its start
#                    leaves a count of the messages it processed;
#   status_interval  (10 s by default) so that the confirmed position moves
#                    between two faults a few seconds apart: with 10 s a
#                    reckon killed every 1 to 3 s would almost never confirm
#                    anything, and the checks on the confirmed position
#                    would have nothing to check.
faults_setup()
{
	setup_db "$@"
	trap faults_cleanup EXIT
	psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/tests/faults/setup.sql" >/dev/null || exit 1
	q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null || exit 1
	# A copy of the binary: bin/reckon may be rebuilt while the scenario
	# runs (make in another shell), and a half-written binary is not a
	# reckon failure. It runs through $RECKON (tests/integration/lib.sh:
	# as_role.sh, which connects as the least-privilege role), which
	# executes RECKON_BIN. FAULTS_RECKON names another binary to test (an
	# older build, to show a fault the current one fixes).
	FAULTS_BIN="$CLUSTER_DIR/reckon"
	cp "${FAULTS_RECKON:-$ROOT/bin/reckon}" "$FAULTS_BIN" || exit 1
	faults_log "reckon binary: ${FAULTS_RECKON:-$ROOT/bin/reckon} ($(cksum <"$FAULTS_BIN" | cut -d' ' -f1))"
	FAULTS_CONF="$CLUSTER_DIR/reckon.conf"
	sed -e 's/^stats_interval = .*/stats_interval = 1s/' \
		-e 's/^status_interval = .*/status_interval = 1s/' \
		"$ROOT/tools/reckon.conf" >"$FAULTS_CONF"
	if [ "$(grep -c '^stat[a-z]*_interval = 1s$' "$FAULTS_CONF")" -ne 2 ]; then
		echo "tools/reckon.conf lacks a stats_interval or status_interval line" >&2
		exit 1
	fi
}

# faults_reckon_start [ENV=VALUE...]: start reckon in the background with
# its own log file (build/faults/NAME/reckon.N.log); RECKON_PID is its pid.
faults_reckon_start()
{
	RECKON_RUNS=$((RECKON_RUNS + 1))
	RECKON_LOG_FILE="$FAULTS_LOGS/reckon.$RECKON_RUNS.log"
	env RECKON_BIN="$FAULTS_BIN" "$@" "$RECKON" --config "$FAULTS_CONF" -v >"$RECKON_LOG_FILE" 2>&1 &
	RECKON_PID=$!
}

# faults_reckon_alive WHAT: a check that reckon is still running; when it
# is not, its exit status and last lines are printed, and a new one is
# started so that the rest of the scenario still runs (the check has
# failed: reckon must survive every fault by itself).
faults_reckon_alive()
{
	local rc
	if kill -0 "$RECKON_PID" 2>/dev/null; then
		return 0
	fi
	wait "$RECKON_PID"
	rc=$?
	not_ok "reckon is still running $1" "it exited with status $rc; last lines of $RECKON_LOG_FILE:
$(tail -n 15 "$RECKON_LOG_FILE")"
	faults_count reckon_died
	faults_reckon_start "${RECKON_ENV[@]}"
	return 1
}

# faults_workload_start SEED: the workload of gen_workload.awk for SEED,
# FAULTS_TXNS transactions, each marked in faults.progress (setup.sql),
# split into chunk files, fed by a background driver until
# faults_workload_stop. A chunk that fails (the server went away) is not
# replayed blindly: the driver asks faults.progress which transaction
# committed last and resumes with the next one, so every transaction is
# applied at most once and, if the driver gets that far, exactly once.
faults_workload_start()
{
	local wl="$CLUSTER_DIR/workload"
	mkdir -p "$wl"
	awk -v seed="$1" -v txns="$FAULTS_TXNS" -v users=40 -v tracks=80 \
		-f "$ROOT/tests/integration/gen_workload.awk" |
		awk -v dir="$wl" -v chunk="$FAULTS_CHUNK" -v pause="$FAULTS_PAUSE" '
			/^-- txn / {
				n = $3 + 0
				f = sprintf("%s/%06d.sql", dir, int(n / chunk))
				if (f != out) {
					if (out != "") close(out)
					out = f
				}
			}
			$0 == "COMMIT;" {
				print "INSERT INTO faults.progress (txn) VALUES (" n ");" > out
			}
			{ print > out }
			$0 == "COMMIT;" || $0 == "ROLLBACK;" {
				print "SELECT pg_catalog.pg_sleep(" pause ");" > out
			}'
	faults_log "workload: seed $1, $FAULTS_TXNS transactions in $(ls "$wl" | wc -l) chunks"
	rm -f "$CLUSTER_DIR/workload.stop" "$CLUSTER_DIR/workload.result"
	faults_workload_driver "$wl" >"$FAULTS_LOGS/workload.log" 2>&1 &
	WORKLOAD_PID=$!
}

faults_workload_driver()
{
	local wl=$1 next=0 n file failures=0 stuck=0 status=stopped deadline
	while [ ! -f "$CLUSTER_DIR/workload.stop" ]; do
		file=$(printf '%s/%06d.sql' "$wl" $((next / FAULTS_CHUNK)))
		if [ ! -f "$file" ]; then
			status=exhausted
			break
		fi
		if awk -v from="$next" '/^-- txn /{ n = $3 + 0 } n >= from' "$file" |
			psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null; then
			next=$(((next / FAULTS_CHUNK + 1) * FAULTS_CHUNK))
			stuck=0
			continue
		fi
		failures=$((failures + 1))
		# Resume after the last committed transaction, once the server
		# answers again (within 5 minutes); a chunk that keeps failing
		# with the server up is a broken workload, not a fault: give up
		# after 300 attempts (a minute).
		deadline=$(($(date +%s) + 300))
		until n=$(psql -X -At -c "select coalesce(max(txn), -1) + 1 from faults.progress" 2>/dev/null); do
			if [ -f "$CLUSTER_DIR/workload.stop" ] || [ "$(date +%s)" -ge $deadline ]; then
				status=server_gone
				break 2
			fi
			sleep 0.2
		done
		echo "$(date -u +%T.%N | cut -c1-12) chunk failed at or after txn $next, resuming at txn $n"
		if [ "$n" -eq "$next" ]; then
			stuck=$((stuck + 1))
			if [ $stuck -ge 300 ]; then
				status=stuck
				break
			fi
			sleep 0.2
		else
			stuck=0
		fi
		next=$n
	done
	echo "status=$status next=$next failures=$failures" >"$CLUSTER_DIR/workload.result"
}

# faults_workload_stop: stop the driver between two chunks and check that
# it was still running (not out of transactions, not stuck) until then.
faults_workload_stop()
{
	local result committed
	touch "$CLUSTER_DIR/workload.stop"
	wait "$WORKLOAD_PID"
	WORKLOAD_PID=
	result=$(cat "$CLUSTER_DIR/workload.result" 2>/dev/null)
	committed=$(q "select count(*) from faults.progress")
	faults_count txns "$committed"
	faults_count workload_retries "$(echo "$result" | sed -n 's/.*failures=\([0-9]*\).*/\1/p')"
	faults_log "workload: $result, $committed transactions committed"
	case "$result" in
		status=stopped*) ok "the workload committed throughout the faults ($committed transactions)" ;;
		*) not_ok "the workload did not run to the end of the faults" "$result
$(tail -n 5 "$FAULTS_LOGS/workload.log")" ;;
	esac
}

# The sampler: the slot's confirmed position every 50 ms (psql \watch,
# restarted every 2 s and whenever the server goes away), with the server's
# start time, so that faults_check_monotonic can tell a server restart.
faults_sampler_start()
{
	FAULTS_SAMPLES="$FAULTS_LOGS/confirmed.txt"
	: >"$FAULTS_SAMPLES"
	rm -f "$CLUSTER_DIR/sampler.stop"
	(
		while [ ! -f "$CLUSTER_DIR/sampler.stop" ]; do
			printf '%s\n' "select extract(epoch from pg_postmaster_start_time()), confirmed_flush_lsn - '0/0'::pg_lsn from pg_replication_slots where slot_name = 'reckon'" '\watch 0.05' |
				timeout 2 psql -X -At >>"$FAULTS_SAMPLES" 2>/dev/null
			sleep 0.05
		done
	) &
	SAMPLER_PID=$!
}

faults_sampler_stop()
{
	touch "$CLUSTER_DIR/sampler.stop"
	wait "$SAMPLER_PID"
	SAMPLER_PID=
	q "select extract(epoch from pg_postmaster_start_time()), confirmed_flush_lsn - '0/0'::pg_lsn from pg_replication_slots where slot_name = 'reckon'" >>"$FAULTS_SAMPLES"
}

# faults_check_monotonic: the sampled confirmed position never went back
# within one server lifetime (samples carry the server's start time).
# Across a server restart it may: PostgreSQL 15 writes a logical slot to
# disk only when its restart_lsn or catalog_xmin moved (a confirmed_flush
# update alone does not mark it dirty, not even for the shutdown
# checkpoint; PostgreSQL 17 changed that), so a restarted server comes back
# with an older confirmed_flush_lsn than it last showed, and a reckon
# started after that restart begins from there. Those are counted as
# "server rewinds", not failures; that a reckon process living through a
# restart never reports less than before is faults_check_sent_monotonic's
# check.
faults_check_monotonic()
{
	local out bad samples rewinds
	out=$(awk -F'|' '
		NF == 2 && $2 != "" {
			n++
			e = $1; v = $2 + 0
			if (e != epoch) {
				if (n > 1 && v < max) rewinds++
				epoch = e; max = v; next
			}
			if (v >= max) { max = v; next }
			bad++
			if (bad <= 5) printf "sample %d: %d after %d\n", n, v, max
		}
		END { printf "samples=%d bad=%d rewinds=%d\n", n, bad + 0, rewinds + 0 }
	' "$FAULTS_SAMPLES")
	samples=$(echo "$out" | sed -n 's/^samples=\([0-9]*\).*/\1/p')
	bad=$(echo "$out" | sed -n 's/.* bad=\([0-9]*\).*/\1/p')
	rewinds=$(echo "$out" | sed -n 's/.* rewinds=\([0-9]*\).*/\1/p')
	faults_count server_rewinds "$rewinds"
	if [ "$samples" -ge 100 ] && [ "$bad" -eq 0 ]; then
		ok "the slot's confirmed LSN never went backward ($samples samples; $rewinds server rewinds at restarts)"
	else
		not_ok "the slot's confirmed LSN never went backward" "$out"
	fi
}

# faults_check_sent_monotonic: within each reckon process, the flush
# positions it sent (its -v "status update" lines) never went back; this
# holds across the server restarts and cuts a single process lives
# through, whatever the server keeps. Between two processes it need not
# (a killed reckon's last status update may never be read).
faults_check_sent_monotonic()
{
	local out
	out=$(awk '
		function hex(s,    i, c, v) {
			v = 0
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
				v = v * 16 + c
			}
			return v
		}
		FNR == 1 { max = -1 }
		/[ "]status update: write / {
			# the last word, without the closing quote of msg="..."
			lsn = $NF
			sub(/"$/, "", lsn)
			split(lsn, p, "/")
			v = hex(p[1]) * 4294967296 + hex(p[2])
			sent++
			if (v < max) {
				bad++
				if (bad <= 5) printf "%s: flush %s after a higher one\n", FILENAME, lsn
			}
			if (v > max) max = v
		}
		END { printf "sent=%d bad=%d\n", sent, bad + 0 }
	' "$FAULTS_LOGS"/reckon.*.log)
	if printf '%s\n' "$out" | grep -q '^sent=[1-9][0-9]* bad=0$'; then
		ok "each reckon process sent flush positions that never went back ($(printf '%s\n' "$out" | tail -n 1))"
	else
		not_ok "each reckon process sent flush positions that never went back" "$out"
	fi
}

# faults_messages: the messages reckon processed, summed over every reckon
# process of this scenario: the last "messages N" of each one's stats lines
# (every second and at exit). A message delivered again after a kill or a
# reconnect counts again; the last second of a killed reckon is not counted.
faults_messages()
{
	local f total=0 n
	for f in "$FAULTS_LOGS"/reckon.*.log; do
		[ -f "$f" ] || continue
		n=$(sed -n 's/.*[ "]stats: .* messages \([0-9][0-9]*\) .*/\1/p' "$f" | tail -n 1)
		total=$((total + ${n:-0}))
	done
	echo "$total"
}

# faults_finish WHAT: the end of every scenario. The workload stops; the
# running reckon (RECKON_PID) must catch up with everything committed and
# stop cleanly on SIGTERM; then the oracle, the exactly-once counts, the
# sampled positions and the logs are checked, and the figures written.
faults_finish()
{
	local end rc counts key value
	faults_workload_stop
	end=$(lsn_now)
	if wait_confirmed "$end" 180; then
		ok "reckon caught up with the final data ($end)"
	else
		not_ok "reckon caught up with the final data" "slot confirmed at $(slot_confirmed), WAL end $end; last lines of $RECKON_LOG_FILE:
$(tail -n 15 "$RECKON_LOG_FILE")"
	fi
	faults_reckon_alive "at the end"
	kill -TERM "$RECKON_PID"
	wait "$RECKON_PID"
	rc=$?
	RECKON_PID=
	check_eq "reckon exits 0 on SIGTERM at the end" 0 "$rc"
	faults_sampler_stop
	faults_check_monotonic
	faults_check_sent_monotonic
	check_oracle "$1"
	counts=$(FAULTS_ORACLE="$ROOT/tests/integration/oracle.sql" \
		psql -X -At -v ON_ERROR_STOP=1 -f "$ROOT/tests/faults/counts.sql" 2>&1)
	if ! printf '%s\n' "$counts" | grep -q '^oracle_problems=[0-9]*$'; then
		not_ok "counts.sql ran" "$counts"
	fi
	for key in lost duplicated revoked unlogged completions; do
		value=$(printf '%s\n' "$counts" | sed -n "s/^$key=\([0-9]*\)$/\1/p")
		faults_count "$key" "${value:-0}"
		if [ "$key" = completions ]; then
			if [ "${value:-0}" -gt 0 ]; then
				ok "completions were earned ($value complete rows)"
			else
				not_ok "completions were earned" "$counts"
			fi
		else
			check_eq "$key completions: 0" 0 "${value:-unknown}"
		fi
	done
	# reckon's ASSERT logs the failed expression before it aborts
	if grep -l 'ASSERT\|assertion\|Assertion' "$FAULTS_LOGS"/reckon.*.log >/dev/null 2>&1; then
		not_ok "no reckon assertion failed" "$(grep -h 'ASSERT\|assertion\|Assertion' "$FAULTS_LOGS"/reckon.*.log | head -n 5)"
	else
		ok "no reckon assertion failed ($RECKON_RUNS reckon processes)"
	fi
	faults_self_check
	faults_count messages "$(faults_messages)"
	faults_count reckon_runs "$RECKON_RUNS"
	faults_write_counts
}

# faults_done: the scenario's last line. Writes its figures again, with
# the checks made after faults_finish, then test_done decides the exit
# status.
faults_done()
{
	faults_write_counts
	test_done
}

# faults_self_check: the counts must see a planted fault, or a zero from
# them would prove nothing. Once the real checks are done (the database is
# thrown away next), one completion the rules still require is deleted and
# one completion is logged a second time; counts.sql must then report
# exactly one lost, one duplicated and one revoked.
faults_self_check()
{
	local planted counts
	planted=$(psql -X -At -v ON_ERROR_STOP=1 2>&1 <<'SQL'
WITH victim AS (
	-- a c row whose ISO week still has a live, visible comment
	SELECT uc.challenge_id, uc.specifier
	FROM public.user_challenges uc
	JOIN public.comments cm ON uc.specifier = to_hex(cm.user_id) || ':'
		|| lpad(extract(isoyear FROM cm.created_at AT TIME ZONE 'UTC')::int::text, 4, '0')
		|| lpad(extract(week FROM cm.created_at AT TIME ZONE 'UTC')::int::text, 2, '0')
	WHERE uc.challenge_id = 'c' AND NOT cm.is_delete AND cm.is_visible
	LIMIT 1
),
gone AS (
	DELETE FROM public.user_challenges uc USING victim v
	WHERE uc.challenge_id = v.challenge_id AND uc.specifier = v.specifier
	RETURNING uc.specifier
),
twice AS (
	INSERT INTO faults.completion_log (event, challenge_id, specifier, user_id, step)
	SELECT l.event, l.challenge_id, l.specifier, l.user_id, l.step
	FROM faults.completion_log l
	WHERE l.event = 'complete' AND l.challenge_id <> 'c'
	ORDER BY l.id LIMIT 1
	RETURNING specifier
)
SELECT (SELECT count(*) FROM gone) || ' ' || (SELECT count(*) FROM twice);
SQL
)
	if [ "$planted" != "1 1" ]; then
		not_ok "self-check: a loss and a duplicate were planted" "$planted"
		return
	fi
	counts=$(FAULTS_ORACLE="$ROOT/tests/integration/oracle.sql" \
		psql -X -At -v ON_ERROR_STOP=1 -f "$ROOT/tests/faults/counts.sql" 2>&1)
	if printf '%s\n' "$counts" | grep -qx 'lost=1' &&
		printf '%s\n' "$counts" | grep -qx 'duplicated=1' &&
		printf '%s\n' "$counts" | grep -qx 'revoked=1'; then
		ok "self-check: counts.sql finds a planted loss and a planted duplicate"
	else
		not_ok "self-check: counts.sql finds a planted loss and a planted duplicate" "$counts"
	fi
}

# faults_write_counts: this scenario's figures for run.sh, as key=value
# lines in build/faults/NAME.counts, with the checks made so far.
faults_write_counts()
{
	local key
	{
		echo "scenario=$FAULTS_NAME"
		echo "seed=$FAULTS_SEED"
		echo "checks=$TEST_CHECKS"
		echo "failed_checks=$TEST_FAILURES"
		for key in "${!FAULTS_COUNT[@]}"; do
			echo "$key=${FAULTS_COUNT[$key]}"
		done
	} >"$FAULTS_COUNTS"
}
