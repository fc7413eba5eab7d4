#!/usr/bin/env bash
# test_sql_catalogue.sh: tests the catalogue recompute statements
# (the rules of sql/rules/: profile_completion 'p', first_playlist 'fp',
# connect_verified 'v', mobile_install 'm', referred 'rd',
# referral 'r' and 'rv', comment_pin 'cp', composed with their write
# policies as reckon runs them) directly through psql,
# without the daemon, as test_sql.sh does for the first three: every session
# PREPAREs them with the parameter types src/recompute.c uses ($1 bigint[],
# $2 text, $3 bigint) and EXECUTEs them with the keys the daemon passes (user
# ids; referrer ids for referred and referral; track owner ids for
# comment_pin).
#
# Table-driven: each case is a name, the rows the statements must return
# and a script of data changes and EXECUTEs (a case ends with EXECUTEs, after
# its last data change). After every case its EXECUTE lines run again, in a
# new session, and must write nothing: no row returned, the counting trigger
# on user_challenges does not fire, pg_stat_user_tables.n_tup_ins/n_tup_upd
# of user_challenges do not move, and no row's xmin or xmax changes (not even
# a row lock). At the end a full recompute of every key must leave
# tests/integration/oracle.sql (with -v catalogue=1) silent. Exits 1 on any
# failure.
#
# Needs PostgreSQL 15 binaries (tests/integration/cluster.sh starts a
# throwaway cluster and stops it at exit).

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
cluster_start || {
	echo "test_sql_catalogue: could not start a cluster" >&2
	exit 1
}
export PGTZ=America/Los_Angeles

WORK="$CLUSTER_DIR/test_sql_catalogue" # removed with the cluster
mkdir -p "$WORK"
PREP="$WORK/prepare.sql"
STATEMENTS="profile_completion first_playlist connect_verified mobile_install
	referred referral comment_pin"

# The table-driven cases: lib.sh's case_ and noop, with the statements
# prepared in every session (sql, for lib.sh's expect).
NOOP_COUNTER=uc_writes
NOOP_TABLES="user_challenges"
sql() { prepared_sql; }

# ---------------------------------------------------------------------------
# Schema, statement files, fixture
# ---------------------------------------------------------------------------

if out=$(psql -X -q -v ON_ERROR_STOP=1 -f sql/schema.sql 2>&1); then
	ok "schema.sql loads into an empty database"
else
	not_ok "schema.sql loads into an empty database" "$out"
	test_done
	exit 1
fi

check_single_statement $STATEMENTS

# The first three statements too, for the final full recompute.
prepare_statements $STATEMENTS play_milestone first_weekly_comment \
	track_upload >"$PREP"

expect "statements prepare with types (bigint[], text, bigint)" "" <<'SQL'
SQL

expect "catalogue rows of the new challenges" \
	"cp|aggregate|10||t
fp|boolean|2||t
m|boolean|1||t
p|numeric|1|7|t
r|aggregate|1|5|t
rd|boolean|1||t
rv|aggregate|1|5000|t
v|boolean|5||t" <<'SQL'
SELECT id, type, amount, step_count, active FROM public.challenges
WHERE id IN ('p', 'fp', 'v', 'm', 'rd', 'r', 'rv', 'cp');
SQL

# A trigger counts the rows actually written to user_challenges.
expect "fixture" "" <<'SQL'
CREATE TABLE uc_writes (n bigint NOT NULL);
INSERT INTO uc_writes VALUES (0);
CREATE FUNCTION count_uc_write() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN UPDATE uc_writes SET n = n + 1; RETURN NULL; END $$;
CREATE TRIGGER uc_writes AFTER INSERT OR UPDATE ON public.user_challenges
	FOR EACH ROW EXECUTE FUNCTION count_uc_write();
SQL

