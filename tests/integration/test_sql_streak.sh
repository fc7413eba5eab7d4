#!/usr/bin/env bash
# test_sql_streak.sh: tests the listen streak 'e' (the rule
# sql/rules/listen_streak.sql with the streak write policy
# sql/policies/streak.sql and public.listen_streak_fold of sql/schema.sql)
# directly through psql, without the daemon, as test_sql_catalogue.sh does
# for the other rules: every session PREPAREs the statement reckon composes
# (listen_streak: the primary's; listen_streak_apply: the write of a
# standby's read) with the parameter types src/recompute.c uses and
# EXECUTEs it with listener ids as keys.
#
# Table-driven: each case is a name, the rows the statements return (plus
# what the case's own queries print: uc|... rows of user_challenges and
# st|... state rows) and a script of data changes and EXECUTEs. After every
# case its EXECUTE lines (and the \gset lines they need) run again, in a
# new session, and must write nothing: no row returned, the counting
# triggers on user_challenges and challenge_listen_streak do not fire,
# their n_tup_ins/n_tup_upd do not move, and no row's xmin or xmax changes
# (not even a row lock).
#
# Cases: the catalogue row inactive (nothing, not even state), gaps of
# 15 h 59 min, 16 h, 47 h 59 min and 48 h, plays out of time order (0, 40
# h, 20 h: streak 2, folded at once or play by play), a replayed statement
# and a duplicate play, deleted plays (the state keeps the streak), the
# seventh day (7-day row complete, amount 7), the eighth and ninth (endless
# rows, catalogue amount), a reset after 48 h (new 7-day row, the broken
# one left incomplete), hours in UTC across a DST change in the session's
# TimeZone, anonymous plays, a listener with no plays; the APPLY form with
# a superset of the candidates (a lagging standby's read); a long history
# folded at once (a backfill) equal to the same history folded play by
# play and to its READ applied in chunks; bounded plans; and the standby
# split (test_sql_split.sh's checks for this rule): a random workload in
# slices, PRIMARY in one database, READ on a streaming standby plus APPLY
# in another, equal rows returned, user_challenges and state.
#
# Needs PostgreSQL 15 binaries (tests/integration/cluster.sh starts a
# throwaway cluster and stops it at exit). Exits 1 on any failure.

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
cluster_start || {
	echo "test_sql_streak: could not start a cluster" >&2
	exit 1
}
# Far from UTC, with a DST change: nothing may depend on it.
export PGTZ=America/Los_Angeles

WORK="$CLUSTER_DIR/test_sql_streak" # removed with the cluster
mkdir -p "$WORK"
PREP="$WORK/prepare.sql"
# The table-driven cases: lib.sh's case_ and noop, with the statements
# prepared in every session (sql, for lib.sh's expect).
NOOP_COUNTER=e_writes
NOOP_TABLES="user_challenges challenge_listen_streak"
NOOP_RERUN='^EXECUTE |\\gset$' # the \gset lines set the EXECUTEs' variables
sql() { prepared_sql; }

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

check_single_statement listen_streak
{
	prepare_statements listen_streak
	printf 'PREPARE listen_streak_apply (bigint[], text, bigint, bigint[], '
	printf 'bigint[], timestamptz[]) AS\n'
	rule_statement listen_streak apply
	printf '\n;\n'
} >"$PREP"
expect "statements prepare (PRIMARY and APPLY)" "" <<<""

expect "catalogue row e: inactive by default" "e|aggregate|1||f" <<'SQL'
SELECT id, type, amount, step_count, active FROM public.challenges
WHERE id = 'e';
SQL

# Helpers: play(user, 'H:MM') inserts a play H:MM after 2025-01-01 00:00
# UTC (an interval of hours: no day, no DST); play_at(user, timestamptz).
# uc(user): its e rows, uc|specifier|step|complete|amount|created|completed
# (UTC MM-DD HH24:MI); st(user): st|streak|last listen|streak start. A
# trigger counts the rows written to either table.
expect "fixture" "" <<'SQL'
CREATE PROCEDURE play(u bigint, at text) LANGUAGE sql AS $$
	INSERT INTO public.plays (user_id, play_item_id, created_at)
	VALUES (u, 1, timestamptz '2025-01-01 00:00+00' + at::interval) $$;
