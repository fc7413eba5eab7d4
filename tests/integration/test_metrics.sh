#!/bin/bash
# test_metrics.sh: the operator's side of a running reckon. /metrics is
# scraped during a workload: every metric the operations issue lists is
# there, the text obeys the exposition format (promcheck.awk), and the
# counters rise with the work. /healthz turns 503 with a reason when the
# database stops and 200 again once reckon has reconnected; /readyz and
# unknown paths. SIGHUP: a changed window takes effect on the same
# replication connection (walsender pid unchanged); a broken file, a
# change only a restart applies, and a statement that does not prepare are
# refused and the running configuration stays; processors added and
# removed. A second reckon on the same address exits 1 naming it.
. "$(dirname "$0")/lib.sh"
setup_db
q "select pg_create_logical_replication_slot('reckon', 'wal2json')" >/dev/null
q "insert into users(user_id, handle, is_verified) values (1, 'a', true), (2, 'b', false)"
q "insert into tracks(track_id, owner_id) values (1, 1), (2, 2)"

port=$(cluster_free_port)
addr="127.0.0.1:$port"

# http PATH [METHOD]: the response of reckon's endpoint, status line first
# (bash's /dev/tcp: no curl needed; HTTP/1.0, so the server closes)
http()
{
	local reply
	# shellcheck disable=SC2094
	reply=$(exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$port" &&
		printf '%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${2:-GET}" "$1" >&3 &&
		timeout 10 cat <&3) || return 1
	printf '%s\n' "$reply" | tr -d '\r'
}
http_status() { http "$@" | head -n 1 | awk '{print $2}'; }
http_body() { http "$@" | sed '1,/^$/d'; }
# metric NAME_AND_LABELS: the value of one series in the last scrape
metric() { awk -v s="$1" '$1 == s { print $2 }' "$scrape"; }

