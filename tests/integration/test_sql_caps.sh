#!/usr/bin/env bash
# test_sql_caps.sh: tests the rules whose rewards are capped in a rolling
# window, cosign 'cs' (sql/rules/cosign.sql, keyed by the cosigner) and
# remix contest winner 'w' (sql/rules/remix_contest_winner.sql, keyed by
# the host), and their write policy sql/policies/windowed.sql, directly
# through psql, without the daemon, as test_sql_catalogue.sh does for the
# other catalogue rules: every session PREPAREs the statements reckon
# composes ($1 bigint[], $2 text, $3 bigint) and EXECUTEs them with the keys
# the daemon passes.
#
# Table-driven: each case is a name, the rows the statements must return
# and a script of data changes and EXECUTEs. After every case its EXECUTE
# lines run again, in a new session, and must write nothing: no row
# returned, the counting trigger on user_challenges does not fire,
# n_tup_ins/n_tup_upd of user_challenges do not move, no row's xmin or xmax
# changes (refused candidates are offered again at every recompute: they
# must not even lock a row).
#
# Also: the read on a standby plus its apply write what the primary's
# statement writes (cs and w); the policy against a row-at-a-time model of
# it on random candidates (several window groups, twins, per-candidate
# windows and caps, NULL caps); plans on tables of many rows reach
# user_challenges, events, saves, reposts, remixes, tracks and users by
# index only. Every psql session runs in a TimeZone with daylight saving
# time: windows are exact (30 days = 720 h) in UTC.
#
# Needs PostgreSQL 15 binaries (tests/integration/cluster.sh starts a
# throwaway cluster and stops it at exit). Exits 1 on any failure.

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
cluster_start || {
	echo "test_sql_caps: could not start a cluster" >&2
	exit 1
}
export PGTZ=America/Los_Angeles

WORK="$CLUSTER_DIR/test_sql_caps" # removed with the cluster
mkdir -p "$WORK"
PREP="$WORK/prepare.sql"
STATEMENTS="cosign remix_contest_winner"
APPLY_TYPES="bigint[], text, bigint, bigint[], text[], timestamptz[], bigint[], text[], interval[], bigint[], bigint[]"

# The table-driven cases: lib.sh's case_ and noop, with the statements
# prepared in every session (sql, for lib.sh's expect).
NOOP_COUNTER=uc_writes
NOOP_TABLES="user_challenges"
sql() { prepared_sql; }