CREATE PROCEDURE play_at(u bigint, at timestamptz) LANGUAGE sql AS $$
	INSERT INTO public.plays (user_id, play_item_id, created_at)
	VALUES (u, 1, at) $$;
CREATE FUNCTION utc(t timestamptz) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(to_char(t AT TIME ZONE 'UTC', 'MM-DD HH24:MI'), '-') $$;
CREATE FUNCTION uc(u bigint) RETURNS SETOF text LANGUAGE sql AS $$
	SELECT concat_ws('|', 'uc', specifier, current_step_count, is_complete,
		amount, utc(created_at), utc(completed_at))
	FROM public.user_challenges
	WHERE challenge_id = 'e' AND user_id = u $$;
CREATE FUNCTION st(u bigint) RETURNS SETOF text LANGUAGE sql AS $$
	SELECT concat_ws('|', 'st', listen_streak, utc(last_listen_date),
		utc(streak_started_at))
	FROM public.challenge_listen_streak WHERE user_id = u $$;
CREATE TABLE e_writes (n bigint NOT NULL);
INSERT INTO e_writes VALUES (0);
CREATE FUNCTION count_e_write() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN UPDATE e_writes SET n = n + 1; RETURN NULL; END $$;
CREATE TRIGGER e_writes AFTER INSERT OR UPDATE ON public.user_challenges
	FOR EACH ROW EXECUTE FUNCTION count_e_write();
CREATE TRIGGER e_writes AFTER INSERT OR UPDATE
	ON public.challenge_listen_streak
	FOR EACH ROW EXECUTE FUNCTION count_e_write();
SQL

# The write checks are not vacuous: a fold that writes a row and a state
# moves the trigger count by two and n_tup_ins by one in each table.
expect "write checks see a write (triggers +2, n_tup_ins +1 +1)" "2|1|1" <<'SQL'
SELECT n AS w0 FROM e_writes \gset
SELECT n_tup_ins AS u0 FROM pg_stat_user_tables
	WHERE relname = 'user_challenges' \gset
SELECT n_tup_ins AS s0 FROM pg_stat_user_tables
	WHERE relname = 'challenge_listen_streak' \gset
\o /dev/null
UPDATE public.challenges SET active = true WHERE id = 'e';
CALL play(1, '0:00');
EXECUTE listen_streak('{1}', 'e', NULL);
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
\o
SELECT (SELECT n - :w0 FROM e_writes),
	(SELECT n_tup_ins - :u0 FROM pg_stat_user_tables
		WHERE relname = 'user_challenges'),
	(SELECT n_tup_ins - :s0 FROM pg_stat_user_tables
		WHERE relname = 'challenge_listen_streak');
UPDATE public.challenges SET active = false WHERE id = 'e';
DELETE FROM public.plays;
DELETE FROM public.user_challenges;
DELETE FROM public.challenge_listen_streak;
SQL

# ---------------------------------------------------------------------------
# Gaps. 257 = 0x101: 0:00, then 15 h 59 min later (ignored), 16 h after
# the first (+1), 47 h 59 min after that (+1), 48 h after that (a new
# streak). The catalogue row is inactive at first: nothing, not even a
# state row; its plays are folded once it is active.
# ---------------------------------------------------------------------------

case_ "inactive: nothing written, no state" "" "
CALL play(257, '0:00');
EXECUTE listen_streak('{257}', 'e', NULL);
SELECT uc(257); SELECT st(257);"

case_ "active: the first play starts a streak of 1, a 7-day row" \
	"e|257|1012025010100|1|f|f
uc|1012025010100|1|f|7|01-01 00:00|-
st|1|01-01 00:00|01-01 00:00" "
UPDATE public.challenges SET active = true WHERE id = 'e';
EXECUTE listen_streak('{257}', 'e', NULL);
SELECT uc(257); SELECT st(257);"

