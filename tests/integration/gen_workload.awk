# gen_workload.awk: a deterministic random workload for the source tables of
# sql/schema.sql, used by tests/integration/test_sql.sh (statements applied
# directly) and by the daemon's integration tests (same data through the WAL).
#
#   awk -v seed=N -v txns=T -v users=U -v tracks=K \
#       -f tests/integration/gen_workload.awk | psql -q -v ON_ERROR_STOP=1 -f -
#
# Prints a seed transaction (users 1..U, about two thirds of them with a
# users row, half of those verified; tracks 1..K) and then T random
# transactions over that small id space, so that users keep crossing the
# challenge thresholds: mostly plays (single rows, multi-row VALUES and now
# and then a few hundred at once, skewed towards the lowest track ids so a
# few tracks are very popular and their verified owners cross 250, 1000 and
# sometimes 10000), play deletes and moves, uploads (some unlisted, some
# stems, some with stem_of jsonb 'null'), ownership changes, is_delete
# toggles and physical deletes of tracks, comments around ISO-year
# boundaries (with various UTC offsets) and their deletion/hiding, users
# appearing, being (un)verified, (de)activated and deleted, and some noise on
# the tables reckon only watches. About 10% of the transactions end in
# ROLLBACK. Every transaction is preceded by a line "-- txn N" (0 is the
# seed) so that a test can replay the script in slices.
#
# Same seed, same script: srand(seed) and nothing else random. Plain POSIX
# awk (runs under mawk). Every statement is valid whatever happened before
# (ids are never reused, inserts that might collide say ON CONFLICT DO
# NOTHING, updates of missing rows are no-ops), so ON_ERROR_STOP never fires.

function rnd(n) # an integer in 1..n
{
	return int(rand() * n) + 1
}

function skew(n) # an integer in 1..n, low values much more likely
{
	return int(n * rand() * rand() * rand()) + 1
}

function bool(p) # "true" with probability p
{
	return rand() < p ? "true" : "false"
}

function play_track() # a played track id: mostly existing, some not yet
{
	if (rand() < 0.03)
		return next_track + rnd(5) - 1
	return skew(next_track - 1)
}

function owner() # a track owner: low user ids own more
{
	return int(users * rand() * rand()) + 1
}

function ts_comment(    d, h, m, z) # a timestamptz literal near ISO-year ends
{
	d = dates[rnd(ndates)]
	h = rnd(24) - 1
	m = rnd(60) - 1
	z = zones[rnd(nzones)]
	return sprintf("'%s %02d:%02d:00%s'", d, h, m, z)
}

function stem_of(    r)
{
	r = rand()
	if (r < 0.10)
		return sprintf("'{\"parent_track_id\": %d, \"category\": \"bass\"}'", skew(next_track - 1))
	if (r < 0.20)
		return "'null'::jsonb"
	return "NULL"
}

function insert_track(id)
{
	printf("INSERT INTO public.tracks (track_id, owner_id, is_unlisted, stem_of, genre) VALUES (%d, %d, %s, %s, 'Electronic');\n",
		id, owner(), bool(0.15), stem_of())
}

function insert_user(id)
{
	printf("INSERT INTO public.users (user_id, handle, name, is_verified) VALUES (%d, 'user%d', 'User %d', %s) ON CONFLICT (user_id) DO NOTHING;\n",
		id, id, id, bool(0.5))
}

function plays_values(n,    i, sep)
{
	printf("INSERT INTO public.plays (user_id, play_item_id) VALUES ")
	sep = ""
	for (i = 0; i < n; i++) {
		printf("%s(%d, %d)", sep, rnd(users), play_track())
		sep = ", "
	}
	printf(";\n")
}

