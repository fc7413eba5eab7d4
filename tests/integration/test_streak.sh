#!/bin/bash
# test_streak.sh: the listen streak 'e' through reckon (the default
# configuration, its catalogue row made active), from the stream:
#   a. plays of a listener reach it (plays.user_id): a streak, an
#      anonymous play ignored, the listener's plays deleted (the state
#      keeps the streak), then the seventh day (completion logged) and the
#      eighth (an endless row);
#   a2. another listener, with its reads on a streaming standby (--read-dsn): the
#      candidate plays read there, the fold written on the primary;
#   b. two writers, the lower play id committing after the higher one,
#      both before reckon recomputes: a recompute, started for the first
#      commit, is held on its group's advisory lock while the second
#      commits; released, it folds both in id order;
#   c. the same, but the higher id is folded (its state row appears)
#      before the lower one commits: the lower one is folded after it
#      (commit order between recomputes, id order within one: see
#      sql/rules/listen_streak.sql), not lost;
#   d. reckon killed with SIGKILL again and again while one writer commits
#      plays of 30 listeners: after a final catch-up the rows and the state
#      equal one fold of the same plays in id order (a database of their
#      own, one statement): nothing lost, nothing folded twice;
#   e. `reckon backfill --processor e` over a history of 600 listeners, in
#      pages of 250 from all_keys, equal to one fold; run again, it writes
#      nothing.
. "$(dirname "$0")/lib.sh"
setup_db_with_standby
W=$CLUSTER_DIR
KILLS=${STREAK_KILLS:-6}

q "update challenges set active = true where id = 'e'" >/dev/null
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null

# rows USER: its e rows, specifier:step:complete:amount, and its state,
# streak@last listen (UTC MM-DD HH24:MI)
rows()
{
	q "select coalesce(string_agg(specifier || ':' || current_step_count || ':'
		|| is_complete || ':' || amount, ' ' order by specifier), '-')
		|| ' ' || coalesce((select listen_streak || '@' || to_char(
			last_listen_date at time zone 'UTC', 'MM-DD HH24:MI')
			from challenge_listen_streak where user_id = $1), 'none')
		from user_challenges where challenge_id = 'e' and user_id = $1"
}
# play USER TIME [COUNT]: COUNT plays (1) of USER at TIME, one statement
play()
{
	q "insert into plays (user_id, play_item_id, created_at)
		select $1, 7, '$2' from generate_series(1, ${3:-1})" >/dev/null
}

# --- a. from the stream
log=$W/a.log
play 256 '2025-01-01 00:00+00'
play 256 '2025-01-01 10:00+00' 3
play NULL '2025-01-01 20:00+00'
play 256 '2025-01-02 00:00+00'
RECKON_LOG=$log reckon_catch_up && ok "a. reckon catches up"
check_eq "a. 0 h, 10 h (ignored), 24 h: the 7-day row at 2" \
	"1002025010100:2:false:7 2@01-02 00:00" "$(rows 256)"
check_eq "a. an anonymous play makes no state" "0" \
	"$(q "select count(*) from challenge_listen_streak where user_id is null")"
q "delete from plays where user_id = 256" >/dev/null
RECKON_LOG=$log reckon_catch_up && ok "a. the deletes stream through"
check_eq "a. deleted plays: the row and the state stay" \
	"1002025010100:2:false:7 2@01-02 00:00" "$(rows 256)"
for day in 03 04 05 06 07 08; do
	play 256 "2025-01-$day 00:00+00"
done
RECKON_LOG=$log reckon_catch_up && ok "a. six more days stream through"
check_eq "a. the 7-day row completes; the eighth day an endless row" \
	"1002025010100:7:true:7 1002025010800:1:true:1 8@01-08 00:00" "$(rows 256)"
has "$log" "a. the completion is logged" \
	'completed challenge \\"e\\" specifier \\"1002025010100\\" user 256'

# --- a2. reads on the standby: 257's plays at 0, 20, 30 (ignored) and
# 40 h, then one more at 60 h, each catch-up reading there.
log=$W/a2.log
play 257 '2025-01-01 00:00+00'
play 257 '2025-01-01 20:00+00'
RECKON_LOG=$log reckon_catch_up --read-dsn="$READ_DSN" -v &&
	ok "a2. reckon catches up, reading on the standby"