# The write checks are not vacuous: a statement that writes one row moves
# the trigger count and n_tup_ins by one.
expect "write checks see a write (trigger +1, n_tup_ins +1)" "1|1|0" <<'SQL'
SELECT n AS w0 FROM uc_writes \gset
SELECT n_tup_ins AS i0, n_tup_upd AS u0 FROM pg_stat_user_tables
	WHERE relid = 'public.user_challenges'::regclass \gset
\o /dev/null
INSERT INTO public.user_events (user_id, is_mobile_user) VALUES (1, true);
EXECUTE mobile_install('{1}', 'm', NULL);
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
\o
SELECT (SELECT n - :w0 FROM uc_writes), n_tup_ins - :i0, n_tup_upd - :u0
FROM pg_stat_user_tables WHERE relid = 'public.user_challenges'::regclass;
DELETE FROM public.user_events;
DELETE FROM public.user_challenges;
SQL

# ---------------------------------------------------------------------------
# p: profile completion. User 171 = 0xab. The seven facts are turned on one
# by one (the step follows, the seventh completes), then off one by one
# (the step follows down, the completion stays).
# ---------------------------------------------------------------------------

case_ "p: a users row with a handle and no fact gets no row; 4 live follows, a deleted one, a follower and deleted reposts/saves are no fact" "" "
INSERT INTO public.users (user_id, handle) VALUES (171, 'ab');
INSERT INTO public.follows (follower_user_id, followee_user_id, is_delete) VALUES
	(171, 1, false), (171, 2, false), (171, 3, false), (171, 4, false),
	(171, 5, true), (9, 171, false), (8, 171, false);
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, is_delete)
	VALUES (171, 1, 'track', true);
INSERT INTO public.saves (user_id, save_item_id, save_type, is_delete)
	VALUES (171, 1, 'track', true);
UPDATE public.users SET bio = '', name = NULL, profile_picture = '' WHERE user_id = 171;
EXECUTE profile_completion('{171}', 'p', NULL);"

FACTS=(bio name profile_picture cover_photo follows repost save)
FACT_ON=(
	"UPDATE public.users SET bio = 'hello' WHERE user_id = 171;"
	"UPDATE public.users SET name = ' ' WHERE user_id = 171; -- blanks are text"
	"UPDATE public.users SET profile_picture = 'p.jpg' WHERE user_id = 171;"
	"UPDATE public.users SET cover_photo = 'c.jpg' WHERE user_id = 171;"
	"UPDATE public.follows SET is_delete = false WHERE follower_user_id = 171 AND followee_user_id = 5;"
	"INSERT INTO public.reposts (user_id, repost_item_id, repost_type) VALUES (171, 2, 'playlist');"
	"INSERT INTO public.saves (user_id, save_item_id, save_type) VALUES (171, 2, 'track');"
)
FACT_OFF=(
	"UPDATE public.users SET bio = '' WHERE user_id = 171;"
	"UPDATE public.users SET name = NULL WHERE user_id = 171;"
	"UPDATE public.users SET profile_picture = '' WHERE user_id = 171;"
	"UPDATE public.users SET cover_photo = NULL WHERE user_id = 171;"
	"DELETE FROM public.follows WHERE follower_user_id = 171 AND followee_user_id = 1;"
	"UPDATE public.reposts SET is_delete = true WHERE user_id = 171;"
	"UPDATE public.saves SET is_delete = true WHERE user_id = 171;"
)
for i in "${!FACTS[@]}"; do
	step=$((i + 1))
	if [ $step -eq 7 ]; then want="p|171|ab|7|t|t"; else want="p|171|ab|$step|f|f"; fi
	case_ "p: fact ${FACTS[$i]} on: step $step" "$want" "
${FACT_ON[$i]}
EXECUTE profile_completion('{171,171,NULL}', 'p', NULL);"
done
for i in "${!FACTS[@]}"; do
	step=$((6 - i))
	case_ "p: fact ${FACTS[$i]} off: step $step, still complete" \
		"p|171|ab|$step|t|f" "
