#!/bin/bash
# test_security.sh: reckon under the least-privilege role of sql/roles.sql,
# on a real PostgreSQL.
# a. The role: its attributes, its grants (exactly those roles.sql
#    documents), the daemon completing challenges as it (oracle), the
#    heartbeat, --create-slot, the trending job (REFRESH through the matview
#    owner, temp tables, pruning), reckon-slot's commands; and what it must
#    not do, refused by the server.
# c. Injection: slot names and configuration values built to inject are
#    refused before any connection (exit 2), and the values that do reach
#    the server travel as parameters or quoted identifiers.
# b. No secret in the output: with scram-sha-256 over TCP, the password
#    given in --dsn (conninfo and URI), PGPASSWORD or the configuration
#    file never appears in stdout or stderr of reckon or reckon-slot, at
#    debug and trace levels, on success and on every failure path we could
#    provoke (wrong password, closed port, stopped server, wrong database,
#    missing slot, broken configuration lines, malformed connection strings,
#    an unquoted --dsn).
. "$(dirname "$0")/lib.sh"
setup_db
ROLE=$RECKON_ROLE
OWNER=reckon_matviews
[ -n "$ROLE" ] || {
	not_ok "test_security needs reckon to run as a role (RECKON_ROLE is empty)"
	test_done
	exit 1
}

# slot_tool ARGS...: bin/reckon-slot as the role (through as_role.sh)
slot_tool()
{
	RECKON_BIN="$ROOT/bin/reckon-slot" "$RECKON" "$@"
}

# as_role SQL: run SQL in psql as the role; output and error in $out
as_role()
{
	out=$(PGUSER=$ROLE psql -X -q -At -v ON_ERROR_STOP=1 -c "$1" 2>&1)
	rc=$?
}

# refused NAME SQL: the role's SQL fails with a privilege error
refused()
{
	as_role "$2"
	if [ $rc -ne 0 ] && printf '%s\n' "$out" |
		grep -Eq 'permission denied|must be (owner|superuser|a superuser)|must have (CREATEROLE|CREATEDB)'; then
		ok "the role cannot $1"
	else
		not_ok "the role cannot $1" "psql exit $rc: $out"
	fi
}

# check_cmd NAME WANT_RC PATTERN CMD...: CMD exits WANT_RC and prints a
# line matching PATTERN (an extended regex); its output is left in $out
check_cmd()
{
	local name=$1 want=$2 pattern=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc (want $want), want /$pattern/, output:
$(printf '%s\n' "$out" | tail -n 8)"
	fi
}

# ----------------------------------------------------------------------
# a. The role and what it may do
# ----------------------------------------------------------------------
check_eq "a. the role logs in with REPLICATION and nothing else" "f|t|t|f|f|f|t" \
	"$(q "select rolsuper, rolreplication, rolcanlogin, rolcreatedb, rolcreaterole, rolbypassrls, rolinherit
		from pg_roles where rolname = '$ROLE'")"
check_eq "a. the matview owner cannot log in" "f|f|f" \
	"$(q "select rolsuper, rolreplication, rolcanlogin from pg_roles where rolname = '$OWNER'")"
check_eq "a. table grants: SELECT on the sources, writes only on the targets" \
	"aggregate_plays:SELECT