play 257 '2025-01-02 06:00+00'
play 257 '2025-01-02 16:00+00'
RECKON_LOG=$log reckon_catch_up --read-dsn="$READ_DSN" -v &&
	ok "a2. again, with a state to read there"
check_eq "a2. 0, 20, 30 (ignored), 40 h: the 7-day row at 3" \
	"1012025010100:3:false:7 3@01-02 16:00" "$(rows 257)"
has "$log" "a2. it connects to the standby" "read server connected"
check_eq "a2. no batch read on the primary" "0" \
	"$(grep -c 'read on the primary' "$log")"
has "$log" "a2. its stats line counts reads on the standby" \
	'stats: .*reads on the standby [1-9][0-9]* on the primary 0'

# --- b, c: two writers. Sessions that stay open: a psql reading from a
# FIFO (session NAME), fed by send NAME SQL; its output in $W/NAME.out.
session()
{
	mkfifo "$W/$1.in"
	psql -X -q -At -v ON_ERROR_STOP=1 <"$W/$1.in" >"$W/$1.out" 2>&1 &
	exec {fd}>"$W/$1.in"
	eval "FD_$1=$fd"
}
send()
{
	local fd_var="FD_$1"
	printf '%s\n' "$2" >&"${!fd_var}"
}
# mark NAME WORD: send a SELECT of WORD and wait until its output has it
mark()
{
	send "$1" "select '$2';"
	wait_log "$W/$1.out" "^$2\$" 15
}

# The advisory lock every batch of group "e" takes first (src/session.c:
# class 0x52434b4e, key the FNV-1a hash of the group's name as int32).
LOCK_KEY=$((((2166136261 ^ 0x65) * 16777619) & 0xffffffff))
[ $LOCK_KEY -ge 2147483648 ] && LOCK_KEY=$((LOCK_KEY - 4294967296))
LOCK="$((0x52434b4e)), $LOCK_KEY"

daemon_log=$W/daemon.log
"$RECKON" >"$daemon_log" 2>&1 &
pid=$!
wait_log "$daemon_log" 'streaming from slot' 30 && ok "b. reckon streams" ||
	not_ok "b. reckon streams" "$(tail -n 20 "$daemon_log")"

session lock
session A
send lock "select pg_advisory_lock($LOCK);"
mark lock locked || not_ok "b. the test holds group e's lock"

# b. A takes the lower id and holds it; B takes a higher id and commits;
# the recompute of its listener starts and waits for the lock; then A
# commits, then the lock goes. (A and B play different tracks: the
# aggregate_plays row of A's track stays locked until A commits.)
send A "begin; insert into plays (user_id, play_item_id, created_at)
	values (513, 8, '2025-02-01 00:00+00') returning id;"
mark A inserted
idb=$(PGOPTIONS='-c lock_timeout=20s' psql -X -q -At -c "insert into plays (user_id,
	play_item_id, created_at) values (513, 9, '2025-02-01 20:00+00') returning id")
ida=$(grep -B1 '^inserted$' "$W/A.out" | head -n 1)
[ -n "$ida" ] && [ "$ida" -lt "$idb" ] && ok "b. play ids: A $ida < B $idb, B committed first" ||
	not_ok "b. play ids: A [$ida] < B [$idb]"
