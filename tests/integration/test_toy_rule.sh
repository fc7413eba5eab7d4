#!/bin/bash
# test_toy_rule.sh: adding a challenge as the README's "Adding a challenge"
# says: one rule file and one [processor] section, nothing else. The toy
# challenge "toy" (a sticky progress rule: a user's live follows, complete
# at the catalogue's step_count) lives in a file outside the repository,
# and reckon composes it with the sticky write policy.
#   a. On the primary: rows for the users with follows, the right step and
#      completion, none for a user without follows; its statements print.
#   b. With --read-dsn on a streaming standby: more follows are read there
#      (no fallback to the primary, reads counted on the standby) and the
#      primary's rows follow: progress, a completion, a new row; a row
#      whose data drops after completion stays complete.
. "$(dirname "$0")/lib.sh"
setup_db_with_standby
W=$CLUSTER_DIR

cat >"$W/toy.sql" <<'SQL'
-- toy.sql: challenge 'toy', follow people (as many as its step_count).
-- reckon: policy sticky
-- n = the user's live follows; the frame gives challenge and batch_keys.
SELECT k.key AS user_id, to_hex(k.key) AS specifier, f.n
FROM challenge ch
CROSS JOIN batch_keys k
CROSS JOIN LATERAL (
	SELECT count(*) AS n
	FROM public.follows fo
	WHERE fo.follower_user_id = k.key AND NOT fo.is_delete
) f
SQL
cat >"$W/toy.conf" <<CONF
[processor toy]
challenge = toy
sql = $W/toy.sql
dirty = public.follows.follower_user_id
CONF
chmod 644 "$W/toy.sql" "$W/toy.conf"

toy() { q "select string_agg(user_id || ':' || current_step_count || ':' || is_complete || ':' || amount, ' ' order by user_id) from user_challenges where challenge_id = 'toy'"; }
follow() { q "insert into follows(follower_user_id, followee_user_id) values ($1, $2)" >/dev/null; }

q "insert into challenges(id, type, amount, step_count, active) values ('toy', 'numeric', 7, 3, true)" >/dev/null
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null

# its statements, as reckon composes them
"$RECKON" -c "$W/toy.conf" --print-sql=toy >"$W/primary.sql" 2>&1 &&
	grep -q 'INSERT INTO public.user_challenges' "$W/primary.sql" &&
	grep -q 'public.follows fo' "$W/primary.sql" &&
	ok "a. the primary statement is the sticky policy around the rule" ||
	not_ok "a. the primary statement is the sticky policy around the rule" "$(head -n 5 "$W/primary.sql")"
"$RECKON" -c "$W/toy.conf" --print-sql=toy:read >"$W/read.sql" 2>&1 &&
	! grep -q 'user_challenges' "$W/read.sql" &&
	ok "a. the read statement is the rule alone" ||
	not_ok "a. the read statement is the rule alone" "$(head -n 5 "$W/read.sql")"

# --- a. on the primary
follow 1 10
follow 1 11
follow 2 10
follow 2 11
follow 2 12
q "insert into follows(follower_user_id, followee_user_id, is_delete) values (3, 10, true)" >/dev/null
log=$W/a.log
RECKON_LOG=$log reckon_catch_up -c "$W/toy.conf" && ok "a. reckon runs the toy processor"
check_eq "a. progress for user 1, user 2 complete, no row for user 3" \
	"1:2:false:7 2:3:true:7" "$(toy)"
has "$log" "a. the completion is logged" 'completed challenge \\"toy\\" specifier \\"2\\" user 2'

# --- b. with the reads on the standby
follow 1 12
follow 3 11
q "update follows set is_delete = true where follower_user_id = 2 and followee_user_id = 12" >/dev/null
log=$W/b.log
RECKON_LOG=$log reckon_catch_up -c "$W/toy.conf" --read-dsn="$READ_DSN" -v &&
	ok "b. reckon runs the toy processor with a read server"
check_eq "b. user 1 completes, user 2 stays complete at step 2, user 3 appears" \
	"1:3:true:7 2:2:true:7 3:1:false:7" "$(toy)"
has "$log" "b. it connects to the standby" "read server connected"
check_eq "b. no batch read on the primary" "0" "$(grep -c 'read on the primary' "$log")"
check_eq "b. the toy processor has a read statement" "0" "$(grep -c 'has no read statement' "$log")"
has "$log" "b. its stats line counts reads on the standby" \
	'stats: .*reads on the standby [1-9][0-9]* on the primary 0'

test_done
