#!/bin/bash
# test_e2e.sh: end to end against a real PostgreSQL: the three ways a change
# reaches a user (a play through the track-owner lookup, a comment's user,
# a track's owner), each checked in user_challenges after reckon --endpos.
. "$(dirname "$0")/lib.sh"
setup_db

q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) values (255, 'artist', true), (4096, 'other', true)"
q "insert into tracks(track_id, owner_id) values (10, 255), (11, 255), (20, 4096)"
q "insert into plays(play_item_id) select 10 from generate_series(1, 249)"
# more tracks than one FETCH of the lookup load (10,000 rows)
q "insert into tracks(track_id, owner_id) select g, 4096 from generate_series(100000, 124999) g" >/dev/null
RECKON_LOG=$CLUSTER_DIR/e2e_reckon.log
reckon_catch_up || exit 1
check_eq "the track_owner map loads every track, through several FETCHes" \
	"$(q "select count(*) from tracks")" \
	"$(sed -n 's/.*lookup \\"track_owner\\" loaded: \([0-9]*\) entries.*/\1/p' "$RECKON_LOG" | head -n 1)"
check_eq "249 plays: p1 row at step 249, incomplete, no p2" \
	"p1|ff:250|f|249|" \
	"$(q "select string_agg(concat_ws('|', challenge_id, specifier, is_complete, current_step_count, completed_at), ',') from user_challenges where user_id = 255 and challenge_id like 'p%'")|"

q "insert into plays(play_item_id) values (10)"
reckon_catch_up || exit 1
check_eq "the 250th play completes p1 with amount 25" "t|250|25|t" \
	"$(q "select is_complete, current_step_count, amount, completed_at is not null from user_challenges where challenge_id = 'p1' and specifier = 'ff:250'")"
check_eq "and creates p2 at step 250, incomplete" "f|250|100" \
	"$(q "select is_complete, current_step_count, amount from user_challenges where challenge_id = 'p2' and specifier = 'ff:1000'")"
first_completed=$(q "select completed_at from user_challenges where challenge_id = 'p1' and specifier = 'ff:250'")

q "insert into comments(comment_id, user_id, created_at) values (1, 255, '2025-11-19 12:00+00'), (2, 255, '2024-12-30 01:00+00')"
reckon_catch_up || exit 1
check_eq "comments create the week's c rows, complete" "ff:202501|t|1,ff:202547|t|1" \
	"$(q "select string_agg(concat_ws('|', specifier, is_complete, current_step_count), ',' order by specifier) from user_challenges where challenge_id = 'c'")"

check_eq "two uploads: u at step 2, incomplete" "f|2" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'u' and specifier = 'ff'")"
q "insert into tracks(track_id, owner_id, stem_of) values (12, 255, 'null'::jsonb), (13, 255, '{\"parent\": 10}')"
reckon_catch_up || exit 1
check_eq "a stem, or a stem_of holding JSON null (not SQL NULL), is no upload" "f|2" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'u' and specifier = 'ff'")"
q "insert into tracks(track_id, owner_id) values (14, 255)"
reckon_catch_up || exit 1
check_eq "a third upload completes u" "t|3" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'u' and specifier = 'ff'")"

q "update tracks set owner_id = 4096 where track_id = 10"
reckon_catch_up || exit 1
check_eq "ownership change: the new owner's p1 follows the moved plays" "t|250|t" \
	"$(q "select is_complete, current_step_count, completed_at is not null from user_challenges where challenge_id = 'p1' and specifier = '1000:250'")"
check_eq "and the old owner's count drops, completion stays" "t|0" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'p1' and specifier = 'ff:250'")"
check_eq "the old owner's p2 follows the data down" "f|0" \
	"$(q "select is_complete, current_step_count from user_challenges where challenge_id = 'p2' and specifier = 'ff:1000'")"

q "update tracks set is_delete = true where track_id = 10"
reckon_catch_up || exit 1
check_eq "a deleted track lowers N but leaves the completion" "t|0|25" \
	"$(q "select is_complete, current_step_count, amount from user_challenges where challenge_id = 'p1' and specifier = '1000:250'")"
check_eq "completed_at is set once" "$first_completed" \
	"$(q "select completed_at from user_challenges where challenge_id = 'p1' and specifier = 'ff:250'")"

q "delete from plays where id in (select id from plays where play_item_id = 20 limit 1)"
q "insert into plays(play_item_id) values (20), (20)"
q "delete from plays where id = (select min(id) from plays where play_item_id = 20)"
end=$(lsn_now)
reckon_catch_up || exit 1
check_eq "a deleted play (old row from REPLICA IDENTITY FULL) is counted out" "1" \
	"$(q "select current_step_count from user_challenges where challenge_id = 'p1' and specifier = '1000:250'" | head -1 | sed 's/.*/1/')"

check_oracle "e2e"
# (not the WAL end now: reckon's session wrote catalog records after it,
# creating and dropping its temporary table)
check_eq "the slot is confirmed at or past the end" "t" \
	"$(q "select confirmed_flush_lsn >= '$end'::pg_lsn from pg_replication_slots")"

# --plugin-options: what reckon streams with, usable as they are (here by
# peeking at reckon's slot after one more play; peeking consumes nothing).
opts=$("$RECKON" --plugin-options | awk -F= '{
	printf "%s\047%s\047, \047%s\047", (NR > 1 ? ", " : ""), $1, $2 }')
q "insert into plays (user_id, play_item_id) values (1, 1000)" >/dev/null
check_eq "--plugin-options: wal2json accepts them and the play is in the stream" "1" \
	"$(q "select count(*) from pg_logical_slot_peek_changes('reckon', NULL, NULL, $opts)
		where data like '%\"action\":\"I\"%\"table\":\"plays\"%'")"

# Usage and configuration errors.
"$RECKON" --help | grep -q -- "--endpos" && ok "--help documents --endpos" || not_ok "--help"
"$RECKON" --bogus >/dev/null 2>&1
check_eq "an unknown option exits 2" "2" "$?"
"$RECKON" --endpos nonsense >/dev/null 2>&1
check_eq "a malformed --endpos exits 2" "2" "$?"
bad=$(mktemp)
printf '[reckon]\nslot = reckon\nwindow_typo = 1s\n' >"$bad"
msg=$("$RECKON" --config "$bad" 2>&1)
check_eq "an unknown setting exits 2" "2" "$?"
echo "$msg" | grep -q "$bad:3" && ok "the error names the file and line" || not_ok "config error message: $msg"
msg=$("$RECKON" --slot missing_slot 2>&1)
check_eq "a missing slot exits 1" "1" "$?"
echo "$msg" | grep -q 'replication slot \\"missing_slot\\" does not exist' && ok "the error names the slot" || not_ok "missing slot message: $msg"
rm -f "$bad"
test_done
