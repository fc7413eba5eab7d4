#!/bin/bash
# fault_bigtxn.sh: a huge transaction and a long one, in bounded memory.
# While the random workload commits and reckon streams: one transaction
# of 5,000,000 plays (x FAULTS_SCALE) spread over 2,000 tracks, so that
# 5M messages arrive at once after its commit; and one transaction held
# open for 2 minutes (x FAULTS_SCALE) that writes plays, comments and
# tracks of the workload's users before, during and after the huge one,
# then commits. Checked: while the long transaction is open, the slot's
# confirmed position still moves with the workload's commits (reckon does
# not wait for a transaction that has not committed); reckon's peak RSS
# stays under 64 MB (its stats lines, the last of each process); and
# faults_finish's oracle, exactly-once counts and monotonic positions. The
# huge transaction's plays are of tracks of user 1000, a verified artist
# outside the workload's users, so its milestones are checked exactly.
. "$(dirname "$0")/lib.sh"
faults_setup "logical_decoding_work_mem = 64MB"
HUGE=$((5000000 * FAULTS_SCALE))
LONG_SECONDS=$((120 * FAULTS_SCALE))
RSS_MAX_KB=$((64 * 1024))

q "insert into users(user_id, handle, is_verified) values (1000, 'huge', true)" >/dev/null
q "insert into tracks(track_id, owner_id) select 100000 + g, 1000 from generate_series(1, 2000) g" >/dev/null
# the long transaction's own tracks, of workload users: a play updates its
# track's aggregate_plays row (a trigger), and that row lock, held until
# the long transaction commits, would stall every workload play of a
# shared track
q "insert into tracks(track_id, owner_id) select 800000 + g, 1 + g % 40 from generate_series(1, 20) g" >/dev/null

faults_sampler_start
faults_workload_start $((FAULTS_SEED % 100000 + 4))
faults_reckon_start

# The long transaction: a psql fed through a FIFO, so it stays open.
fifo=$CLUSTER_DIR/long.fifo
mkfifo "$fifo"
psql -X -q -v ON_ERROR_STOP=1 <"$fifo" >"$FAULTS_LOGS/long.log" 2>&1 &
long_pid=$!
FAULTS_EXTRA_PIDS+=("$long_pid")
exec 3>"$fifo"
echo "begin;
insert into plays(play_item_id) select 800001 + g % 20 from generate_series(1, 3000) g;
insert into comments(comment_id, user_id, entity_id) values (900001, 3, 1), (900002, 4, 1);
select 'long transaction open';" >&3
long_start=$(date +%s)
for _ in $(seq 1 100); do
	grep -q 'long transaction open' "$FAULTS_LOGS/long.log" 2>/dev/null && break
	sleep 0.1
done
faults_log "long transaction open"

# the confirmed position moves with the workload's commits while the long
# transaction is open
sleep 5
c1=$(slot_confirmed)
t1=$(q "select count(*) from faults.progress")
sleep 10
c2=$(slot_confirmed)
t2=$(q "select count(*) from faults.progress")
moved=$(q "select '$c2'::pg_lsn - '$c1'::pg_lsn")
if [ $((t2 - t1)) -ge 100 ] && [ "$moved" -ge 10000 ]; then
	ok "with a transaction open, the confirmed position follows the other commits ($((t2 - t1)) transactions, $moved bytes)"
else
	not_ok "with a transaction open, the confirmed position follows the other commits" \
		"$((t2 - t1)) workload transactions committed, confirmed moved $moved bytes ($c1 -> $c2)"
fi

# the huge transaction, while the long one is still open
start=$(date +%s)
q "insert into plays(play_item_id) select 100001 + g % 2000 from generate_series(1, $HUGE) g" >/dev/null ||
	not_ok "the huge transaction commits"
huge_end=$(lsn_now)
faults_log "huge transaction of $HUGE plays committed in $(($(date +%s) - start)) s"
faults_count huge_rows "$HUGE"
if wait_confirmed "$huge_end" 600; then
	ok "reckon confirmed past the huge transaction ($HUGE plays) in $(($(date +%s) - start)) s"
else
	not_ok "reckon confirmed past the huge transaction within 600 s" "$(tail -n 5 "$RECKON_LOG_FILE")"
fi
check_eq "the huge transaction's artist completed p3 at $HUGE plays" "t|10000" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'p3' and user_id = 1000")"
faults_reckon_alive "after the huge transaction"

# the long transaction writes again, waits out its time, and commits
echo "insert into plays(play_item_id) select 800001 + g % 20 from generate_series(1, 3000) g;
insert into tracks(track_id, owner_id) values (900001, 5);
insert into plays(play_item_id) select 900001 from generate_series(1, 300);" >&3
left=$((LONG_SECONDS - ($(date +%s) - long_start)))
[ $left -gt 0 ] && sleep $left
echo "commit; select 'long transaction committed';" >&3
exec 3>&-
wait "$long_pid"
check_eq "the long transaction committed after $LONG_SECONDS s" 0 "$?"
grep -q 'long transaction committed' "$FAULTS_LOGS/long.log" ||
	not_ok "the long transaction committed" "$(tail -n 3 "$FAULTS_LOGS/long.log")"
faults_count long_txn_seconds "$(($(date +%s) - long_start))"

faults_finish "a huge and a long transaction during the workload"

# peak RSS: the largest of the last stats line of every reckon process
peak=0
for f in "$FAULTS_LOGS"/reckon.*.log; do
	kb=$(sed -n 's/.*[ "]stats: .* peak RSS \([0-9]*\) kB.*/\1/p' "$f" | tail -n 1)
	[ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
done
faults_count peak_rss_kb "$peak"
faults_write_counts
if [ "$peak" -gt 0 ] && [ "$peak" -le $RSS_MAX_KB ]; then
	ok "reckon's peak RSS stayed bounded: $peak kB (<= $RSS_MAX_KB kB)"
else
	not_ok "reckon's peak RSS stayed bounded (<= $RSS_MAX_KB kB)" "peak $peak kB"
fi
test_done