backfill_batches:DELETE,INSERT,SELECT
backfill_runs:DELETE,INSERT,SELECT
challenge_listen_streak:INSERT,SELECT,UPDATE
challenge_profile_completion:INSERT,SELECT,UPDATE
challenges:SELECT
comments:SELECT
events:SELECT
follows:SELECT
playlist_trending_scores:DELETE,INSERT,SELECT
playlists:SELECT
plays:SELECT
remixes:SELECT
reposts:SELECT
saves:SELECT
sol_purchases:SELECT
track_trending_scores:DELETE,INSERT,SELECT
tracks:SELECT
trending_results:INSERT,SELECT
user_challenges:INSERT,SELECT
user_events:SELECT
users:SELECT" \
	"$(q "select c.relname || ':' || string_agg(a.privilege_type, ',' order by a.privilege_type)
		from pg_class c, aclexplode(c.relacl) a
		where a.grantee = '$ROLE'::regrole group by c.relname order by 1")"
check_eq "a. column grants: UPDATE of the columns an upsert or a changed score sets" \
	"backfill_runs.finished_at:UPDATE
playlist_trending_scores.created_at:UPDATE
playlist_trending_scores.score:UPDATE
track_trending_scores.created_at:UPDATE
track_trending_scores.genre:UPDATE
track_trending_scores.score:UPDATE
user_challenges.amount:UPDATE
user_challenges.completed_at:UPDATE
user_challenges.current_step_count:UPDATE
user_challenges.is_complete:UPDATE" \
	"$(q "select c.relname || '.' || t.attname || ':' || a.privilege_type
		from pg_attribute t join pg_class c on c.oid = t.attrelid, aclexplode(t.attacl) a
		where a.grantee = '$ROLE'::regrole order by 1")"
check_eq "a. the matviews belong to the matview owner, of which the role is the only member" \
	"aggregate_interval_plays:$OWNER
trending_params:$OWNER
members:$ROLE" \
	"$(q "select relname || ':' || relowner::regrole from pg_class where relkind = 'm' order by 1")
members:$(q "select string_agg(member::regrole::text, ',') from pg_auth_members where roleid = '$OWNER'::regrole")"
psql -X -q -v ON_ERROR_STOP=1 -v role="$ROLE" -f "$ROOT/sql/roles.sql" >"$CLUSTER_DIR/roles2.log" 2>&1
check_eq "a. sql/roles.sql runs again without error or notice" "0|" "$?|$(cat "$CLUSTER_DIR/roles2.log")"

# The daemon as the role on a slot postgres created (any REPLICATION role
# may use it), with heartbeats on.
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
conf="$CLUSTER_DIR/role.conf"
sed -e 's/^heartbeat_interval = .*/heartbeat_interval = 500ms/' \
	-e 's/^status_interval = .*/status_interval = 200ms/' \
	"$ROOT/tools/reckon.conf" >"$conf"
log="$CLUSTER_DIR/daemon.log"
"$RECKON" -c "$conf" >"$log" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; cluster_stop' EXIT
for _ in $(seq 1 100); do
	[ "$(q "select active from pg_replication_slots where slot_name = 'reckon'")" = t ] && break
	sleep 0.1
done
check_eq "a. reckon's walsender and SQL session run as the role" "$ROLE|reckon
$ROLE|reckon recompute" \
	"$(q "select usename || '|' || application_name from pg_stat_activity
		where application_name like 'reckon%' order by application_name")"

# A short workload touching every statement: milestones, comments,
# uploads, profile, playlist, verification, mobile, referrals, a pin.
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
insert into users (user_id, handle, name, bio, profile_picture, cover_photo, is_verified)
	select g, 'u' || g, 'n', 'b', 'p', 'c', g <= 3 from generate_series(1, 8) g;
insert into tracks (track_id, owner_id) values (10, 1), (11, 1), (12, 1), (20, 2), (30, 3);
insert into plays (play_item_id) select 10 from generate_series(1, 249);
insert into comments (comment_id, user_id, entity_id) values (1, 4, 20), (2, 5, 30);
update tracks set pinned_comment_id = 2 where track_id = 30;
insert into follows (follower_user_id, followee_user_id) select 4, g from generate_series(1, 8) g where g <> 4;
insert into reposts (user_id, repost_item_id, repost_type) values (4, 10, 'track');
insert into saves (user_id, save_item_id, save_type) values (4, 11, 'track');
insert into playlists (playlist_id, playlist_owner_id) values (1, 5);
insert into user_events (user_id, referrer, is_mobile_user) values (6, 1, true), (7, 5, false);
SQL
q "insert into plays (play_item_id) values (10)" >/dev/null
end=$(lsn_now)
wait_confirmed "$end" 30 && ok "a. reckon as the role confirmed the workload" ||
	not_ok "a. reckon as the role confirmed the workload" "$(tail -n 5 "$log")"
check_eq "a. the 250th play completed p1 for user 1" "t|250" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'p1' and user_id = 1")"
check_eq "a. the workload completed c, u, p, fp, v, m, rd, r, rv and cp" "c cp fp m p r rd rv u v" \
	"$(q "select string_agg(distinct challenge_id, ' ' order by challenge_id) from user_challenges
		where challenge_id not in ('p1', 'p2', 'p3')")"
for _ in $(seq 1 50); do
	grep -q 'heartbeat: stream latency' "$log" && break
	sleep 0.1
done
grep -q 'heartbeat: stream latency' "$log" &&
	ok "a. the heartbeat (pg_logical_emit_message) works as the role" ||
	not_ok "a. the heartbeat works as the role" "$(grep -i heartbeat "$log" | tail -n 3)"
check_eq "a. no permission error in reckon's log" "0" "$(grep -ci 'permission denied' "$log")"
kill -TERM $pid
wait $pid
check_eq "a. reckon as the role exits 0 on SIGTERM" "0" "$?"
check_oracle "the daemon as the role"

check_cmd "a. --create-slot as the role creates a missing slot" 0 '.' \
	"$RECKON" --slot role_created --create-slot --endpos "$(lsn_now)"
check_eq "a. ... a wal2json slot" "wal2json" \
	"$(q "select plugin from pg_replication_slots where slot_name = 'role_created'")"
q "select pg_drop_replication_slot('role_created')" >/dev/null

# The trending job as the role: REFRESH through the matview owner (plain,
# then concurrently), temp tables, scores, a Friday's winners, and the
# prune of a track that stopped being eligible (DELETE).
q "insert into follows (follower_user_id, followee_user_id)
   select f, e from generate_series(1, 8) f, generate_series(1, 4) e where f <> e
   on conflict do nothing" >/dev/null
q "insert into plays (play_item_id) select t from generate_series(20, 30, 10) t, generate_series(1, 40)" >/dev/null
friday='2026-11-27 12:00:00+00'
tlog="$CLUSTER_DIR/trending.log"
"$RECKON" trending --once --now "$friday" >"$tlog" 2>&1
check_eq "a. reckon trending --once as the role exits 0" "0" "$?"
check_eq "a. ... after a plain refresh of both matviews" "2" "$(grep -c 'falling back to a plain refresh' "$tlog")"
check_eq "a. ... and pays the week's winners" "t|t" \
	"$(q "select count(*) > 0 from trending_results")|$(q "select count(*) > 0 from user_challenges where challenge_id = 'tt'")"
q "update tracks set is_delete = true where track_id = 30" >/dev/null
"$RECKON" trending --once --now "$friday" >"$tlog" 2>&1
check_eq "a. a second cycle (concurrent refresh) exits 0" "0|0" "$?|$(grep -c 'falling back' "$tlog")"
grep -Eq 'scores TRACKS/pnagD: [0-9]+ rows written, [1-9][0-9]* pruned' "$tlog" &&
	ok "a. the deleted track's scores are pruned (DELETE on the score table)" ||
	not_ok "a. the deleted track's scores are pruned" "$(grep scores "$tlog")"
check_eq "a. no score left for it" "0" "$(q "select count(*) from track_trending_scores where track_id = 30")"

# What the role must not do. Each statement is refused by the server.
refused "delete a reward" "delete from public.user_challenges"
refused "move a reward to another user" "update public.user_challenges set user_id = 99"
refused "rewrite a reward's specifier" "update public.user_challenges set specifier = 'x'"
refused "truncate the rewards" "truncate public.user_challenges"
refused "delete weekly winners" "delete from public.trending_results"
refused "update weekly winners" "update public.trending_results set user_id = 99"
refused "update a source table" "update public.users set name = 'x'"
refused "insert into a source table" "insert into public.plays (play_item_id) values (1)"
refused "delete from a source table" "delete from public.comments"
refused "change the catalogue" "update public.challenges set amount = 1000000"
refused "create a table in public" "create table public.evil (i int)"
refused "drop a source table" "drop table public.users"
refused "alter a target table" "alter table public.user_challenges add column evil int"
refused "create a role" "create role evil"
refused "create a database" "create database evil"
refused "become postgres" "set role postgres"
refused "make itself superuser" "alter role $ROLE superuser"
refused "read a server file" "select pg_read_file('postgresql.conf')"
refused "run a program" "copy (select 1) to program 'true'"
psql -X -q -c "select pg_sleep(30)" >/dev/null 2>&1 &
sleeper=$!
sleep 0.5
# the pid as postgres: pg_stat_activity hides other roles' queries from the role
victim=$(q "select pid from pg_stat_activity where query = 'select pg_sleep(30)'")
refused "terminate a superuser's session (pid ${victim:-?})" "select pg_terminate_backend(${victim:-0})"
kill $sleeper 2>/dev/null
wait $sleeper 2>/dev/null
check_eq "a. every table is still there and user 1 still has p1" "t|1" \
	"$(q "select to_regclass('public.users') is not null and to_regclass('public.plays') is not null")|$(q "select count(*) from user_challenges where challenge_id = 'p1' and user_id = 1")"

# reckon-slot as the role: every command it documents
check_cmd "a. reckon-slot list as the role" 0 '^reckon +logical +wal2json' slot_tool list
check_cmd "a. reckon-slot check as the role" 0 '^RECKON-SLOT OK' slot_tool check reckon
check_cmd "a. reckon-slot create as the role (REPLICATION)" 0 'created replication slot "s_role"' slot_tool create s_role
check_cmd "a. reckon-slot peek as the role" 0 '.*' slot_tool peek s_role
check_cmd "a. reckon-slot advance as the role" 0 'advanced replication slot "s_role"' slot_tool advance s_role --to now
check_cmd "a. reckon-slot drop as the role" 0 'dropped replication slot "s_role"' slot_tool drop s_role
"$RECKON" >"$CLUSTER_DIR/forced.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	[ "$(q "select active from pg_replication_slots where slot_name = 'reckon'")" = t ] && break
	sleep 0.1
done
check_cmd "a. reckon-slot drop --force as the role terminates a reckon of the same role" 0 \
	'dropped replication slot "reckon"' slot_tool drop reckon --force
wait $pid
check_eq "a. ... which then stops (exit 1, its slot gone)" "1" "$?"
q "select pg_create_logical_replication_slot('held', 'wal2json')" >/dev/null
"$CLUSTER_BINDIR/pg_recvlogical" -d "$PGDATABASE" -S held --start -f /dev/null 2>/dev/null &
holder=$!
for _ in $(seq 1 100); do
	[ "$(q "select active from pg_replication_slots where slot_name = 'held'")" = t ] && break
	sleep 0.1
done
check_cmd "a. reckon-slot drop --force cannot terminate a superuser's consumer" 1 \
	'must be a superuser to terminate superuser process|permission denied' slot_tool drop held --force
check_eq "a. ... and the slot stays, still held" "t" "$(q "select active from pg_replication_slots where slot_name = 'held'")"
kill $holder
wait $holder 2>/dev/null
for _ in $(seq 1 100); do
	[ "$(q "select active from pg_replication_slots where slot_name = 'held'")" = f ] && break
	sleep 0.1
done
q "select pg_drop_replication_slot('held')" >/dev/null
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null

# ----------------------------------------------------------------------
# c. Injection
# ----------------------------------------------------------------------
closed=$(cluster_free_port)
slots_before=$(q "select string_agg(slot_name, ',' order by slot_name) from pg_replication_slots")
long=$(printf 'a%.0s' $(seq 1 64))
bad_slots=("x'; drop table users; --" "a b" "Reckon" "$long" 'x"y' "")
for s in "${bad_slots[@]}"; do
	shown="\"$s\" (${#s} characters)"
	check_cmd "c. reckon --slot $shown: exit 2" 2 'invalid slot name' "$RECKON" --slot "$s" --endpos 0/1
	# against a closed port: the name is refused before any connection
	check_cmd "c. reckon --slot $shown, no server needed: exit 2" 2 'invalid slot name' \
		"$ROOT/bin/reckon" --dsn "host=127.0.0.1 port=$closed" --slot "$s" --endpos 0/1
	printf '[reckon]\nslot = %s\n' "$s" >"$CLUSTER_DIR/slot.conf"
	sed '/^\[reckon\]$/d; /^slot = /d' "$ROOT/tools/reckon.conf" >>"$CLUSTER_DIR/slot.conf"
	check_cmd "c. slot = $shown in the configuration: exit 2, naming the line" 2 \
		'slot\.conf:2: invalid slot name' "$RECKON" -c "$CLUSTER_DIR/slot.conf" --endpos 0/1
	for cmd in create drop peek "advance --to now"; do
		# shellcheck disable=SC2086 # "advance --to now" splits on purpose
		check_cmd "c. reckon-slot $cmd $shown: exit 2 before connecting" 2 'invalid slot name' \
			"$ROOT/bin/reckon-slot" -d "host=127.0.0.1 port=$closed" ${cmd%% *} "$s" ${cmd#"${cmd%% *}"}
		# shellcheck disable=SC2086
		check_cmd "c. reckon-slot $cmd $shown on the server: exit 2" 2 'invalid slot name' \
			slot_tool ${cmd%% *} "$s" ${cmd#"${cmd%% *}"}
	done
done
check_eq "c. no slot was created or dropped by those" "$slots_before" \
	"$(q "select string_agg(slot_name, ',' order by slot_name) from pg_replication_slots")"
check_eq "c. every table is still there" "t" \
	"$(q "select bool_and(to_regclass('public.' || t) is not null) from unnest(array['users', 'plays', 'user_challenges']) t")"
max=$(printf 'a%.0s' $(seq 1 63))
check_cmd "c. a 63-character slot name is valid" 0 'created replication slot' slot_tool create "$max"
check_cmd "c. ... and dropped" 0 'dropped replication slot' slot_tool drop "$max"

# bad_conf NAME WANT APPEND: the default configuration plus APPEND (or
# with the sed expression APPEND when it starts with "s/") exits 2 with WANT
bad_conf()
{
	local name=$1 want=$2 edit=$3 c="$CLUSTER_DIR/inject.conf"
	if [ "${edit#s/}" != "$edit" ]; then
		sed -e "$edit" "$ROOT/tools/reckon.conf" >"$c"
		cmp -s "$c" "$ROOT/tools/reckon.conf" && not_ok "c. $name: the edit changed nothing"
	else
		{ cat "$ROOT/tools/reckon.conf"; printf '%s\n' "$edit"; } >"$c"
	fi
	check_cmd "c. $name: exit 2" 2 "$want" "$ROOT/bin/reckon" --dsn "host=127.0.0.1 port=$closed" -c "$c" --endpos 0/1
}
bad_conf "a processor id with a quote" 'invalid section header' "[processor x'y]"
bad_conf "a group name with a semicolon" 'invalid section header' "[group g;drop]"
bad_conf "a lookup name with a double quote" 'invalid section header' '[lookup a"b]'
bad_conf "group = with a quote" 'invalid group name' "s/^group = plays$/group = plays'; --/"
bad_conf "a dirty rule's table with a quote" 'invalid dirty rule' \
	's/^dirty = public.comments.user_id$/dirty = public.comments"; drop table users; --.user_id/'
bad_conf "a dirty rule's column with a semicolon" 'invalid dirty rule' \
	's/^dirty = public.comments.user_id$/dirty = public.comments.user_id; drop table users/'
bad_conf "a lookup table with a semicolon" 'invalid table' \
	's/^table = public.tracks$/table = public.tracks; drop table users/'
bad_conf "a lookup key column with a double quote" 'invalid column name' \
	's/^key = track_id$/key = track_id" from users; --/'
bad_conf "a lookup value column with a quote" 'invalid column name' "s/^value = owner_id$/value = owner_id'/"
bad_conf "sql = a name with a quote" 'no built-in rule' "s/^sql = first_playlist$/sql = first_playlist'; --/"
bad_conf "saturated = a name with a semicolon" 'no built-in statement' \
	's/^saturated = play_saturated$/saturated = play_saturated; drop table users/'
bad_conf "rescan_keys = a name with a quote" 'no built-in statement' "s/^rescan_keys = all_keys$/rescan_keys = all_keys'--/"

# A challenge id is free text: it reaches the server only as $2, intact.
evil="v'); drop table users; --"
# (psql interpolates :'id', quoted as a literal, only in what it reads)
printf "insert into public.challenges (id, type, amount, active) values (:'id', 'boolean', 7, true);\n" |
	psql -X -q -v ON_ERROR_STOP=1 -v id="$evil" -f - >/dev/null
c="$CLUSTER_DIR/evil.conf"
{
	cat "$ROOT/tools/reckon.conf"
	printf '\n[processor evil]\nchallenge = %s\nsql = connect_verified\ndirty = public.users.user_id\n' "$evil"
} >"$c"
q "update users set is_verified = true where user_id = 8" >/dev/null
check_cmd "c. a challenge id with quotes and a semicolon runs (exit 0)" 0 '.' \
	"$RECKON" -c "$c" --endpos "$(lsn_now)"
check_eq "c. ... it reached the statement as a value: the verified user's row carries it" "1" \
	"$(printf "select count(*) from user_challenges where challenge_id = :'id' and user_id = 8;\n" |
		psql -X -At -v id="$evil" -f -)"
check_eq "c. ... and users is still there" "t" "$(q "select to_regclass('public.users') is not null")"

# Identifiers that are valid but need quoting (mixed case, $): the lookup
# load quotes them, or the folded names would not exist.
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
create table public."Owner\$Map" ("Track\$Id" bigint primary key, "Owner\$Id" bigint not null);
insert into public."Owner\$Map" values (1, 10), (2, 20);
grant select on public."Owner\$Map" to $ROLE;
SQL
c="$CLUSTER_DIR/quoted.conf"
sed 's/^\[lookup track_owner\]$/[lookup weird]\ntable = public.Owner$Map\nkey = Track$Id\nvalue = Owner$Id\n\n&/' \
	"$ROOT/tools/reckon.conf" >"$c"
check_cmd "c. a lookup on a mixed-case table with \$ in its names loads, quoted" 0 \
	'lookup \\"weird\\" loaded: 2 entries from public.Owner\$Map' "$RECKON" -c "$c" --endpos "$(lsn_now)"

# ----------------------------------------------------------------------
# b. No secret in the output
# ----------------------------------------------------------------------
SECRET='S3cr3t-Xyzzy-42'
WRONG='Wr0ng-Xyzzy-77'
db=$PGDATABASE
q "alter role $ROLE password '$SECRET'" >/dev/null
cluster_hba_prepend "host all $ROLE 127.0.0.1/32 scram-sha-256" \
	"host replication $ROLE 127.0.0.1/32 scram-sha-256"
nopw="host=127.0.0.1 port=$PGPORT dbname=$db user=$ROLE"
for _ in $(seq 1 50); do
	PGPASSWORD='' psql -X -w "$nopw" -c 'select 1' >/dev/null 2>&1 || break
	sleep 0.1
done
check_cmd "b. over TCP the role needs its password (scram-sha-256)" 2 'password' \
	env PGPASSWORD= psql -X -w "$nopw" -c 'select 1'
check_cmd "b. ... and the password works" 0 '^1$' \
	env PGPASSWORD="$SECRET" psql -X -At -w "$nopw" -c 'select 1'

# secret_run NAME WANT_RC PATTERN CMD...: as check_cmd, and neither the
# password nor the wrong one appears anywhere in stdout or stderr
secret_run()
{
	local name=$1
	shift
	check_cmd "b. $name" "$@"
	if printf '%s\n' "$out" | grep -Fq -e "$SECRET" -e "$WRONG" -e "${SECRET%-42}"; then
		not_ok "b. $name: the password is not in the output" "$(printf '%s\n' "$out" | grep -F -e "$SECRET" -e "$WRONG" -e "${SECRET%-42}" | head -n 3)"
	else
		ok "b. $name: the password is not in the output"
	fi
}
kv="host=127.0.0.1 port=$PGPORT dbname=$db user=$ROLE password=$SECRET"
uri="postgresql://$ROLE:$SECRET@127.0.0.1:$PGPORT/$db"
reckon_bin=$ROOT/bin/reckon
tool_bin=$ROOT/bin/reckon-slot
cfg()
{
	# cfg LINE...: the default configuration with LINEs at the top of [reckon]
	local c="$CLUSTER_DIR/secret.conf"
	{
		echo "[reckon]"
		printf '%s\n' "$@"
		sed '/^\[reckon\]$/d' "$ROOT/tools/reckon.conf"
	} >"$c"
	echo "$c"
}

# success paths, at trace level
secret_run "--dsn conninfo, -vv, --endpos" 0 "connected $ROLE@127\.0\.0\.1" \
	"$reckon_bin" -vv --dsn "$kv" --endpos "$(lsn_now)"
secret_run "--dsn URI, -vv, --endpos" 0 "connected $ROLE@127\.0\.0\.1" \
	"$reckon_bin" -vv --dsn "$uri" --endpos "$(lsn_now)"
secret_run "PGPASSWORD, -vv, --endpos" 0 "connected $ROLE@127\.0\.0\.1" \
	env PGHOST=127.0.0.1 PGUSER="$ROLE" PGPASSWORD="$SECRET" "$reckon_bin" -vv --endpos "$(lsn_now)"
secret_run "dsn = in the configuration, log_level = trace" 0 "connected $ROLE@127\.0\.0\.1" \
	"$reckon_bin" -c "$(cfg "dsn = $kv" "log_level = trace")" --endpos "$(lsn_now)"
secret_run "trending --once with --dsn, -vv" 0 'trending cycle done' \
	"$reckon_bin" trending --once -vv --dsn "$uri"
secret_run "reckon-slot -v list with --dsn" 0 '^reckon ' "$tool_bin" -v -d "$kv" list
secret_run "reckon-slot -v check with a URI" 0 '^RECKON-SLOT OK' "$tool_bin" -v -d "$uri" check reckon
secret_run "reckon-slot create with PGPASSWORD" 0 'created replication slot "s_pw"' \
	env PGHOST=127.0.0.1 PGUSER="$ROLE" PGPASSWORD="$SECRET" "$tool_bin" -v create s_pw
secret_run "reckon-slot drop with --dsn" 0 'dropped replication slot "s_pw"' "$tool_bin" -v -d "$kv" drop s_pw

# failure paths
secret_run "a wrong password in --dsn" 1 'password authentication failed' \
	"$reckon_bin" -v --dsn "${kv%"$SECRET"}$WRONG" --endpos "$(lsn_now)"
secret_run "a wrong password in a URI" 1 'password authentication failed' \
	"$reckon_bin" -v --dsn "postgresql://$ROLE:$WRONG@127.0.0.1:$PGPORT/$db" --endpos "$(lsn_now)"
secret_run "a wrong PGPASSWORD" 1 'password authentication failed' \
	env PGHOST=127.0.0.1 PGUSER="$ROLE" PGPASSWORD="$WRONG" "$reckon_bin" -v --endpos "$(lsn_now)"
secret_run "a wrong password in the configuration" 1 'password authentication failed' \
	"$reckon_bin" -c "$(cfg "dsn = ${kv%"$SECRET"}$WRONG" "log_level = trace")" --endpos "$(lsn_now)"
secret_run "a closed port" 1 'Connection refused' \
	"$reckon_bin" -vv --dsn "host=127.0.0.1 port=$closed dbname=$db user=$ROLE password=$SECRET" --endpos "$(lsn_now)"
secret_run "a wrong database" 1 'database \\"nosuchdb\\" does not exist' \
	"$reckon_bin" -vv --dsn "postgresql://$ROLE:$SECRET@127.0.0.1:$PGPORT/nosuchdb" --endpos "$(lsn_now)"
secret_run "a missing slot" 1 'replication slot \\"missing_slot\\" does not exist' \
	"$reckon_bin" -vv --dsn "$kv" --slot missing_slot --endpos "$(lsn_now)"
secret_run "trending --once with a wrong password" 1 'password authentication failed' \
	"$reckon_bin" trending --once --dsn "${kv%"$SECRET"}$WRONG"
secret_run "a URI with a malformed escape in the password" 1 'invalid percent-encoded token' \
	"$reckon_bin" --dsn "postgresql://$ROLE:$SECRET%zz@127.0.0.1:$PGPORT/$db" --endpos "$(lsn_now)"
secret_run "a malformed URI (unclosed IPv6 bracket)" 1 'IPv6 host address' \
	"$reckon_bin" --dsn "postgresql://$ROLE:$SECRET@[127.0.0.1:$PGPORT/$db" --endpos "$(lsn_now)"
secret_run "a conninfo with an unterminated quote" 1 'unterminated quoted string' \
	"$reckon_bin" --dsn "host=127.0.0.1 password='$SECRET" --endpos "$(lsn_now)"
secret_run "a conninfo with the password as a key" 1 'missing \\"=\\" after' \
	"$reckon_bin" --dsn "host=127.0.0.1 $SECRET port=$PGPORT" --endpos "$(lsn_now)"
secret_run "an unquoted --dsn: the password word is an unexpected argument" 2 'unexpected argument "password=\*\*\*\*"' \
	"$reckon_bin" --dsn "host=127.0.0.1" "password=$SECRET"
secret_run "a mistyped option holding a URI" 2 'invalid option "--dns=.*password=\*\*\*\*' \
	"$reckon_bin" "--dns=$uri"
secret_run "config: the dsn line without its =" 2 'unknown setting \\"dsn host\\"' \
	"$reckon_bin" -c "$(cfg "dsn $kv")"
secret_run "config: a bad line after the dsn" 2 'secret\.conf:3: invalid slot name' \
	"$reckon_bin" -c "$(cfg "dsn = $kv" "slot = Bad Name")"
secret_run "config: a password key of its own" 2 'unknown setting \\"password\\"' \
	"$reckon_bin" -c "$(cfg "dsn = ${kv% password=*}" "password = $SECRET")"
secret_run "config: the dsn in a processor section" 2 'unknown processor setting \\"dsn\\"' \
	"$reckon_bin" -c "$(cfg "slot = reckon" "[processor x]" "dsn = $kv")"
secret_run "config: a broken section header before the dsn" 2 'unterminated section header' \
	"$reckon_bin" -c "$(cfg "[reckon" "dsn = $kv")"
secret_run "config: a malformed URI as the dsn" 1 'invalid percent-encoded token' \
	"$reckon_bin" -c "$(cfg "dsn = postgresql://$ROLE:$SECRET%zz@127.0.0.1:$PGPORT/$db")" --endpos "$(lsn_now)"
secret_run "reckon-slot: a wrong password (check: UNKNOWN)" 3 'UNKNOWN' \
	"$tool_bin" -d "${kv%"$SECRET"}$WRONG" check reckon
secret_run "reckon-slot: a closed port" 1 'Connection refused' \
	"$tool_bin" -v -d "host=127.0.0.1 port=$closed user=$ROLE password=$SECRET" list
secret_run "reckon-slot: a missing slot" 1 'replication slot "nosuch" does not exist' \
	"$tool_bin" -v -d "$uri" drop nosuch
secret_run "reckon-slot: a malformed URI" 1 'invalid percent-encoded token' \
	"$tool_bin" -d "postgresql://$ROLE:$SECRET%zz@127.0.0.1:$PGPORT/$db" list
secret_run "reckon-slot: an unquoted -d" 2 'unknown command "password=\*\*\*\*"' \
	"$tool_bin" -d "host=127.0.0.1" "password=$SECRET" list
secret_run "reckon-slot: a mistyped option holding a URI" 2 'invalid option' \
	"$tool_bin" "--dns=$uri" list

# the server stopped
cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast stop >/dev/null
secret_run "the server stopped: reckon" 1 'Connection refused|could not connect' \
	"$reckon_bin" -vv --dsn "$kv" --endpos 0/1
secret_run "the server stopped: reckon trending --once" 1 'Connection refused|could not connect' \
	"$reckon_bin" trending --once --dsn "$uri"
secret_run "the server stopped: reckon-slot check (UNKNOWN)" 3 'UNKNOWN' "$tool_bin" -v -d "$kv" check reckon
test_done
