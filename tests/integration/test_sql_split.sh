#!/usr/bin/env bash
# test_sql_split.sh: the standby split, per processor. src/rule.c composes
# from a rule (sql/rules/NAME.sql) and the write policy it names
# (sql/policies/POLICY.sql) PRIMARY (the policy around the rule), READ (the
# rule, for a hot standby) and APPLY (the policy fed READ's rows). Checked:
# READ returns the same rows on a standby as on the primary, and APPLY of
# them returns and writes what PRIMARY does.
#
# Databases a and b of one cluster get the same data and calls
# (tools/reckon.conf's processors, in test_sql.sh's order): a runs PRIMARY;
# b runs READ on the primary and on a streaming standby (as a role that may
# not read user_challenges), then APPLY of the standby's rows. Also:
#   - plans use indexes only: READ on the standby, APPLY of one rule per
#     policy
#   - gen_workload.awk replayed in slices, every processor for every key
#     after each; then oracle.sql (every check) is silent on b
#   - the same reads applied again write nothing; inactive or missing
#     challenges: every READ is empty
#   - targeted cases per policy: sticky (complete stays complete when data
#     drops; below create_min, no row), once (an amount change changes no
#     row), capped (the cap, rank order, "never twice" across r and rv),
#     scaled (a first purchase validated after a later one changes no row)
#   - profile_facts (sticky extended): the facts rows equal in a and b
# Needs PostgreSQL 15 binaries (cluster.sh) and awk; exits 1 on any failure.

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
cluster_start || {
	echo "test_sql_split: could not start a cluster" >&2
	exit 1
}

# Every psql session runs in a TimeZone far from UTC: the statements must
# not depend on it (ISO weeks are taken in UTC).
export PGTZ=America/Los_Angeles

WORK="$CLUSTER_DIR/test_sql_split" # removed with the cluster
mkdir -p "$WORK"

# The processors, in test_sql.sh's order (rv before r, as the referrals
# group runs them): rule, keys ($ids: user ids, buyers and content owners
# among them; $referrers: referrer ids; $owners: track owner ids),
# challenge, create_min (tools/reckon.conf; 1 unless set there, as reckon
# passes it).
PROCESSORS="play_milestone ids p1 1
play_milestone ids p2 250
play_milestone ids p3 1000
first_weekly_comment ids c 1
track_upload ids u 1
profile_completion ids p 1
first_playlist ids fp 1
connect_verified ids v 1
mobile_install ids m 1
referred referrers rd 1
referral referrers rv 1
referral referrers r 1
comment_pin owners cp 1
audio_matching_buyer ids b 1
audio_matching_seller ids s 1
cosign ids cs 1
remix_contest_winner ids w 1
listen_streak ids e 1"
RULES=$(awk '!seen[$1]++ { print $1 }' <<<"$PROCESSORS")

# ---------------------------------------------------------------------------
# The statements, databases, the standby
# ---------------------------------------------------------------------------

