# lib.sh: what the end-to-end benchmark scenarios share. Source it from a
# scenario script (tools/bench/ingest.sh etc.) after setting ROOT.
#
# A scenario runs either inside `tools/bench/run.sh` (which starts one
# cluster, loads the dataset once into the template database BENCH_TEMPLATE
# and exports BENCH_SIZE, BENCH_OUT) or alone (`tools/bench/ingest.sh small`),
# in which case bench_init starts its own cluster and loads the dataset.
# Either way each measurement gets a fresh copy of the dataset
# (bench_fresh_db), so scenarios never see each other's writes.
#
# Dataset (bench_load): sql/schema.sql, then users (3% verified artists, the
# rest listeners), tracks owned by verified users with a Zipf-like skew
# (owner = floor(artists * random()^2)), and plays whose track follows a
# Zipf-like law (track = floor(tracks * random()^3)), and one comment per 20
# plays; timestamps spread over the last 60 days; aggregate_plays is filled
# by the schema's trigger. Then
# the challenge rows are brought up to date by one full recompute, so that a
# benchmark starts from a settled state, as a running deployment would.
#
# Sizes: small (quick, for CI) and large (the README's figures).

BENCH_BINDIR=${BENCH_BINDIR:-$ROOT/bin}
. "$ROOT/tests/integration/cluster.sh"

# bench_sizes SIZE: sets users, tracks, plays for SIZE, and small_plays, the
# smaller of the two play counts the database-cost scenario compares.
bench_sizes()
{
	case $1 in
	small) users=20000 tracks=20000 plays=300000 small_plays=30000 ;;
	large) users=200000 tracks=500000 plays=10000000 small_plays=1000000 ;;
	*)
		echo "bench: unknown size \"$1\" (small or large)" >&2
		return 2
		;;
	esac
}

bench_note() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
bq() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# bench_cluster_start: the server every scenario measures. fsync and
# synchronous_commit on, as in production (the test clusters turn fsync
# off); pg_stat_statements loaded for the database-cost scenario;
# autovacuum off so that no background work lands in a measurement.
bench_cluster_start()
{
	cluster_start "fsync = on" "synchronous_commit = on" \
		"full_page_writes = on" "autovacuum = off" \
		"shared_preload_libraries = 'pg_stat_statements'" \
		"pg_stat_statements.track = all" "pg_stat_statements.track_planning = on" \
		"track_io_timing = on" \
		"max_wal_size = 8GB" "checkpoint_timeout = 30min" \
		"work_mem = 64MB" "maintenance_work_mem = 512MB" \
		"wal_sender_timeout = 5min" "max_connections = 100"
}

# bench_load DB USERS TRACKS PLAYS: create DB with the schema and the
# dataset described above.
bench_load()
{
	local db=$1
	bq -d postgres -c "CREATE DATABASE $db"
	bq -d "$db" -f "$ROOT/sql/schema.sql" >/dev/null
	bq -d "$db" -f "$ROOT/sql/state.sql" >/dev/null
	bq -d "$db" -v users="$2" -v tracks="$3" -v plays="$4" <<'SQL'
SELECT setseed(0.42);
INSERT INTO users (user_id, handle, name, bio, profile_picture, cover_photo,
	is_verified, created_at)
SELECT g, 'u' || g, 'User ' || g, CASE WHEN random() < 0.5 THEN 'bio' END,
	CASE WHEN random() < 0.5 THEN 'p.jpg' END,
	CASE WHEN random() < 0.5 THEN 'c.jpg' END,
	g <= greatest(1, :users * 3 / 100), now() - interval '800 days'
FROM generate_series(1, :users) g;
-- artists are users 1 .. 3% of users; owners skewed towards low ids
INSERT INTO tracks (track_id, owner_id, is_delete, is_unlisted, genre,
	created_at)
SELECT g, floor(greatest(1, :users * 3 / 100) * random() ^ 2)::bigint + 1,
	false, false, 'Electronic', now() - interval '300 days'
FROM generate_series(1, :tracks) g;
INSERT INTO plays (user_id, play_item_id, created_at)
SELECT floor(:users * random())::bigint + 1,
	floor(:tracks * random() ^ 3)::bigint + 1,
	now() - make_interval(secs => floor(random() * 60 * 86400)::int)
FROM generate_series(1, :plays);
-- one comment per 20 plays, by any user, on the same skewed tracks
INSERT INTO comments (comment_id, user_id, entity_id, created_at)
SELECT g, floor(:users * random())::bigint + 1,
	floor(:tracks * random() ^ 3)::bigint + 1,
	now() - make_interval(secs => floor(random() * 60 * 86400)::int)
FROM generate_series(1, :plays / 20) g;
VACUUM ANALYZE;
SQL
}

