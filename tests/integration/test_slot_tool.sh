#!/bin/bash
# test_slot_tool.sh: bin/reckon-slot against a real cluster: every command
# and its error cases (usage, a missing slot, an active slot, a role without
# REPLICATION, a server with wal_level = replica), check's OK, WARNING and
# CRITICAL produced by real WAL with the slot inactive, CRITICAL for a slot
# invalidated by max_slot_wal_keep_size, and check staying OK for a minute
# while reckon runs and only an unrelated table is written.
. "$(dirname "$0")/lib.sh"
setup_db "max_slot_wal_keep_size = 64MB"
SLOT_TOOL="$ROOT/bin/reckon-slot"
q "create table public.unrelated (id bigserial primary key, v text)"

# run ARGS...: the tool's combined output in $out, its exit status in $rc
run()
{
	out=$("$SLOT_TOOL" "$@" 2>&1)
	rc=$?
}

# check_run NAME WANT_RC PATTERN ARGS...: run, then exit status and output
check_run()
{
	local name=$1 want=$2 pattern=$3
	shift 3
	run "$@"
	if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		ok "$name"
	else
		not_ok "$name" "reckon-slot $* exited $rc (want $want), output:
$out
(want a line matching: $pattern)"
	fi
}

# json_sql JSON QUERY: QUERY with the JSON text as :'j' (psql interpolates
# variables only in what it reads, not in -c)
json_sql()
{
	printf '%s\n' "$2" | psql -X -At -v "j=$1" -f - 2>&1
}

# wal_mb N: about N MB of WAL from the unrelated table
wal_mb()
{
	q "insert into unrelated (v) select repeat('x', 900) from generate_series(1, $(($1 * 1024)))" >/dev/null
}

# --- usage errors: exit 2 and the try line ---
check_run "no command: exit 2 with the try line" 2 'Try "reckon-slot --help"'
check_run "--help lists every command" 0 'advance NAME --to LSN.now' --help
check_run "an unknown command" 2 'unknown command "frobnicate"' frobnicate
check_run "a command without its slot name" 2 'needs a slot name' check
check_run "an invalid slot name" 2 'invalid slot name' create 'Bad-Name'
check_run "an option of another command" 2 'does not apply to "create"' create s1 --force
check_run "advance without --to" 2 'needs --to' advance s1
check_run "a bad size" 2 'invalid --warn-lag: "5XB"' check s1 --warn-lag 5XB
check_run "warning above critical" 2 'WARNING threshold is above' check s1 --warn-lag 2MB --crit-lag 1MB

# --- create, list, peek ---
check_run "create: a wal2json slot" 0 'created replication slot "s1" \(wal2json\) at [0-9A-F]+/[0-9A-F]+' create s1
check_eq "the slot is logical, wal2json, in this database" "logical|wal2json|postgres" \
	"$(psql -X -At -c "select slot_type, plugin, database from pg_replication_slots where slot_name = 's1'")"
check_run "create again: the server's reason, naming the slot" 1 'create replication slot "s1" failed.*already exists' create s1
check_run "create --if-not-exists accepts it" 0 'already exists \(wal2json' create s1 --if-not-exists
check_run "create reckon's slot" 0 'created replication slot "reckon"' create reckon
check_run "list: a human table with both slots" 0 '^s1 +logical +wal2json +postgres +no ' list
run list --json
check_eq "list --json: valid JSON with both slots, reckon's marked" \
	"reckon|wal2json|false|true|reserved