# rows CHALLENGE PREFIX: the rows of CHALLENGE whose specifier starts with
# PREFIX':' as "user_id|specifier|created_at in UTC".
rows()
{
	cat <<SQL
SELECT user_id, specifier, to_char(created_at AT TIME ZONE 'UTC',
	'YYYY-MM-DD HH24:MI:SS')
FROM public.user_challenges
WHERE challenge_id = '$1' AND split_part(specifier, ':', 1) = '$2';
SQL
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

check_single_statement $STATEMENTS

{
	prepare_statements $STATEMENTS
	for s in $STATEMENTS; do
		printf 'PREPARE %s_read (bigint[], text, bigint) AS\n' "$s"
		rule_statement "$s" read
		printf '\n;\nPREPARE %s_apply (%s) AS\n' "$s" "$APPLY_TYPES"
		rule_statement "$s" apply
		printf '\n;\n'
	done
} >"$PREP"

expect "statements prepare (primary, read, apply)" "" <<'SQL'
SQL

got=$(sed -n 's/^-- reckon: columns //p' sql/policies/windowed.sql)
check_eq "windowed.sql declares the columns the apply is prepared with" \
	"user_id bigint, specifier text, anchor timestamptz, rank bigint, window_prefixes text, window_len interval, window_cap bigint, prefix_cap bigint" \
	"$got"

expect "catalogue rows: cs inactive, w active, amount 1000" \
	"cs|aggregate|1000||f
w|aggregate|1000||t" <<'SQL'
SELECT id, type, amount, step_count, active FROM public.challenges
WHERE id IN ('cs', 'w');
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

# ---------------------------------------------------------------------------
# cs: cosign. Cosigners (verified unless said): A = 256 = 0x100 (parent
# track 16), B = 4096 = 0x1000 (parent 17; its hex starts with A's),
# C = 768 = 0x300 (parent 18), D = 1024 = 0x400 (parent 19), E = 1280 =
# 0x500 (parent 20, unverified at first). Remixes 33.. = 0x21.. are owned
# by 1000 + id (the remixers). T0 = 2024-03-01 00:00 UTC; 30 days after it
# crosses the start of daylight saving time in the sessions' TimeZone.
# ---------------------------------------------------------------------------

expect "cs: fixture" "" <<'SQL'
INSERT INTO public.users (user_id, handle, is_verified) VALUES
	(256, 'a', true), (4096, 'b', true), (768, 'c', true),
	(1024, 'd', true), (1280, 'e', false);
INSERT INTO public.tracks (track_id, owner_id) VALUES
	(16, 256), (17, 4096), (18, 768), (19, 1024), (20, 1280), (21, 999);
INSERT INTO public.tracks (track_id, owner_id)
	SELECT g, 1000 + g FROM generate_series(33, 55) g;
SQL

T0="'2024-03-01 00:00:00+00'::timestamptz"

case_ "cs: inactive in the catalogue (the default): nothing" "" "
INSERT INTO public.remixes VALUES (16, 33);
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (256, 33, 'track', $T0);
EXECUTE cosign('{256}', 'cs', NULL);
UPDATE public.challenges SET active = true WHERE id = 'cs';
DELETE FROM public.saves;"

case_ "cs: per cosigner: B's five saves in 5 days, in one statement: 5 rows" \
	"cs|1042|1000:2a|1|t|t
cs|1043|1000:2b|1|t|t
cs|1044|1000:2c|1|t|t
cs|1045|1000:2d|1|t|t
cs|1046|1000:2e|1|t|t" "
INSERT INTO public.remixes SELECT 17, g FROM generate_series(42, 46) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	SELECT 4096, g, 'track', $T0 + (g - 42) * interval '1 day'
	FROM generate_series(42, 46) g;
EXECUTE cosign('{4096}', 'cs', NULL);"

case_ "cs: A's six saves in 6 days (B's rows at the same times, prefix 1000 starting with 100, do not count): the first 5 in one statement, the 6th refused" \
	"cs|1033|100:21|1|t|t
cs|1034|100:22|1|t|t
cs|1035|100:23|1|t|t
cs|1036|100:24|1|t|t
cs|1037|100:25|1|t|t" "
INSERT INTO public.remixes SELECT 16, g FROM generate_series(34, 38) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	SELECT 256, g, 'track', $T0 + (g - 33) * interval '1 day'
	FROM generate_series(33, 38) g;
EXECUTE cosign('{256,NULL,256}', 'cs', NULL);"

expect "cs: created_at is the action's created_at; rows complete, amount 1000" \
	"1033|100:21|2024-03-01 00:00:00
1034|100:22|2024-03-02 00:00:00
1035|100:23|2024-03-03 00:00:00
1036|100:24|2024-03-04 00:00:00
1037|100:25|2024-03-05 00:00:00
t" <<SQL
$(rows cs 100)
SELECT bool_and(is_complete AND current_step_count = 1 AND amount = 1000
	AND completed_at IS NOT NULL)
FROM public.user_challenges WHERE challenge_id = 'cs';
SQL

case_ "cs: an action exactly 30 days (720 h, across DST in the session's zone) after the first reward: 5 in its window, refused" "" "
INSERT INTO public.remixes VALUES (16, 39);
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (256, 39, 'track', $T0 + interval '720 hours');
EXECUTE cosign('{256}', 'cs', NULL);"

case_ "cs: one just over 30 days after (+1 s): 4 in its window, paid" \
	"cs|1040|100:28|1|t|t" "
INSERT INTO public.remixes VALUES (16, 40);
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
	VALUES (256, 40, 'track', $T0 + interval '720 hours 1 second');
EXECUTE cosign('{256}', 'cs', NULL);"

case_ "cs: the refused save of 0x26 reposted 60 days (1440 h) after T0: a new candidate at its own time, paid" \
	"cs|1038|100:26|1|t|t" "
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
	VALUES (256, 38, 'track', $T0 + interval '1440 hours');
EXECUTE cosign('{256}', 'cs', NULL);"

case_ "cs: an old save (100 days before T0) whose remix link arrives now: judged in its own window, where A's later rows do not count" \
	"cs|1041|100:29|1|t|t" "
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (256, 41, 'track', $T0 - interval '100 days');
EXECUTE cosign('{256}', 'cs', NULL);
INSERT INTO public.remixes VALUES (16, 41);
EXECUTE cosign('{256}', 'cs', NULL);"

expect "cs: A's rows and their created_at; the refused 0x27 has none" \
	"1033|100:21|2024-03-01 00:00:00
1034|100:22|2024-03-02 00:00:00
1035|100:23|2024-03-03 00:00:00
1036|100:24|2024-03-04 00:00:00
1037|100:25|2024-03-05 00:00:00
1040|100:28|2024-03-31 00:00:01
1038|100:26|2024-04-30 00:00:00
1041|100:29|2023-11-22 00:00:00" <<SQL
$(rows cs 100)
SQL

case_ "cs: a save and a repost of one remix at the same time (repost first): one row, one slot; C's window then takes 0x31 at the 5th slot" \
	"cs|1047|300:2f|1|t|t
cs|1048|300:30|1|t|t
cs|1049|300:31|1|t|t" "
INSERT INTO public.remixes VALUES (18, 47), (18, 48), (18, 49), (18, 50);
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at)
	VALUES ('cs', 1, '300:1', true, 1, 1000, $T0 - interval '1 day'),
		('cs', 1, '300:2', true, 1, 1000, $T0 - interval '2 days');
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (768, 47, 'track', $T0), (768, 49, 'track', $T0 + interval '2 hours');
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
	VALUES (768, 47, 'track', $T0), (768, 48, 'track', $T0 + interval '1 hour'),
		(768, 50, 'track', $T0 + interval '3 hours');