${FACT_OFF[$i]}
EXECUTE profile_completion('{171}', 'p', NULL);"
done

expect "p: the complete row kept amount 1 and completed_at" "p|0|t|1|t" <<'SQL'
SELECT challenge_id, current_step_count, is_complete, amount,
	completed_at IS NOT NULL
FROM public.user_challenges WHERE challenge_id = 'p' AND user_id = 171;
SQL

case_ "p: deactivated user: row frozen" "" "
UPDATE public.users SET is_deactivated = true, bio = 'back' WHERE user_id = 171;
EXECUTE profile_completion('{171}', 'p', NULL);"
case_ "p: reactivated: the row follows again" "p|171|ab|1|t|f" "
UPDATE public.users SET is_deactivated = false WHERE user_id = 171;
EXECUTE profile_completion('{171}', 'p', NULL);"
case_ "p: handle NULL: row frozen" "" "
UPDATE public.users SET handle = NULL, name = 'n' WHERE user_id = 171;
EXECUTE profile_completion('{171}', 'p', NULL);"
case_ "p: handle back: the row follows again" "p|171|ab|2|t|f" "
UPDATE public.users SET handle = 'ab' WHERE user_id = 171;
EXECUTE profile_completion('{171}', 'p', NULL);"

# 172 = 0xac: only follows, reposts, saves and no users row: no row.
case_ "p: no users row: no row whatever the facts" "" "
INSERT INTO public.follows (follower_user_id, followee_user_id)
	SELECT 172, g FROM generate_series(1, 6) g;
INSERT INTO public.reposts (user_id, repost_item_id, repost_type) VALUES (172, 1, 'track');
INSERT INTO public.saves (user_id, save_item_id, save_type) VALUES (172, 1, 'track');
EXECUTE profile_completion('{172}', 'p', NULL);"
case_ "p: the users row appears: 3 facts" "p|172|ac|3|f|f" "
INSERT INTO public.users (user_id, handle) VALUES (172, 'ac');
EXECUTE profile_completion('{172}', 'p', NULL);"
case_ "p: an incomplete row's amount follows the catalogue" "p|172|ac|3|f|f
172|3" "
UPDATE public.challenges SET amount = 3 WHERE id = 'p';
EXECUTE profile_completion('{172,171}', 'p', NULL);
SELECT user_id, amount FROM public.user_challenges WHERE challenge_id = 'p' AND user_id = 172;"
case_ "p: back to amount 1; the complete row of 171 kept 1" "p|172|ac|3|f|f
171|1
172|1" "
UPDATE public.challenges SET amount = 1 WHERE id = 'p';
EXECUTE profile_completion('{172,171}', 'p', NULL);
SELECT user_id, amount FROM public.user_challenges WHERE challenge_id = 'p';"

# ---------------------------------------------------------------------------
# fp: first playlist. 241 = 0xf1 and 242 = 0xf2 have no users row.
# ---------------------------------------------------------------------------

case_ "fp: no playlist, or only a deleted one: no row" "" "
EXECUTE first_playlist('{241,242}', 'fp', NULL);
INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_delete) VALUES (1, 241, true);
EXECUTE first_playlist('{241,242}', 'fp', NULL);"
case_ "fp: a live private album counts, no users row needed" "fp|241|f1|1|t|t" "
INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album, is_private)
	VALUES (2, 241, true, true);
EXECUTE first_playlist('{241,242,NULL,241}', 'fp', NULL);"
case_ "fp: playlists deleted (flag, then row): the row stays" "" "
UPDATE public.playlists SET is_delete = true WHERE playlist_id = 2;
EXECUTE first_playlist('{241}', 'fp', NULL);
DELETE FROM public.playlists WHERE playlist_owner_id = 241;
EXECUTE first_playlist('{241}', 'fp', NULL);"
case_ "fp: a playlist moved to another owner completes theirs" "fp|242|f2|1|t|t" "
INSERT INTO public.playlists (playlist_id, playlist_owner_id) VALUES (3, 241);
UPDATE public.playlists SET playlist_owner_id = 242 WHERE playlist_id = 3;
EXECUTE first_playlist('{241,242}', 'fp', NULL);"
expect "fp: rows complete, step 1, amount 2, completed_at set" "fp|241|1|t|2|t
fp|242|1|t|2|t" <<'SQL'
SELECT challenge_id, user_id, current_step_count, is_complete, amount,
	completed_at IS NOT NULL
