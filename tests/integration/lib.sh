# lib.sh: helpers shared by the integration tests. Source it from a test;
# it sources cluster.sh. Each check prints "ok - ..." or "not ok - ..." and
# the test ends with test_done, which fails the script if any check failed.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/integration/cluster.sh"
# Tests run reckon as the least-privilege role of sql/roles.sql, through
# as_role.sh, as production should; psql in the tests stays postgres (the
# superuser loads data, creates slots, checks results). A test that needs
# reckon as the superuser sets RECKON_ROLE= (empty) before calling it, and
# says why; RECKON_ROLE= in the environment runs the whole suite so (but
# test_security, which needs the role).
RECKON="$ROOT/tests/integration/as_role.sh"
export RECKON_ROLE=${RECKON_ROLE-reckon}
TEST_FAILURES=0
TEST_CHECKS=0

ok()
{
	TEST_CHECKS=$((TEST_CHECKS + 1))
	echo "ok - $1"
}

# not_ok DESCRIPTION [DETAIL]: DETAIL is printed indented below
not_ok()
{
	TEST_CHECKS=$((TEST_CHECKS + 1))
	TEST_FAILURES=$((TEST_FAILURES + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

# sql: run stdin in one psql session: unaligned, tuples only, '|' between
# columns, stop at the first error. A test that needs a prepared session
# redefines it after sourcing this file.
sql()
{
	psql -X -q -At -F'|' -v ON_ERROR_STOP=1 -f - 2>&1
}

# expect NAME WANT: run stdin through sql() and compare its output with WANT,
# both sorted (statements return rows in no particular order). A setup step
# is an expect with WANT "": it must print nothing and not fail.
expect()
{
	local name=$1 want=$2 got rc
	got=$(sql)
	rc=$?
	got=$(printf '%s\n' "$got" | sed '/^$/d' | LC_ALL=C sort)
	want=$(printf '%s\n' "$want" | sed '/^$/d' | LC_ALL=C sort)
	if [ $rc -eq 0 ] && [ "$got" == "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "psql exit $rc
got:
$got
want:
$want"
	fi
}

# Table-driven statement tests (test_sql_catalogue, test_sql_caps,
# test_sql_purchases, test_sql_streak): a case is a name, the rows its
# script must print, and the script (data changes, then the statements'
# EXECUTEs). After the case its EXECUTE lines run again and must write
# nothing at all. Set by the test, before its first case:
#   PREP           a file of PREPAREs, run first in every session
#   NOOP_COUNTER   a table (n bigint) that a trigger on each target table
#                  increments per row written
#   NOOP_TABLES    the target tables in schema public (default:
#                  user_challenges)
#   NOOP_RERUN     an ERE: the script lines run again (default: the
#                  EXECUTE lines; a test whose EXECUTEs read psql variables
#                  adds the \gset lines that set them)
# prepared_sql: stdin in one session with $PREP run first; unaligned,
# tuples only, '|' between columns; stops at the first error. Every session
# ends by flushing its statistics (pg_stat_force_next_flush(): the backend
# flushes them when it next goes idle, before it answers ReadyForQuery, so
# they are visible once psql has its result).
prepared_sql()
{
	local flush=$CLUSTER_DIR/flush_stats.sql
	[ -f "$flush" ] ||
		printf '%s\n' '\o /dev/null' 'SELECT pg_stat_force_next_flush();' >"$flush"
	psql -X -q -At -F'|' -v ON_ERROR_STOP=1 -f "$PREP" -f - -f "$flush" 2>&1
}

# noop NAME SCRIPT [RERUN]: SCRIPT's rerun lines (or the script RERUN),
# run again, write nothing to the target tables: no trigger fires, their
# n_tup_ins/n_tup_upd do not move, and no row's xmin or xmax changes (not
# even a row lock).
noop()
{
	local name=$1 execs tables=${NOOP_TABLES:-user_challenges} rows="" t
	execs=${3:-$(printf '%s\n' "$2" | grep -E "${NOOP_RERUN:-^EXECUTE }")}
	[ -n "$execs" ] || return 0
	for t in $tables; do
		rows="$rows${rows:+ UNION ALL }SELECT '$t ' || x::text AS k, x.xmin::text AS x_min, x.xmax::text AS x_max FROM public.$t x"
	done
	expect "$name: run again, writes nothing" "" <<SQL
SELECT n AS w0 FROM $NOOP_COUNTER \gset
CREATE TEMP TABLE stat0 AS SELECT relid, n_tup_ins, n_tup_upd
	FROM pg_stat_user_tables
	WHERE schemaname = 'public'
		AND relname = ANY (string_to_array('$tables', ' '));
CREATE TEMP TABLE rows0 AS $rows;
$execs
\o /dev/null
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
\o
SELECT 'triggers fired ' || (n - :w0) || ' times' FROM $NOOP_COUNTER
	WHERE n <> :w0;
SELECT format('%s: n_tup_ins %s -> %s, n_tup_upd %s -> %s',
	s.relid::regclass, s0.n_tup_ins, s.n_tup_ins, s0.n_tup_upd, s.n_tup_upd)
FROM pg_stat_user_tables s JOIN stat0 s0 USING (relid)
WHERE (s.n_tup_ins, s.n_tup_upd) <> (s0.n_tup_ins, s0.n_tup_upd);
SELECT 'row written or locked: ' || k
FROM ($rows EXCEPT SELECT * FROM rows0) changed (k, x_min, x_max);
SQL
}

# case_ NAME WANT SCRIPT: expect SCRIPT to print WANT, then noop.
case_()
{
	expect "$1" "$2" <<<"$3"
	noop "$1" "$3"
}

# rule_statement NAME [FORM]: the statement reckon composes from the rule
# sql/rules/NAME.sql and the write policy it names, in FORM (primary, the
# default; read, on a standby; apply, the write of a read), exactly as the
# daemon prepares it (bin/reckon --print-sql).
rule_statement()
{
	local conf rc
	conf=$(mktemp /tmp/reckon-rule.XXXXXX)
	printf '[processor x]\nsql = %s\ndirty = public.users.user_id\n' "$1" >"$conf"
	"$ROOT/bin/reckon" --config "$conf" --print-sql="x:${2:-primary}"
	rc=$?
	rm -f "$conf"
	return $rc
}

# statement_text NAME: sql/NAME.sql, or the primary statement of the rule
# sql/rules/NAME.sql
statement_text()
{
	if [ -e "$ROOT/sql/$1.sql" ]; then
		cat "$ROOT/sql/$1.sql"
	else
		rule_statement "$1"
	fi
}

# check_single_statement NAME...: each statement_text NAME is ONE
# statement, as PQprepare and PQexecParams need: once comments are gone, no
# ';' remains but one at the very end. (A psql PREPARE cannot tell: psql
# would split the file and run the rest on its own.)
check_single_statement()
{
	local s semis
	for s in "$@"; do
		semis=$(statement_text "$s" | sed -e 's/--.*$//' | tr -d '\n' |
			sed -e 's/[[:space:]]*$//' -e 's/;$//' | tr -cd ';' | wc -c)
		if [ "$semis" -eq 0 ]; then
			ok "$s is a single statement"
		else
			not_ok "$s is a single statement" "$semis inner ';'"
		fi
	done
}

# prepare_statements NAME...: a psql script that PREPAREs each
# statement_text NAME under its name with the parameter types
# src/recompute.c uses, after the session's prelude table that
# play_milestone reads (as reckon creates it at connect; left empty, the
# statement sums N itself).
prepare_statements()
{
	local s
	cat "$ROOT/sql/play_counts_setup.sql"
	printf '\n;\n'
	for s in "$@"; do
		printf 'PREPARE %s (bigint[], text, bigint) AS\n' "$s"
		statement_text "$s"
		printf '\n;\n'
	done
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: expected [$2], got [$3]"
	fi
}

test_done()
{
	echo "$TEST_CHECKS checks, $TEST_FAILURES failed"
	[ "$TEST_CHECKS" -gt 0 ] && [ "$TEST_FAILURES" -eq 0 ]
}

q()
{
	psql -X -At -v ON_ERROR_STOP=1 -c "$1"
}

# setup_db: start a cluster, load the schema and reckon's state tables
# (sql/state.sql), and create reckon's role (sql/roles.sql, as the
# operator would) when reckon runs as one. The
# marker tells as_role.sh that this database has the role's grants.
setup_db()
{
	cluster_start "$@" || exit 1
	psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" >/dev/null || exit 1
	psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/state.sql" >/dev/null || exit 1
	export RECKON_ROLE_STATE=$CLUSTER_DIR
	if [ -n "$RECKON_ROLE" ]; then
		psql -X -q -v ON_ERROR_STOP=1 -v role="$RECKON_ROLE" \
			-f "$ROOT/sql/roles.sql" >/dev/null || exit 1
		touch "$CLUSTER_DIR/roles-applied.$PGDATABASE"
	fi
}

# setup_db_with_standby: setup_db, then a streaming standby of the cluster
# (cluster_standby, pg_basebackup -R); READ_DSN names it for --read-dsn.
# A standby that does not start fails the test.
setup_db_with_standby()
{
	setup_db "$@"
	cluster_standby || {
		not_ok "a standby starts (pg_basebackup -R)"
		test_done
		exit 1
	}
	READ_DSN="host=$CLUSTER_DIR port=$STANDBY_PORT dbname=$PGDATABASE"
}

lsn_now()
{
	q "select pg_current_wal_lsn()"
}

# reckon_catch_up [ARGS...]: run reckon until everything written so far is
# recomputed and acknowledged; fails the check if it does not exit 0.
reckon_catch_up()
{
	local end log rc
	end=$(lsn_now)
	log=$(mktemp)
	timeout 300 "$RECKON" --endpos "$end" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "reckon --endpos $end exited $rc"
		tail -n 40 "$log"
	elif ! lsn_ge "$(slot_confirmed)" "$end"; then
		not_ok "after --endpos $end the slot is confirmed only at $(slot_confirmed)"
		rc=1
	fi
	cat "$log" >>"${RECKON_LOG:-/dev/null}"
	rm -f "$log"
	return $rc
}

# check_oracle: user_challenges equals the rules applied to the final data,
# for every challenge the default configuration runs (-v catalogue=1, the
# rest of the catalogue and p's facts rows: -v rest=1 -v pfacts=1).
check_oracle()
{
	local out
	out=$(psql -X -At -v ON_ERROR_STOP=1 -v catalogue=1 -v rest=1 -v pfacts=1 \
		-f "$ROOT/tests/integration/oracle.sql" 2>&1)
	if [ $? -eq 0 ] && [ -z "$out" ]; then
		ok "oracle: user_challenges matches the rules on the final data ($1)"
	else
		not_ok "oracle ($1):"
		echo "$out" | head -n 30
	fi
}

slot_confirmed()
{
	q "select confirmed_flush_lsn from pg_replication_slots where slot_name = '${1:-reckon}'"
}

# wait_confirmed END [SECONDS]: wait until the slot's confirmed position
# reaches END; false if it does not within SECONDS (30).
wait_confirmed()
{
	local deadline=$(($(date +%s) + ${2:-30}))
	while [ "$(date +%s)" -lt $deadline ]; do
		lsn_ge "$(slot_confirmed)" "$1" && return 0
		sleep 0.1
	done
	lsn_ge "$(slot_confirmed)" "$1"
}

# lsn_ge A B: whether LSN A >= LSN B
lsn_ge()
{
	[ "$(q "select '$1'::pg_lsn >= '$2'::pg_lsn")" = "t" ]
}

# wait_log FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN.
wait_log()
{
	local deadline=$(($(date +%s) + ${3:-15}))
	while [ "$(date +%s)" -lt $deadline ]; do
		grep -qs -- "$2" "$1" && return 0
		sleep 0.1
	done
	grep -qs -- "$2" "$1"
}

# wait_count FILE PATTERN N [SECONDS]: until N lines of FILE match PATTERN.
wait_count()
{
	local deadline=$(($(date +%s) + ${4:-15}))
	while [ "$(date +%s)" -lt $deadline ]; do
		[ "$(grep -cs -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit PID [SECONDS]: the exit status of background job PID, or 124
# (after killing it) if it is still running after SECONDS.
wait_exit()
{
	local deadline=$(($(date +%s) + ${2:-15}))
	while kill -0 "$1" 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# has LOG DESCRIPTION PATTERN: a check that LOG has a line matching PATTERN.
has()
{
	if grep -q -- "$3" "$1"; then
		ok "$2"
	else
		not_ok "$2" "no line matches: $3
$(tail -n 15 "$1")"
	fi
}