# wait_health CODE SECONDS: until /healthz answers CODE
wait_health()
{
	local deadline=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt $deadline ]; do
		[ "$(http_status /healthz)" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

walsender_pid() { q "select active_pid from pg_replication_slots where slot_name = 'reckon'"; }

conf="$CLUSTER_DIR/reckon.conf"
sed -e 's/^reconnect_max = .*/reconnect_max = 1s/' \
	-e 's/^stats_interval = .*/stats_interval = 0/' \
	"$ROOT/tools/reckon.conf" >"$conf"
log="$CLUSTER_DIR/reckon.log"
"$RECKON" --config "$conf" --metrics-addr "$addr" >"$log" 2>&1 &
pid=$!
wait_health 200 60 && ok "/healthz is 200 once reckon streams" ||
	not_ok "/healthz: $(http /healthz | tail -n 1)" "$(tail -n 5 "$log")"
check_eq "/readyz is 200" "200" "$(http_status /readyz)"
check_eq "an unknown path is 404" "404" "$(http_status /nope)"
check_eq "a POST is 405" "405" "$(http_status /metrics POST)"
http /metrics | grep -q '^Content-Type: text/plain; version=0.0.4' &&
	ok "/metrics says the text format's version" || not_ok "content type: $(http /metrics | head -n 5)"

# A second reckon on the same address: a clear error, exit 1.
msg=$(timeout 30 "$RECKON" --config "$conf" --metrics-addr "$addr" 2>&1)
check_eq "a second reckon on $addr exits 1" "1" "$?"
echo "$msg" | grep -q "could not listen on metrics_addr .*$port.*in use" &&
	ok "and its error names the address" || not_ok "bind error: $msg"

scrape="$CLUSTER_DIR/scrape1.txt"
http_body /metrics >"$scrape"
if awk -f "$ROOT/tests/integration/promcheck.awk" "$scrape"; then
	ok "the scrape obeys the exposition format ($(grep -vc '^#' "$scrape") samples)"
else
	not_ok "format errors above"
fi
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$scrape" && ok "promtool check metrics agrees" || not_ok "promtool"
fi
missing=""
for name in reckon_received_lsn_bytes reckon_flushed_lsn_bytes \
	reckon_server_wal_end_lsn_bytes reckon_replication_lag_bytes \
	reckon_replication_lag_seconds reckon_last_commit_timestamp_seconds \
	reckon_dirty_keys reckon_recompute_duration_seconds \
	reckon_users_recomputed_total reckon_rows_written_total \
	reckon_completions_total reckon_stream_messages_total \
	reckon_reconnects_total reckon_errors_total \
	reckon_trending_run_duration_seconds reckon_trending_rows_upserted_total \
	reckon_trending_rows_pruned_total reckon_process_resident_memory_bytes; do
	grep -q "^# TYPE $name " "$scrape" || missing="$missing $name"
done
check_eq "every listed metric is present" "" "$missing"

# A workload: 300 plays of user 1's track cross p1 (250); a comment.
q "insert into plays(play_item_id) select 1 from generate_series(1, 300)" >/dev/null
q "insert into comments(comment_id, user_id) values (1, 2)"
end=$(lsn_now)
wait_confirmed "$end" 30 || not_ok "confirmed $(slot_confirmed), end $end"
sleep 0.3
scrape="$CLUSTER_DIR/scrape2.txt"
http_body /metrics >"$scrape"
check_eq "plays inserts counted" "300" \
	"$(metric 'reckon_stream_messages_total{table="public.plays",action="insert"}')"
check_eq "p1 completed once" "1" \
	"$(metric 'reckon_completions_total{processor="p1",challenge="p1"}')"
check_eq "p2 not yet" "0" \
	"$(metric 'reckon_completions_total{processor="p2",challenge="p2"}')"
check_eq "c completed once" "1" \
	"$(metric 'reckon_completions_total{processor="c",challenge="c"}')"
users=$(metric 'reckon_users_recomputed_total{processor="p1",challenge="p1"}')
[ "${users:-0}" -ge 1 ] && ok "users recomputed by p1 rose ($users)" || not_ok "p1 users: $users"
runs=$(metric 'reckon_recompute_duration_seconds_count{processor="p1"}')
[ "${runs:-0}" -ge 1 ] && ok "p1's duration histogram counted $runs runs" || not_ok "p1 runs: $runs"
# the snapshot is refreshed every 100 ms while reckon works, and on its
# next wake-up (within a second) when it idles
confirmed=$(q "select '$(slot_confirmed)'::pg_lsn - '0/0'")
for _ in $(seq 1 30); do
	[ "$(metric reckon_flushed_lsn_bytes)" = "$confirmed" ] && break
	sleep 0.1
	http_body /metrics >"$scrape"
done
check_eq "the flushed LSN is the slot's confirmed position" "$confirmed" \
	"$(metric reckon_flushed_lsn_bytes)"
rss=$(metric reckon_process_resident_memory_bytes)
[ "${rss:-0}" -gt 1000000 ] && ok "resident memory reported ($((rss / 1024)) kB)" || not_ok "rss $rss"
awk -f "$ROOT/tests/integration/promcheck.awk" "$scrape" && ok "the second scrape is well formed" || not_ok "format"

# SIGHUP with a changed window: same walsender, the new window holds a
# milestone back for its length.
before=$(walsender_pid)
sed -i 's/^window = 20ms$/window = 4s/' "$conf"
kill -HUP $pid
for _ in $(seq 1 100); do
	grep -q 'configuration reloaded' "$log" && break
	sleep 0.1
done
grep -q 'reload: group .*plays.*: window 20 -> 4000 ms' "$log" &&
	ok "the reload logged the new window" || not_ok "reload log: $(grep -i reload "$log")"
q "insert into plays(play_item_id) select 1 from generate_series(1, 700)" >/dev/null
sleep 1.5
check_eq "1.5 s later p2 (1,000 plays) waits for the 4 s window" "f" \
	"$(q "select is_complete from user_challenges where challenge_id = 'p2'")"
end=$(lsn_now)
wait_confirmed "$end" 30 && ok "then it completes" || not_ok "confirmed $(slot_confirmed)"
check_eq "p2 completed at 1000 plays" "t" "$(q "select is_complete from user_challenges where challenge_id = 'p2'")"
check_eq "the replication connection was kept (walsender pid)" "$before" "$(walsender_pid)"

# A broken file: refused with its line, the running configuration stays.
cp "$conf" "$conf.good"
printf '\n[processor broken]\nchallenge = x\nwindow = soon\n' >>"$conf"
kill -HUP $pid
for _ in $(seq 1 100); do
	grep -q 'reload refused' "$log" && break
	sleep 0.1
done
grep -q 'reckon.conf:[0-9]*: invalid window .*soon' "$log" &&
	ok "a broken file's error names its line" || not_ok "no line in: $(grep -A2 SIGHUP "$log" | tail -n 3)"
grep -q 'reload refused: it is not valid' "$log" && ok "and the reload is refused" || not_ok "not refused"
q "insert into comments(comment_id, user_id) values (2, 1)"
end=$(lsn_now)
wait_confirmed "$end" 30 && ok "reckon goes on with the running configuration" || not_ok "stuck"
check_eq "c completed for user 1" "t" "$(q "select is_complete from user_challenges where user_id = 1 and challenge_id = 'c'")"

# A change only a restart applies, and a statement that does not prepare.
sed 's/^slot = reckon$/slot = other/' "$conf.good" >"$conf"
kill -HUP $pid
sleep 1
grep -q 'reload refused: slot or create_slot changed' "$log" && ok "a new slot is refused" || not_ok "slot change not refused"
bad_sql="$CLUSTER_DIR/bad.sql"
printf -- '-- reckon: policy once\nSELECT no_such_column FROM users WHERE user_id = ANY($1)\n' >"$bad_sql"
cp "$conf.good" "$conf"
printf '\n[processor bad]\nchallenge = bad\nsql = %s\ndirty = public.comments.user_id\n' "$bad_sql" >>"$conf"
kill -HUP $pid
sleep 1
grep -q 'reload refused: a statement does not prepare' "$log" && ok "a statement that does not prepare is refused" ||
	not_ok "bad statement: $(tail -n 3 "$log")"

# Processors added and removed: "c" goes, "c2" (another first comment
# rule, its own challenge) comes, and /metrics follows.
q "insert into challenges select (jsonb_populate_record(c, '{\"id\": \"c2\"}')).* from challenges c where id = 'c'"
sed '/^\[processor c\]$/,/^$/d' "$conf.good" >"$conf"
printf '\n[processor c2]\nchallenge = c2\nsql = first_weekly_comment\ndirty = public.comments.user_id\n' >>"$conf"
kill -HUP $pid
for _ in $(seq 1 100); do
	[ "$(grep -c 'configuration reloaded' "$log")" -ge 2 ] && break
	sleep 0.1
done
grep -q 'reload: processor \\"c\\" removed' "$log" && ok "processor c removed" || not_ok "no removal logged"
q "insert into comments(comment_id, user_id) values (3, 2)"
end=$(lsn_now)
wait_confirmed "$end" 30 || not_ok "confirmed $(slot_confirmed)"
check_eq "the new processor c2 runs from the reload on" "t" \
	"$(q "select is_complete from user_challenges where user_id = 2 and challenge_id = 'c2'")"
scrape="$CLUSTER_DIR/scrape3.txt"
http_body /metrics >"$scrape"
check_eq "c2 is in /metrics" "1" "$(metric 'reckon_completions_total{processor="c2",challenge="c2"}')"
check_eq "c is not" "" "$(metric 'reckon_completions_total{processor="c",challenge="c"}')"
check_eq "still the same replication connection" "$before" "$(walsender_pid)"

# The database stops: 503 with a reason; back: 200, a reconnect counted.
cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m fast stop >/dev/null
wait_health 503 30 && ok "/healthz turns 503 when the database stops" || not_ok "still $(http_status /healthz)"
reason=$(http_body /healthz)
echo "$reason" | grep -q 'connection is down' && ok "with a reason: $reason" || not_ok "reason: $reason"
cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -w \
	-l "$CLUSTER_DIR/server.log" start >/dev/null
wait_health 200 60 && ok "/healthz is 200 again after the reconnect" || not_ok "still $(http /healthz | tail -n 1)"
# An idle SQL connection learns of the restart at its next statement (the
# stream's loss is seen at once): a change makes reckon use it.
q "insert into comments(comment_id, user_id) values (4, 1)"
end=$(lsn_now)
wait_confirmed "$end" 60 && ok "reckon recomputes after the restart" || not_ok "confirmed $(slot_confirmed)"
sleep 1.2
scrape="$CLUSTER_DIR/scrape4.txt"
http_body /metrics >"$scrape"
n=$(metric 'reckon_reconnects_total{connection="sql"}')
[ "${n:-0}" -ge 1 ] && ok "the SQL reconnect is counted ($n)" || not_ok "sql reconnects: $n"
n=$(metric 'reckon_reconnects_total{connection="replication"}')
[ "${n:-0}" -ge 1 ] && ok "the replication reconnect is counted ($n)" || not_ok "replication reconnects: $n"

kill -TERM $pid
wait $pid
check_eq "reckon exits 0 on SIGTERM" "0" "$?"
# the oracle knows the catalogue's challenges, not the test's own c2
q "delete from user_challenges where challenge_id = 'c2'" >/dev/null
check_oracle "metrics"
test_done
