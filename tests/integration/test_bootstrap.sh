#!/bin/bash
# test_bootstrap.sh: a new slot's backfill, from the snapshot the slot
# exported, on a database with history and with writes going on.
#   a. History (thousands of users, plays, comments, uploads, the catalogue
#      facts), a writer running through the slot's creation and the
#      backfill, and one transaction that commits exactly while
#      CREATE_REPLICATION_SLOT waits for it (it crosses a play milestone):
#      after the backfill and --endpos, the oracle holds and the milestone
#      is there, counted once.
#   b. The backfill killed with SIGKILL halfway and started again: it
#      resumes after the last recorded batch, redoes none (the counts add
#      up, the primary key refuses a repeat) and the oracle holds.
#      SIGTERM during a backfill stops it between batches (exit 0, nothing
#      streamed) and the next start finishes it.
#   c. --backfill=none starts from now (the history is not recomputed);
#      `reckon backfill` beside the running daemon, with the writer going,
#      then brings everything in line; --processor runs one processor.
#   d. Errors: reckon backfill on a missing slot, an unknown processor,
#      the state tables missing.
. "$(dirname "$0")/lib.sh"
setup_db
USERS=${BOOTSTRAP_USERS:-3000}
W=$CLUSTER_DIR
awk -v seed=7 -v txns=6000 -v users="$USERS" -v tracks=$((USERS * 2)) \
	-f "$ROOT/tests/integration/gen_workload.awk" >"$W/workload.sql"
# slice LO HI: transactions LO..HI-1 of the workload
slice()
{
	awk -v lo="$1" -v hi="$2" '/^-- txn /{ n = $3 } n >= lo && n < hi' "$W/workload.sql"
}
# writer LO HI: apply a slice in the background, a few ms between
# transactions, so it runs through what the test does meanwhile
writer()
{
	slice "$1" "$2" | sed 's/^-- txn .*/SELECT pg_sleep(0.003);/' |
		psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null 2>"$W/writer.err" &
	writer_pid=$!
}
batches() { q "select count(*) from reckon.backfill_batches"; }

slice 0 2500 | psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null || not_ok "history failed to load"
check_eq "a. history: over a thousand users with plays, comments and uploads" "t" \
	"$(q "select (select count(*) from users) > 1000 and (select count(*) from plays) > 1000
		and (select count(*) from comments) > 100 and (select count(*) from tracks) > 1000")"

# a verified artist 10 plays short of the first milestone (250)
q "insert into users(user_id, handle, is_verified) values (9000001, 'cut', true)" >/dev/null
q "insert into tracks(track_id, owner_id) values (9000001, 9000001)" >/dev/null
q "insert into plays(play_item_id) select 9000001 from generate_series(1, 240)" >/dev/null

log=$W/a.log
writer 2500 4000
# the transaction at the cut: it has an xid when the slot's creation
# starts, so CREATE_REPLICATION_SLOT waits for it, and it commits then
psql -X -q -v ON_ERROR_STOP=1 >"$W/cut.out" 2>&1 <<'SQL' &
BEGIN;
INSERT INTO plays(play_item_id) SELECT 9000001 FROM generate_series(1, 10);
SELECT pg_sleep(4);
COMMIT;
SQL
cut_pid=$!
sleep 1
"$RECKON" --create-slot >"$log" 2>&1 &
pid=$!
sleep 2
check_eq "a. CREATE_REPLICATION_SLOT waits for the transaction open at the cut" "0" \
	"$(grep -c 'created replication slot' "$log")"
wait $cut_pid
check_eq "a. the transaction at the cut commits" "0" "$?"
wait_log "$log" 'created replication slot \\"reckon\\" with wal2json at [0-9A-F/]*, snapshot [0-9A-F-]*' 30 &&
	ok "a. the slot is created with an exported snapshot" ||
	not_ok "a. the slot is created with an exported snapshot" "$(tail -n 20 "$log")"
wait_log "$log" 'backfill done' 240 && ok "a. the backfill finishes" ||
	not_ok "a. the backfill finishes" "$(tail -n 20 "$log")"
