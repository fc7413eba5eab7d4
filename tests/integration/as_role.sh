#!/bin/bash
# as_role.sh: run bin/reckon (or the binary named by RECKON_BIN, such as
# bin/reckon-slot) as the least-privilege role of sql/roles.sql, for the
# integration tests. lib.sh points $RECKON here, so every "$RECKON ..." of a
# test connects as $RECKON_ROLE while the test's own psql stays postgres
# (it loads data, creates slots and checks results as the superuser).
#
# The role's grants live in each database, and a test may create another
# database and load the schema there (test_random's kill9): before the first
# run in a database, sql/roles.sql is applied to it, as the caller's
# PGUSER (postgres), once (a marker file per database under
# $RECKON_ROLE_STATE, the cluster's directory). A flock serializes it: a
# test that SIGKILLs this script before the exec leaves an orphan psql
# behind, and a second psql running the same GRANTs concurrently would fail
# with "tuple concurrently updated".
#
# The binary replaces this shell (exec), so $! of the caller is reckon's
# own pid: signals, kill -9 and wait reach reckon itself. RECKON_ROLE empty
# runs the binary as the caller, unchanged.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${RECKON_BIN:-$root/bin/reckon}

# The daemon's HTTP endpoint is off unless a test asks for one: two reckons
# run at once in some tests, and a developer's own reckon may hold the
# default port. After "trending", so that the subcommand stays first.
args=("$@")
if [ "$(basename "$bin")" = reckon ] && [[ " $* " != *" --metrics-addr"* ]]; then
	if [ "${1:-}" = trending ]; then
		args=(trending --metrics-addr= "${@:2}")
	else
		args=(--metrics-addr= "$@")
	fi
fi

# RECKON_VALGRIND=1 (make valgrind): run it under valgrind's memcheck; an
# error, or memory definitely lost at exit, fails the run with status 99
run=("$bin")
if [ -n "${RECKON_VALGRIND:-}" ]; then
	run=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite --show-leak-kinds=definite
		--log-file="${RECKON_VALGRIND_LOG:-/dev/stderr}" "$bin")
fi
if [ -z "${RECKON_ROLE:-}" ]; then
	exec "${run[@]}" "${args[@]}"
fi
if [ -n "${RECKON_ROLE_STATE:-}" ] && [ -n "${PGDATABASE:-}" ]; then
	marker="$RECKON_ROLE_STATE/roles-applied.$PGDATABASE"
	if [ ! -e "$marker" ]; then
		exec 9>"$marker.lock"
		flock 9
		if [ ! -e "$marker" ]; then
			psql -X -q -v ON_ERROR_STOP=1 -v role="$RECKON_ROLE" \
				-f "$root/sql/roles.sql" >"$marker.log" 2>&1 || {
				echo "as_role.sh: sql/roles.sql failed in database \"$PGDATABASE\":" >&2
				cat "$marker.log" >&2
				exit 1
			}
			touch "$marker"
		fi
		exec 9>&-
	fi
fi
PGUSER=$RECKON_ROLE exec "${run[@]}" "${args[@]}"