function op(    r, t, n)
{
	r = rand() * 100
	if (r < 30) {
		printf("INSERT INTO public.plays (user_id, play_item_id) VALUES (%d, %d);\n",
			rnd(users), play_track())
	} else if (r < 48) {
		plays_values(rnd(20) + 1)
	} else if (r < 53) {
		# A burst on one track: hundreds of plays in one statement.
		printf("INSERT INTO public.plays (user_id, play_item_id) SELECT g %% %d + 1, %d FROM generate_series(1, %d) g;\n",
			users, play_track(), 100 + rnd(400))
	} else if (r < 57) {
		printf("DELETE FROM public.plays WHERE id IN (SELECT id FROM public.plays WHERE play_item_id = %d ORDER BY id DESC LIMIT %d);\n",
			play_track(), rnd(rand() < 0.2 ? 300 : 10))
	} else if (r < 59) {
		printf("UPDATE public.plays SET play_item_id = %d WHERE id IN (SELECT id FROM public.plays WHERE play_item_id = %d ORDER BY id LIMIT %d);\n",
			play_track(), play_track(), rnd(50))
	} else if (r < 65) {
		insert_track(next_track++)
	} else if (r < 68) {
		printf("UPDATE public.tracks SET owner_id = %d WHERE track_id = %d;\n",
			owner(), skew(next_track - 1))
	} else if (r < 71) {
		printf("UPDATE public.tracks SET is_delete = NOT is_delete WHERE track_id = %d;\n",
			skew(next_track - 1))
	} else if (r < 72) {
		printf("UPDATE public.tracks SET is_unlisted = NOT is_unlisted WHERE track_id = %d;\n",
			rnd(next_track - 1))
	} else if (r < 73) {
		printf("UPDATE public.tracks SET stem_of = %s WHERE track_id = %d;\n",
			stem_of(), rnd(next_track - 1))
	} else if (r < 73.7) {
		printf("DELETE FROM public.tracks WHERE track_id = %d;\n",
			rnd(next_track - 1))
	} else if (r < 81) {
		printf("INSERT INTO public.comments (comment_id, user_id, entity_id, created_at) VALUES (%d, %d, %d, %s);\n",
			next_comment++, rnd(users), rnd(next_track - 1), ts_comment())
	} else if (r < 83) {
		printf("UPDATE public.comments SET is_delete = %s WHERE comment_id = %d;\n",
			bool(0.8), rnd(next_comment - 1))
	} else if (r < 85) {
		printf("UPDATE public.comments SET is_visible = %s WHERE comment_id = %d;\n",
			bool(0.3), rnd(next_comment - 1))
	} else if (r < 86) {
		printf("DELETE FROM public.comments WHERE comment_id = %d;\n",
			rnd(next_comment - 1))
	} else if (r < 88.5) {
		insert_user(rnd(users))
	} else if (r < 91.5) {
		printf("UPDATE public.users SET is_verified = NOT is_verified WHERE user_id = %d;\n",
			owner())
	} else if (r < 93.5) {
		printf("UPDATE public.users SET is_deactivated = NOT is_deactivated WHERE user_id = %d;\n",
			owner())
	} else if (r < 94) {
		printf("DELETE FROM public.users WHERE user_id = %d;\n", rnd(users))
	} else if (r < 95.5) {
		printf("INSERT INTO public.follows (follower_user_id, followee_user_id) VALUES (%d, %d) ON CONFLICT DO NOTHING;\n",
			rnd(users), rnd(users))
	} else if (r < 96.5) {
		t = rand() < 0.5 ? "reposts" : "saves"
		n = t == "reposts" ? "repost" : "save"
		printf("INSERT INTO public.%s (user_id, %s_item_id, %s_type) VALUES (%d, %d, 'track') ON CONFLICT (user_id, %s_item_id, %s_type) DO UPDATE SET is_delete = NOT public.%s.is_delete;\n",
			t, n, n, rnd(users), rnd(next_track - 1), n, n, t)
	} else if (r < 98) {
		printf("INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album, playlist_contents) VALUES (%d, %d, %s, '{\"track_ids\": [{\"track\": %d}]}');\n",
			next_playlist++, owner(), bool(0.3), rnd(next_track - 1))
	} else if (r < 99) {
		printf("UPDATE public.playlists SET playlist_owner_id = %d, is_delete = %s WHERE playlist_id = %d;\n",
			owner(), bool(0.3), rnd(next_playlist - 1))
	} else {
		printf("DELETE FROM public.playlists WHERE playlist_id = %d;\n",
			rnd(next_playlist - 1))
	}
}

BEGIN {
	if (seed == "") seed = 1
	if (txns == "") txns = 1000
	if (users == "") users = 50
	if (tracks == "") tracks = 100
	seed += 0; txns += 0; users += 0; tracks += 0
	if (users < 1) users = 1
	if (tracks < 1) tracks = 1
	srand(seed)

	# Around the ISO-year boundaries: 2020-12-31 is in 2020-W53, 2021-01-03
	# too; 2024-12-30 is in 2025-W01; 2025-12-29 and 2026-01-01 in
	# 2026-W01; 2026-01-04 (Sunday) in 2026-W01 and 2026-01-05 in W02.
	ndates = split("2020-12-31 2021-01-03 2021-01-04 2024-12-23 2024-12-29 2024-12-30 2025-01-05 2025-06-15 2025-12-28 2025-12-29 2026-01-01 2026-01-04 2026-01-05 2026-01-11", dates, " ")
	# Offsets that move a late-Sunday or early-Monday comment across a UTC
	# week boundary.
	nzones = split("+00 +00 -05 +09 -11 +14", zones, " ")

	next_track = tracks + 1
	next_comment = 1
	next_playlist = 1

	print "-- txn 0"
	print "BEGIN;"
	for (u = 1; u <= users; u++)
		if (rand() < 0.67)
			insert_user(u)
	for (t = 1; t <= tracks; t++)
		insert_track(t)
	print "COMMIT;"

	for (x = 1; x <= txns; x++) {
		printf("-- txn %d\n", x)
		print "BEGIN;"
		nops = rand() < 0.7 ? 1 : rnd(4)
		for (i = 0; i < nops; i++)
			op()
		print (rand() < 0.10 ? "ROLLBACK;" : "COMMIT;")
	}
}
