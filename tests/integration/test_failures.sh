#!/bin/bash
# test_failures.sh: recompute statements that fail, on a real PostgreSQL,
# with one reckon running throughout. Three failures, each confined to one
# processor's users: a CHECK constraint on user_challenges the c processor's
# row violates, a deadlock error (SQLSTATE 40P01) injected by a trigger for
# the u processor's row, and a table lock held by another session past
# statement_timeout for the fp processor's reads. Checked for each: the batch
# is retried with backoff and reported after repeated failures, its users
# stay dirty and nothing at or past their change is acknowledged, while
# the other processors keep completing challenges; once the cause is gone,
# the retry writes the row, the position moves on, and the oracle
# agrees.
. "$(dirname "$0")/lib.sh"
setup_db

q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) select u, 'u' || u, true from generate_series(1, 20) u" >/dev/null
conf=$CLUSTER_DIR/failures.conf
sed -e "s/^status_interval = .*/status_interval = 100ms/" \
	-e "s/^retry_min = .*/retry_min = 50ms/" \
	-e "s/^retry_max = .*/retry_max = 400ms/" \
	-e "s/^statement_timeout = .*/statement_timeout = 1s/" \
	-e "s/^\[processor fp\]$/&\nwindow = 3s/" \
	"$ROOT/tools/reckon.conf" >"$conf"
grep -A1 '^\[processor fp\]' "$conf" | grep -q '^window = 3s' || not_ok "the test config gives fp a 3 s window"
log=$CLUSTER_DIR/reckon.log
"$RECKON" -c "$conf" >"$log" 2>&1 &
pid=$!
locker=
trap 'kill -KILL $pid $locker 2>/dev/null; cluster_stop' EXIT
settle() { wait_confirmed "$(lsn_now)" 30 || not_ok "reckon confirmed $(lsn_now) within 30 s"; }
settle

# written CHALLENGE USER: 1 once USER's row of CHALLENGE exists (c and fp
# write complete rows; u's first upload writes a row at step 1 of 3)
written()
{
	q "select count(*) from user_challenges where challenge_id = '$1' and user_id = $2"
}
# wait_log REGEX [SECONDS]: until the log has a line matching REGEX
wait_log()
{
	local deadline=$(($(date +%s) + ${2:-30}))
	while [ "$(date +%s)" -lt $deadline ]; do
		grep -Eq "$1" "$log" && return 0
		sleep 0.1
	done
	return 1
}
# while_failing NAME CHALLENGE USER END: the failing batch holds the
# position before END, other processors go on, the failure is reported
while_failing()
{
	local name=$1 challenge=$2 user=$3 end=$4
	if wait_log 'group \\"'"$challenge"'\\" has failed 5 times in a row'; then
		ok "$name: reported after 5 failed attempts"
	else
		not_ok "$name: reported after 5 failed attempts" "$(grep -E 'group \\"'"$challenge"'\\"' "$log" | tail -n 3)"
	fi
	check_eq "$name: the row is not written" "0" "$(written "$challenge" "$user")"
	if lsn_ge "$(slot_confirmed)" "$end"; then
		not_ok "$name: the failing change is not acknowledged" "confirmed $(slot_confirmed) >= $end"
	else
		ok "$name: the failing change is not acknowledged ($(slot_confirmed) < $end)"
	fi
	# another processor's user meanwhile: a first playlist completes fp, or
	# (when fp is the one failing) a first comment completes c
	local other=$((user + 10)) other_challenge=fp
	if [ "$challenge" = fp ]; then
		other_challenge=c
		q "insert into comments(comment_id, user_id, entity_id) values ($other, $other, 10)" >/dev/null
	else
		q "insert into playlists(playlist_id, playlist_owner_id) values ($other, $other)" >/dev/null
	fi
	local deadline=$(($(date +%s) + 30))
	while [ "$(written $other_challenge $other)" != "1" ] && [ "$(date +%s)" -lt $deadline ]; do sleep 0.1; done
	check_eq "$name: other processors keep completing ($other_challenge for user $other)" "1" \
		"$(written $other_challenge $other)"
}
# after_fix NAME CHALLENGE USER: the retry completes once the cause is gone
after_fix()
{
	settle
	check_eq "$1: written once the cause is gone" "1" "$(written "$2" "$3")"
}

# 1. a constraint the c processor's row violates
q "alter table user_challenges add constraint no_c_for_5 check (not (challenge_id = 'c' and user_id = 5))" >/dev/null
q "insert into comments(comment_id, user_id, entity_id) values (1, 5, 10)" >/dev/null
end=$(lsn_now)
while_failing "constraint violated" c 5 "$end"
grep -q 'no_c_for_5' "$log" && ok "constraint violated: the server's error is logged" ||
	not_ok "constraint violated: the server's error is logged"
q "alter table user_challenges drop constraint no_c_for_5" >/dev/null
after_fix "constraint violated" c 5

# 2. a deadlock error injected for the u processor's row
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create table public.inject (user_id bigint primary key);
-- SECURITY DEFINER: the trigger runs as the writer (reckon's role), which
-- has no grant on this test table
create function public.inject_deadlock() returns trigger language plpgsql
	security definer set search_path = pg_catalog as $$
begin
	if exists (select 1 from public.inject i where i.user_id = new.user_id) then
		raise exception 'injected deadlock for user %', new.user_id
			using errcode = 'deadlock_detected';
	end if;
	return new;
end $$;
create trigger inject_deadlock before insert or update on public.user_challenges
	for each row execute function public.inject_deadlock();
insert into public.inject values (6);
SQL
q "insert into tracks(track_id, owner_id) values (60, 6)" >/dev/null
end=$(lsn_now)
while_failing "deadlock error" u 6 "$end"
grep -q '40P01' "$log" && ok "deadlock error: logged with its SQLSTATE" ||
	not_ok "deadlock error: logged with its SQLSTATE" "$(grep -i deadlock "$log" | tail -n 2)"
q "delete from inject" >/dev/null
after_fix "deadlock error" u 6

# 3. a lock held past statement_timeout (1s here): ACCESS EXCLUSIVE on
# playlists, which only fp reads, taken inside fp's 3 s window (set below)
fifo=$CLUSTER_DIR/locker.fifo
mkfifo "$fifo"
psql -X -q <"$fifo" >/dev/null 2>&1 &
locker=$!
exec 3>"$fifo"
q "insert into playlists(playlist_id, playlist_owner_id) values (7, 7)" >/dev/null
end=$(lsn_now)
echo "begin; lock table playlists in access exclusive mode;" >&3
while_failing "lock past statement_timeout" fp 7 "$end"
grep -q 'statement timeout' "$log" && ok "lock: the statement timeout is logged" ||
	not_ok "lock: the statement timeout is logged"
echo "rollback;" >&3
exec 3>&-
wait $locker
locker=
after_fix "lock past statement_timeout" fp 7

kill -TERM $pid
wait $pid
check_eq "reckon exits 0 on SIGTERM after the failures" "0" "$?"
check_oracle "after three kinds of failed recomputes"
test_done
