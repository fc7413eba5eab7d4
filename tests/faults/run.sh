#!/bin/bash
# run.sh: the fault suite's runner (make faults). Runs every
# tests/faults/fault_*.sh, or those named on the command line, one after
# the other (each starts its own throwaway PostgreSQL cluster, and the
# machine is shared), with its output in build/faults/NAME.log and its
# reckon, proxy, workload and server logs in build/faults/NAME/. Then it
# sums the figures each scenario wrote to build/faults/NAME.counts and
# prints them:
#
#   scenarios   run, passed, failed
#   faults      kills (SIGKILL of reckon), restarts (of the server; "hung"
#               counts fast restarts that did not finish), cuts (drops +
#               stalls of reckon's connections; a stall ended by a drop is
#               one cut)
#   messages    wal2json messages reckon processed: per reckon process, the
#               last count of its stats line (printed every second and at
#               exit), summed; a message delivered again after a kill, a
#               restart or a reconnect counts again
#   txns        workload transactions committed
#   completions complete user_challenges rows at the end, summed: each one
#               checked by the oracle and the completion log
#   lost, duplicated   from tests/faults/counts.sql
#
# FAULTS_SCALE (default 1) multiplies the number of faults; FAULTS_SEED
# (default: drawn now, printed) makes the random choices repeatable.
set -u
cd "$(dirname "$0")/../.."
# One run at a time in this tree (see tests/faults/lib.sh): a second one
# waits for the first, up to 30 minutes.
if [ -z "${FAULTS_LOCKED:-}" ]; then
	export FAULTS_LOCKED=1
	mkdir -p build/faults
	flock -n -o build/faults/.lock true ||
		echo "faults: waiting for another run of the suite in this tree (build/faults/.lock)"
	exec flock -o -w 1800 build/faults/.lock bash "$0" "$@"
fi
export FAULTS_SCALE=${FAULTS_SCALE:-1}
export FAULTS_SEED=${FAULTS_SEED:-$((($(date +%s) * 31 + $$) % 1000000))}
export FAULTS_OUT="$PWD/build/faults"
mkdir -p "$FAULTS_OUT"
scripts=("$@")
if [ ${#scripts[@]} -eq 0 ]; then
	scripts=(tests/faults/fault_*.sh)
fi
echo "faults: FAULTS_SCALE=$FAULTS_SCALE FAULTS_SEED=$FAULTS_SEED"
suite_start=$(date +%s)
passed=0
failed=0
failed_names=""
counts_files=()
for t in "${scripts[@]}"; do
	name=$(basename "$t" .sh)
	log="$FAULTS_OUT/$name.log"
	rm -f "$FAULTS_OUT/$name.counts"
	start=$(date +%s)
	[ -f "$t" ] || echo "no such scenario: $t" >"$log"
	# a missing script, a helper the script cannot find, or a scenario
	# that wrote no figures is a failure, never a pass
	if [ -f "$t" ] && bash "$t" >"$log" 2>&1 &&
		! grep -q 'command not found' "$log" &&
		[ -s "$FAULTS_OUT/$name.counts" ]; then
		passed=$((passed + 1))
		echo "ok   $name ($(($(date +%s) - start))s)"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "FAIL $name ($(($(date +%s) - start))s), failed checks and last lines of $log:"
		{
			grep -A 12 '^not ok' "$log" | head -n 60
			echo "  ..."
			tail -n 15 "$log"
		} | sed 's/^/    /'
	fi
	grep -h '^  measured:' "$log" 2>/dev/null | sed 's/^ */    /'
	if [ -s "$FAULTS_OUT/$name.counts" ]; then
		counts_files+=("$FAULTS_OUT/$name.counts")
	else
		echo "    (no figures: $FAULTS_OUT/$name.counts was not written)"
	fi
done

# sum KEY: the sum of KEY over the scenarios' .counts files
sum()
{
	if [ ${#counts_files[@]} -eq 0 ]; then
		echo 0
		return
	fi
	awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "${counts_files[@]}"
}

echo "faults: scenarios run $((passed + failed)), passed $passed, failed $failed${failed_names:+ (}${failed_names# }${failed_names:+)}"
echo "faults: kills $(sum kills), restarts $(sum restarts) (fast $(sum restarts_fast), immediate $(sum restarts_immediate), hung $(sum restarts_hung)), cuts $(sum cuts) (drops $(sum drops), stalls $(sum stalls))"
echo "faults: messages processed $(sum messages) (summed over $(sum reckon_runs) reckon processes), workload transactions committed $(sum txns)"
echo "faults: completions checked $(sum completions), lost = $(sum lost), duplicated = $(sum duplicated), revoked = $(sum revoked)"
echo "faults: checks $(sum checks), failed $(sum failed_checks); $(($(date +%s) - suite_start)) s (replay: FAULTS_SEED=$FAULTS_SEED FAULTS_SCALE=$FAULTS_SCALE tests/faults/run.sh)"
[ "$failed" -eq 0 ]
