#!/usr/bin/env bash
# test_sql_purchases.sh: tests the audio-matching statements, buyer 'b'
# (sql/rules/audio_matching_buyer.sql) and seller 's'
# (audio_matching_seller.sql), composed with the scaled write policy
# (sql/policies/scaled.sql), and the facts row of profile completion 'p'
# (sql/rules/profile_completion.sql with the profile_facts policy, sticky
# extended: sql/policies/profile_facts.sql), directly through psql, without
# the daemon, as test_sql_catalogue.sh does for the other rules: every
# session PREPAREs them as reckon composes them (bin/reckon --print-sql),
# with the parameter types src/recompute.c uses ($1 bigint[], $2 text, $3
# bigint), and EXECUTEs them with the keys the daemon passes (b: buyers, and
# the owners a tracks or playlists change dirties; s: sellers; p: users).
#
# Table-driven: each case is a name, the rows the statements must return
# (with, where a case says so, the amounts written) and a script of data
# changes and EXECUTEs. After every case its EXECUTE lines run again, in a
# new session, and must write nothing, to user_challenges nor to
# challenge_profile_completion: no row returned, the counting triggers do
# not fire, n_tup_ins/n_tup_upd do not move, and no row's xmin or xmax
# changes (not even a row lock). At the end a recompute of every key
# writes nothing either. Exits 1 on any failure.
#
# Needs PostgreSQL 15 binaries (tests/integration/cluster.sh starts a
# throwaway cluster and stops it at exit) and bin/reckon.

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
cluster_start || {
	echo "test_sql_purchases: could not start a cluster" >&2
	exit 1
}
export PGTZ=America/Los_Angeles

WORK="$CLUSTER_DIR/test_sql_purchases" # removed with the cluster
mkdir -p "$WORK"
PREP="$WORK/prepare.sql"
STATEMENTS="audio_matching_buyer audio_matching_seller profile_completion"
# The table-driven cases: lib.sh's case_ and noop, with the statements
# prepared in every session (sql, for lib.sh's expect).
NOOP_COUNTER=writes
NOOP_TABLES="user_challenges challenge_profile_completion"
sql() { prepared_sql; }

# b KEYS, s KEYS, p KEYS: the EXECUTE line of one statement for the keys
# (a comma-separated list)
b()
{
	echo "EXECUTE audio_matching_buyer('{$1}', 'b', NULL);"
}
s()
{
	echo "EXECUTE audio_matching_seller('{$1}', 's', NULL);"
}
p()
{
	echo "EXECUTE profile_completion('{$1}', 'p', NULL);"
}
# amounts SPECIFIER: SQL printing "challenge user amount" of its b and s
# rows (and NOT COMPLETE unless complete at step 1 with completed_at)
amounts()
{
	cat <<-SQL
		SELECT challenge_id || ' ' || user_id || ' ' || amount
			|| CASE WHEN is_complete AND current_step_count = 1
				AND completed_at IS NOT NULL THEN '' ELSE ' NOT COMPLETE' END
		FROM public.user_challenges
		WHERE specifier = '$1' AND challenge_id IN ('b', 's');
	SQL
}
# purchase SIG IDX AMOUNT SLOT TYPE CONTENT BUYER VALID: SQL inserting one
purchase()
{
	echo "INSERT INTO public.sol_purchases (signature, instruction_index," \
		"amount, slot, content_type, content_id, buyer_user_id, is_valid)" \
		"VALUES ('$1', $2, $3, $4, '$5', $6, $7, $8);"
}

# ---------------------------------------------------------------------------
# Schema, statements, fixture
# ---------------------------------------------------------------------------

if out=$(psql -X -q -v ON_ERROR_STOP=1 -f sql/schema.sql 2>&1); then
	ok "schema.sql loads into an empty database"
else
	not_ok "schema.sql loads into an empty database" "$out"
	test_done
	exit 1
fi

# shellcheck disable=SC2086 # word splitting wanted
check_single_statement $STATEMENTS
# shellcheck disable=SC2086
prepare_statements $STATEMENTS >"$PREP"

expect "statements prepare with types (bigint[], text, bigint)" "" <<'SQL'
SQL