s1|wal2json|false|false|reserved" \
	"$(json_sql "$out" "select e->>'slot_name', e->>'plugin', e->>'active', e->>'reckon', e->>'wal_status'
		from jsonb_array_elements(:'j'::jsonb) e order by 1")"
check_eq "list --json: lag and retained bytes are numbers" "2" \
	"$(json_sql "$out" "select count(*) from jsonb_array_elements(:'j'::jsonb) e
		where jsonb_typeof(e->'lag_bytes') = 'number' and jsonb_typeof(e->'retained_bytes') = 'number'")"

q "insert into users (user_id, handle) values (42, 'peeked')" >/dev/null
q "insert into unrelated (v) values ('not for reckon')" >/dev/null
before=$(slot_confirmed s1)
run peek s1 -n 50
if printf '%s\n' "$out" | grep -q '"table":"users".*"peeked"' &&
	! printf '%s\n' "$out" | grep -q 'unrelated'; then
	ok "peek shows the watched table's change and filters the unrelated one"
else
	not_ok "peek output" "$out"
fi
first=$out
run peek s1 -n 50
check_eq "peek consumes nothing: the same output twice" "$first" "$out"
check_eq "peek consumes nothing: confirmed_flush_lsn unchanged" "$before" "$(slot_confirmed s1)"
check_run "peek -n 2: at most 2 messages" 0 '.' peek s1 -n 2
check_eq "peek -n 2 printed 2 lines" "2" "$(printf '%s\n' "$out" | wc -l)"
check_run "peek a missing slot" 1 'does not exist' peek nosuch

# --- check with the slot inactive, thresholds crossed by real WAL ---
check_run "check a missing slot: CRITICAL" 2 '^RECKON-SLOT CRITICAL - replication slot "nosuch" does not exist' check nosuch
wal_mb 3
check_run "check: OK under the thresholds" 0 '^RECKON-SLOT OK - slot "s1": lag [0-9.]+ MB, retained [0-9.]+ MB, inactive, wal_status reserved \| lag=[0-9]+B;1073741824;2147483648 retained=[0-9]+B;;$' \
	check s1 --warn-lag 1GB --crit-lag 2GB
check_run "check: WARNING over --warn-lag" 1 '^RECKON-SLOT WARNING - .*lag over the WARNING threshold' \
	check s1 --warn-lag 1MB --crit-lag 1GB
check_run "check: CRITICAL over --crit-lag" 2 '^RECKON-SLOT CRITICAL - .*lag over the CRITICAL threshold' \
	check s1 --warn-lag 512kB --crit-lag 2MB
check_run "check: WARNING over --warn-retained" 1 '^RECKON-SLOT WARNING - .*retained WAL over the WARNING threshold' \
	check s1 --warn-retained 1MB --crit-retained 1GB
check_run "check: CRITICAL over --crit-retained" 2 '^RECKON-SLOT CRITICAL - .*retained WAL over the CRITICAL threshold' \
	check s1 --warn-retained 1MB --crit-retained 2MB
state="$CLUSTER_DIR/s1.inactive"
check_run "check --max-inactive: first sight of the inactive slot is OK" 0 '^RECKON-SLOT OK' \
	check s1 --max-inactive 1 --state-file "$state"
sleep 2.2
check_run "check --max-inactive: CRITICAL once inactive past the limit" 2 'inactive for over 1 s' \
	check s1 --max-inactive 1 --state-file "$state"
HOME="$CLUSTER_DIR" XDG_STATE_HOME= run check s1 --max-inactive 3600
check_eq "check --max-inactive without --state-file keeps its state under HOME" "0 1" \
	"$rc $(ls "$CLUSTER_DIR/.local/state/reckon-slot" | grep -c '^s1\.port[0-9]*\.inactive$')"

# --- advance ---
target=$(lsn_now)
check_run "advance --to now warns what is skipped" 0 'never be recomputed' advance s1 --to now
lsn_ge "$(slot_confirmed s1)" "$target" && ok "advance moved confirmed_flush_lsn to the WAL end" ||
	not_ok "after advance s1 is at $(slot_confirmed s1), want >= $target"
check_run "advance --to an LSN it has passed: the server's reason" 1 'advance replication slot failed.*cannot advance' advance s1 --to 0/1
check_run "advance --to garbage" 2 'invalid --to' advance s1 --to yesterday
check_run "advance a missing slot" 1 'replication slot "nosuch" does not exist' advance nosuch --to now

# --- a role without REPLICATION ---
q "create role norepl login" >/dev/null
check_run "create as a role without REPLICATION: reason and hint" 1 \
	'create replication slot "s2" failed.*(must be superuser or replication role|permission denied)' \
	-d "user=norepl" create s2
check_run "... the hint names the attribute" 1 'hint: the role needs the REPLICATION attribute' -d "user=norepl" create s2
check_run "drop as a role without REPLICATION" 1 'drop replication slot failed' -d "user=norepl" drop s1
check_run "list works for any role" 0 '^s1 ' -d "user=norepl" list

# --- a server with wal_level = replica (a second cluster, its own trap) ---
replica_out=$(
	cluster_start "wal_level = replica" >/dev/null 2>&1 || { echo "cluster failed"; exit 0; }
	"$SLOT_TOOL" create s3 2>&1
	echo "rc=$?"
)
if printf '%s\n' "$replica_out" | grep -q 'wal_level' &&
	printf '%s\n' "$replica_out" | grep -q 'hint: logical slots need wal_level = logical' &&
	printf '%s\n' "$replica_out" | grep -q '^rc=1$'; then
	ok "create on a wal_level = replica server: exit 1, the reason and the fix"
else
	not_ok "create on wal_level = replica" "$replica_out"
fi

# --- an active slot: reckon holds it ---
log="$CLUSTER_DIR/reckon.log"
"$RECKON" >"$log" 2>&1 &
reckon_pid=$!
for _ in $(seq 1 100); do
	[ "$(q "select active from pg_replication_slots where slot_name = 'reckon'")" = t ] && break
	sleep 0.1
done
check_run "drop an active slot: refused, naming the holder" 1 'slot "reckon" is in use by pid [0-9]+ \(application reckon' drop reckon
check_run "advance an active slot: refused" 1 'in use by pid' advance reckon --to now
check_run "peek an active slot: the server's reason and a hint" 1 'hint: peek needs the slot "reckon" free' peek reckon
run list --json
check_eq "list --json: the active slot and its pid" "true|t" \
	"$(json_sql "$out" "select e->>'active', (e->>'active_pid')::int > 0 from jsonb_array_elements(:'j'::jsonb) e where e->>'slot_name' = 'reckon'")"

# A minute of writes to an unrelated table only (about 50 kB of WAL a
# second): reckon confirms the WAL end at least every status_interval (10 s),
# so a retained-WAL threshold of a few MB never trips.
worst=0
deadline=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt $deadline ]; do
	q "insert into unrelated (v) select repeat('y', 200) from generate_series(1, 100)" >/dev/null
	run check reckon --warn-retained 4MB --crit-retained 8MB --warn-lag 4MB --crit-lag 8MB
	[ "$rc" -gt "$worst" ] && { worst=$rc; worst_out=$out; }
	sleep 1