case_ "gap 15 h 59 min: ignored" "st|1|01-01 00:00|01-01 00:00" "
CALL play(257, '15:59');
EXECUTE listen_streak('{257}', 'e', NULL);
SELECT st(257);"

case_ "gap 16 h: streak 2" "e|257|1012025010100|2|f|f
st|2|01-01 16:00|01-01 00:00" "
CALL play(257, '16:00');
EXECUTE listen_streak('{257}', 'e', NULL);
SELECT st(257);"

case_ "gap 47 h 59 min: streak 3" "e|257|1012025010100|3|f|f
st|3|01-03 15:59|01-01 00:00" "
CALL play(257, '63:59');
EXECUTE listen_streak('{257}', 'e', NULL);
SELECT st(257);"

case_ "gap 48 h: a new streak of 1, a new 7-day row; the broken one stays at 3" \
	"e|257|1012025010515|1|f|f
uc|1012025010100|3|f|7|01-01 00:00|-
uc|1012025010515|1|f|7|01-05 15:59|-
st|1|01-05 15:59|01-05 15:59" "
CALL play(257, '111:59');
EXECUTE listen_streak('{257}', 'e', NULL);
SELECT uc(257); SELECT st(257);"

# ---------------------------------------------------------------------------
# Order, replays, deletes
# ---------------------------------------------------------------------------

# 258 = 0x102 folds 0, 40 h, 20 h (in id order) at once; 259 = 0x103 the
# same plays one by one. 20 h is 20 h before the last counted listen: a
# negative gap, ignored (by created_at order it would make 3).
case_ "out of time order, folded at once: 0, 40 h, 20 h -> 2" \
	"e|258|1022025010100|2|f|f
st|2|01-02 16:00|01-01 00:00" "
CALL play(258, '0:00');
CALL play(258, '40:00');
CALL play(258, '20:00');
EXECUTE listen_streak('{258}', 'e', NULL);
SELECT st(258);"

case_ "out of time order, play by play: 0, 40 h, 20 h -> 2" \
	"e|259|1032025010100|1|f|f
e|259|1032025010100|2|f|f
st|2|01-02 16:00|01-01 00:00" "
CALL play(259, '0:00');
EXECUTE listen_streak('{259}', 'e', NULL);
CALL play(259, '40:00');
EXECUTE listen_streak('{259}', 'e', NULL);
CALL play(259, '20:00');
EXECUTE listen_streak('{259}', 'e', NULL);
SELECT st(259);"

case_ "a replayed statement writes once; a duplicate play (gap 0) is ignored" \
	"e|258|1022025010100|3|f|f
st|3|01-03 08:00|01-01 00:00" "
CALL play(258, '56:00');
EXECUTE listen_streak('{258}', 'e', NULL);
EXECUTE listen_streak('{258}', 'e', NULL);
CALL play(258, '56:00');
EXECUTE listen_streak('{258,258,NULL}', 'e', NULL);
SELECT st(258);"

# 260 = 0x104: its plays deleted (pruned), the streak stays and goes on.
case_ "deleted plays: nothing written, the state keeps the streak" \
	"e|260|1042025010100|1|f|f
e|260|1042025010100|2|f|f
st|2|01-01 20:00|01-01 00:00" "
CALL play(260, '0:00');
EXECUTE listen_streak('{260}', 'e', NULL);
CALL play(260, '20:00');
EXECUTE listen_streak('{260}', 'e', NULL);
DELETE FROM public.plays WHERE user_id = 260;
EXECUTE listen_streak('{260}', 'e', NULL);
SELECT st(260);"
case_ "deleted plays: the next play continues the streak" \
	"e|260|1042025010100|3|f|f
st|3|01-02 14:00|01-01 00:00" "
CALL play(260, '38:00');
EXECUTE listen_streak('{260}', 'e', NULL);
SELECT st(260);"

# ---------------------------------------------------------------------------
# Seven days and beyond. 261 = 0x105, a play a day at 00:00; the catalogue
# amount is 3 here, so that the 7-day row's 7 and the endless rows'
# catalogue amount tell apart.
# ---------------------------------------------------------------------------