expect "catalogue rows of b and s: 1 and 5 per dollar, active" \
	"b|aggregate|1||t
s|aggregate|5||t" <<'SQL'
SELECT id, type, amount, step_count, active FROM public.challenges
WHERE id IN ('b', 's');
SQL

# A trigger counts the rows actually written to either target.
expect "fixture" "" <<'SQL'
CREATE TABLE writes (n bigint NOT NULL);
INSERT INTO writes VALUES (0);
CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN UPDATE writes SET n = n + 1; RETURN NULL; END $$;
CREATE TRIGGER writes AFTER INSERT OR UPDATE ON public.user_challenges
	FOR EACH ROW EXECUTE FUNCTION count_write();
CREATE TRIGGER writes AFTER INSERT OR UPDATE
	ON public.challenge_profile_completion
	FOR EACH ROW EXECUTE FUNCTION count_write();
SQL

# The write checks are not vacuous: a first write to each target moves the
# trigger count, n_tup_ins and the rows' xmin. (noop runs in a subshell
# here: its verdict is only read.)
psql -X -q -v ON_ERROR_STOP=1 \
	-c "INSERT INTO public.users (user_id, handle, bio) VALUES (1, 'one', 'b')"
out=$(noop "a first write" "$(p 1)")
if grep -q "triggers fired 2 times" <<<"$out" &&
	grep -q "user_challenges: n_tup_ins 0 -> 1" <<<"$out" &&
	grep -q "challenge_profile_completion: n_tup_ins 0 -> 1" <<<"$out" &&
	grep -q "row written or locked: user_challenges (p,1," <<<"$out" &&
	grep -q "row written or locked: challenge_profile_completion (1," <<<"$out"; then
	ok "write checks see a write to each target (trigger, n_tup_ins, xmin)"
else
	not_ok "write checks see a write to each target" "$out"
fi
expect "fixture cleared" "" <<'SQL'
DELETE FROM public.users;
DELETE FROM public.user_challenges;
DELETE FROM public.challenge_profile_completion;
SQL

# ---------------------------------------------------------------------------
# b and s. Sellers: 256 = 0x100 verified, 512 = 0x200 unverified, 768 =
# 0x300 verified. Tracks 160 = 0xa0 (of 256), 161 = 0xa1 (of 512); album
# 176 = 0xb0 and playlist 177 = 0xb1 (of 256). Buyers from 16 = 0x10 on.
# ---------------------------------------------------------------------------

expect "purchases: fixture" "" <<'SQL'
INSERT INTO public.users (user_id, handle, is_verified) VALUES
	(256, 'x100', true), (512, 'x200', false), (768, 'x300', true);
INSERT INTO public.tracks (track_id, owner_id) VALUES (160, 256), (161, 512);
INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album) VALUES
	(176, 256, true), (177, 256, false);
SQL

case_ "pending purchase: no row for b nor s" "" "
$(purchase p1 0 2000000 10 track 160 16 NULL)
$(b 16)
$(s 256)"
case_ "the purchase validated: b 2 x 1, s 2 x 5" \
	"b|16|10:a0|1|t|t
s|256|10:a0|1|t|t
b 16 2
s 256 10" "
UPDATE public.sol_purchases SET is_valid = true WHERE signature = 'p1';
$(b 16)
$(s 256)
$(amounts 10:a0)"
case_ "keyed: b by the buyer (not an unrelated user), s by the seller (not the buyer)" "" "
$(purchase p2 0 3000000 11 track 160 17 true)
$(b 512)
$(s 17)"
case_ "validated false: no row" "" "
DELETE FROM public.sol_purchases WHERE signature = 'p2';
$(purchase p3 0 3000000 12 track 160 17 NULL)
UPDATE public.sol_purchases SET is_valid = false WHERE signature = 'p3';
$(b 17)
$(s 256)"
case_ "under one dollar (999,999 micro): no row" "" "
$(purchase p4 0 999999 13 track 160 18 true)
$(b 18)
$(s 256)"
case_ "exactly one dollar: 1 x amount" \
	"b|19|13:a0|1|t|t