done
check_eq "check stays OK for a minute of unrelated writes with reckon running" "0" "$worst"
[ "$worst" -ne 0 ] && echo "  $worst_out"
echo "  measured: $(printf '%s\n' "$out" | head -n1)"

check_run "drop --force terminates the holder and drops the slot" 0 'dropped replication slot "reckon"' drop reckon --force
check_eq "the slot is gone" "0" "$(q "select count(*) from pg_replication_slots where slot_name = 'reckon'")"
for _ in $(seq 1 100); do kill -0 $reckon_pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $reckon_pid 2>/dev/null; then
	not_ok "reckon still runs 10 s after its slot was dropped"
	kill -9 $reckon_pid
else
	wait $reckon_pid
	check_eq "reckon stops with a runtime failure once its slot is gone" "1" "$?"
fi

# --- an invalidated slot: s1 inactive, more WAL than max_slot_wal_keep_size ---
check_run "drop a missing slot" 1 'replication slot "reckon" does not exist' drop reckon
for _ in $(seq 1 6); do
	wal_mb 16
	q "select pg_switch_wal()" >/dev/null
done
q "checkpoint" >/dev/null
check_eq "s1 is invalidated (wal_status lost)" "lost" "$(q "select wal_status from pg_replication_slots where slot_name = 's1'")"
check_run "check an invalidated slot: CRITICAL with the recovery steps" 2 \
	'^RECKON-SLOT CRITICAL - .*invalidated \(wal_status lost\): the changes it still had to deliver are gone' check s1 --warn-lag 1GB
check_run "drop an inactive slot says what is lost" 0 'warning: dropping replication slot "s1"' drop s1
test_done