expect "catalogue amount of e set to 3" "" <<<"
UPDATE public.challenges SET amount = 3 WHERE id = 'e';"
for day in 1 2 3 4 5 6; do
	case_ "day $day: the 7-day row at $day" \
		"e|261|1052025010100|$day|f|f" "
CALL play(261, '$(((day - 1) * 24)):00');
EXECUTE listen_streak('{261}', 'e', NULL);"
done
case_ "day 7: the 7-day row completes, amount 7, completed at the play" \
	"e|261|1052025010100|7|t|t
uc|1052025010100|7|t|7|01-01 00:00|01-07 00:00" "
CALL play(261, '144:00');
EXECUTE listen_streak('{261}', 'e', NULL);
SELECT uc(261);"
case_ "day 8: an endless row, catalogue amount, complete at the play" \
	"e|261|1052025010800|1|t|t
uc|1052025010100|7|t|7|01-01 00:00|01-07 00:00
uc|1052025010800|1|t|3|01-08 00:00|01-08 00:00
st|8|01-08 00:00|01-01 00:00" "
CALL play(261, '168:00');
EXECUTE listen_streak('{261}', 'e', NULL);
SELECT uc(261); SELECT st(261);"
case_ "day 9: another endless row" \
	"e|261|1052025010900|1|t|t
uc|1052025010900|1|t|3|01-09 00:00|01-09 00:00
st|9|01-09 00:00|01-01 00:00" "
CALL play(261, '192:00');
EXECUTE listen_streak('{261}', 'e', NULL);
SELECT r FROM uc(261) r WHERE r LIKE 'uc|1052025010900|%'; SELECT st(261);"
case_ "after a complete streak, 48 h: a new 7-day row; the rest unchanged" \
	"e|261|1052025011100|1|f|f
uc|1052025010100|7|t|7|01-01 00:00|01-07 00:00
uc|1052025010800|1|t|3|01-08 00:00|01-08 00:00
uc|1052025010900|1|t|3|01-09 00:00|01-09 00:00
uc|1052025011100|1|f|7|01-11 00:00|-
st|1|01-11 00:00|01-11 00:00" "
CALL play(261, '240:00');
EXECUTE listen_streak('{261}', 'e', NULL);
SELECT uc(261); SELECT st(261);"

# 262 = 0x106: nine days folded in one statement (a first fold of a
# history): the same rows.
case_ "nine days in one statement: 7-day row complete, two endless rows" \
	"e|262|1062025010100|7|t|t
e|262|1062025010800|1|t|t
e|262|1062025010900|1|t|t
uc|1062025010100|7|t|7|01-01 00:00|01-07 00:00
uc|1062025010800|1|t|3|01-08 00:00|01-08 00:00
uc|1062025010900|1|t|3|01-09 00:00|01-09 00:00
st|9|01-09 00:00|01-01 00:00" "
INSERT INTO public.plays (user_id, play_item_id, created_at)
	SELECT 262, 1, timestamptz '2025-01-01 00:00+00' + g * interval '24 hours'
	FROM generate_series(0, 8) g;
EXECUTE listen_streak('{262}', 'e', NULL);
SELECT uc(262); SELECT st(262);"

# ---------------------------------------------------------------------------
# Time zones, anonymous plays, a listener without plays
# ---------------------------------------------------------------------------

# 263 = 0x107 in Los Angeles, across the DST change of 2025-03-09: 47 h 30
# min of real time (with '2 days' in the session's TimeZone it would be a
# reset), and the specifier's hour is UTC (04:00 local).
case_ "DST: 47 h 30 min across the change is +1; specifier hours in UTC" \
	"e|263|1072025030812|1|f|f
e|263|1072025030812|2|f|f
st|2|03-10 11:30|03-08 12:00" "
CALL play_at(263, '2025-03-08 12:00+00');
EXECUTE listen_streak('{263}', 'e', NULL);
CALL play_at(263, '2025-03-10 11:30+00');
EXECUTE listen_streak('{263}', 'e', NULL);
SELECT st(263);"