s|256|13:a0|1|t|t
b 19 1
s 256 5" "
$(purchase p5 0 1000000 14 track 160 19 true)
$(b 19)
$(s 256)
$(amounts 13:a0)"
case_ "2,500,000 micro: 2 x amount (integer division)" \
	"b|20|14:a0|1|t|t
s|256|14:a0|1|t|t
b 20 2
s 256 10" "
$(purchase p6 0 2500000 15 track 160 20 true)
$(b 20)
$(s 256)
$(amounts 14:a0)"

# Two purchases of one content: the first in (slot, signature,
# instruction_index) order sets the amount.
case_ "two purchases: the first (lower slot) sets the amount, the larger later one nothing" \
	"b|21|15:a0|1|t|t
s|256|15:a0|1|t|t
b 21 3
s 256 15" "
$(purchase q2 0 9000000 31 track 160 21 true)
$(purchase q1 0 3000000 30 track 160 21 true)
$(b 21)
$(s 256)
$(amounts 15:a0)"
case_ "same slot: the lower signature first; same signature: the lower instruction_index" \
	"b|22|16:a0|1|t|t
s|256|16:a0|1|t|t
b 22 4
s 256 20
b|23|17:a0|1|t|t
s|256|17:a0|1|t|t
b 23 6
s 256 30" "
$(purchase rb 0 8000000 40 track 160 22 true)
$(purchase ra 1 4000000 40 track 160 22 true)
$(purchase rc 1 7000000 41 track 160 23 true)
$(purchase rc 0 6000000 41 track 160 23 true)
$(b 22,23)
$(s 256)
$(amounts 16:a0)
$(amounts 17:a0)"
case_ "an under-a-dollar or invalid first purchase does not set the amount" \
	"b|24|18:a0|1|t|t
s|256|18:a0|1|t|t
b 24 5
s 256 25" "
$(purchase sa 0 500000 50 track 160 24 true)
$(purchase sb 0 9000000 51 track 160 24 false)
$(purchase sc 0 5000000 52 track 160 24 true)
$(b 24)
$(s 256)
$(amounts 18:a0)"
case_ "the later purchase valid first: its amount is written" \
	"b|25|19:a0|1|t|t
s|256|19:a0|1|t|t
b 25 7
s 256 35" "
$(purchase t1 0 3000000 60 track 160 25 NULL)
$(purchase t2 0 7000000 61 track 160 25 true)
$(b 25)
$(s 256)
$(amounts 19:a0)"
case_ "then the earlier one valid: one-shot, the row written first stays" \
	"b 25 7
s 256 35" "
UPDATE public.sol_purchases SET is_valid = true WHERE signature = 't1';
$(b 25)
$(s 256)
$(amounts 19:a0)"
case_ "a paid purchase invalidated, then deleted: the rows stay" \
	"b 25 7
s 256 35" "
UPDATE public.sol_purchases SET is_valid = false WHERE signature = 't2';
$(b 25)
$(s 256)
DELETE FROM public.sol_purchases WHERE buyer_user_id = 25;
$(b 25)
$(s 256)
$(amounts 19:a0)"

# A track and an album with the same id: one pair (buyer, content_id).
# 192 = 0xc0: track and album of 256. 193 = 0xc1: track of 512
# (unverified), album of 256.
expect "same-id fixture" "" <<'SQL'
INSERT INTO public.tracks (track_id, owner_id) VALUES (192, 256), (193, 512);
INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album)
	VALUES (192, 256, true), (193, 256, true);
SQL
case_ "a track and an album with the same id, one buyer: one row each, the first purchase's amount" \
	"b|26|1a:c0|1|t|t
s|256|1a:c0|1|t|t
b 26 2
s 256 10" "
$(purchase u1 0 2000000 70 album 192 26 true)
$(purchase u2 0 5000000 71 track 192 26 true)
$(b 26)
$(s 256)
$(amounts 1a:c0)"
case_ "same id, two sellers, the album (of 256) first: s to 256" \
	"b|27|1b:c1|1|t|t
