#!/bin/bash
# run.sh: run every tests/integration/test_*.sh (or those named on the
# command line), each against its own throwaway PostgreSQL cluster, and
# print one summary line: "integration: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
failed_names=""
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	tests=(tests/integration/test_*.sh)
fi
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log="build/integration/$name.log"
	mkdir -p build/integration
	start=$(date +%s)
	# a helper the script cannot find is a broken test, not a pass
	if bash "$t" >"$log" 2>&1 && ! grep -q 'command not found' "$log"; then
		passed=$((passed + 1))
		echo "ok   $name ($(($(date +%s) - start))s)"
	else
		failed=$((failed + 1))
		failed_names="$failed_names $name"
		echo "FAIL $name ($(($(date +%s) - start))s), last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
	grep -h '^  ' "$log" | grep -E 'peak RSS|measured' | sed 's/^ */    /' || true
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
