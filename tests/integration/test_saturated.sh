#!/bin/bash
# test_saturated.sh: the plays group's saturated users (tools/reckon.conf:
# dirty_monotone plays, saturated = play_saturated) against a real
# PostgreSQL, with one reckon running throughout so that what it learned
# stays in memory (and once restarted, to check the seed read at start).
# Checked: an artist past the last milestone and a user who
# is not verified have their new plays skipped (the stats line counts them)
# while their rows stay right; a deleted track (not an INSERT) makes the
# artist's next batch decide anew, and the plays that follow count again;
# plays deleted in the same transaction as new ones are not skipped; and at
# the end the oracle finds user_challenges equal to the rules.
. "$(dirname "$0")/lib.sh"
setup_db

q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) values (1, 'big', true), (2, 'listener', false)" >/dev/null
q "insert into tracks(track_id, owner_id) values (10, 1), (11, 1), (30, 2)" >/dev/null
q "insert into plays(play_item_id) select 10 from generate_series(1, 9999)" >/dev/null

conf=$CLUSTER_DIR/saturated.conf
sed -e "s/^stats_interval = .*/stats_interval = 100ms/" \
	-e "s/^status_interval = .*/status_interval = 100ms/" "$ROOT/tools/reckon.conf" >"$conf"
log=$CLUSTER_DIR/reckon.log
"$RECKON" -c "$conf" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; cluster_stop' EXIT

# steps USER: "p1 p2 p3" current_step_count and is_complete of USER's rows
steps()
{
	q "select string_agg(current_step_count || ':' || is_complete, ' ' order by challenge_id)
		from user_challenges where user_id = $1 and challenge_id in ('p1', 'p2', 'p3')"
}
# skipped: the last stats line's count of skipped play inserts
skipped()
{
	sleep 0.3 # one more stats line, written after everything confirmed
	sed -n 's/.*inserts skipped \([0-9]*\).*/\1/p' "$log" | tail -n 1
}
settle() { wait_confirmed "$(lsn_now)" 30 || not_ok "reckon confirmed $(lsn_now) within 30 s"; }

settle
check_eq "9,999 plays: p3 at 9999, incomplete" "250:true 1000:true 9999:false" "$(steps 1)"
q "insert into plays(play_item_id) values (10)" >/dev/null
settle
check_eq "the 10,000th play completes p3" "250:true 1000:true 10000:true" "$(steps 1)"
before=$(skipped)

for _ in $(seq 1 20); do q "insert into plays(play_item_id) values (11)" >/dev/null; done
for _ in $(seq 1 5); do q "insert into plays(play_item_id) values (30)" >/dev/null; done
settle
after=$(skipped)
if [ -n "$after" ] && [ "$after" -ge $((before + 24)) ]; then
	ok "plays of a saturated artist and of an unverified user are skipped ($before -> $after)"
else
	not_ok "plays of a saturated artist and of an unverified user are skipped" "$before -> $after"
fi
check_eq "a saturated artist's rows stay complete at their thresholds" \
	"250:true 1000:true 10000:true" "$(steps 1)"
check_oracle "after the skipped plays"

# A restart forgets nothing useful: the seed statement reads the artist's
# rows, complete at every threshold, so its next plays are skipped at once.
kill -TERM $pid
wait $pid
log=$CLUSTER_DIR/reckon2.log
"$RECKON" -c "$conf" >"$log" 2>&1 &
pid=$!
settle
check_eq "restarted: one saturated key read at start" "1" \
	"$(sed -n 's/.*group \\"plays\\": \([0-9]*\) saturated keys at start.*/\1/p' "$log")"
for _ in $(seq 1 3); do q "insert into plays(play_item_id) values (11)" >/dev/null; done
settle
check_eq "and the saturated artist's next plays are skipped" "3" "$(skipped)"

# Not an INSERT: the track with 10,000 plays deleted, N falls to the 23
# plays of track 11; the plays that follow must count again.
q "update tracks set is_delete = true where track_id = 10" >/dev/null
settle
check_eq "a deleted track: steps follow the data down, completions stay" \
	"23:true 23:true 23:true" "$(steps 1)"
for _ in $(seq 1 3); do q "insert into plays(play_item_id) values (11)" >/dev/null; done
settle
check_eq "then each new play counts again" "26:true 26:true 26:true" "$(steps 1)"

# Back past the last milestone (10,026 plays), then one transaction that
# deletes 30 plays and adds 2: the deletes are not INSERTs, so they dirty
# the saturated artist and its rows follow N down to 9,998.
q "update tracks set is_delete = false where track_id = 10" >/dev/null
settle
check_eq "the track restored: back at the thresholds" "250:true 1000:true 10000:true" "$(steps 1)"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
DELETE FROM plays WHERE id IN (SELECT id FROM plays WHERE play_item_id = 10 LIMIT 30);
INSERT INTO plays(play_item_id) VALUES (11), (11);
COMMIT;
SQL
settle
check_eq "plays deleted beside new ones: counted exactly" "250:true 1000:true 9998:true" "$(steps 1)"

# The user becomes verified: a users change, never skipped.
q "update users set is_verified = true where user_id = 2" >/dev/null
settle
check_eq "a user verified after skipped plays gets rows for all of them" "5:false" \
	"$(q "select current_step_count || ':' || is_complete from user_challenges where user_id = 2 and challenge_id = 'p1'")"
check_oracle "at the end"

kill -TERM $pid
wait $pid
check_eq "reckon stops cleanly" "0" "$?"
grep -E "level=(error|fatal)" "$log" | head -n 5
test_done