s|256|1b:c1|1|t|t
b 27 3
s 256 15" "
$(purchase v1 0 3000000 80 album 193 27 true)
$(purchase v2 0 4000000 81 track 193 27 true)
$(b 27)
$(s 256,512)
$(amounts 1b:c1)"
case_ "same id, two sellers, the track (of unverified 512) first: b only, 256 gets nothing" \
	"b|28|1c:c1|1|t|t
b 28 4" "
$(purchase w1 0 4000000 90 track 193 28 true)
$(purchase w2 0 3000000 91 album 193 28 true)
$(b 28)
$(s 256,512)
$(amounts 1c:c1)"

case_ "album and playlist resolve through playlists" \
	"b|29|1d:b0|1|t|t
s|256|1d:b0|1|t|t
b|29|1d:b1|1|t|t
s|256|1d:b1|1|t|t
b 29 1
s 256 5
b 29 2
s 256 10" "
$(purchase x1 0 1000000 100 album 176 29 true)
$(purchase x2 0 2000000 101 playlist 177 29 true)
$(b 29)
$(s 256)
$(amounts 1d:b0)
$(amounts 1d:b1)"
case_ "a track purchase resolves through tracks only, an album through playlists only" "" "
$(purchase x3 0 2000000 102 track 177 30 true)
$(purchase x4 0 2000000 103 album 160 30 true)
$(b 30,256)
$(s 256)"

# Content missing: 208 = 0xd0 has no tracks row yet.
case_ "content row missing: no row for b nor s" "" "
$(purchase y1 0 6000000 110 track 208 31 true)
$(b 31)
$(s 256)"
case_ "the track row arrives (its owner is dirtied): s; b, keyed by buyers only, not through the owner" \
	"s|256|1f:d0|1|t|t
s 256 30" "
INSERT INTO public.tracks (track_id, owner_id) VALUES (208, 256);
$(b 256)
$(s 256)
$(amounts 1f:d0)"
case_ "then the buyer is dirtied again: b" \
	"b|31|1f:d0|1|t|t
b 31 6
s 256 30" "
$(b 31)
$(amounts 1f:d0)"

case_ "seller unverified: the b row only" \
	"b|32|20:a1|1|t|t
b 32 3" "
$(purchase z1 0 3000000 120 track 161 32 true)
$(b 32)
$(s 512)
$(amounts 20:a1)"
case_ "the seller verified later: the s rows appear (also for the same-id pair of 512's track)" \
	"s|512|20:a1|1|t|t
s|512|1c:c1|1|t|t
b 32 3
s 512 15" "
UPDATE public.users SET is_verified = true WHERE user_id = 512;
$(s 512)
$(amounts 20:a1)"
case_ "unverified again: the s row stays" "" "
UPDATE public.users SET is_verified = false WHERE user_id = 512;
$(s 512)"
# 225 = 0xe1 is owned by 1024, which has no users row.
case_ "a seller without a users row: the b row only" \
	"b|33|21:e1|1|t|t" "
INSERT INTO public.tracks (track_id, owner_id) VALUES (225, 1024);
$(purchase z2 0 3000000 121 track 225 33 true)
$(b 33)
$(s 1024)"

# 224 = 0xe0 of 512 (unverified) moves to 768 (verified) before the
# purchase is validated.
case_ "the track changes owner before evaluation: s goes to the new owner" \
	"b|34|22:e0|1|t|t
s|768|22:e0|1|t|t
b 34 2
s 768 10" "
INSERT INTO public.tracks (track_id, owner_id) VALUES (224, 512);
$(purchase o1 0 2000000 130 track 224 34 NULL)
UPDATE public.tracks SET owner_id = 768 WHERE track_id = 224;
UPDATE public.sol_purchases SET is_valid = true WHERE signature = 'o1';
$(b 34,512,768)
$(s 512,768)
$(amounts 22:e0)"
case_ "the track moves again after the row: nothing changes" "" "
UPDATE public.tracks SET owner_id = 256 WHERE track_id = 224;
$(b 34,256,768)
$(s 256,768)"

case_ "buyer equal to seller" \
	"b|256|100:a0|1|t|t
