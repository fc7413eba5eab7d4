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
# Besides, for the catalogue challenges (p, fp, v, m, rd, r/rv, cp), about
# half of the transactions also carry "catalogue" statements (cat_op): users'
# bio/name/profile_picture/cover_photo set to text, blanks, '' or NULL,
# handles nulled and restored, now and then a whole onboarding (all seven
# profile facts at once), follows inserted, deleted and their is_delete
# toggled (followers skewed to low ids, so that some reach 5 follows), reposts
# and saves with is_delete toggles, playlists inserted, moved, deleted and
# their is_delete toggled, user_events rows inserted and updated (referrer
# set, changed, the user itself, NULL, or one of the ids users+1..users+4
# that get a users row only later; is_mobile_user toggled), the low "hub"
# referrers 1..4 collecting many referrals (more than the r cap of 5) and
# being (un)verified, and pins: tracks' pinned_comment_id set to a new
# comment on that track, the track's latest comment, a comment by the
# track's owner, a comment on another track, a deleted or a missing comment,
# or NULL, pinned comments moved to another track or entity type, deleted
# (flag or row), and the owners of pinned tracks (un)verified. The seed
# transaction also gives some users profile fields and user_events rows.
#
# Same seed, same script: srand(seed) and nothing else random. The catalogue
# statements draw from a second generator (rand2, Park-Miller, seeded from
# seed) and never from rand(), so the statements on the other tables are
# exactly those of the generator without them (same ids, same rollbacks);
# catalogue comments and playlists take ids from 1000000 up, apart from the
# ids the other statements use. Plain POSIX awk (runs under mawk). Every
# statement is valid whatever happened before (ids are never reused, inserts
# that might collide say ON CONFLICT, updates of missing rows are no-ops), so
# ON_ERROR_STOP never fires.

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

# rand2: the catalogue statements' generator, a Park-Miller minimal standard
# generator: exact in double precision (16807 * 2^31 < 2^53), so every awk
# gives the same sequence.
function rand2()
{
	seed2 = (seed2 * 16807) % 2147483647
	return seed2 / 2147483647
}

function rnd2(n) # an integer in 1..n
{
	return int(rand2() * n) + 1
}

function skew2(n) # an integer in 1..n, low values much more likely
{
	return int(n * rand2() * rand2() * rand2()) + 1
}

function bool2(p) # "true" with probability p
{
	return rand2() < p ? "true" : "false"
}

function prof_user() # a user whose profile changes: low ids more often
{
	return int(users * rand2() * rand2()) + 1
}

function text_value(what,    r) # a profile field value: text, blanks, '' or NULL
{
	r = rand2()
	if (r < 0.70)
		return sprintf("'%s %d'", what, rnd2(1000))
	if (r < 0.78)
		return "' '"
	if (r < 0.88)
		return "''"
	return "NULL"
}

function referrer_for(u,    r) # a referrer for user u
{
	r = rand2()
	if (r < 0.45)
		return rnd2(4) # a hub: many referrals
	if (r < 0.60)
		return users + rnd2(4) # no users row until created later
	if (r < 0.70)
		return u # self-referral: never rewarded
	if (r < 0.75)
		return "NULL"
	return rnd2(users)
}

function referred_user() # a user_events.user_id (no users row needed)
{
	return rnd2(users + 20)
}

function pin_track() # a track to pin on: low (popular, owned by few) ids more often
{
	return rand2() < 0.5 ? skew2(next_track - 1) : rnd2(next_track - 1)
}

function ts_comment2() # a comment timestamp from the catalogue generator
{
	return sprintf("'%s %02d:%02d:00+00'", dates[rnd2(ndates)], rnd2(24) - 1,
		rnd2(60) - 1)
}

function pinned(t) # the comment pinned on track t, as a subquery
{
	return sprintf("(SELECT pinned_comment_id FROM public.tracks WHERE track_id = %d)", t)
}