waiting=0
for _ in $(seq 1 150); do
	waiting=$(q "select count(*) from pg_locks where locktype = 'advisory'
		and not granted and classid = $((0x52434b4e))")
	[ "$waiting" -gt 0 ] && break
	sleep 0.1
done
check_eq "b. a recompute of group e waits for its lock (after B's commit)" "1" \
	"$waiting"
send A "commit;"
mark A committed
check_eq "b. nothing folded while the lock is held" "- none" "$(rows 513)"
send lock "select pg_advisory_unlock($LOCK);"
mark lock unlocked
end=$(lsn_now)
wait_confirmed "$end" 30 && ok "b. reckon confirms past both commits" ||
	not_ok "b. reckon confirms past both commits"
check_eq "b. both folded in id order: A (0 h) starts, B (20 h) adds 1" \
	"2012025020100:2:false:7 2@02-01 20:00" "$(rows 513)"

# c. A takes the lower id (40 h) and holds it; B (20 h) commits and is
# folded; then A commits: folded after B, as the stream delivers it.
send A "begin; insert into plays (user_id, play_item_id, created_at)
	values (514, 8, '2025-02-02 16:00+00') returning id;"
mark A inserted2
idb=$(PGOPTIONS='-c lock_timeout=20s' psql -X -q -At -c "insert into plays (user_id,
	play_item_id, created_at) values (514, 9, '2025-02-01 20:00+00') returning id")
ida=$(grep -B1 '^inserted2$' "$W/A.out" | head -n 1)
[ -n "$ida" ] && [ "$ida" -lt "$idb" ] && ok "c. play ids: A $ida < B $idb" ||
	not_ok "c. play ids: A [$ida] < B [$idb]" "$(cat "$W/A.out")"
folded=""
for _ in $(seq 1 150); do
	folded=$(rows 514)
	[ "$folded" != "- none" ] && break
	sleep 0.1
done
check_eq "c. B is folded while A is open: a streak of 1 from 20 h" \
	"2022025020120:1:false:7 1@02-01 20:00" "$folded"
send A "commit;"
mark A committed2
end=$(lsn_now)
wait_confirmed "$end" 30 && ok "c. reckon confirms past A's commit" ||
	not_ok "c. reckon confirms past A's commit"
check_eq "c. A (lower id, 40 h) folded after B: 20 h after it, +1" \
	"2022025020120:2:false:7 2@02-02 16:00" "$(rows 514)"

# shellcheck disable=SC2154 # FD_A and FD_lock are set by session (eval)
exec {FD_A}>&- {FD_lock}>&-
kill -TERM $pid
wait $pid
check_eq "b, c. reckon exits 0 on SIGTERM" "0" "$?"

# --- d. kill -9 while one writer commits plays: 30 listeners (4097 ..
# 4126), 1 to 3 plays a transaction, a clock advancing 0 to 160 min a
# transaction, a play up to 12 h back now and then, an anonymous one now
# and then.
awk -v seed=18 'BEGIN {
	srand(seed); clock = 0
	for (txn = 0; txn < 1500; txn++) {
		clock += int(rand() * 160)
		n = 1 + int(rand() * 3)
		printf "INSERT INTO public.plays (user_id, play_item_id, created_at) VALUES "
		for (i = 0; i < n; i++) {
			u = rand() < 0.05 ? "NULL" : 4097 + int(rand() * 30)
			back = rand() < 0.1 ? int(rand() * 720) : 0
			printf "%s(%s, 7, timestamptz \0472025-03-01 00:00+00\047 + interval \047%d minutes\047)",
				i ? ", " : "", u, clock - back
		}
		print ";"
		print "SELECT pg_sleep(0.003);"
	}
}' >"$W/workload.sql"
psql -X -q -v ON_ERROR_STOP=1 -f "$W/workload.sql" >/dev/null &
writer=$!
kills=0
while [ $kills -lt "$KILLS" ] || { kill -0 $writer 2>/dev/null && [ $kills -lt 30 ]; }; do
	"$RECKON" >>"$W/kill.log" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -KILL $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
done
wait $writer && ok "d. the writer committed its 1500 transactions" ||
	not_ok "d. the writer committed its 1500 transactions"
echo "  measured: reckon killed with SIGKILL $kills times during the workload"
RECKON_LOG=$W/kill.log reckon_catch_up && ok "d. reckon catches up after $kills kill -9"
check_eq "d. streak rows were written before the end" "t" \
	"$(q "select count(*) > 0 from user_challenges where challenge_id = 'e' and user_id > 4096")"

# The reference: the same plays (ids kept) in a database of their own,
# folded by one statement.
q "create database ref" >/dev/null
psql -X -q -d ref -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" \
	-c "update public.challenges set active = true where id = 'e'" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy (select id, user_id, play_item_id,
	created_at from plays where user_id > 4096) to stdout" |
	psql -X -q -d ref -v ON_ERROR_STOP=1 -c "\\copy plays (id, user_id,
		play_item_id, created_at) from stdin"
{
	prepare_statements listen_streak
	echo "EXECUTE listen_streak('{$(seq -s, 4097 4126)}', 'e', NULL);"
} | psql -X -q -d ref -v ON_ERROR_STOP=1 -f - >/dev/null
E_ROWS="select user_id, specifier, is_complete, current_step_count, amount,
	created_at, completed_at from user_challenges
	where challenge_id = 'e' and user_id > 4096
	union all select user_id, 'state', null, listen_streak, null,
	last_listen_date, streak_started_at from challenge_listen_streak
	where user_id > 4096"