s|256|100:a0|1|t|t
b 256 8
s 256 40" "
$(purchase m1 0 8000000 140 track 160 256 true)
$(b 256)
$(s 256)
$(amounts 100:a0)"

case_ "keys repeated or NULL, b through its buyer and owner at once: each row once" \
	"b|35|23:a0|1|t|t
s|256|23:a0|1|t|t" "
$(purchase n1 0 1000000 150 track 160 35 true)
$(b 35,35,NULL,256,256)
$(s 256,NULL,256)"

expect "inactive b and s write nothing, nor another challenge id" "" <<SQL
$(purchase k1 0 5000000 160 track 160 36 true)
UPDATE public.challenges SET active = false WHERE id IN ('b', 's');
$(b 36,256)
$(s 256)
UPDATE public.challenges SET active = true WHERE id IN ('b', 's');
EXECUTE audio_matching_buyer('{36,256}', 'zz', NULL);
EXECUTE audio_matching_seller('{256}', 'zz', NULL);
SQL
case_ "active again: the rows, amount the catalogue's x dollars" \
	"b|36|24:a0|1|t|t
s|256|24:a0|1|t|t
b 36 5
s 256 25" "
$(b 36)
$(s 256)
$(amounts 24:a0)"
case_ "the catalogue amount changed: new rows take it, written rows keep theirs" \
	"b|37|25:a0|1|t|t
s|256|25:a0|1|t|t
b 37 6
s 256 8
b 36 5
s 256 25" "
UPDATE public.challenges SET amount = 3 WHERE id = 'b';
UPDATE public.challenges SET amount = 4 WHERE id = 's';
$(purchase k2 0 2000000 161 track 160 37 true)
$(b 36,37)
$(s 256)
UPDATE public.challenges SET amount = 1 WHERE id = 'b';
UPDATE public.challenges SET amount = 5 WHERE id = 's';
$(amounts 25:a0)
$(amounts 24:a0)"
case_ "a huge purchase: the amount is held at the largest integer" \
	"b|38|26:a0|1|t|t
s|256|26:a0|1|t|t
b 38 2147483647
s 256 2147483647" "
$(purchase h1 0 9000000000000000000 170 track 160 38 true)
$(b 38)
$(s 256)
$(amounts 26:a0)"

# ---------------------------------------------------------------------------
# p: the facts row. User 4096 = 0x1000.
# ---------------------------------------------------------------------------

FACTS="SELECT user_id, profile_description, profile_name, profile_picture,
	profile_cover_photo, follows, favorites, reposts
FROM public.challenge_profile_completion WHERE user_id = 4096;"

case_ "p: no users row: no facts row" "" "
INSERT INTO public.follows (follower_user_id, followee_user_id)
	SELECT 4096, g FROM generate_series(1, 4) g;
$(p 4096)
$FACTS"
case_ "p: the users row: the facts row appears with the sticky row" \
	"p|4096|1000|1|f|f
4096|t|f|f|f|f|f|f" "
INSERT INTO public.users (user_id, handle, bio) VALUES (4096, 'x1000', 'hi');
$(p 4096)
$FACTS"
case_ "p: changes that are no fact (bio text, follows touched): nothing written" \
	"4096|t|f|f|f|f|f|f" "
UPDATE public.users SET bio = 'hello' WHERE user_id = 4096;
UPDATE public.follows SET created_at = created_at WHERE follower_user_id = 4096;
$(p 4096)
$FACTS"
# Each fact on in turn: its SQL, then the facts row it gives.
FACT_ON=(
	"UPDATE public.users SET name = 'n' WHERE user_id = 4096;|4096|t|t|f|f|f|f|f"
	"UPDATE public.users SET profile_picture = 'p' WHERE user_id = 4096;|4096|t|t|t|f|f|f|f"
	"UPDATE public.users SET cover_photo = 'c' WHERE user_id = 4096;|4096|t|t|t|t|f|f|f"
	"INSERT INTO public.follows (follower_user_id, followee_user_id) VALUES (4096, 5);|4096|t|t|t|t|t|f|f"
	"INSERT INTO public.saves (user_id, save_item_id, save_type) VALUES (4096, 1, 'track');|4096|t|t|t|t|t|t|f"
	"INSERT INTO public.reposts (user_id, repost_item_id, repost_type) VALUES (4096, 1, 'track');|4096|t|t|t|t|t|t|t"
)
for i in "${!FACT_ON[@]}"; do
	step=$((i + 2))
	if [ $step -eq 7 ]; then done_="t|t"; else done_="f|f"; fi
	case_ "p: fact $step on, the facts row follows (${FACT_ON[$i]%%;*})" \
		"p|4096|1000|$step|$done_