EXECUTE cosign('{768}', 'cs', NULL);"

case_ "cs: at one time, the lower remix id takes the last slot" \
	"cs|1051|400:33|1|t|t" "
INSERT INTO public.remixes VALUES (19, 51), (19, 52);
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at)
	SELECT 'cs', 1, '400:' || g, true, 1, 1000, $T0 - g * interval '1 day'
	FROM generate_series(1, 4) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (1024, 52, 'track', $T0), (1024, 51, 'track', $T0);
EXECUTE cosign('{1024}', 'cs', NULL);"

case_ "cs: several parents, one of them D's: a row for D; C (another parent's owner) gets its own" \
	"cs|1053|400:35|1|t|t
cs|1053|300:35|1|t|t" "
INSERT INTO public.remixes VALUES (21, 53), (18, 53), (19, 53);
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (1024, 53, 'track', $T0 + interval '40 days'),
		(768, 53, 'track', $T0 + interval '40 days');
EXECUTE cosign('{1024,768}', 'cs', NULL);"

case_ "cs: a save before the remix link: nothing; the link arrives: the row, at the save's time" \
	"cs|1054|400:36|1|t|t
1054|400:36|2024-04-11 00:00:00" "
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (1024, 54, 'track', $T0 + interval '984 hours');
EXECUTE cosign('{1024}', 'cs', NULL);
INSERT INTO public.remixes VALUES (21, 54);
EXECUTE cosign('{1024}', 'cs', NULL);
UPDATE public.tracks SET owner_id = 1024 WHERE track_id = 21;
EXECUTE cosign('{1024}', 'cs', NULL);
SELECT user_id, specifier, to_char(created_at AT TIME ZONE 'UTC',
	'YYYY-MM-DD HH24:MI:SS')
FROM public.user_challenges WHERE specifier = '400:36';"

case_ "cs: E unverified: nothing, nor for deleted, playlist or missing-track actions" "" "
INSERT INTO public.remixes VALUES (20, 55), (20, 56), (20, 57), (20, 58);
INSERT INTO public.saves (user_id, save_item_id, save_type, is_delete, created_at)
	VALUES (1280, 55, 'track', false, $T0), (1280, 56, 'track', true, $T0),
		(1280, 57, 'playlist', false, $T0), (1280, 58, 'track', false, $T0);
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, is_delete, created_at)
	VALUES (1280, 56, 'track', true, $T0);
EXECUTE cosign('{1280}', 'cs', NULL);
UPDATE public.users SET is_verified = true WHERE user_id = 1280;
UPDATE public.users SET is_verified = false WHERE user_id = 1280;
EXECUTE cosign('{1280}', 'cs', NULL);"

case_ "cs: E verified later: its live track save of 0x37 pays the remixer" \
	"cs|1055|500:37|1|t|t" "
UPDATE public.users SET is_verified = true WHERE user_id = 1280;
EXECUTE cosign('{1280}', 'cs', NULL);"

case_ "cs: the remix's track row arrives (owner 2058): its current owner is paid" \
	"cs|2058|500:3a|1|t|t" "
INSERT INTO public.tracks (track_id, owner_id) VALUES (58, 2058);
EXECUTE cosign('{1280}', 'cs', NULL);"

case_ "cs: one-shot: unsave, unlink, parent owner and verification gone: the rows stay" "" "
UPDATE public.saves SET is_delete = true WHERE user_id = 1280;
DELETE FROM public.remixes WHERE child_track_id IN (55, 58);
UPDATE public.tracks SET owner_id = 999 WHERE track_id = 20;
UPDATE public.users SET is_verified = false WHERE user_id IN (1280, 256);
EXECUTE cosign('{1280,256}', 'cs', NULL);
UPDATE public.users SET is_verified = true WHERE user_id = 256;
EXECUTE cosign('{1280,256}', 'cs', NULL);"

