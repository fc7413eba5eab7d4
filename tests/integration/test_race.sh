#!/bin/bash
# test_race.sh: the visibility race. A commit reaches the stream once its
# WAL is flushed, which can be before it is visible to new snapshots; a
# recompute started at once would read the data without it and still
# acknowledge it. Many single-play commits, each taking a verified artist
# across the p1 threshold, run concurrently while reckon runs with a zero
# coalescing window: no crossing may be lost.
. "$(dirname "$0")/lib.sh"
setup_db
USERS=100

conf=$(mktemp)
sed 's/^window = .*/window = 0ms/' "$ROOT/tools/reckon.conf" >"$conf"
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) select g, 'u' || g, true from generate_series(1, $USERS) g"
q "insert into tracks(track_id, owner_id) select g, g from generate_series(1, $USERS) g"
q "insert into plays(play_item_id) select t from generate_series(1, $USERS) t, generate_series(1, 249)" >/dev/null
reckon_catch_up --config "$conf" || exit 1
check_eq "every artist at 249 plays, none complete" "$USERS|0" \
	"$(q "select count(*), count(*) filter (where is_complete) from user_challenges where challenge_id = 'p1' and current_step_count = 249")"

log=$(mktemp)
"$RECKON" --config "$conf" -v >"$log" 2>&1 &
pid=$!
sleep 1
for round in 1 2; do
	for g in $(seq 1 $USERS); do
		if [ $((g % 2 + 1)) -eq "$round" ]; then
			psql -X -q -c "insert into plays(play_item_id) values ($g)" &
		fi
	done
	wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
done
end=$(lsn_now)
wait_confirmed "$end" 60
kill -TERM $pid
wait $pid
check_eq "reckon stops with exit 0 on SIGTERM" "0" "$?"
lsn_ge "$(slot_confirmed)" "$end" && ok "the slot reached the end of the workload" || not_ok "slot at $(slot_confirmed), end $end"
check_eq "every crossing completed p1 (none lost)" "$USERS" \
	"$(q "select count(*) from user_challenges where challenge_id = 'p1' and is_complete and current_step_count = 250")"
check_oracle "race"
waits=$(grep -c "not yet visible" "$log")
echo "  measured: $waits recompute(s) found a streamed commit not yet visible and waited"
grep -q "stop requested" "$log" && ok "SIGTERM logged as a stop" || not_ok "no stop line"
[ "${KEEP_LOG:-}" ] && cp "$log" /tmp/race.log && q "select user_id, current_step_count, is_complete from user_challenges where challenge_id = 'p1' and not is_complete" > /tmp/race.lost
rm -f "$conf" "$log"
test_done