FROM public.user_challenges WHERE challenge_id = 'fp';
SQL

# ---------------------------------------------------------------------------
# v: verified account. 193 = 0xc1.
# ---------------------------------------------------------------------------

case_ "v: unverified, or verified but deactivated, or no users row: no row" "" "
INSERT INTO public.users (user_id, handle) VALUES (193, 'c1');
EXECUTE connect_verified('{193,194}', 'v', NULL);
UPDATE public.users SET is_verified = true, is_deactivated = true WHERE user_id = 193;
EXECUTE connect_verified('{193,194}', 'v', NULL);"
case_ "v: verified and active: complete row, amount 5" "v|193|c1|1|t|t
5" "
UPDATE public.users SET is_deactivated = false WHERE user_id = 193;
EXECUTE connect_verified('{193}', 'v', NULL);
SELECT amount FROM public.user_challenges WHERE challenge_id = 'v';"
case_ "v: unverified again: the row stays" "" "
UPDATE public.users SET is_verified = false WHERE user_id = 193;
EXECUTE connect_verified('{193}', 'v', NULL);"

# ---------------------------------------------------------------------------
# m: mobile install. 209 = 0xd1, no users row.
# ---------------------------------------------------------------------------

case_ "m: no user_events row, or is_mobile_user false: no row" "" "
EXECUTE mobile_install('{209}', 'm', NULL);
INSERT INTO public.user_events (user_id, is_mobile_user) VALUES (209, false);
EXECUTE mobile_install('{209}', 'm', NULL);"
case_ "m: is_mobile_user true: complete row, no users row needed" "m|209|d1|1|t|t" "
UPDATE public.user_events SET is_mobile_user = true WHERE user_id = 209;
EXECUTE mobile_install('{209,209}', 'm', NULL);"
case_ "m: toggled off: the row stays" "" "
UPDATE public.user_events SET is_mobile_user = false WHERE user_id = 209;
EXECUTE mobile_install('{209}', 'm', NULL);"

# ---------------------------------------------------------------------------
# rd: referred. Keys are referrers. 256 = 0x100 refers 257 = 0x101 and
# 258 = 0x102, and itself; it has no users row yet.
# ---------------------------------------------------------------------------

case_ "rd: the referrer has no users row yet: no row" "" "
INSERT INTO public.user_events (user_id, referrer) VALUES
	(257, 256), (258, 256), (256, 256);
EXECUTE referred('{256}', 'rd', NULL);"
case_ "rd: keyed by the referrer: the referred users' ids find nothing" "" "
INSERT INTO public.users (user_id, handle, is_deactivated) VALUES (256, 'x100', true);
EXECUTE referred('{257,258}', 'rd', NULL);"
case_ "rd: the referrer (deactivated) exists: rows for the referred users, none for the self-referral" \
	"rd|257|101|1|t|t
rd|258|102|1|t|t" "
EXECUTE referred('{256,256,NULL}', 'rd', NULL);"
case_ "rd: the referrer changes or the referral goes: the rows stay" "" "
UPDATE public.user_events SET referrer = 999 WHERE user_id = 257;
DELETE FROM public.user_events WHERE user_id = 258;
DELETE FROM public.users WHERE user_id = 256;
EXECUTE referred('{256,999}', 'rd', NULL);"

# ---------------------------------------------------------------------------
# r/rv: referrals. Keys are referrers. 512 = 0x200, unverified, refers
# 513..518 = 0x201..0x206 (six) and itself.
# ---------------------------------------------------------------------------