expect "cs: the rows kept" "2" <<'SQL'
SELECT count(*) FROM public.user_challenges
WHERE specifier IN ('500:37', '500:3a');
SQL

case_ "cs: keys that are remixers or parents' tracks find nothing" "" "
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (1033, 34, 'track', $T0 + interval '99 days');
EXECUTE cosign('{1033,1034,16,17}', 'cs', NULL);"

# ---------------------------------------------------------------------------
# w: remix contest winners. Hosts: H = 8192 (verified), H2 = 8448
# (verified), H3 = 8704 (unverified). Winning tracks 100.. are owned by
# 3000 + id (the remixers; 3100 = 0xc1c). Contest ids are hex with letters:
# 171 = 0xab, 10 = 0xa (a prefix of 0xab). T1 = 2024-06-01 00:00 UTC.
# ---------------------------------------------------------------------------

T1="'2024-06-01 00:00:00+00'::timestamptz"
# wrow CONTEST_HEX TRACK: the expected output row of a winning track
wrow()
{
	printf 'w|%d|%s:%x|1|t|t\n' $((3000 + $2)) "$1" $((3000 + $2))
}

expect "w: fixture" "" <<'SQL'
INSERT INTO public.users (user_id, handle, is_verified) VALUES
	(8192, 'h', true), (8448, 'h2', true), (8704, 'h3', false);
INSERT INTO public.tracks (track_id, owner_id)
	SELECT g, 3000 + g FROM generate_series(100, 130) g;
SQL

case_ "w: 6 winners (numbers and a numeric string): the first 5 in array order" \
	"$(for t in 105 101 104 102 106; do wrow ab $t; done)" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (171, 'remix_contest', 8192,
		'{\"winners\": [105, \"101\", 104, 102, 106, 103]}', $T1);
EXECUTE remix_contest_winner('{8192,8192,NULL}', 'w', NULL);"

expect "w: created_at is the contest's updated_at" \
	"$(for t in 105 101 104 102 106; do
		printf '%d|ab:%x|2024-06-01 00:00:00\n' $((3000 + t)) $((3000 + t))
	done)" <<SQL
$(rows w ab)
SQL

case_ "w: a contest of H updated exactly 7 days later: H's window holds 5, refused" "" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (172, 'remix_contest', 8192, '{\"winners\": [107]}',
		$T1 + interval '7 days');
EXECUTE remix_contest_winner('{8192}', 'w', NULL);"

case_ "w: one updated 7 days and 1 s later: 0 in its window, paid" \
	"$(wrow ad 108)" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (173, 'remix_contest', 8192, '{\"winners\": [108]}',
		$T1 + interval '7 days 1 second');
EXECUTE remix_contest_winner('{8192}', 'w', NULL);"

case_ "w: the refused winner, its contest updated 8 days after T1: 1 in the new window, paid at the new anchor" \
	"$(wrow ac 107)
$(printf '%d|ac:%x|2024-06-09 00:00:00' 3107 3107)" "
UPDATE public.events SET updated_at = $T1 + interval '8 days' WHERE event_id = 172;
EXECUTE remix_contest_winner('{8192}', 'w', NULL);
$(rows w ac)"

case_ "w: per host: H2's contest 0xa (a prefix of 0xab) at T1: H's full window does not count" \
	"$(for t in 110 111 112 113 114; do wrow a $t; done)" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (10, 'remix_contest', 8448,
		'{\"winners\": [110, 111, 112, 113, 114]}', $T1);
EXECUTE remix_contest_winner('{8448,8192}', 'w', NULL);"

case_ "w: malformed winners: non-integer elements ignored, a non-array or missing list is empty" \
	"$(wrow af 115)
$(wrow af 116)
$(wrow af 100)" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at) VALUES
	(175, 'remix_contest', 8448, '{\"winners\": [1.5, \"abc\", null, {\"id\": 117},
		[117], true, \"-117\", \" 117\", \"117 \", -117, 117.0, \"\",
		99999999999999999999999, \"9223372036854775808\", 115, \"0116\", 1e2]}',
		$T1 + interval '30 days'),
	(176, 'remix_contest', 8448, '{\"winners\": {\"0\": 118}}', $T1 + interval '30 days'),
	(177, 'remix_contest', 8448, '{\"winners\": \"118\"}', $T1 + interval '30 days'),
	(178, 'remix_contest', 8448, '{\"winners\": 118}', $T1 + interval '30 days'),
	(179, 'remix_contest', 8448, '{\"other\": [118]}', $T1 + interval '30 days'),
	(180, 'remix_contest', 8448, NULL, $T1 + interval '30 days'),
	(181, 'remix_contest', 8448, '[118]', $T1 + interval '30 days'),
	(182, 'remix_contest', 8448, '{\"winners\": null}', $T1 + interval '30 days'),
	(183, 'live_event', 8448, '{\"winners\": [118]}', $T1 + interval '30 days');
