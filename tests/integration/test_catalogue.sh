#!/bin/bash
# test_catalogue.sh: every source of every catalogue rule reaches it through
# the stream. Table-driven: each step changes the data, reckon catches up
# (--endpos), and the row of the challenge it affects is checked: each fact
# flipping on and off, and the cross-source cases (a referrer created or
# verified after the referral, an owner unverified then verified again, a
# pinned comment deleted or moved, a track moved to another owner). Then a
# recompute of users whose rows are already right writes nothing.
. "$(dirname "$0")/lib.sh"
setup_db
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null

# row CHALLENGE SPECIFIER: "step|complete" or "none"
row()
{
	q "select coalesce((select current_step_count || '|' || case when is_complete then 't' else 'f' end
		from user_challenges where challenge_id = '$1' and specifier = '$2'), 'none')"
}

# rows CHALLENGE USER: the specifiers the user has under the challenge
rows()
{
	q "select coalesce(string_agg(specifier, ',' order by specifier), 'none')
		from user_challenges where challenge_id = '$1' and user_id = $2"
}

# Each step: description | SQL | check command | expected
steps=(
	"p: a user with a handle and no fact has no row|insert into users(user_id, handle) values (10, 'h10')|row p a|none"
	"p: bio|update users set bio = 'b' where user_id = 10|row p a|1|f"
	"p: the empty string is no fact, whitespace is|update users set bio = '', name = ' ' where user_id = 10|row p a|1|f"
	"p: bio, name, pictures|update users set bio = 'b', profile_picture = 'p', cover_photo = 'c' where user_id = 10|row p a|4|f"
	"p: four follows are not five|insert into follows(follower_user_id, followee_user_id) select 10, g from generate_series(1, 4) g|row p a|4|f"
	"p: the fifth follow|insert into follows(follower_user_id, followee_user_id) values (10, 5)|row p a|5|f"
	"p: a repost|insert into reposts(user_id, repost_item_id, repost_type) values (10, 1, 'track')|row p a|6|f"
	"p: a save completes it|insert into saves(user_id, save_item_id, save_type) values (10, 1, 'track')|row p a|7|t"
	"p: an unfollow lowers the step, completion stays|update follows set is_delete = true where follower_user_id = 10 and followee_user_id = 1|row p a|6|t"
	"p: a deactivated user is frozen|update users set is_deactivated = true where user_id = 10; delete from saves where user_id = 10|row p a|6|t"
	"p: reactivated, it follows the data again|update users set is_deactivated = false where user_id = 10|row p a|5|t"
	"fp: a deleted playlist is none|insert into playlists(playlist_id, playlist_owner_id, is_delete) values (1, 10, true)|rows fp 10|none"
	"fp: undeleted, it completes|update playlists set is_delete = false where playlist_id = 1|row fp a|1|t"
	"fp: deleting it keeps the completion|delete from playlists where playlist_id = 1|row fp a|1|t"
	"v: unverified is none|insert into users(user_id, handle) values (11, 'h11')|rows v 11|none"
	"v: verified completes|update users set is_verified = true where user_id = 11|row v b|1|t"
	"m: not a mobile user is none|insert into user_events(user_id, is_mobile_user) values (12, false)|rows m 12|none"
	"m: a mobile user completes|update user_events set is_mobile_user = true where user_id = 12|row m c|1|t"
	"rd: a referrer that does not exist yet gives nothing|insert into user_events(user_id, referrer) values (20, 30)|rows rd 20|none"
	"rd: the referrer created later: rd for the referred|insert into users(user_id, handle) values (30, 'h30')|row rd 14|1|t"
	"r: and r for the unverified referrer|select 1|rows r 30|1e:14"
	"r: six referrals fill the cap of five|insert into user_events(user_id, referrer) select g, 30 from generate_series(21, 25) g|rows r 30|1e:14,1e:15,1e:16,1e:17,1e:18"
	"rv: the referrer verified gets rv for the held-back pair|update users set is_verified = true where user_id = 30|rows rv 30|1e:19"
	"r: a new referrer is a new pair; the old pair stays|insert into users(user_id, handle) values (31, 'h31'); update user_events set referrer = 31 where user_id = 20|rows r 31|1f:14"
	"r: the old pair's row stays|select 1|rows r 30|1e:14,1e:15,1e:16,1e:17,1e:18"
	"rd: a self-referral gives nothing|insert into users(user_id, handle) values (32, 'h32'); insert into user_events(user_id, referrer) values (32, 32)|rows rd 32|none"
	"cp: a pinned comment by another user of a verified owner's track|insert into users(user_id, handle, is_verified) values (40, 'h40', true); insert into tracks(track_id, owner_id) values (400, 40); insert into comments(comment_id, user_id, entity_id) values (500, 41, 400); update tracks set pinned_comment_id = 500 where track_id = 400|rows cp 41|29:190"
	"cp: the owner unverified: a new pin gives nothing|update users set is_verified = false where user_id = 40; insert into comments(comment_id, user_id, entity_id) values (501, 42, 400); update tracks set pinned_comment_id = 501 where track_id = 400|rows cp 42|none"
	"cp: the owner verified again: the pin counts|update users set is_verified = true where user_id = 40|rows cp 42|2a:190"
	"cp: a pinned comment that is deleted gives nothing|insert into comments(comment_id, user_id, entity_id, is_delete) values (502, 43, 400, true); update tracks set pinned_comment_id = 502 where track_id = 400|rows cp 43|none"
	"cp: the owner's own comment gives nothing|insert into comments(comment_id, user_id, entity_id) values (503, 40, 400); update tracks set pinned_comment_id = 503 where track_id = 400|rows cp 40|none"
	"cp: an unverified owner's pin gives nothing|insert into users(user_id, handle) values (44, 'h44'); insert into tracks(track_id, owner_id) values (401, 44); insert into comments(comment_id, user_id, entity_id) values (504, 45, 401); update tracks set pinned_comment_id = 504 where track_id = 401|rows cp 45|none"
	"cp: the track moved to a verified owner: the pin counts|update tracks set owner_id = 40 where track_id = 401|rows cp 45|2d:191"
	"cp: a pin of a comment on another track gives nothing|insert into tracks(track_id, owner_id) values (402, 40); insert into comments(comment_id, user_id, entity_id) values (505, 46, 999); update tracks set pinned_comment_id = 505 where track_id = 402|rows cp 46|none"
	"cp: the comment moved onto the track: the pin counts|update comments set entity_id = 402 where comment_id = 505|rows cp 46|2e:192"
	"cp: the pinned comment deleted after: the row stays|update comments set is_delete = true where comment_id = 505|rows cp 46|2e:192"
)