case_ "anonymous plays and a listener without plays: nothing, no state" "0" "
INSERT INTO public.plays (user_id, play_item_id, created_at)
	SELECT NULL, 1, timestamptz '2025-01-01 00:00+00' + g * interval '24 hours'
	FROM generate_series(0, 8) g;
EXECUTE listen_streak('{NULL,264}', 'e', NULL);
EXECUTE listen_streak('{}', 'e', NULL);
SELECT count(*) FROM public.challenge_listen_streak
	WHERE user_id IS NULL OR user_id = 264;"

# ---------------------------------------------------------------------------
# APPLY: a standby's read may come from an older state (a superset of the
# candidates): only what the primary's state has not folded counts.
# ---------------------------------------------------------------------------

# 261's every play (all folded) and one new play, as a lagging standby
# would offer them.
case_ "APPLY of a superset: the folded plays are ignored, the new one counts" \
	"e|261|1052025011100|2|f|f
st|2|01-12 00:00|01-11 00:00" "
CALL play(261, '264:00');
SELECT array_agg(user_id) AS a_u, array_agg(id) AS a_id, array_agg(created_at) AS a_t FROM public.plays WHERE user_id = 261 \gset
EXECUTE listen_streak_apply('{261}', 'e', NULL, :'a_u', :'a_id', :'a_t');
SELECT st(261);"

case_ "APPLY while the challenge is inactive: nothing" "" "
CALL play(261, '288:00');
UPDATE public.challenges SET active = false WHERE id = 'e';
SELECT array_agg(user_id) AS a_u, array_agg(id) AS a_id, array_agg(created_at) AS a_t FROM public.plays WHERE user_id = 261 \gset
EXECUTE listen_streak_apply('{261}', 'e', NULL, :'a_u', :'a_id', :'a_t');
EXECUTE listen_streak('{261}', 'e', NULL);"
expect "active again" "" <<<"
UPDATE public.challenges SET active = true WHERE id = 'e';"

# ---------------------------------------------------------------------------
# A long history: folded at once (a backfill) by 4096 = 0x1000, play by
# play by 4097 = 0x1001, and through READ + APPLY in chunks of 100 by 4098
# = 0x1002: the same rows (but for the hex prefix) and the same state. The
# plays: 1,200, gaps mostly under 16 h, some 16 to 48 h, some longer, and
# a fifth of them moved up to 40 h back or 20 h forward (out of order);
# the three listeners' plays interleave, in the same order.
# ---------------------------------------------------------------------------

N=1200
expect "history of $N plays" "" <<SQL
SELECT setseed(0.1807);
CREATE TABLE hist AS
SELECT n, timestamptz '2024-01-01 00:00+00'
	+ sum(gap) OVER (ORDER BY n) * interval '1 minute'
	+ CASE WHEN random() < 0.2 THEN (random() * 60 - 40) * interval '1 hour'
		ELSE interval '0' END AS t
FROM (SELECT n, CASE WHEN r < 0.6 THEN random() * 16 * 60
		WHEN r < 0.9 THEN (16 + random() * 32) * 60
		ELSE (48 + random() * 40) * 60 END AS gap
	FROM (SELECT n, random() AS r FROM generate_series(1, $N) n) s) g;
SQL
{
	cat <<-'SQL'
		\o /dev/null
		PREPARE read (bigint[], text, bigint) AS
	SQL
	rule_statement listen_streak read
	printf '\n;\n'
	for n in $(seq 1 $N); do
		printf 'INSERT INTO public.plays (user_id, play_item_id, created_at)\n'
		printf '\tSELECT u, 1, t FROM hist, unnest(%s) u WHERE n = %d ORDER BY u;\n' \
			"'{4096,4097,4098}'::bigint[]" "$n"
		printf "EXECUTE listen_streak('{4097}', 'e', NULL);\n"
		if [ $((n % 100)) -eq 0 ]; then
			cat <<-'SQL'
				CREATE TEMP TABLE r AS EXECUTE read('{4098}', 'e', NULL);
				SELECT array_agg(user_id) AS a_u, array_agg(play_id) AS a_id,
					array_agg(played_at) AS a_t FROM r \gset
				EXECUTE listen_streak_apply('{4098}', 'e', NULL, :'a_u', :'a_id', :'a_t');
				DROP TABLE r;
			SQL
		fi
	done
	printf "EXECUTE listen_streak('{4096}', 'e', NULL);\n"
} >"$WORK/history.sql"
expect "the history folded at once, play by play, and read + applied in chunks" \
	"" <"$WORK/history.sql"