EXECUTE remix_contest_winner('{8448}', 'w', NULL);"

case_ "w: a deleted winning track is skipped; restored, it is paid at the host's next recompute" \
	"$(wrow b8 120)" "
UPDATE public.tracks SET is_delete = true WHERE track_id = 119;
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (184, 'remix_contest', 8448, '{\"winners\": [119, 120]}',
		$T1 + interval '40 days');
EXECUTE remix_contest_winner('{8448}', 'w', NULL);"
case_ "w: the winning track restored" "$(wrow b8 119)" "
UPDATE public.tracks SET is_delete = false WHERE track_id = 119;
EXECUTE remix_contest_winner('{8448}', 'w', NULL);"

case_ "w: a deleted contest is skipped; restored, it is paid" "$(wrow b9 121)" "
INSERT INTO public.events (event_id, event_type, user_id, is_deleted, event_data, updated_at)
	VALUES (185, 'remix_contest', 8448, true, '{\"winners\": [121]}',
		$T1 + interval '50 days');
EXECUTE remix_contest_winner('{8448}', 'w', NULL);
UPDATE public.events SET is_deleted = false WHERE event_id = 185;
EXECUTE remix_contest_winner('{8448}', 'w', NULL);"

case_ "w: an unverified host: nothing; verified later: its contest's winners" \
	"$(wrow ba 122)" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (186, 'remix_contest', 8704, '{\"winners\": [122]}', $T1);
EXECUTE remix_contest_winner('{8704}', 'w', NULL);
UPDATE public.users SET is_verified = true WHERE user_id = 8704;
EXECUTE remix_contest_winner('{8704}', 'w', NULL);"

case_ "w: two winning tracks of one remixer: one row, the second uses no slot (5 remixers of 6 winners paid)" \
	"$(for t in 123 125 126 127 128; do wrow bb $t; done)" "
UPDATE public.tracks SET owner_id = 3123 WHERE track_id = 124;
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (187, 'remix_contest', 8704,
		'{\"winners\": [123, 124, 125, 126, 127, 128, 129]}',
		$T1 + interval '100 days');
EXECUTE remix_contest_winner('{8704}', 'w', NULL);"

case_ "w: the contest's list changed (new updated_at): the per-contest cap of 5 is full" "" "
UPDATE public.events SET event_data = '{\"winners\": [129, 130]}',
	updated_at = $T1 + interval '200 days' WHERE event_id = 187;
EXECUTE remix_contest_winner('{8704}', 'w', NULL);"

case_ "w: one-shot: winners removed, contests deleted, hosts unverified: the rows stay" "" "
UPDATE public.events SET event_data = '{\"winners\": []}' WHERE event_id = 171;
UPDATE public.events SET is_deleted = true WHERE event_id = 10;
UPDATE public.users SET is_verified = false WHERE user_id = 8704;
EXECUTE remix_contest_winner('{8192,8448,8704}', 'w', NULL);"

case_ "w: keys that are remixers or contests find nothing" "" "
EXECUTE remix_contest_winner('{3105,171,10}', 'w', NULL);"

expect "w: rows per contest" "a|5
ab|5
ac|1
ad|1
af|3
b8|2
b9|1
ba|1
bb|5" <<'SQL'
SELECT split_part(specifier, ':', 1), count(*) FROM public.user_challenges
WHERE challenge_id = 'w' GROUP BY 1;
SQL

case_ "w: a contest updated in the data's future (2099)" "$(wrow bd 130)" "
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (189, 'remix_contest', 8192, '{\"winners\": [130]}',
		'2099-01-01 00:00:00+00');
EXECUTE remix_contest_winner('{8192}', 'w', NULL);"

expect "completed_at is when the row was paid (now), never before its created_at" \
	"cs|f|t
w|f|t
w|t|f" <<'SQL'
SELECT challenge_id, completed_at = created_at,
	completed_at BETWEEN now() - interval '10 minutes' AND now()
FROM public.user_challenges WHERE challenge_id IN ('cs', 'w')
	AND user_id <> 1 -- the rows the cases added by hand
GROUP BY 1, 2, 3;
SQL