${FACT_ON[$i]#*;|}" "
${FACT_ON[$i]%%|*}
$(p 4096)
$FACTS"
done
case_ "p: facts off (bio empty, the save deleted): the facts row follows, the row stays complete" \
	"p|4096|1000|5|t|f
4096|f|t|t|t|t|f|t" "
UPDATE public.users SET bio = '' WHERE user_id = 4096;
UPDATE public.saves SET is_delete = true WHERE user_id = 4096;
$(p 4096)
$FACTS"
case_ "p: deactivated (not eligible): the facts row is frozen" \
	"4096|f|t|t|t|t|f|t" "
UPDATE public.users SET is_deactivated = true, bio = 'back' WHERE user_id = 4096;
$(p 4096)
$FACTS"
case_ "p: reactivated: the facts row follows again" \
	"p|4096|1000|6|t|f
4096|t|t|t|t|t|f|t" "
UPDATE public.users SET is_deactivated = false WHERE user_id = 4096;
$(p 4096)
$FACTS"
case_ "p: inactive challenge: no facts written" \
	"4096|t|t|t|t|t|f|t" "
UPDATE public.challenges SET active = false WHERE id = 'p';
UPDATE public.users SET name = NULL WHERE user_id = 4096;
$(p 4096)
$FACTS"
case_ "p: active again, several users, repeated keys: one facts row each" \
	"p|4096|1000|5|t|f
p|4097|1001|1|f|f
4096|t|f|t|t|t|f|t
4097|f|f|f|f|f|t|f" "
UPDATE public.challenges SET active = true WHERE id = 'p';
INSERT INTO public.users (user_id, handle) VALUES (4097, 'x1001'), (4098, NULL);
INSERT INTO public.saves (user_id, save_item_id, save_type) VALUES (4097, 1, 'track');
$(p 4096,4097,4098,4096,NULL)
SELECT user_id, profile_description, profile_name, profile_picture,
	profile_cover_photo, follows, favorites, reposts
FROM public.challenge_profile_completion ORDER BY 1;"

# The facts row is not rewritten when no fact changed: its xmin and xmax
# stay across a recompute after changes to other columns.
case_ "p: the facts row's xmin and xmax kept across a change that is no fact" "" "
SELECT xmin::text AS f0, xmax::text AS f1
FROM public.challenge_profile_completion WHERE user_id = 4096 \\gset
UPDATE public.users SET bio = 'again', handle = 'y1000' WHERE user_id = 4096;
$(p 4096)
SELECT 'rewritten' FROM public.challenge_profile_completion
WHERE user_id = 4096 AND (xmin::text, xmax::text) <> (:'f0', :'f1');"

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
		'audio_matching_buyer(''{16,256}'', ''b'', 1)',
		'audio_matching_seller(''{256,512}'', ''s'', 1)',
		'profile_completion(''{4096,4097}'', ''p'', 1)'] LOOP
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
# A recompute of every key finds nothing left to write: what the cases
# wrote is all the current data earns.
# ---------------------------------------------------------------------------

ids=$(psql -X -At -c "SELECT string_agg(DISTINCT id::text, ',') FROM (
	SELECT user_id FROM public.users UNION ALL
	SELECT owner_id FROM public.tracks UNION ALL
	SELECT playlist_owner_id FROM public.playlists UNION ALL
	SELECT buyer_user_id FROM public.sol_purchases UNION ALL
	SELECT user_id FROM public.user_challenges) s (id)")
case_ "recompute of every key writes nothing" "" "
$(b "$ids")
$(s "$ids")
$(p "$ids")"

test_done