psql -X -At -c "$E_ROWS" | LC_ALL=C sort >"$W/got"
psql -X -At -d ref -c "$E_ROWS" | LC_ALL=C sort >"$W/want"
check_eq "d. rows and state equal one fold in id order ($(wc -l <"$W/want") lines)" \
	"" "$(diff "$W/want" "$W/got" | head -n 20)"
check_eq "d. the reference is not trivial: completions and endless rows" "t" \
	"$(q "select bool_and(x) from (select count(*) filter (where amount = 7
		and is_complete) > 0 as x from user_challenges
		where challenge_id = 'e' and user_id > 4096
		union all select count(*) filter (where amount = 1) > 0
		from user_challenges where challenge_id = 'e' and user_id > 4096) s")"

# --- e. a backfill: `reckon backfill --processor e` on a database with
# history (600 listeners, 5000 .. 5599, 20 plays each over 30 days,
# inserted in random order, anonymous plays among them): pages of 250
# listeners from all_keys (its loose index scan of plays), equal to one
# fold of the same plays; run again, it writes nothing.
q "create database boot" >/dev/null
export PGDATABASE=boot
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" -f "$ROOT/sql/state.sql" \
	-c "update public.challenges set active = true where id = 'e'" >/dev/null
q "select setseed(0.18); insert into plays (user_id, play_item_id, created_at)
	select u, 7, timestamptz '2025-04-01 00:00+00' + random() * interval '720 hours'
	from (select case when g % 47 = 0 then null else 5000 + g % 600 end
		from generate_series(1, 12000) g) s (u) order by random()" >/dev/null
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
"$RECKON" backfill --processor e >"$W/backfill.log" 2>&1
check_eq "e. reckon backfill --processor e exits 0" "0" "$?"
echo "  measured: $(grep -o 'backfill done: [^"]*' "$W/backfill.log" | head -n 1)"
q "create database boot_ref" >/dev/null
psql -X -q -d boot_ref -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" \
	-c "update public.challenges set active = true where id = 'e'" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy (select id, user_id, play_item_id,
	created_at from plays) to stdout" |
	psql -X -q -d boot_ref -v ON_ERROR_STOP=1 -c "\\copy plays (id, user_id,
		play_item_id, created_at) from stdin"
{
	prepare_statements listen_streak
	echo "EXECUTE listen_streak('{$(seq -s, 5000 5599)}', 'e', NULL);"
} | psql -X -q -d boot_ref -v ON_ERROR_STOP=1 -f - >/dev/null
E_ROWS=${E_ROWS//user_id > 4096/user_id >= 5000}
psql -X -At -c "$E_ROWS" | LC_ALL=C sort >"$W/got"
psql -X -At -d boot_ref -c "$E_ROWS" | LC_ALL=C sort >"$W/want"
check_eq "e. the backfill equals one fold ($(wc -l <"$W/want") lines, $(
	q "select count(*) from challenge_listen_streak") listeners)" \
	"" "$(diff "$W/want" "$W/got" | head -n 20)"
check_eq "e. every listener folded, in more than one page" "600 t" \
	"$(q "select count(*) from challenge_listen_streak") $(q "select count(*) > 2
		from reckon.backfill_batches")"
XMINS="select string_agg(k || '=' || xmin || ':' || xmax, ',' order by k)
	from (select 's' || user_id, xmin, xmax from challenge_listen_streak
	union all select 'u' || specifier, xmin, xmax from user_challenges) s (k)"
before=$(q "$XMINS")
"$RECKON" backfill --processor e >"$W/backfill2.log" 2>&1
check_eq "e. run again: exits 0, no row written or locked" "0 t" \
	"$? $([ "$(q "$XMINS")" = "$before" ] && echo t)"

test_done