for step in "${steps[@]}"; do
	IFS='|' read -r what sql check expected_a expected_b <<<"$step"
	expected=$expected_a${expected_b:+|$expected_b}
	q "begin; $sql; commit" >/dev/null || not_ok "$what: the SQL failed"
	reckon_catch_up || exit 1
	# shellcheck disable=SC2086
	check_eq "$what" "$expected" "$($check)"
done

check_oracle "catalogue steps"

# Write-only-on-change: touch every source row of every user; the
# recomputes that follow find every row already right and write nothing.
q "select pg_stat_force_next_flush()" >/dev/null
before=$(q "select n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables where relname = 'user_challenges'")
q "create table public.uc_writes (n int); insert into uc_writes values (0)"
q "create function public.uc_count() returns trigger language plpgsql as 'begin update public.uc_writes set n = n + 1; return null; end'"
q "create trigger uc_count after insert or update or delete on public.user_challenges for each row execute function public.uc_count()"
q "update users set name = name; update user_events set referrer = referrer; update tracks set owner_id = owner_id; update comments set user_id = user_id; update follows set is_delete = is_delete" >/dev/null
RECKON_LOG="$CLUSTER_DIR/touch.log" reckon_catch_up || exit 1
ran=$(grep -c 'processor \\"' "$CLUSTER_DIR/touch.log")
[ "$ran" -gt 0 ] && ok "touching every source row ran $ran recomputes" || not_ok "no recompute ran"
check_eq "which wrote nothing (counting trigger)" "0" "$(q "select n from uc_writes")"
q "select pg_stat_force_next_flush()" >/dev/null
sleep 0.5
check_eq "and no tuple (pg_stat_user_tables)" "$before" \
	"$(q "select n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables where relname = 'user_challenges'")"
test_done