has "$log" "a. it reads from the slot's exported snapshot" "reading from the slot's exported snapshot"
has "$log" "a. and no batch fell back to a fresh one" "0 snapshot fallbacks"
wait_log "$log" 'streaming from slot' 30 && ok "a. then it streams from the consistent point" ||
	not_ok "a. then it streams from the consistent point" "$(tail -n 20 "$log")"
wait $writer_pid
check_eq "a. the writer ran through the creation and the backfill" "0|" "$?|$(cat "$W/writer.err")"
kill -TERM $pid
wait_exit $pid 60
check_eq "a. reckon stops cleanly" "0" "$?"
RECKON_LOG=$W/a-catchup.log
reckon_catch_up || exit 1
check_oracle "history, writes during creation and backfill"
check_eq "a. the milestone crossed at the cut is complete, once" "1|t|250" \
	"$(q "select count(*), bool_and(is_complete), max(current_step_count) from user_challenges
		where challenge_id = 'p1' and user_id = 9000001")"
expected=$(q "select count(*) from reckon.backfill_runs where finished_at is not null")
check_eq "a. every bootstrap run finished" "0" \
	"$(q "select count(*) from reckon.backfill_runs where finished_at is null")"
check_eq "a. the runs cover every group of the configuration" \
	"$(sed -n 's/.*backfill of \([0-9]*\) groups.*/\1/p' "$log")" "$expected"

# b. kill -9 halfway through a backfill of small batches, then resume.
q "select pg_drop_replication_slot('reckon')" >/dev/null
q "truncate user_challenges, reckon.backfill_runs, reckon.backfill_batches" >/dev/null
conf=$W/small.conf
sed 's/^batch_size = .*/batch_size = 20/' "$ROOT/tools/reckon.conf" >"$conf"
log=$W/b1.log
"$RECKON" --create-slot -c "$conf" >"$log" 2>&1 &
pid=$!
deadline=$(($(date +%s) + 120))
while [ "$(batches)" -lt 150 ] && [ "$(date +%s)" -lt $deadline ] && kill -0 $pid 2>/dev/null; do
	sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null
before=$(batches)
total_keys=$(q "select count(*) from users")
groups=$(q "select count(*) from reckon.backfill_runs")
check_eq "b. killed halfway: some batches recorded, the runs unfinished" "t" \
	"$(q "select $before >= 150 and $before < $groups * ceil($total_keys / 20.0)
		and exists (select from reckon.backfill_runs where finished_at is null)")"
done_before=$(q "select count(*) from reckon.backfill_batches")
# the runs that finished before the kill are not run again; the batches of
# the unfinished ones are the resumed runs' "done before"
unfinished_before=$(q "select count(*) from reckon.backfill_batches b join reckon.backfill_runs r using (run_id) where r.finished_at is null")
writer 4000 4600
log=$W/b2.log
"$RECKON" -c "$conf" >"$log" 2>&1 &
pid=$!
wait_log "$log" 'backfill done' 240 && ok "b. the restarted reckon finishes the backfill" ||
	not_ok "b. the restarted reckon finishes the backfill" "$(tail -n 20 "$log")"
has "$log" "b. it says it resumes each run after its last recorded key" \
	'resuming bootstrap backfill run [0-9]* of group .* after key'
check_eq "b. the batches done before the kill are not redone (counted)" "$unfinished_before" \
	"$(sed -n 's/.*backfill done: .* \([0-9]*\) batches of an earlier process not redone.*/\1/p' "$log")"
