#!/bin/bash
# test_memory.sh: one transaction of 1,000,000 plays (ROWS to change it)
# passes through reckon in bounded memory: wal2json format-version 2 sends
# one message per row and reckon keeps only the dirty keys, so its peak RSS
# does not grow with the transaction. The peak is printed and bounded.
. "$(dirname "$0")/lib.sh"
setup_db
ROWS=${ROWS:-1000000}
LIMIT_KB=${LIMIT_KB:-65536}
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) select g, 'u' || g, true from generate_series(1, 100) g"
q "insert into tracks(track_id, owner_id) select g, (g % 100) + 1 from generate_series(1, 1000) g"
start=$(date +%s)
q "insert into plays(play_item_id) select (g % 1000) + 1 from generate_series(1, $ROWS) g" >/dev/null
echo "  measured: inserting $ROWS plays in one transaction took $(($(date +%s) - start)) s"
start=$(date +%s)
RECKON_LOG="$CLUSTER_DIR/reckon.log" reckon_catch_up || exit 1
echo "  measured: reckon streamed and recomputed them in $(($(date +%s) - start)) s"
rss=$(grep -o 'peak RSS [0-9]* kB' "$CLUSTER_DIR/reckon.log" | tail -1 | awk '{print $3}')
messages=$(grep -o 'messages [0-9]*' "$CLUSTER_DIR/reckon.log" | tail -1 | awk '{print $2}')
echo "  measured: peak RSS $rss kB for $messages messages"
[ -n "$rss" ] && [ "$rss" -lt "$LIMIT_KB" ] && ok "peak RSS $rss kB is under $LIMIT_KB kB" || not_ok "peak RSS $rss kB"
[ -n "$messages" ] && [ "$messages" -ge "$ROWS" ] && ok "every row arrived as its own message" || not_ok "messages $messages"
per_owner=$((ROWS / 100 > 10000 ? 10000 : ROWS / 100))
check_eq "every owner's p3 row counts all their plays" "100" \
	"$(q "select count(*) from user_challenges where challenge_id = 'p3' and current_step_count = $per_owner")"
check_oracle "one transaction of $ROWS rows"
test_done