# bench_settle DB: bring user_challenges up to date with the statements the
# daemon runs: p1, p2 and p3 for every verified user, c for every commenter,
# the listen streak of every listener, so measurements start from a settled
# state.
bench_settle()
{
	bq -d "$1" <<SQL
$(cat "$ROOT/sql/play_counts_setup.sql");
PREPARE p(bigint[], text, bigint) AS $("$ROOT/bin/reckon" --print-sql=p1);
PREPARE c(bigint[], text, bigint) AS $("$ROOT/bin/reckon" --print-sql=c);
SELECT array_agg(user_id) AS ids FROM users WHERE is_verified \gset
\o /dev/null
EXECUTE p(:'ids', 'p1', 1);
EXECUTE p(:'ids', 'p2', 250);
EXECUTE p(:'ids', 'p3', 1000);
SELECT array_agg(DISTINCT user_id) AS ids FROM comments \gset
EXECUTE c(:'ids', 'c', 0);
-- The listen streak (e): every listener's history folded, 5,000 listeners
-- a statement, with e active for it and inactive again after (as in the
-- catalogue; dbcost.sh activates it to measure it).
UPDATE challenges SET active = true WHERE id = 'e';
PREPARE e(bigint[], text, bigint) AS $("$ROOT/bin/reckon" --print-sql=e);
SELECT format('EXECUTE e(%L, %L, 1)', array_agg(g), 'e')
FROM generate_series(1, (SELECT max(user_id) FROM users)) g
GROUP BY (g - 1) / 5000 \gexec
UPDATE challenges SET active = false WHERE id = 'e';
SQL
}

# bench_init SIZE: unless run.sh already did, start a cluster and load the
# dataset of SIZE into the template database; exports BENCH_TEMPLATE.
bench_init()
{
	bench_sizes "$1" || exit 2
	export BENCH_SIZE=$1
	make -s -C "$ROOT" bin/reckon bench-drivers >&2
	if [ -z "${BENCH_TEMPLATE:-}" ]; then
		bench_cluster_start || exit 1
		bench_note "loading the $1 dataset ($users users, $tracks tracks, $plays plays)"
		bench_load bench_tpl "$users" "$tracks" "$plays"
		bench_settle bench_tpl
		export BENCH_TEMPLATE=bench_tpl
	fi
}

# bench_fresh_db NAME: (re)create NAME as a copy of the template and drop
# every inactive replication slot (the bench cluster's own, left by an
# earlier measurement). FILE_COPY copies the files after a checkpoint,
# where PostgreSQL 15's default WAL_LOG strategy wrote the whole 10M-play
# database to WAL (30-45 s per copy with fsync on).
bench_fresh_db()
{
	bq -d postgres -c "SELECT pg_drop_replication_slot(slot_name)
		FROM pg_replication_slots WHERE NOT active" >/dev/null
	bq -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1 TEMPLATE $BENCH_TEMPLATE STRATEGY FILE_COPY"
}

# bench_cpu PID: user + system CPU seconds the process has used so far
# (0 when it is gone).
bench_cpu()
{
	awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / hz}' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# bench_walsender_pid SLOT: the pid of the walsender streaming SLOT, empty
# when none.
bench_walsender_pid()
{
	bq -d postgres -c "SELECT active_pid FROM pg_replication_slots
		WHERE slot_name = '$1' AND active_pid IS NOT NULL"
}

# bench_lsn: the server's current WAL insert position.
bench_lsn() { bq -d postgres -c "SELECT pg_current_wal_lsn()"; }

# bench_ratio A B: A / B with 2 decimals ("n/a" when B is 0).
bench_ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

# bench_verdict VALUE LIMIT: PASS when VALUE <= LIMIT, else MISS.
bench_verdict()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a") print "n/a"; else print (a + 0 <= b + 0 ? "PASS" : "MISS") }'
}

# bench_section NAME: where a scenario writes its markdown section; run.sh
# concatenates them in order into the result file. A scenario run alone
# writes into build/bench-out/, which outlives its cluster.
bench_section()
{
	local dir=${BENCH_OUT:-$ROOT/build/bench-out}
	mkdir -p "$dir"
	echo "$dir/$1.md"
}