run_batches=$(sed -n 's/.* done: [0-9]* keys in \([0-9]*\) batches.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
check_eq "b. batches before + batches after = the rows recorded (none twice)" \
	"$(batches)" "$((done_before + run_batches))"
check_eq "b. every key of every group was covered exactly once" "0" \
	"$(q "select count(*) from (select b.run_id, b.after_key, lead(b.after_key) over w as next, b.last_key
		from reckon.backfill_batches b window w as (partition by b.run_id order by b.after_key)) s
		where next is not null and next <> last_key")"
wait $writer_pid
kill -TERM $pid
wait_exit $pid 60
check_eq "b. reckon stops cleanly" "0" "$?"
RECKON_LOG=$W/b-catchup.log
reckon_catch_up -c "$conf" || exit 1
check_oracle "backfill killed with SIGKILL and resumed"

# b2. SIGTERM during a backfill: it stops between batches, exits 0 and
# streams nothing; the next start finishes it.
q "select pg_drop_replication_slot('reckon')" >/dev/null
q "truncate user_challenges, reckon.backfill_runs, reckon.backfill_batches" >/dev/null
log=$W/b3.log
"$RECKON" --create-slot -c "$conf" >"$log" 2>&1 &
pid=$!
deadline=$(($(date +%s) + 120))
while [ "$(batches)" -lt 50 ] && [ "$(date +%s)" -lt $deadline ] && kill -0 $pid 2>/dev/null; do
	sleep 0.05
done
kill -TERM $pid
wait_exit $pid 60
check_eq "b. SIGTERM during the backfill: exit 0" "0" "$?"
has "$log" "b. it says the backfill stopped and how it resumes" 'backfill stopped after [0-9]* keys .* starting reckon again resumes after the last'
check_eq "b. and it streamed nothing" "0" "$(grep -c 'streaming from slot' "$log")"
RECKON_LOG=$W/b3-catchup.log
reckon_catch_up -c "$conf" || exit 1
has "$RECKON_LOG" "b. the next start resumes and finishes it" 'backfill done'
check_oracle "backfill stopped by SIGTERM and resumed"

# c. --backfill=none, then reckon backfill beside the running daemon
q "select pg_drop_replication_slot('reckon')" >/dev/null
q "truncate user_challenges, reckon.backfill_runs, reckon.backfill_batches" >/dev/null
log=$W/c.log
"$RECKON" --create-slot --backfill=none >"$log" 2>&1 &
pid=$!
wait_log "$log" 'streaming from slot' 30 && ok "c. --backfill=none streams at once" ||
	not_ok "c. --backfill=none streams at once" "$(tail -n 20 "$log")"
has "$log" "c. and says what is not recomputed" 'backfill none: the slot starts from now'
check_eq "c. no backfill ran" "0|0" \
	"$(q "select count(*) from reckon.backfill_runs")|$(grep -c 'backfill done' "$log")"
writer 4600 5400
"$RECKON" backfill --processor c >"$W/c-one.log" 2>&1
check_eq "c. reckon backfill --processor c exits 0" "0" "$?"
check_eq "c. it ran one run, of c's group, for c only" "1|c" \
	"$(q "select count(*), string_agg(processor, ',') from reckon.backfill_runs where kind = 'manual'")"
"$RECKON" backfill >"$W/c-all.log" 2>&1
check_eq "c. reckon backfill (every group) beside the daemon exits 0" "0" "$?"
has "$W/c-all.log" "c. it reports its rate" 'backfill done: [0-9]* keys in [0-9.]* s ([0-9]* keys/s)'
wait $writer_pid
check_eq "c. the writer ran beside it" "0|" "$?|$(cat "$W/writer.err")"
kill -TERM $pid
wait_exit $pid 60
check_eq "c. reckon stops cleanly" "0" "$?"
RECKON_LOG=$W/c-catchup.log
reckon_catch_up || exit 1
check_oracle "--backfill=none, then reckon backfill beside the stream"

# d. errors
"$RECKON" backfill --slot nosuch >"$W/d1.log" 2>&1
check_eq "d. reckon backfill on a missing slot exits 2" "2" "$?"
has "$W/d1.log" "d. naming the slot and --create-slot" 'replication slot \\"nosuch\\" does not exist: reckon backfill'
"$RECKON" backfill --processor nosuch >"$W/d2.log" 2>&1
check_eq "d. an unknown --processor exits 2" "2" "$?"
has "$W/d2.log" "d. naming it" 'no processor \\"nosuch\\"'
q "create database nostate" >/dev/null
PGDATABASE=nostate psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/schema.sql" >/dev/null
PGDATABASE=nostate "$ROOT/bin/reckon" --slot nostate --create-slot --metrics-addr= >"$W/d3.log" 2>&1
check_eq "d. without the state tables a bootstrap exits 2" "2" "$?"
has "$W/d3.log" "d. naming sql/state.sql and --backfill=none" 'run sql/state.sql .* or start with --backfill=none'
check_eq "d. and creates no slot" "0" \
	"$(q "select count(*) from pg_replication_slots where slot_name = 'nostate'")"

test_done