R5="r|512|200:201|1|t|t
r|512|200:202|1|t|t
r|512|200:203|1|t|t
r|512|200:204|1|t|t
r|512|200:205|1|t|t"
case_ "r: six referrals of an unverified referrer: 5 r rows (referred id order), no rv, no self" "$R5" "
INSERT INTO public.users (user_id, handle) VALUES (512, 'x200');
INSERT INTO public.user_events (user_id, referrer)
	SELECT g, 512 FROM generate_series(512, 518) g;
EXECUTE referral('{512,NULL,512}', 'rv', NULL);
EXECUTE referral('{512,NULL,512}', 'r', NULL);"
case_ "r: verified now: the 6th referral gets rv, nothing more under r" \
	"rv|512|200:206|1|t|t" "
UPDATE public.users SET is_verified = true WHERE user_id = 512;
EXECUTE referral('{512}', 'rv', NULL);
EXECUTE referral('{512}', 'r', NULL);"
case_ "r: a verified referrer's new referral: rv" "rv|512|200:207|1|t|t" "
INSERT INTO public.user_events (user_id, referrer) VALUES (519, 512);
EXECUTE referral('{512}', 'rv', NULL);
EXECUTE referral('{512}', 'r', NULL);"
case_ "r: deactivated (still verified): r applies, and the r cap is full" "" "
UPDATE public.users SET is_deactivated = true WHERE user_id = 512;
INSERT INTO public.user_events (user_id, referrer) VALUES (520, 512);
EXECUTE referral('{512}', 'rv', NULL);
EXECUTE referral('{512}', 'r', NULL);"
# 768 = 0x300, unverified.
case_ "r: a referrer change is a new pair; the old pair's row stays" \
	"r|768|300:201|1|t|t" "
INSERT INTO public.users (user_id, handle) VALUES (768, 'x300');
UPDATE public.user_events SET referrer = 768 WHERE user_id = 513;
EXECUTE referral('{768,512}', 'rv', NULL);
EXECUTE referral('{768,512}', 'r', NULL);"
case_ "r: back to the old referrer, verified and active: the pair is not paid twice; the held-back 0x208 is" \
	"rv|512|200:208|1|t|t" "
UPDATE public.user_events SET referrer = 512 WHERE user_id = 513;
UPDATE public.users SET is_deactivated = false WHERE user_id = 512;
EXECUTE referral('{512,768}', 'rv', NULL);
EXECUTE referral('{512,768}', 'r', NULL);"
case_ "rv: the cap is the catalogue's step_count (3: full with 3 rv rows)" "" "
UPDATE public.challenges SET step_count = 3 WHERE id = 'rv';
INSERT INTO public.user_events (user_id, referrer) VALUES (521, 512);
EXECUTE referral('{512}', 'rv', NULL);
EXECUTE referral('{512}', 'r', NULL);"
case_ "rv: cap back to 5000: the held-back referral is paid" "rv|512|200:209|1|t|t" "
UPDATE public.challenges SET step_count = 5000 WHERE id = 'rv';
EXECUTE referral('{512}', 'rv', NULL);
EXECUTE referral('{512}', 'r', NULL);"
case_ "r: a referrer without a users row, or keys that are not referrers: nothing" "" "
INSERT INTO public.user_events (user_id, referrer) VALUES (1025, 1024), (1026, 1024);
EXECUTE referral('{1024,513,514}', 'rv', NULL);
EXECUTE referral('{1024,513,514}', 'r', NULL);"
case_ "r: the cap counts rows of pairs that no longer exist" "" "
DELETE FROM public.user_events WHERE referrer = 512;
UPDATE public.users SET is_verified = false WHERE user_id = 512;
INSERT INTO public.user_events (user_id, referrer) VALUES (1537, 512);
EXECUTE referral('{512}', 'rv', NULL);
EXECUTE referral('{512}', 'r', NULL);"
expect "r/rv: 6 rows under r for 512 and 768 together, 4 under rv, amount 1, complete" \
	"r|512|5|1|t