# rows of a listener without the hex prefix of its specifiers
HROWS="SELECT substr(specifier, length(to_hex(user_id)) + 1) AS s,
	current_step_count, is_complete, amount, created_at, completed_at
	FROM public.user_challenges WHERE challenge_id = 'e' AND user_id ="
HSTATE="SELECT last_listen_date, listen_streak, streak_started_at
	FROM public.challenge_listen_streak WHERE user_id ="
for other in 4097 4098; do
	expect "history: 4096 at once = $other ($(
		[ $other = 4097 ] && echo play by play || echo READ + APPLY))" "" <<SQL
($HROWS 4096 EXCEPT $HROWS $other) UNION ALL ($HROWS $other EXCEPT $HROWS 4096);
($HSTATE 4096 EXCEPT $HSTATE $other) UNION ALL ($HSTATE $other EXCEPT $HSTATE 4096);
SQL
done
# not vacuous: several streaks, complete and broken, and endless rows
expect "history: streaks complete and broken, endless rows, a state" \
	"t|t|t|t" <<'SQL'
SELECT count(*) FILTER (WHERE amount = 7 AND is_complete) >= 3,
	count(*) FILTER (WHERE amount = 7 AND NOT is_complete) >= 10,
	count(*) FILTER (WHERE amount = 3) >= 10,
	(SELECT count(*) = 1 FROM public.challenge_listen_streak
		WHERE user_id = 4096)
FROM public.user_challenges WHERE user_id = 4096;
SQL
# and the fold against a restatement of the rule in plain SQL (a
# recursive CTE over the plays in id order, fine at this size)
expect "history: the fold equals the rule restated as a recursive CTE" "" <<'SQL'
WITH RECURSIVE p AS (
	SELECT row_number() OVER (ORDER BY id) AS i, created_at AS t
	FROM public.plays WHERE user_id = 4096
), f (i, last, streak, started, counted) AS (
	SELECT 1::bigint, t, 1, t, true FROM p WHERE i = 1
	UNION ALL
	SELECT p.i,
		CASE WHEN p.t >= f.last + interval '16 hours' THEN p.t ELSE f.last END,
		CASE WHEN p.t >= f.last + interval '48 hours' THEN 1
			WHEN p.t >= f.last + interval '16 hours' THEN f.streak + 1
			ELSE f.streak END,
		CASE WHEN p.t >= f.last + interval '48 hours' THEN p.t
			ELSE f.started END,
		p.t >= f.last + interval '16 hours'
	FROM f JOIN p ON p.i = f.i + 1
), want AS (
	SELECT to_char(started AT TIME ZONE 'UTC', 'YYYYMMDDHH24') AS s,
		max(streak)::integer AS step, max(streak) >= 7 AS complete, 7 AS amount,
		started AS created_at, min(last) FILTER (WHERE streak = 7) AS completed_at
	FROM f WHERE counted AND streak <= 7 GROUP BY started
	UNION ALL
	SELECT to_char(last AT TIME ZONE 'UTC', 'YYYYMMDDHH24'), 1, true, 3, last,
		last
	FROM f WHERE counted AND streak > 7
), got AS (
	SELECT substr(specifier, 5) AS s, current_step_count, is_complete, amount,
		created_at, completed_at
	FROM public.user_challenges WHERE challenge_id = 'e' AND user_id = 4096
)
(SELECT 'want', * FROM want EXCEPT SELECT 'want', * FROM got)
UNION ALL (SELECT 'got', * FROM got EXCEPT SELECT 'got', * FROM want)
UNION ALL (SELECT 'state', NULL, NULL, NULL, NULL, last, NULL
	FROM (SELECT last, streak, started FROM f WHERE counted ORDER BY i DESC
		LIMIT 1) l
	WHERE NOT EXISTS (SELECT FROM public.challenge_listen_streak s
		WHERE s.user_id = 4096 AND (s.last_listen_date, s.listen_streak,
			s.streak_started_at) = (l.last, l.streak, l.started)));