case_ "w: inactive: nothing" "" "
UPDATE public.challenges SET active = false WHERE id = 'w';
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (188, 'remix_contest', 8192, '{\"winners\": [130]}',
		$T1 + interval '300 days');
EXECUTE remix_contest_winner('{8192}', 'w', NULL);
UPDATE public.challenges SET active = true WHERE id = 'w';
DELETE FROM public.events WHERE event_id = 188;"

# ---------------------------------------------------------------------------
# The standby split: the read (the rule alone) and the apply (the policy
# over the read's rows) write what the primary's statement writes. Each side
# runs in a transaction that is rolled back, on the same data: new actions
# and contests, some paid and some refused.
# ---------------------------------------------------------------------------

SPLIT_DATA="
INSERT INTO public.remixes SELECT 16, g FROM generate_series(42, 50) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	SELECT 256, g, 'track', $T0 + interval '100 days' + g * interval '1 hour'
	FROM generate_series(42, 50) g;
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
	VALUES (256, 44, 'track', $T0 + interval '90 days');
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	VALUES (190, 'remix_contest', 8448,
		'{\"winners\": [100, 101, 102, 103, 104, 105]}', $T1 + interval '60 days'),
	(191, 'remix_contest', 8448, '{\"winners\": [106, 107]}',
		$T1 + interval '61 days'),
	(192, 'remix_contest', 8192, '{\"winners\": [108, \"109\"]}',
		$T1 + interval '61 days');"
split_primary=$(sql <<SQL
BEGIN;
$SPLIT_DATA
\o /dev/null
EXECUTE cosign('{256,4096,768}', 'cs', NULL);
EXECUTE remix_contest_winner('{8192,8448}', 'w', NULL);
\o
SELECT challenge_id, user_id, specifier, created_at FROM public.user_challenges
WHERE xmin::text = txid_current()::text ORDER BY 1, 3;
ROLLBACK;
SQL
)
split_apply=$(sql <<SQL
BEGIN;
$SPLIT_DATA
CREATE TEMP TABLE rd_cs AS EXECUTE cosign_read('{256,4096,768}', 'cs', NULL);
CREATE TEMP TABLE rd_w AS EXECUTE remix_contest_winner_read('{8192,8448}', 'w', NULL);
\o /dev/null
SELECT array_agg(user_id) AS c1, array_agg(specifier) AS c2,
	array_agg(anchor) AS c3, array_agg(rank) AS c4,
	array_agg(window_prefixes) AS c5, array_agg(window_len) AS c6,
	array_agg(window_cap) AS c7, array_agg(prefix_cap) AS c8
FROM rd_cs \gset
EXECUTE cosign_apply('{256,4096,768}', 'cs', NULL, :'c1', :'c2', :'c3',
	:'c4', :'c5', :'c6', :'c7', :'c8');
SELECT array_agg(user_id) AS c1, array_agg(specifier) AS c2,
	array_agg(anchor) AS c3, array_agg(rank) AS c4,
	array_agg(window_prefixes) AS c5, array_agg(window_len) AS c6,
	array_agg(window_cap) AS c7, array_agg(prefix_cap) AS c8
FROM rd_w \gset
EXECUTE remix_contest_winner_apply('{8192,8448}', 'w', NULL, :'c1', :'c2',
	:'c3', :'c4', :'c5', :'c6', :'c7', :'c8');
\o
SELECT challenge_id, user_id, specifier, created_at FROM public.user_challenges
WHERE xmin::text = txid_current()::text ORDER BY 1, 3;
ROLLBACK;
SQL
)
check_eq "split: the primary writes rows under cs and w (some refused)" "cs 5, w 7" \
	"$(printf '%s\n' "$split_primary" | awk -F'|' '{ n[$1]++ }
		END { printf "cs %d, w %d", n["cs"], n["w"] }')"
check_eq "split: read + apply write what the primary writes" \
	"$split_primary" "$split_apply"
expect "split: the read returns paid candidates too (the policy skips them)" "t" <<SQL
BEGIN;
$SPLIT_DATA
CREATE TEMP TABLE rd AS EXECUTE cosign_read('{256}', 'cs', NULL);
SELECT count(*) > 3 FROM rd r JOIN public.user_challenges uc
	ON uc.challenge_id = 'cs' AND uc.specifier = r.specifier;
ROLLBACK;
SQL

# ---------------------------------------------------------------------------
# The policy against a row-at-a-time model of it: random candidates under a
# test challenge 'tw', through the apply form (the candidates are the
# arrays). Window groups: 'a1,a2,a3', 'b1,b2', 'c1', and 'd1' by default
# (window_prefixes NULL); specifiers PREFIX:0..4 (twins are frequent),
# anchors on a 6-hour grid over 60 days (ties are frequent), and per
# candidate a window of 30 days, 7 days, 36 hours or none (NULL), a window
# cap of 1, 2, 3 or none, a prefix cap of 1, 2 or none; now and then no
# anchor (never paid). Each round starts from the rows of the rounds
# before; run again, it writes nothing.
# ---------------------------------------------------------------------------