r|768|1|1|t
rv|512|4|1|t" <<'SQL'
SELECT challenge_id, user_id, count(*), min(amount),
	bool_and(is_complete AND current_step_count = 1 AND completed_at IS NOT NULL)
FROM public.user_challenges WHERE challenge_id IN ('r', 'rv')
GROUP BY 1, 2;
SQL

# ---------------------------------------------------------------------------
# cp: comment pins. Keys are track owners. 4096 = 0x1000, verified, owns
# tracks 1040 = 0x410 and 1041 = 0x411. Authors 1280 = 0x500,
# 1281 = 0x501, 1282 = 0x502.
# ---------------------------------------------------------------------------

expect "cp: fixture" "" <<'SQL'
INSERT INTO public.users (user_id, handle, is_verified) VALUES (4096, 'x1000', true);
INSERT INTO public.tracks (track_id, owner_id) VALUES (1040, 4096), (1041, 4096);
INSERT INTO public.comments (comment_id, user_id, entity_id, entity_type, is_delete, is_visible) VALUES
	(1, 1280, 1040, 'Track', false, true),    -- valid on 1040
	(2, 1282, 1041, 'Track', false, true),    -- on 1041
	(3, 1281, 1040, 'Track', true, true),     -- deleted
	(4, 4096, 1040, 'Track', false, true),    -- by the owner
	(5, 1281, 1040, 'Playlist', false, true), -- not a track comment
	(6, 1281, 1040, 'Track', false, false);   -- hidden: still counts
SQL
for c in "2:a comment on another track" "3:a deleted comment" \
	"4:the owner's own comment" "5:a comment on a playlist with the track's id" \
	"99:a comment that does not exist"; do
	case_ "cp: pinned ${c#*:}: no row" "" "
UPDATE public.tracks SET pinned_comment_id = ${c%%:*} WHERE track_id = 1040;
EXECUTE comment_pin('{4096}', 'cp', NULL);"
done
case_ "cp: valid pin but the owner is unverified: no row" "" "
UPDATE public.users SET is_verified = false WHERE user_id = 4096;
UPDATE public.tracks SET pinned_comment_id = 1 WHERE track_id = 1040;
EXECUTE comment_pin('{4096}', 'cp', NULL);"
case_ "cp: keyed by owner: the author's id finds nothing" "" "
UPDATE public.users SET is_verified = true WHERE user_id = 4096;
EXECUTE comment_pin('{1280}', 'cp', NULL);"
case_ "cp: the owner verified again: the author's row, amount 10" \
	"cp|1280|500:410|1|t|t
10" "
EXECUTE comment_pin('{4096,4096,NULL}', 'cp', NULL);
SELECT amount FROM public.user_challenges WHERE challenge_id = 'cp';"
case_ "cp: the pinned comment deleted, then the pin removed: the row stays" "" "
UPDATE public.comments SET is_delete = true WHERE comment_id = 1;
EXECUTE comment_pin('{4096}', 'cp', NULL);
DELETE FROM public.comments WHERE comment_id = 1;
UPDATE public.tracks SET pinned_comment_id = NULL WHERE track_id = 1040;
EXECUTE comment_pin('{4096}', 'cp', NULL);"
case_ "cp: a hidden comment counts (is_visible is irrelevant)" "cp|1281|501:410|1|t|t" "
UPDATE public.tracks SET pinned_comment_id = 6 WHERE track_id = 1040;
EXECUTE comment_pin('{4096}', 'cp', NULL);"
case_ "cp: a comment on another track moved onto the pinning track" \
	"cp|1282|502:410|1|t|t" "