SQL
noop "history" "EXECUTE listen_streak('{4096,4097,4098}', 'e', NULL);"

# ---------------------------------------------------------------------------
# Bounded plans: with seq scans disabled, any "Seq Scan" left is a table
# the statement cannot reach by index (custom and generic plans).
# ---------------------------------------------------------------------------

for mode in force_custom_plan force_generic_plan; do
	expect "plans use indexes only ($mode)" "" <<SQL
SET enable_seqscan = off;
SET plan_cache_mode = $mode;
\o $WORK/plans.$mode
EXPLAIN EXECUTE listen_streak('{257,4096}', 'e', 1);
EXPLAIN EXECUTE listen_streak_apply('{257,4096}', 'e', 1, '{257,4096}',
	'{1,2}', '{2025-01-01 00:00+00,2025-01-02 00:00+00}');
\o
SQL
	check_eq "the plans read plays and the state by index ($mode)" \
		"plays_user_created_idx challenge_listen_streak_pkey" \
		"$(grep -o 'plays_user_created_idx\|challenge_listen_streak_pkey' \
			"$WORK/plans.$mode" | sort -u -r | xargs)"
	check_eq "no Seq Scan in the plans ($mode)" "" \
		"$(grep 'Seq Scan' "$WORK/plans.$mode")"
done

# ---------------------------------------------------------------------------
# The standby split, as test_sql_split.sh checks it for the other rules:
# databases a and b get the same plays; a runs PRIMARY; b runs READ on a
# streaming standby (as a role that may not read user_challenges) and on
# the primary, then APPLY of the standby's rows. After each slice of a
# random workload (plays of 20 listeners, anonymous ones, out of order,
# deletes): READ standby = READ primary, same rows returned, same
# user_challenges, same state.
# ---------------------------------------------------------------------------

for db in a b; do
	if out=$(psql -X -q -c "CREATE DATABASE $db" 2>&1) &&
		out=$(psql -X -q -d $db -v ON_ERROR_STOP=1 -f sql/schema.sql \
			-c "UPDATE public.challenges SET active = true WHERE id = 'e'" 2>&1); then
		ok "split: database $db created, e active"
	else
		not_ok "split: database $db created, e active" "$out"
	fi
done
out=$(psql -X -q -d b -v ON_ERROR_STOP=1 2>&1 <<'SQL'
CREATE ROLE split_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO split_reader;
REVOKE SELECT ON public.user_challenges FROM split_reader;
SQL
)
check_eq "split: role split_reader, every table but user_challenges" "" "$out"
if cluster_standby &&
	[ "$(psql -X -At -p "$STANDBY_PORT" -c 'SELECT pg_is_in_recovery()')" = t ]; then
	ok "split: hot standby started"
else
	not_ok "split: hot standby started"
	test_done
	exit 1
fi

{
	printf 'PREPARE e_read (bigint[], text, bigint) AS\n'
	rule_statement listen_streak read
	printf '\n;\n'
} >"$WORK/read.sql"
{
	printf 'PREPARE e_apply (bigint[], text, bigint, bigint[], bigint[], '
	printf 'timestamptz[]) AS\n'
	rule_statement listen_streak apply
	printf '\n;\n'
} >"$WORK/apply.sql"
UCS="SELECT 'uc', user_id, specifier, is_complete, current_step_count, amount,
	created_at, completed_at FROM public.user_challenges
	UNION ALL SELECT 'st', user_id, NULL, NULL, listen_streak, NULL,
	last_listen_date, streak_started_at FROM public.challenge_listen_streak"

