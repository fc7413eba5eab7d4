#!/bin/bash
# test_truncate.sh: TRUNCATE of a source table while reckon streams. The
# stream names no rows for a TRUNCATE, so every group whose rules read the
# table recomputes every key its rescan_keys statement lists (all users)
# before the position past the TRUNCATE is acknowledged. Checked against a
# real PostgreSQL: plays, comments and tracks (with CASCADE, the lookup's
# table) truncated, alone and beside inserts in the same transaction; the
# oracle agrees after each; reckon killed -9 in the middle of a rescan has
# not acknowledged the TRUNCATE and finishes it after a restart; and with
# rescan_keys = none a TRUNCATE stops reckon (exit 1) without acknowledging it.
. "$(dirname "$0")/lib.sh"
setup_db

q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
# 3,000 users, a third of them artists with plays; comments for some
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
insert into users(user_id, handle, is_verified)
	select u, 'u' || u, u % 3 = 0 from generate_series(1, 3000) u;
insert into tracks(track_id, owner_id)
	select u * 10, u from generate_series(3, 3000, 3) u;
insert into plays(play_item_id)
	select (1 + (g % 1000)) * 30 from generate_series(1, 300000) g;
insert into comments(comment_id, user_id, entity_id, created_at)
	select g, 1 + g % 3000, 30, now() from generate_series(1, 2000) g;
SQL

conf=$CLUSTER_DIR/truncate.conf
# small pages, so that a rescan of 3,000 users takes many batches
sed -e "s/^batch_size = .*/batch_size = 100/" \
	-e "s/^status_interval = .*/status_interval = 100ms/" \
	"$ROOT/tools/reckon.conf" >"$conf"
RECKON_LOG=$CLUSTER_DIR/catchup.log
reckon_catch_up -c "$conf" || exit 1
check_oracle "before any TRUNCATE"
check_eq "plays completed p1 for the artists" "1000" \
	"$(q "select count(*) from user_challenges where challenge_id = 'p1' and is_complete")"

# TRUNCATE plays: p1 completions are sticky, the in-progress p2/p3 rows go
# back to 0 plays
q "truncate plays" >/dev/null
reckon_catch_up -c "$conf" || exit 1
check_oracle "after TRUNCATE plays"
check_eq "p2 rows counted 0 plays after the TRUNCATE" "0" \
	"$(q "select coalesce(max(current_step_count), 0) from user_challenges where challenge_id = 'p2' and not is_complete")"
if grep -q 'group \\"plays\\": rescan done, 3000 keys recomputed' "$RECKON_LOG"; then
	ok "the plays group recomputed all 3,000 users"
else
	not_ok "the plays group recomputed all 3,000 users" "$(grep -i 'truncate\|rescan' "$RECKON_LOG" | tail -n 5)"
fi

# TRUNCATE and new rows in one transaction: the new rows count
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
begin;
truncate comments;
insert into comments(comment_id, user_id, entity_id, created_at)
	values (9001, 5, 30, now()), (9002, 6, 30, now());
insert into plays(play_item_id) select 30 from generate_series(1, 300);
commit;
SQL
reckon_catch_up -c "$conf" || exit 1
check_oracle "after TRUNCATE comments beside inserts"

# TRUNCATE tracks CASCADE (plays too) and new tracks in the same
# transaction: the track_owner lookup is emptied, then refilled by the inserts
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
begin;
truncate tracks cascade;
insert into tracks(track_id, owner_id) values (77, 6), (88, 9);
insert into plays(play_item_id) select 77 from generate_series(1, 260);
commit;
insert into plays(play_item_id) select 88 from generate_series(1, 5);
SQL
reckon_catch_up -c "$conf" || exit 1
check_oracle "after TRUNCATE tracks CASCADE"
check_eq "plays of a track inserted after the TRUNCATE count for its owner" "260" \
	"$(q "select current_step_count from user_challenges where challenge_id = 'p2' and user_id = 6")"

# killed -9 during a rescan: the TRUNCATE is not acknowledged, and the
# restarted reckon streams it again and finishes
q "insert into plays(play_item_id) select 77 from generate_series(1, 2000)" >/dev/null
reckon_catch_up -c "$conf" || exit 1
before=$(slot_confirmed)
q "truncate plays" >/dev/null
truncated=$(lsn_now)
log=$CLUSTER_DIR/kill.log
"$RECKON" -c "$conf" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	grep -q 'processor \\"p1\\": 100 keys' "$log" && break
	sleep 0.02
done
kill -KILL $pid
wait $pid 2>/dev/null
if grep -q 'rescan done' "$log"; then
	not_ok "reckon was killed in the middle of the rescan" "the rescan finished first: the test needs more users"
else
	ok "reckon was killed in the middle of the rescan"
fi
if lsn_ge "$(slot_confirmed)" "$truncated"; then
	not_ok "the TRUNCATE was not acknowledged by the killed reckon" "confirmed $(slot_confirmed), TRUNCATE ended at $truncated"
else
	ok "the TRUNCATE was not acknowledged by the killed reckon ($before <= $(slot_confirmed) < $truncated)"
fi
reckon_catch_up -c "$conf" || exit 1
check_oracle "after a rescan interrupted by kill -9"
check_eq "user 6's p3 row counted 0 plays after the interrupted TRUNCATE" "0" \
	"$(q "select current_step_count from user_challenges where challenge_id = 'p3' and user_id = 6")"

# without a rescan_keys statement a TRUNCATE stops reckon, unacknowledged
sed -e 's/^rescan_keys = .*/rescan_keys = none/' "$conf" >"$conf.none"
grep -q '^rescan_keys = none' "$conf.none" || not_ok "the test config sets rescan_keys = none"
before=$(slot_confirmed)
q "truncate comments" >/dev/null
end=$(lsn_now)
timeout 60 "$RECKON" -c "$conf.none" --endpos "$end" >"$log" 2>&1
check_eq "a TRUNCATE without rescan_keys: exit 1" "1" "$?"
if grep -q 'TRUNCATE of public.comments: group \\"c\\" .*no \\"rescan_keys\\" statement' "$log"; then
	ok "the error names the table, the group and the setting"
else
	not_ok "the error names the table, the group and the setting" "$(tail -n 5 "$log")"
fi
if lsn_ge "$(slot_confirmed)" "$end"; then
	not_ok "the TRUNCATE was not acknowledged" "confirmed $(slot_confirmed) >= $end"
else
	ok "the TRUNCATE was not acknowledged ($(slot_confirmed) < $end)"
fi
reckon_catch_up -c "$conf" || exit 1
check_oracle "after the default configuration took the TRUNCATE"
test_done