UPDATE public.tracks SET pinned_comment_id = 2 WHERE track_id = 1040;
EXECUTE comment_pin('{4096}', 'cp', NULL);
UPDATE public.comments SET entity_id = 1040 WHERE comment_id = 2;
EXECUTE comment_pin('{4096}', 'cp', NULL);"
case_ "cp: a deleted track's pin: no row" "" "
INSERT INTO public.comments (comment_id, user_id, entity_id) VALUES (7, 1280, 1041);
UPDATE public.tracks SET pinned_comment_id = 7, is_delete = true WHERE track_id = 1041;
EXECUTE comment_pin('{4096}', 'cp', NULL);"
# 4097 = 0x1001, unverified, owns 1042 = 0x412 with a valid pin by 1281.
case_ "cp: ownership moved from an unverified to the verified owner" \
	"cp|1281|501:412|1|t|t" "
INSERT INTO public.users (user_id, handle) VALUES (4097, 'x1001');
INSERT INTO public.tracks (track_id, owner_id) VALUES (1042, 4097);
INSERT INTO public.comments (comment_id, user_id, entity_id) VALUES (8, 1281, 1042);
UPDATE public.tracks SET pinned_comment_id = 8 WHERE track_id = 1042;
EXECUTE comment_pin('{4097}', 'cp', NULL);
UPDATE public.tracks SET owner_id = 4096 WHERE track_id = 1042;
EXECUTE comment_pin('{4096,4097}', 'cp', NULL);"
case_ "cp: a deactivated verified owner: no row" "" "
INSERT INTO public.users (user_id, handle, is_verified, is_deactivated) VALUES (4098, 'x1002', true, true);
INSERT INTO public.tracks (track_id, owner_id, pinned_comment_id) VALUES (1043, 4098, 9);
INSERT INTO public.comments (comment_id, user_id, entity_id) VALUES (9, 1280, 1043);
EXECUTE comment_pin('{4098}', 'cp', NULL);"

# ---------------------------------------------------------------------------
# Inactive or unknown challenges write nothing. 8192 = 0x2000 has data for
# every rule.
# ---------------------------------------------------------------------------

ALL_8192="EXECUTE profile_completion('{8192}', 'p', NULL);
EXECUTE first_playlist('{8192}', 'fp', NULL);
EXECUTE connect_verified('{8192}', 'v', NULL);
EXECUTE mobile_install('{8192}', 'm', NULL);
EXECUTE referred('{8192}', 'rd', NULL);
EXECUTE referral('{8192}', 'rv', NULL);
EXECUTE referral('{8192}', 'r', NULL);
EXECUTE comment_pin('{8192}', 'cp', NULL);"
expect "inactive challenges write nothing, nor unknown ids, nor referral under another id" "" <<SQL
INSERT INTO public.users (user_id, handle, bio, is_verified) VALUES (8192, 'x2000', 'b', true);
INSERT INTO public.playlists (playlist_id, playlist_owner_id) VALUES (8192, 8192);
INSERT INTO public.user_events (user_id, referrer, is_mobile_user) VALUES (8192, NULL, true), (8193, 8192, false);
INSERT INTO public.tracks (track_id, owner_id, pinned_comment_id) VALUES (8192, 8192, 8192);
INSERT INTO public.comments (comment_id, user_id, entity_id) VALUES (8192, 1280, 8192);
UPDATE public.challenges SET active = false WHERE id IN ('p', 'fp', 'v', 'm', 'rd', 'r', 'rv', 'cp');
$ALL_8192
UPDATE public.challenges SET active = true WHERE id IN ('p', 'fp', 'v', 'm', 'rd', 'r', 'rv', 'cp');
EXECUTE profile_completion('{8192}', 'zz', NULL);
EXECUTE comment_pin('{8192}', 'zz', NULL);
EXECUTE referral('{8192}', 'p', NULL);
EXECUTE referral('{8192}', 'cp', NULL);
SQL
case_ "active again: every rule writes its row" "p|8192|2000|1|f|f
fp|8192|2000|1|t|t
v|8192|2000|1|t|t
m|8192|2000|1|t|t
rd|8193|2001|1|t|t
rv|8192|2000:2001|1|t|t
cp|1280|500:2000|1|t|t" "$ALL_8192"