expect "model: fixture" "" <<'SQL'
INSERT INTO public.challenges (id, type, amount, step_count, active)
	VALUES ('tw', 'aggregate', 7, NULL, true);
CREATE TABLE tw_cand (user_id bigint, specifier text, anchor timestamptz,
	rank bigint, window_prefixes text, window_len interval,
	window_cap bigint, prefix_cap bigint);
-- The policy as its comment states it: candidates one at a time, each
-- group in (anchor, rank, specifier) order; rows that exist or were
-- admitted before count in the windows (UTC) and under the prefix.
CREATE FUNCTION tw_model() RETURNS TABLE (user_id bigint, specifier text,
	created_at timestamptz) LANGUAGE plpgsql AS $$
DECLARE
	c record;
	n bigint;
	ws timestamptz;
BEGIN
	CREATE TEMP TABLE sim ON COMMIT DROP AS
		SELECT uc.specifier, uc.created_at FROM public.user_challenges uc
		WHERE uc.challenge_id = 'tw';
	FOR c IN SELECT t.*, coalesce(t.window_prefixes,
			split_part(t.specifier, ':', 1)) AS grp
		FROM tw_cand t WHERE t.anchor IS NOT NULL
		ORDER BY grp, t.anchor, t.rank, t.specifier LOOP
		CONTINUE WHEN EXISTS (SELECT FROM sim s WHERE s.specifier = c.specifier);
		ws := coalesce((c.anchor AT TIME ZONE 'UTC' - c.window_len)
			AT TIME ZONE 'UTC', '-infinity');
		SELECT count(*) INTO n FROM sim s
		WHERE split_part(s.specifier, ':', 1) = ANY (string_to_array(c.grp, ','))
			AND s.created_at BETWEEN ws AND c.anchor;
		CONTINUE WHEN n >= c.window_cap;
		SELECT count(*) INTO n FROM sim s
		WHERE split_part(s.specifier, ':', 1) = split_part(c.specifier, ':', 1);
		CONTINUE WHEN n >= c.prefix_cap;
		INSERT INTO sim VALUES (c.specifier, c.anchor);
		user_id := c.user_id;
		specifier := c.specifier;
		created_at := c.anchor;
		RETURN NEXT;
	END LOOP;
END
$$;
SQL

MODEL_APPLY="SELECT array_agg(user_id) AS c1, array_agg(specifier) AS c2,
	array_agg(anchor) AS c3, array_agg(rank) AS c4,
	array_agg(window_prefixes) AS c5, array_agg(window_len) AS c6,
	array_agg(window_cap) AS c7, array_agg(prefix_cap) AS c8
FROM tw_cand \gset
EXECUTE cosign_apply('{}', 'tw', NULL, :'c1', :'c2', :'c3', :'c4', :'c5', :'c6', :'c7', :'c8');"
paid=0
for round in $(seq 1 30); do
	expect "model: round $round, the policy writes what the model admits" "" <<SQL
SELECT setseed($round / 100.0);
TRUNCATE tw_cand;
INSERT INTO tw_cand
SELECT 1 + floor(random() * 5), p || ':' || floor(random() * 5),
	CASE WHEN random() < 0.05 THEN NULL ELSE '2024-01-01 00:00:00+00'::timestamptz
		+ floor(random() * 240) * interval '6 hours' END,
	floor(random() * 2),
	CASE WHEN grp = 'd1' THEN NULL ELSE grp END,
	(ARRAY['30 days', '7 days', '36 hours', NULL]::interval[])[1 + floor(random() * 4)],
	(ARRAY[1, 2, 3, NULL]::bigint[])[1 + floor(random() * 4)],
	(ARRAY[1, 2, NULL]::bigint[])[1 + floor(random() * 3)]
FROM (SELECT grp, (string_to_array(grp, ','))[1 + floor(random()
		* array_length(string_to_array(grp, ','), 1))] AS p
	FROM (SELECT (ARRAY['a1,a2,a3', 'b1,b2', 'c1', 'd1'])[1 + floor(random() * 4)]
			AS grp, i
		FROM generate_series(1, 20) i) g) q;
CREATE TEMP TABLE want AS SELECT * FROM tw_model();
CREATE TEMP TABLE before AS SELECT specifier FROM public.user_challenges
	WHERE challenge_id = 'tw';