# Every rule has a processor here.
missing=""
for f in sql/rules/*.sql; do
	grep -qx "$(basename "$f" .sql)" <<<"$RULES" || missing="$missing $f"
done
check_eq "every rule of sql/rules has a processor in this test" "" "$missing"

# col_names RULE: the candidate columns' names ("user_id, specifier, ...")
# col_types RULE: their array types ("bigint[], text[], ...")
col_names()
{
	sed -E 's/([a-z0-9_]+) [a-z0-9_]+/\1/g' <<<"${COLUMNS[$1]}"
}
col_types()
{
	sed -E 's/[a-z0-9_]+ ([a-z0-9_]+)/\1[]/g' <<<"${COLUMNS[$1]}"
}

# POLICY[rule]: the write policy its "-- reckon: policy" line names;
# COLUMNS[rule]: that policy's "-- reckon: columns" ("name type, ...").
# READ.rule.sql and APPLY.rule.sql in $WORK: its composed statements.
# directive FILE WORD: what follows FILE's "-- reckon: WORD" line
directive()
{
	local blank='[[:space:]]'
	sed -n "s/^$blank*-- reckon: $2$blank\{1,\}\(.*[^[:space:]]\)$blank*$/\1/p" \
		"$1" 2>/dev/null
}
declare -A POLICY COLUMNS
for r in $RULES; do
	POLICY[$r]=$(directive "sql/rules/$r.sql" policy)
	COLUMNS[$r]=$(directive "sql/policies/${POLICY[$r]:-none}.sql" columns)
	if [ -n "${COLUMNS[$r]}" ] &&
		out=$({ rule_statement "$r" read >"$WORK/READ.$r.sql" &&
			rule_statement "$r" apply >"$WORK/APPLY.$r.sql"; } 2>&1); then
		ok "$r: policy ${POLICY[$r]} ($(col_names "$r")), READ and APPLY composed"
	else
		not_ok "$r: a policy, its columns, READ and APPLY" \
			"policy [${POLICY[$r]}] columns [${COLUMNS[$r]}] $out"
	fi
done
[ "$TEST_FAILURES" -eq 0 ] || {
	test_done
	exit 1
}

for db in a b; do
	if out=$(psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" 2>&1) &&
		out=$(psql -X -q -d $db -v ON_ERROR_STOP=1 -f sql/schema.sql 2>&1); then
		ok "database $db created with sql/schema.sql"
	else
		not_ok "database $db created with sql/schema.sql" "$out"
		test_done
		exit 1
	fi
done

# The standby's reads run as split_reader, which may read every table but
# user_challenges: a READ that looked at the existing rows would fail with
# "permission denied".
out=$(psql -X -q -d b -v ON_ERROR_STOP=1 2>&1 <<'SQL'
CREATE ROLE split_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO split_reader;
REVOKE SELECT ON public.user_challenges FROM split_reader;
SQL
)
check_eq "role split_reader: every table but user_challenges" "" "$out"

# a streaming standby (cluster.sh; stopped with the cluster at exit)
if cluster_standby &&
	[ "$(psql -X -At -p "$STANDBY_PORT" -c 'SELECT pg_is_in_recovery()')" = t ]; then
	ok "hot standby started (port $STANDBY_PORT)"
else
	not_ok "hot standby started"
	test_done
	exit 1
fi

# standby_wait: SQL for the standby that waits (at most 30 s) until it has
# replayed all the primary has written so far.
standby_wait()
{
	local lsn
	lsn=$(q "SELECT pg_current_wal_lsn()") || return 1
	cat <<-SQL
		DO \$\$
		BEGIN
			FOR i IN 1 .. 3000 LOOP
				EXIT WHEN pg_last_wal_replay_lsn() >= '$lsn';
				PERFORM pg_sleep(0.01);
			END LOOP;
			IF pg_last_wal_replay_lsn() < '$lsn' THEN
				RAISE 'standby did not replay up to $lsn';
			END IF;
		END
		\$\$;
	SQL
}

# prepare_reads: a psql script that PREPAREs each rule's READ as NAME_read,
# prepare_apply each APPLY as NAME_apply (and creates the temporary table
# r_NAME of its candidate columns), with the parameter types reckon
# prepares them with.
prepare_reads()
{
	local r
	for r in $RULES; do
		printf 'PREPARE %s_read (bigint[], text, bigint) AS\n' "$r"
		cat "$WORK/READ.$r.sql"
		printf '\n;\n'
	done
}
prepare_apply()
{
	local r
	for r in $RULES; do
		printf 'CREATE TEMP TABLE r_%s (%s);\n' "$r" "${COLUMNS[$r]}"
		printf 'PREPARE %s_apply (bigint[], text, bigint, %s) AS\n' \
			"$r" "$(col_types "$r")"
		cat "$WORK/APPLY.$r.sql"
		printf '\n;\n'
	done
}

# Each READ returns the policy's columns, by name and in order (APPLY takes
# them by position).
out=$({
	echo '\pset format csv'
	prepare_reads
	for r in $RULES; do
		echo "EXECUTE ${r}_read('{}', 'none', 1);"
	done
} | psql -X -q -d b -v ON_ERROR_STOP=1 -f - 2>&1)
check_eq "each READ returns its policy's columns" \
	"$(for r in $RULES; do col_names "$r" | tr -d ' '; done)" "$out"

# ---------------------------------------------------------------------------
# The two ways of recomputing. Each takes processor lines (as PROCESSORS)
# and uses the key arrays in $ids, $referrers and $owners.
# ---------------------------------------------------------------------------

keys_vars=()
set_keys()
{
	ids=$1 referrers=$2 owners=$3
	keys_vars=(-v ids="$ids" -v referrers="$referrers" -v owners="$owners")
}

# run_primary PROCS: PRIMARY in database a (the session's prelude table
# stays empty, so play_milestone sums N itself). Prints the rows they
# return; user_challenges then goes to $WORK/uc.a.
run_primary()
{
	local rule keys ch cm
	# shellcheck disable=SC2086 # word splitting wanted
	{
		prepare_statements $RULES
		while read -r rule keys ch cm; do
			echo "EXECUTE $rule(:'$keys', '$ch', $cm);"
		done <<<"$1"
		echo "\\o $WORK/uc.a"
		echo "$UC"
	} | psql -X -q -At -F'|' -d a -v ON_ERROR_STOP=1 "${keys_vars[@]}" -f - 2>&1
}

# split_read WHERE PROCS: each READ in database b, in one session: WHERE
# standby (as split_reader, once the standby has replayed all the primary
# wrote; processor N's rows go to $WORK/read.N.csv) or primary (a plain
# session; to $WORK/pread.N.csv).
split_read()
{
	local rule keys ch cm n=0 wait="" prefix=pread port=$CLUSTER_PORT
	if [ "$1" = standby ]; then
		wait=$(standby_wait) || return 1
		wait="$wait
SET ROLE split_reader;"
		prefix=read port=$STANDBY_PORT
	fi
	{
		echo '\pset format csv'
		echo '\pset tuples_only on'
		prepare_reads
		echo "$wait"
		while read -r rule keys ch cm; do
			n=$((n + 1))
			echo "\\o $WORK/$prefix.$n.csv"
			echo "EXECUTE ${rule}_read(:'$keys', '$ch', $cm);"
		done <<<"$2"
		echo '\o'
	} | psql -X -q -p "$port" -d b -v ON_ERROR_STOP=1 \
		"${keys_vars[@]}" -f - 2>&1
}

# split_apply PROCS: APPLY on the primary (database b) with each
# processor's READ rows from the standby ($WORK/read.N.csv), in the
# processors' order, in one session. Prints the rows it returns;
# user_challenges then goes to $WORK/uc.b.
split_apply()
{
	local rule keys ch cm n=0 c aggs args
	{
		prepare_apply
		while read -r rule keys ch cm; do
			n=$((n + 1))
			aggs="" args=""
			for c in $(col_names "$rule" | tr -d ,); do
				aggs="$aggs${aggs:+, }coalesce(array_agg($c), '{}') AS $c"
				args="$args, :'$c'"
			done
			cat <<-SQL
				TRUNCATE r_$rule;
				\\copy r_$rule FROM '$WORK/read.$n.csv' WITH (FORMAT csv)
				SELECT $aggs FROM r_$rule \\gset
				EXECUTE ${rule}_apply(:'$keys', '$ch', $cm$args);
			SQL
		done <<<"$1"
		echo "\\o $WORK/uc.b"
		echo "$UC"
	} | psql -X -q -At -F'|' -d b -v ON_ERROR_STOP=1 "${keys_vars[@]}" \
		-f - 2>&1
}

# UC: user_challenges as compared between a and b (created_at and
# completed_at differ by when each ran; whether completed_at is set does
# not), then the profile facts rows (p's policy writes them too).
UC="SELECT challenge_id, user_id, specifier, is_complete, current_step_count,
	amount, completed_at IS NULL FROM public.user_challenges ORDER BY 1, 3;
SELECT 'facts', * FROM public.challenge_profile_completion ORDER BY 2;"

# oracle_b: tests/integration/oracle.sql on b, every check on.
oracle_b()
{
	psql -X -q -At -F'|' -d b -v ON_ERROR_STOP=1 -v catalogue=1 -v rest=1 \
		-v pfacts=1 -f tests/integration/oracle.sql 2>&1
}

# same DESCRIPTION FILE_A FILE_B: a check that two outputs are equal once
# sorted.
same()
{
	local d
	if d=$(diff <(LC_ALL=C sort "$2") <(LC_ALL=C sort "$3")); then
		ok "$1"
	else
		not_ok "$1" "$(printf '< a, > b\n%s' "$d" | head -n 30)"
	fi
}

# same_reads NAME PROCS: a check that each processor's READ returned the
# same rows on the standby as on the primary.
same_reads()
{
	local rule keys ch cm n=0 rows=0 d diffs=""
	while read -r rule keys ch cm; do
		n=$((n + 1))
		rows=$((rows + $(wc -l <"$WORK/read.$n.csv")))
		d=$(diff <(LC_ALL=C sort "$WORK/pread.$n.csv") \
			<(LC_ALL=C sort "$WORK/read.$n.csv")) ||
			diffs="$diffs$ch ($rule), < primary, > standby:
$d
"
	done <<<"$2"
	if [ -z "$diffs" ]; then
		ok "$1: READ on the standby = READ on the primary ($rows rows)"
	else
		not_ok "$1: READ on the standby = READ on the primary" \
			"$(head -n 30 <<<"$diffs")"
	fi
}

# recompute NAME PROCS: PROCS both ways; checks that READ returned the same
# rows on the standby as on the primary, and that the returned rows and
# user_challenges are equal in a and b. The returned rows are left in
# $WORK/ret.a and $WORK/ret.b (and appended to $WORK/ret.all).
recompute()
{
	local name=$1 procs=$2 out
	if ! run_primary "$procs" >"$WORK/ret.a"; then
		not_ok "$name: PRIMARY" "$(cat "$WORK/ret.a")"
		return 1
	fi
	if ! out=$(split_read standby "$procs"); then
		not_ok "$name: READ on the standby" "$out"
		return 1
	fi
	if ! out=$(split_read primary "$procs"); then
		not_ok "$name: READ on the primary" "$out"
		return 1
	fi
	same_reads "$name" "$procs"
	if ! split_apply "$procs" >"$WORK/ret.b"; then
		not_ok "$name: APPLY" "$(cat "$WORK/ret.b")"
		return 1
	fi
	cat "$WORK/ret.b" >>"$WORK/ret.all"
	same "$name: same rows returned ($(wc -l <"$WORK/ret.a") rows)" \
		"$WORK/ret.a" "$WORK/ret.b"
	same "$name: same user_challenges and facts ($(wc -l <"$WORK/uc.a") rows)" \
		"$WORK/uc.a" "$WORK/uc.b"
}

# both SQL: run SQL (data changes) in a and then in b.
both()
{
	local out
	out=$(psql -X -q -d a -v ON_ERROR_STOP=1 -c "$1" -c '\c b' -c "$1" 2>&1) ||
		not_ok "data change in a and b: $1" "$out"
}

# ---------------------------------------------------------------------------
# Bounded plans: with seq scans disabled, any "Seq Scan" left in a plan is a
# table the statement cannot reach by index. Checked for the custom and the
# generic plan (the one PQexecPrepared settles on after a few runs): every
# READ on the standby; on the primary, APPLY of the first processor of each
# policy, with two candidate rows.
# ---------------------------------------------------------------------------

# sample TYPE: a two-element array of TYPE for the plans' APPLY
sample()
{
	case $1 in
	bigint) echo "'{255,4096}'" ;;
	integer) echo "'{1,1}'" ;;
	boolean) echo "'{t,f}'" ;;
	timestamptz) echo "'{2025-01-01 00:00+00,2025-01-02 00:00+00}'" ;;
	interval) echo "'{30 days,7 days}'" ;;
	*) echo "'{ff:1,1000:ff}'" ;;
	esac
}

declare -A planned
apply_plans="" apply_plans_of="" nplans=0
while read -r rule _ ch cm; do
	[ -n "${planned[${POLICY[$rule]}]:-}" ] && continue
	planned[${POLICY[$rule]}]=$rule
	apply_plans_of="$apply_plans_of${apply_plans_of:+, }$rule (${POLICY[$rule]})"
	nplans=$((nplans + 1))
	args=""
	for t in $(col_types "$rule" | tr -d ',[]'); do
		args="$args, $(sample "$t")"
	done
	apply_plans="$apply_plans
EXPLAIN EXECUTE ${rule}_apply('{255,4096}', '$ch', $cm$args);
SELECT 'planned';"
done <<<"$PROCESSORS"

for mode in force_custom_plan force_generic_plan; do
	out=$({
		echo "SET enable_seqscan = off; SET plan_cache_mode = $mode;"
		prepare_reads
		while read -r rule _ ch cm; do
			echo "EXPLAIN EXECUTE ${rule}_read('{255,4096}', '$ch', $cm);"
		done <<<"$PROCESSORS"
	} | psql -X -q -At -p "$STANDBY_PORT" -d b -v ON_ERROR_STOP=1 -f - 2>&1 |
		grep -E 'Seq Scan|ERROR')
	check_eq "READ plans on the standby use indexes only ($mode)" "" "$out"
	plans=$({
		echo "SET enable_seqscan = off; SET plan_cache_mode = $mode;"
		prepare_apply
		echo "$apply_plans"
	} | psql -X -q -At -d b -v ON_ERROR_STOP=1 -f - 2>&1)
	check_eq "APPLY plans of $apply_plans_of use indexes only ($mode)" \
		"$nplans plans" \
		"$(grep -c '^planned$' <<<"$plans") plans$(grep -E \
			'Seq Scan|ERROR' <<<"$plans")"
done

# ---------------------------------------------------------------------------
# The random workload, replayed in slices into a and b, every processor for
# every key after each slice
# ---------------------------------------------------------------------------

SEED=${SEED:-1} TXNS=${TXNS:-3000} USERS=${USERS:-60} TRACKS=${TRACKS:-150}
SLICE=${SLICE:-250}
awk -v seed="$SEED" -v txns="$TXNS" -v users="$USERS" -v tracks="$TRACKS" \
	-f tests/integration/gen_workload.awk >"$WORK/workload.sql"

# The keys test_sql.sh's perfect daemon passes: every user id with any data
# or any row (buyers too), the referrers, the track owners (read from a,
# before the recompute: a and b hold the same data).
KEYS_SQL="SELECT coalesce(array_agg(DISTINCT id), '{}') FROM (
	SELECT user_id FROM public.users UNION ALL
	SELECT buyer_user_id FROM public.sol_purchases UNION ALL
	SELECT user_id FROM public.plays UNION ALL
	SELECT owner_id FROM public.tracks UNION ALL
	SELECT user_id FROM public.comments UNION ALL
	SELECT playlist_owner_id FROM public.playlists UNION ALL
	SELECT user_id FROM public.user_events UNION ALL
	SELECT follower_user_id FROM public.follows UNION ALL
	SELECT user_id FROM public.reposts UNION ALL
	SELECT user_id FROM public.saves UNION ALL
	SELECT user_id FROM public.user_challenges) s (id);
SELECT coalesce(array_agg(DISTINCT referrer), '{}')
	FROM public.user_events WHERE referrer IS NOT NULL;
SELECT coalesce(array_agg(DISTINCT owner_id), '{}') FROM public.tracks;"

# cs and e are inactive in the catalogue by default: active here, as every
# processor must work when its row is.
both "UPDATE public.challenges SET active = true WHERE id IN ('cs', 'e')"
: >"$WORK/ret.all"
lo=0
while [ "$lo" -le "$TXNS" ]; do
	hi=$((lo + SLICE))
	awk -v lo=$lo -v hi=$hi '/^-- txn /{ n = $3 } n >= lo && n < hi' \
		"$WORK/workload.sql" >"$WORK/slice.sql"
	if ! out=$(psql -X -q -d a -v ON_ERROR_STOP=1 -f "$WORK/slice.sql" \
		-c '\c b' -f "$WORK/slice.sql" 2>&1); then
		not_ok "workload slice $lo..$hi into a and b" "$out"
		break
	fi
	mapfile -t k < <(psql -X -At -d a -c "$KEYS_SQL")
	set_keys "${k[0]}" "${k[1]}" "${k[2]}"
	recompute "slice $lo..$hi" "$PROCESSORS" || break
	lo=$hi
done

# Every processor wrote something over the workload (the comparisons are
# not between empty sets).
counts=$(cut -d'|' -f1 "$WORK/ret.all" | sort | uniq -c |
	awk '{ printf "%s %s, ", $2, $1 }')
missing=""
while read -r _ _ ch _; do
	grep -q "^$ch|" "$WORK/ret.all" || missing="$missing $ch"
done <<<"$PROCESSORS"
check_eq "every processor returned rows over the workload ($counts)" "" \
	"$missing"

# The rules that differ most between the two halves were exercised:
# complete sticky rows below their threshold, referrers at the r cap with
# more referrals than it, r rows of pairs whose referrer is verified now
# (the rv READ offers them again; the capped policy must not pay them
# twice).
coverage=$(psql -X -At -d b -F' ' <<'SQL'
WITH uc AS (SELECT * FROM public.user_challenges)
SELECT
	(SELECT count(*) FROM uc WHERE is_complete
		AND challenge_id IN ('p1', 'p2', 'p3', 'u', 'p')
		AND current_step_count < (SELECT step_count FROM public.challenges
			WHERE id = challenge_id)),
	(SELECT count(*) FROM (SELECT user_id FROM uc WHERE challenge_id = 'r'
		GROUP BY 1 HAVING count(*) = 5) f
		WHERE (SELECT count(*) FROM public.user_events ue
			WHERE ue.referrer = f.user_id AND ue.user_id <> f.user_id) > 5),
	(SELECT count(*) FROM uc
		JOIN public.users u USING (user_id)
		JOIN public.user_events ue ON ue.referrer = uc.user_id
			AND to_hex(ue.referrer) || ':' || to_hex(ue.user_id) = uc.specifier
		WHERE uc.challenge_id = 'r' AND u.is_verified AND NOT u.is_deactivated),
	(SELECT count(*) FROM uc WHERE challenge_id = 'rv')
SQL
)
read -r sticky rfull rnowv rvn <<<"$coverage"
echo "# coverage: complete below threshold $sticky, referrers at the r cap" \
	"with more referrals $rfull, r pairs of now verified referrers $rnowv," \
	"rv rows $rvn"
if [ "${sticky:-0}" -gt 0 ] && [ "${rfull:-0}" -gt 0 ] &&
	[ "${rnowv:-0}" -gt 0 ] && [ "${rvn:-0}" -gt 0 ]; then
	ok "the workload exercises sticky rows, the r cap and never-twice"
else
	not_ok "the workload exercises sticky rows, the r cap and never-twice" \
		"$coverage"
fi

out=$(oracle_b)
check_eq "oracle (catalogue) is silent on b after the workload" "" "$out"

# ---------------------------------------------------------------------------
# The same read results applied again write nothing
# ---------------------------------------------------------------------------

RAW="SELECT challenge_id, specifier, xmin, xmax FROM public.user_challenges
	ORDER BY 1, 2"
psql -X -At -d b -c "$RAW" >"$WORK/raw1"
rows_before=$(wc -l <"$WORK/raw1")
out=$(split_apply "$PROCESSORS")
check_eq "a second apply of the same read results returns no rows" "" "$out"
psql -X -At -d b -c "$RAW" >"$WORK/raw2"
check_eq "a second apply leaves the row count ($rows_before)" \
	"$rows_before" "$(wc -l <"$WORK/raw2")"
if cmp -s "$WORK/raw1" "$WORK/raw2"; then
	ok "a second apply leaves every row's xmin and xmax"
else
	not_ok "a second apply leaves every row's xmin and xmax" \
		"$(diff "$WORK/raw1" "$WORK/raw2" | head -n 20)"
fi

# ---------------------------------------------------------------------------
# A missing or inactive challenge: every read returns no rows
# ---------------------------------------------------------------------------

# reads_with_rows PROCS: run PROCS' reads on the standby; print how many
# returned rows (or the error).
reads_with_rows()
{
	local out
	rm -f "$WORK"/read.*.csv
	out=$(split_read standby "$1") || {
		echo "error: $out"
		return
	}
	find "$WORK" -name 'read.*.csv' -size +0 | wc -l
}

# The listen streak reads only the plays its listeners have not folded yet:
# after the recompute none, until one listens again.
both "INSERT INTO public.plays (user_id, play_item_id, created_at)
	SELECT min(user_id), 1, max(created_at) + interval '2 days'
	FROM public.plays WHERE user_id IS NOT NULL"
check_eq "with the workload's keys every read returns rows" \
	"$(wc -l <<<"$PROCESSORS")" \
	"$(reads_with_rows "$PROCESSORS")"
both "UPDATE public.challenges SET active = false"
check_eq "with every challenge inactive every read returns no rows" 0 \
	"$(reads_with_rows "$PROCESSORS")"
both "UPDATE public.challenges SET active = true"
check_eq "with a missing challenge id every read returns no rows" 0 \
	"$(reads_with_rows "$(awk '{ $3 = "missing"; print }' <<<"$PROCESSORS")")"

# ---------------------------------------------------------------------------
# Targeted cases, on ids the workload does not use; each also checks a == b.
# ---------------------------------------------------------------------------

P1="play_milestone ids p1 1"

# (1) the sticky policy. 0xdbba1: a complete p1 row whose plays drop below
# 250 stays complete, keeps its amount and completed_at, and its step
# follows down.
both "INSERT INTO public.users (user_id, is_verified) VALUES (900001, true);
	INSERT INTO public.tracks (track_id, owner_id) VALUES (900001, 900001);
	INSERT INTO public.plays (play_item_id)
		SELECT 900001 FROM generate_series(1, 260);"
set_keys '{900001}' '{}' '{}'
recompute "(1) 260 plays" "$P1"
check_eq "(1) 260 plays: p1 completes now" "p1|900001|dbba1:250|250|t|t" \
	"$(cat "$WORK/ret.b")"
ROW1="SELECT is_complete, current_step_count, amount, completed_at
	FROM public.user_challenges WHERE challenge_id = 'p1'
	AND specifier = 'dbba1:250'"
before=$(psql -X -At -d b -c "$ROW1")
both "DELETE FROM public.plays WHERE id IN (SELECT id FROM public.plays
	WHERE play_item_id = 900001 ORDER BY id LIMIT 20)"
recompute "(1) 240 plays" "$P1"
check_eq "(1) 240 plays: step follows down, not completed now" \
	"p1|900001|dbba1:250|240|t|f" "$(cat "$WORK/ret.b")"
check_eq "(1) 240 plays: still complete, same amount and completed_at" \
	"${before/|250|/|240|}" "$(psql -X -At -d b -c "$ROW1")"
both "UPDATE public.challenges SET amount = 99 WHERE id = 'p1'"
recompute "(1) p1 amount changed after completion" "$P1"
check_eq "(1) amount changed after completion: nothing written" "" \
	"$(cat "$WORK/ret.b")"
check_eq "(1) amount changed after completion: amount stays 25" \
	"${before/|250|/|240|}" "$(psql -X -At -d b -c "$ROW1")"
both "UPDATE public.challenges SET amount = 25 WHERE id = 'p1'"

# (2) the sticky policy: may_create false and no row, nothing is created.
# 0xdbba2 has 100 plays (p2 creates from 250); 0xdbba3 only a deleted track
# (u creates from one track); 0xdbba4 a handle and no profile fact (p
# creates from one).
both "INSERT INTO public.users (user_id, is_verified, handle)
		VALUES (900002, true, NULL), (900004, false, 'h4');
	INSERT INTO public.tracks (track_id, owner_id, is_unlisted, is_delete)
		VALUES (900002, 900002, true, false), (900003, 900003, false, true);
	INSERT INTO public.plays (play_item_id)
		SELECT 900002 FROM generate_series(1, 100);"
set_keys '{900002,900003,900004}' '{}' '{}'
recompute "(2) may_create false" "play_milestone ids p2 250
track_upload ids u 1
profile_completion ids p 1"
check_eq "(2) the reads offer rows, all counts below create_min" \
	"900002,dbba2,0
900002,dbba2:1000,100
900003,dbba3,0
900004,dbba4,0
900004,dbba4,0,f,f,f,f,f,f,f" "$(cat "$WORK"/read.[123].csv | LC_ALL=C sort)"
check_eq "(2) may_create false: nothing returned" "" "$(cat "$WORK/ret.b")"
check_eq "(2) may_create false: no row created" 0 \
	"$(psql -X -At -d b -c "SELECT count(*) FROM public.user_challenges
		WHERE user_id IN (900002, 900003, 900004)")"

# (3) the once policy. 0xdbba5: a one-shot v row is not changed when the
# catalogue's amount changes (the APPLY would write the new amount).
both "INSERT INTO public.users (user_id, is_verified) VALUES (900005, true)"
set_keys '{900005}' '{}' '{}'
recompute "(3) v created" "connect_verified ids v 1"
check_eq "(3) v created" "v|900005|dbba5|1|t|t" "$(cat "$WORK/ret.b")"
ROW3="SELECT xmin, amount, completed_at FROM public.user_challenges
	WHERE challenge_id = 'v' AND specifier = 'dbba5'"
before=$(psql -X -At -d b -c "$ROW3")
both "UPDATE public.challenges SET amount = 50 WHERE id = 'v'"
recompute "(3) v amount changed" "connect_verified ids v 1"
check_eq "(3) the read offers the row again" "900005,dbba5" \
	"$(cat "$WORK/read.1.csv")"
check_eq "(3) existing one-shot row: nothing returned" "" \
	"$(cat "$WORK/ret.b")"
check_eq "(3) existing one-shot row: xmin, amount, completed_at unchanged" \
	"$before" "$(psql -X -At -d b -c "$ROW3")"
both "UPDATE public.challenges SET amount = 5 WHERE id = 'v'"

# (4) referral, the capped policy: unverified referrer 0xdbba6 with 8
# referrals 4094..4101 (hex ffe, fff, 1000 .. 1005, so text order is not id
# order). The READ offers all 8 each time (a standby has no early stop); r
# pays the 5 lowest ids; verified later, rv pays the other 3, not those
# paid under r.
both "INSERT INTO public.users (user_id) VALUES (900006);
	INSERT INTO public.user_events (user_id, referrer)
		SELECT g, 900006 FROM generate_series(4094, 4101) g;"
REFERRALS="referral referrers rv 1
referral referrers r 1"
set_keys '{}' '{900006,NULL,900006}' '{}'
recompute "(4) r" "$REFERRALS"
check_eq "(4) unverified: the READ offers rv none, r all 8" "0 8" \
	"$(wc -l <"$WORK/read.1.csv") $(wc -l <"$WORK/read.2.csv")"
check_eq "(4) r pays the 5 lowest referred ids" \
	"dbba6:1000 dbba6:1001 dbba6:1002 dbba6:ffe dbba6:fff" \
	"$(cut -d'|' -f1,3 "$WORK/ret.b" | grep '^r|' | cut -d'|' -f2 |
		LC_ALL=C sort | xargs)"
both "UPDATE public.users SET is_verified = true WHERE user_id = 900006"
recompute "(4) rv" "$REFERRALS"
ranks=$(cut -d, -f3 "$WORK/read.1.csv" | sort -n | xargs)
check_eq "(4) verified: the READ offers rv all 8 (ranked), r none" \
	"4094 4095 4096 4097 4098 4099 4100 4101 0" \
	"$ranks $(wc -l <"$WORK/read.2.csv")"
check_eq "(4) verified: rv pays the 3 others, r nothing" \
	"rv|dbba6:1003 rv|dbba6:1004 rv|dbba6:1005" \
	"$(cut -d'|' -f1,3 "$WORK/ret.b" | LC_ALL=C sort | xargs)"

# (5) the scaled policy: buyer 0xdbba7 buys track 0xdbba8 of the verified
# 0xdbba8 twice. The later purchase (7 dollars) is valid first and is
# paid; then the earlier one (3 dollars) turns valid: the READ offers its 3
# units, and APPLY, as PRIMARY, writes nothing (one-shot).
both "INSERT INTO public.users (user_id, is_verified) VALUES (900008, true);
	INSERT INTO public.tracks (track_id, owner_id) VALUES (900008, 900008);
	INSERT INTO public.sol_purchases (signature, instruction_index, amount,
		slot, content_type, content_id, buyer_user_id, is_valid) VALUES
		('dbba7a', 0, 3000000, 1, 'track', 900008, 900007, NULL),
		('dbba7b', 0, 7000000, 2, 'track', 900008, 900007, true);"
PURCHASES="audio_matching_buyer ids b 1
audio_matching_seller ids s 1"
ROW5="SELECT challenge_id, user_id, amount, xmin FROM public.user_challenges
	WHERE specifier = 'dbba7:dbba8' ORDER BY 1"
set_keys '{900007,900008}' '{}' '{}'
recompute "(5) the later purchase valid" "$PURCHASES"
check_eq "(5) the later purchase valid first: b and s pay its 7 dollars" \
	"b|900007|7 s|900008|35" \
	"$(psql -X -At -d b -c "$ROW5" | cut -d'|' -f1-3 | xargs)"
before=$(psql -X -At -d b -c "$ROW5")
both "UPDATE public.sol_purchases SET is_valid = true
	WHERE signature = 'dbba7a'"
recompute "(5) the earlier purchase valid" "$PURCHASES"
check_eq "(5) the READs offer the earlier purchase's 3 units" \
	"900007,dbba7:dbba8,3 900008,dbba7:dbba8,3" \
	"$(cat "$WORK/read.1.csv" "$WORK/read.2.csv" | xargs)"
check_eq "(5) one-shot: nothing returned" "" "$(cat "$WORK/ret.b")"
check_eq "(5) one-shot: the rows, their amounts and xmin unchanged" \
	"$before" "$(psql -X -At -d b -c "$ROW5")"

# Last, every processor for every key again (the targeted cases ran only
# some), and the oracle.
mapfile -t k < <(psql -X -At -d a -c "$KEYS_SQL")
set_keys "${k[0]}" "${k[1]}" "${k[2]}"
recompute "full recompute after the targeted cases" "$PROCESSORS"
out=$(oracle_b)
check_eq "oracle (catalogue) is silent on b at the end" "" "$out"

test_done