# ---------------------------------------------------------------------------
# Bounded plans: with seq scans disabled, any "Seq Scan" left in a plan is a
# table the statement cannot reach by index (custom and generic plans).
# ---------------------------------------------------------------------------

for mode in force_custom_plan force_generic_plan; do
	expect "plans use indexes only ($mode)" "" <<SQL
SET enable_seqscan = off;
SET plan_cache_mode = $mode;
CREATE TEMP TABLE plans (line text);
DO \$\$
DECLARE r record; s text;
BEGIN
	FOREACH s IN ARRAY ARRAY[
		'profile_completion(''{171,8192}'', ''p'', 1)',
		'first_playlist(''{241,8192}'', ''fp'', 1)',
		'connect_verified(''{193,8192}'', ''v'', 1)',
		'mobile_install(''{209,8192}'', ''m'', 1)',
		'referred(''{256,8192}'', ''rd'', 1)',
		'referral(''{512,8192}'', ''r'', 1)',
		'referral(''{512,8192}'', ''rv'', 1)',
		'comment_pin(''{4096,8192}'', ''cp'', 1)'] LOOP
		FOR r IN EXECUTE 'EXPLAIN EXECUTE ' || s LOOP
			INSERT INTO plans VALUES (s || ': ' || r."QUERY PLAN");
		END LOOP;
	END LOOP;
END
\$\$;
SELECT line FROM plans WHERE line ~ 'Seq Scan';
SQL
done

# ---------------------------------------------------------------------------
# A perfect daemon over everything above: the oracle is silent.
# ---------------------------------------------------------------------------

expect "full recompute of every key, rv before r" "" <<'SQL'
SELECT coalesce(array_agg(DISTINCT id), '{}') AS ids FROM (
	SELECT user_id FROM public.users UNION ALL
	SELECT owner_id FROM public.tracks UNION ALL
	SELECT user_id FROM public.comments UNION ALL
	SELECT playlist_owner_id FROM public.playlists UNION ALL
	SELECT user_id FROM public.user_events UNION ALL
	SELECT follower_user_id FROM public.follows UNION ALL
	SELECT user_id FROM public.reposts UNION ALL
	SELECT user_id FROM public.saves UNION ALL
	SELECT user_id FROM public.user_challenges) s (id) \gset
SELECT coalesce(array_agg(DISTINCT referrer), '{}') AS referrers
	FROM public.user_events WHERE referrer IS NOT NULL \gset
SELECT coalesce(array_agg(DISTINCT owner_id), '{}') AS owners
	FROM public.tracks \gset
\o /dev/null
EXECUTE play_milestone(:'ids', 'p1', 1);
EXECUTE play_milestone(:'ids', 'p2', 250);
EXECUTE play_milestone(:'ids', 'p3', 1000);
EXECUTE first_weekly_comment(:'ids', 'c', NULL);
EXECUTE track_upload(:'ids', 'u', NULL);
EXECUTE profile_completion(:'ids', 'p', NULL);
EXECUTE first_playlist(:'ids', 'fp', NULL);
EXECUTE connect_verified(:'ids', 'v', NULL);
EXECUTE mobile_install(:'ids', 'm', NULL);
EXECUTE referred(:'referrers', 'rd', NULL);
EXECUTE referral(:'referrers', 'rv', NULL);
EXECUTE referral(:'referrers', 'r', NULL);
EXECUTE comment_pin(:'owners', 'cp', NULL);
\o
SQL
out=$(psql -X -q -At -F'|' -v ON_ERROR_STOP=1 -v catalogue=1 \
	-f tests/integration/oracle.sql 2>&1)
check_eq "oracle (-v catalogue=1) silent after the cases" "" "$out"

test_done