\o /dev/null
$MODEL_APPLY
\o
CREATE TEMP TABLE got AS SELECT uc.user_id, uc.specifier, uc.created_at
	FROM public.user_challenges uc
	WHERE uc.challenge_id = 'tw' AND uc.specifier NOT IN (SELECT * FROM before);
SELECT 'not paid: ' || w FROM (SELECT * FROM want EXCEPT SELECT * FROM got) w;
SELECT 'paid: ' || g FROM (SELECT * FROM got EXCEPT SELECT * FROM want) g;
SQL
	noop "model: round $round" "$MODEL_APPLY" "$MODEL_APPLY"
done
expect "model: the rounds paid some and refused some" "t" <<'SQL'
SELECT count(*) BETWEEN 20 AND 300 FROM public.user_challenges
WHERE challenge_id = 'tw';
SQL

# ---------------------------------------------------------------------------
# Bounded plans, on tables of many rows (added and analyzed in a
# transaction that is rolled back): the tables the statements read are
# reached by index only, with the planner's own choices (custom and
# generic plans), and nothing at all is scanned with seq scans disabled.
# ---------------------------------------------------------------------------

expect "plans on many rows use indexes only" "" <<'SQL'
BEGIN;
-- no trigger (the counting one would update its one row per row added)
SET LOCAL session_replication_role = replica;
INSERT INTO public.users (user_id, is_verified)
	SELECT g, g % 2 = 0 FROM generate_series(1000000, 1050000) g;
INSERT INTO public.tracks (track_id, owner_id)
	SELECT g, 1000000 + g % 50000 FROM generate_series(1000000, 1200000) g;
INSERT INTO public.remixes
	SELECT g, g + 1 FROM generate_series(1000000, 1199998, 2) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	SELECT 1000000 + g % 50000, 1000000 + (g * 7) % 200000, 'track',
		'2024-01-01'::timestamptz + g * interval '1 minute'
	FROM generate_series(1, 200000) g ON CONFLICT DO NOTHING;
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
	SELECT 1000000 + g % 50000, 1000000 + (g * 11) % 200000, 'track',
		'2024-01-01'::timestamptz + g * interval '1 minute'
	FROM generate_series(1, 200000) g ON CONFLICT DO NOTHING;
INSERT INTO public.events (event_id, event_type, user_id, event_data, updated_at)
	SELECT g, 'remix_contest', 1000000 + g % 50000,
		jsonb_build_object('winners', jsonb_build_array(g, g + 1)),
		'2024-01-01'::timestamptz + g * interval '1 minute'
	FROM generate_series(1000000, 1100000) g;
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at)
	SELECT c, g, to_hex(1000000 + g % 50000) || ':' || to_hex(g), true, 1, 1,
		'2024-01-01'::timestamptz + g * interval '1 minute'
	FROM generate_series(1, 150000) g, (VALUES ('cs'), ('w'), ('r')) v (c);
ANALYZE public.users, public.tracks, public.remixes, public.saves,
	public.reposts, public.events, public.user_challenges;
CREATE TEMP TABLE plans (line text);
DO $$
DECLARE r record; s text; m text; off boolean;
BEGIN
	FOREACH off IN ARRAY ARRAY[false, true] LOOP
		PERFORM set_config('enable_seqscan', CASE WHEN off THEN 'off' ELSE 'on' END, true);
		FOREACH m IN ARRAY ARRAY['force_custom_plan', 'force_generic_plan'] LOOP
			PERFORM set_config('plan_cache_mode', m, true);
			FOREACH s IN ARRAY ARRAY[
				'cosign(''{1000002,1000004,1000006,256,768}'', ''cs'', 1)',
				'remix_contest_winner(''{1000002,1000004,1000006,8192,8448}'', ''w'', 1)',
				'cosign_read(''{1000002,256}'', ''cs'', 1)',
				'remix_contest_winner_read(''{1000002,8192}'', ''w'', 1)'] LOOP
				FOR r IN EXECUTE 'EXPLAIN EXECUTE ' || s LOOP
					INSERT INTO plans VALUES (m || ' seqscan ' || (NOT off) || ' '
						|| s || ': ' || r."QUERY PLAN");
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;
END
$$;
SELECT line FROM plans
WHERE line ~ 'Seq Scan on (user_challenges|events|saves|reposts|remixes|tracks|users)'
	OR (line ~ 'Seq Scan' AND line ~ 'seqscan false');
SELECT 'no plan' WHERE NOT EXISTS (SELECT FROM plans WHERE line ~ 'user_challenges_prefix_idx');
ROLLBACK;
SQL

test_done