function cat_op(    r, t, n, u, f, c)
{
	r = rand2() * 100
	if (r < 16) {
		split("bio name profile_picture cover_photo", f, " ")
		n = f[rnd2(4)]
		printf("UPDATE public.users SET %s = %s WHERE user_id = %d;\n",
			n, text_value(n), prof_user())
	} else if (r < 17) {
		printf("UPDATE public.users SET handle = NULL WHERE user_id = %d;\n",
			prof_user())
	} else if (r < 18) {
		printf("UPDATE public.users SET handle = 'user' || user_id WHERE user_id = %d AND handle IS NULL;\n",
			prof_user())
	} else if (r < 18.5) {
		# A whole profile filled in at once.
		printf("UPDATE public.users SET bio = %s, name = %s, profile_picture = %s, cover_photo = %s WHERE user_id = %d;\n",
			text_value("bio"), text_value("name"), text_value("picture"),
			text_value("cover"), prof_user())
	} else if (r < 19.5) {
		# Onboarding: an (active again) user fills in everything, follows
		# five users, reposts and saves: all seven profile facts at once.
		u = prof_user()
		n = rnd2(users)
		printf("UPDATE public.users SET bio = 'bio %d', name = 'name %d', profile_picture = 'pic %d', cover_photo = 'cover %d', is_deactivated = false, handle = coalesce(handle, 'user' || user_id) WHERE user_id = %d;\n",
			n, n, n, n, u)
		printf("INSERT INTO public.follows (follower_user_id, followee_user_id) SELECT %d, g FROM generate_series(%d, %d) g ON CONFLICT (follower_user_id, followee_user_id) DO UPDATE SET is_delete = false;\n",
			u, n, n + 4)
		printf("INSERT INTO public.reposts (user_id, repost_item_id, repost_type) VALUES (%d, %d, 'track') ON CONFLICT (user_id, repost_item_id, repost_type) DO UPDATE SET is_delete = false;\n",
			u, rnd2(next_track - 1))
		printf("INSERT INTO public.saves (user_id, save_item_id, save_type) VALUES (%d, %d, 'track') ON CONFLICT (user_id, save_item_id, save_type) DO UPDATE SET is_delete = false;\n",
			u, rnd2(next_track - 1))
	} else if (r < 27) {
		printf("INSERT INTO public.follows (follower_user_id, followee_user_id) VALUES (%d, %d) ON CONFLICT (follower_user_id, followee_user_id) DO UPDATE SET is_delete = false;\n",
			prof_user(), rnd2(users))
	} else if (r < 30.5) {
		u = prof_user()
		printf("UPDATE public.follows SET is_delete = NOT is_delete WHERE follower_user_id = %d AND followee_user_id = (SELECT followee_user_id FROM public.follows WHERE follower_user_id = %d ORDER BY followee_user_id LIMIT 1 OFFSET %d);\n",
			u, u, rnd2(4) - 1)
	} else if (r < 33) {
		u = prof_user()
		printf("DELETE FROM public.follows WHERE follower_user_id = %d AND followee_user_id = (SELECT max(followee_user_id) FROM public.follows WHERE follower_user_id = %d);\n",
			u, u)
	} else if (r < 38) {
		t = rand2() < 0.5 ? "reposts" : "saves"
		n = t == "reposts" ? "repost" : "save"
		printf("INSERT INTO public.%s (user_id, %s_item_id, %s_type) VALUES (%d, %d, '%s') ON CONFLICT (user_id, %s_item_id, %s_type) DO UPDATE SET is_delete = NOT public.%s.is_delete;\n",
			t, n, n, prof_user(), rnd2(next_track - 1),
			rand2() < 0.7 ? "track" : "playlist", n, n, t)
	} else if (r < 40) {
		t = rand2() < 0.5 ? "reposts" : "saves"
		printf("UPDATE public.%s SET is_delete = NOT is_delete WHERE user_id = %d;\n",
			t, prof_user())
	} else if (r < 41) {
		t = rand2() < 0.5 ? "reposts" : "saves"
		printf("DELETE FROM public.%s WHERE user_id = %d;\n", t, prof_user())
	} else if (r < 44) {
		printf("INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album, is_private) VALUES (%d, %d, %s, %s);\n",
			next_playlist2++, prof_user(), bool2(0.3), bool2(0.3))
	} else if (r < 46) {
		printf("UPDATE public.playlists SET is_delete = NOT is_delete WHERE playlist_id = %d;\n",
			rnd2(next_playlist2 - 1000000) + 999999)
	} else if (r < 47) {
		printf("UPDATE public.playlists SET playlist_owner_id = %d WHERE playlist_id = %d;\n",
			prof_user(), rnd2(next_playlist2 - 1000000) + 999999)
	} else if (r < 48) {
		printf("DELETE FROM public.playlists WHERE playlist_id = %d;\n",
			rnd2(next_playlist2 - 1000000) + 999999)
	} else if (r < 58) {
		u = referred_user()
		printf("INSERT INTO public.user_events (user_id, referrer, is_mobile_user) VALUES (%d, %s, %s) ON CONFLICT (user_id) DO UPDATE SET referrer = excluded.referrer;\n",
			u, referrer_for(u), bool2(0.3))
	} else if (r < 61) {
		u = referred_user()
		printf("UPDATE public.user_events SET referrer = %s WHERE user_id = %d;\n",
			referrer_for(u), u)
	} else if (r < 64) {
		printf("UPDATE public.user_events SET is_mobile_user = NOT is_mobile_user WHERE user_id = %d;\n",
			referred_user())
	} else if (r < 65) {
		printf("DELETE FROM public.user_events WHERE user_id = %d;\n",
			referred_user())
	} else if (r < 66) {
		# A referrer that had no users row appears.
		u = users + rnd2(4)
		printf("INSERT INTO public.users (user_id, handle, is_verified) VALUES (%d, 'user%d', %s) ON CONFLICT (user_id) DO NOTHING;\n",
			u, u, bool2(0.5))
	} else if (r < 70) {
		# Hub and late referrers (un)verified after their referrals.
		u = rand2() < 0.7 ? rnd2(4) : users + rnd2(4)
		printf("UPDATE public.users SET is_verified = NOT is_verified WHERE user_id = %d;\n", u)
	} else if (r < 77) {
		# A new comment on the track, pinned.
		t = pin_track()
		printf("INSERT INTO public.comments (comment_id, user_id, entity_id, created_at) VALUES (%d, %d, %d, %s);\n",
			next_comment2, rnd2(users), t, ts_comment2())
		printf("UPDATE public.tracks SET pinned_comment_id = %d WHERE track_id = %d;\n",
			next_comment2++, t)
	} else if (r < 81) {
		t = pin_track()
		printf("UPDATE public.tracks SET pinned_comment_id = (SELECT max(comment_id) FROM public.comments WHERE entity_id = %d AND entity_type = 'Track') WHERE track_id = %d;\n",
			t, t)
	} else if (r < 84) {
		# A comment by the track's owner, pinned: no reward.
		t = pin_track()
		printf("INSERT INTO public.comments (comment_id, user_id, entity_id, created_at) SELECT %d, owner_id, track_id, %s FROM public.tracks WHERE track_id = %d;\n",
			next_comment2, ts_comment2(), t)
		printf("UPDATE public.tracks SET pinned_comment_id = %d WHERE track_id = %d;\n",
			next_comment2++, t)
	} else if (r < 86) {
		# A comment on another track.
		t = pin_track()
		printf("UPDATE public.tracks SET pinned_comment_id = (SELECT max(comment_id) FROM public.comments WHERE entity_id <> %d) WHERE track_id = %d;\n",
			t, t)
	} else if (r < 87.5) {
		t = pin_track()
		printf("UPDATE public.tracks SET pinned_comment_id = (SELECT max(comment_id) FROM public.comments WHERE entity_id = %d AND is_delete) WHERE track_id = %d;\n",
			t, t)
	} else if (r < 88) {
		# A comment that does not exist (yet: catalogue ids grow).
		printf("UPDATE public.tracks SET pinned_comment_id = %d WHERE track_id = %d;\n",
			next_comment2 + rnd2(3) - 1, pin_track())
	} else if (r < 89.5) {
		printf("UPDATE public.tracks SET pinned_comment_id = NULL WHERE track_id = %d;\n",
			pin_track())
	} else if (r < 91.5) {
		printf("UPDATE public.comments SET entity_id = %d WHERE comment_id = %s;\n",
			rand2() < 0.5 ? pin_track() : rnd2(next_track - 1), pinned(pin_track()))
	} else if (r < 92) {
		printf("UPDATE public.comments SET entity_type = CASE WHEN entity_type = 'Track' THEN 'Playlist' ELSE 'Track' END WHERE comment_id = %s;\n",
			pinned(pin_track()))
	} else if (r < 94) {
		printf("UPDATE public.comments SET is_delete = NOT is_delete WHERE comment_id = %s;\n",
			pinned(pin_track()))
	} else if (r < 95) {
		printf("DELETE FROM public.comments WHERE comment_id = %s;\n",
			pinned(pin_track()))
	} else if (r < 97) {
		# The owner of a pinned track (un)verified.
		printf("UPDATE public.users SET is_verified = NOT is_verified WHERE user_id = (SELECT owner_id FROM public.tracks WHERE track_id = %d);\n",
			pin_track())
	} else if (r < 98.5) {
		printf("UPDATE public.tracks SET owner_id = %d WHERE track_id = %d;\n",
			prof_user(), pin_track())
	} else {
		printf("UPDATE public.tracks SET is_delete = NOT is_delete WHERE track_id = %d;\n",
			pin_track())
	}
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
	seed2 = (seed * 7919 + 12345) % 2147483646 + 1

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
	next_comment2 = 1000000
	next_playlist2 = 1000000

	print "-- txn 0"
	print "BEGIN;"
	for (u = 1; u <= users; u++)
		if (rand() < 0.67)
			insert_user(u)
	for (t = 1; t <= tracks; t++)
		insert_track(t)
	# Catalogue seed: some profile fields (updates of missing users are
	# no-ops), some user_events rows.
	for (u = 1; u <= users; u++) {
		if (rand2() < 0.3)
			printf("UPDATE public.users SET bio = %s, profile_picture = %s WHERE user_id = %d;\n",
				text_value("bio"), text_value("picture"), u)
		if (rand2() < 0.3)
			printf("INSERT INTO public.user_events (user_id, referrer, is_mobile_user) VALUES (%d, %s, %s);\n",
				u, referrer_for(u), bool2(0.3))
	}
	print "COMMIT;"

	for (x = 1; x <= txns; x++) {
		printf("-- txn %d\n", x)
		print "BEGIN;"
		nops = rand() < 0.7 ? 1 : rnd(4)
		for (i = 0; i < nops; i++)
			op()
		if (rand2() < 0.55) {
			nops = rand2() < 0.75 ? 1 : rnd2(3)
			for (i = 0; i < nops; i++)
				cat_op()
		}
		print (rand() < 0.10 ? "ROLLBACK;" : "COMMIT;")
	}
}