# slice N: a random slice of plays (fixed by N), as SQL
slice()
{
	RANDOM=$((7919 * $1))
	local i u h
	echo "INSERT INTO public.plays (user_id, play_item_id, created_at) VALUES"
	for i in $(seq 1 60); do
		u=$((RANDOM % 21))
		[ "$u" -eq 0 ] && u=NULL || u=$((5000 + u))
		# hours from the slice's start, some back in the last slice
		h=$(($1 * 40 + RANDOM % 50 - 10))
		printf "\t(%s, 1, timestamptz '2025-06-01 00:00+00' + interval '%d hours %d minutes')%s\n" \
			"$u" "$h" $((RANDOM % 60)) "$([ "$i" -lt 60 ] && echo ,)"
	done
	echo ";"
	echo "DELETE FROM public.plays WHERE id % 7 = $(($1 % 7));"
}
KEYS="'{$(seq -s, 5001 5020),NULL}'"
standby_lsn=""
for n in $(seq 1 12); do
	slice "$n" >"$WORK/slice.sql"
	if ! out=$(psql -X -q -d a -v ON_ERROR_STOP=1 -f "$WORK/slice.sql" \
		-c '\c b' -f "$WORK/slice.sql" 2>&1); then
		not_ok "split: slice $n into a and b" "$out"
		break
	fi
	psql -X -q -At -F'|' -d a -v ON_ERROR_STOP=1 -f "$PREP" \
		-c "EXECUTE listen_streak($KEYS, 'e', NULL)" >"$WORK/ret.a" 2>&1
	standby_lsn=$(psql -X -At -d b -c "SELECT pg_current_wal_lsn()")
	for where in standby primary; do
		port=$CLUSTER_PORT role=""
		if [ $where = standby ]; then
			port=$STANDBY_PORT role="SET ROLE split_reader;"
		fi
		psql -X -q -At -F'|' -p "$port" -d b -v ON_ERROR_STOP=1 \
			-f "$WORK/read.sql" -f - >"$WORK/read.$where" 2>&1 <<SQL
DO \$\$ BEGIN
	FOR i IN 1 .. 3000 LOOP
		EXIT WHEN NOT pg_is_in_recovery()
			OR pg_last_wal_replay_lsn() >= '$standby_lsn';
		PERFORM pg_sleep(0.01);
	END LOOP;
	IF pg_is_in_recovery() AND pg_last_wal_replay_lsn() < '$standby_lsn' THEN
		RAISE 'standby did not replay up to $standby_lsn';
	END IF;
END \$\$;
$role
EXECUTE e_read($KEYS, 'e', NULL);
SQL
	done
	check_eq "split: slice $n: READ on the standby = READ on the primary ($(wc -l <"$WORK/read.standby") rows)" \
		"$(LC_ALL=C sort "$WORK/read.primary")" "$(LC_ALL=C sort "$WORK/read.standby")"
	awk -F'|' -v keys="$KEYS" '
		{ u = u sep $1; i = i sep $2; t = t sep "\"" $3 "\""; sep = "," }
		END { printf "EXECUTE e_apply(%s, \047e\047, NULL, \047{%s}\047, \047{%s}\047, \047{%s}\047);\n",
			keys, u, i, t }' "$WORK/read.standby" >"$WORK/apply_exec.sql"
	psql -X -q -At -F'|' -d b -v ON_ERROR_STOP=1 -f "$WORK/apply.sql" \
		-f "$WORK/apply_exec.sql" >"$WORK/ret.b" 2>&1
	check_eq "split: slice $n: APPLY returns what PRIMARY does ($(wc -l <"$WORK/ret.a") rows)" \
		"$(LC_ALL=C sort "$WORK/ret.a")" "$(LC_ALL=C sort "$WORK/ret.b")"
	check_eq "split: slice $n: same user_challenges and state" \
		"$(psql -X -At -d a -c "$UCS" | LC_ALL=C sort)" \
		"$(psql -X -At -d b -c "$UCS" | LC_ALL=C sort)"
	cat "$WORK/ret.b" >>"$WORK/ret.all"
done
check_eq "split: the workload wrote 7-day and endless rows, completions" \
	"t|t|t" "$(psql -X -At -d b -c "SELECT bool_or(amount = 7),
		bool_or(amount = 1), bool_or(is_complete AND amount = 7)
		FROM public.user_challenges")"

test_done
