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
# sometimes 10000), play deletes (of anonymous plays) and moves, uploads
# (some unlisted, some stems, some with stem_of jsonb 'null'), ownership
# changes, is_delete toggles and physical deletes of tracks, comments around
# ISO-year boundaries (with various UTC offsets) and their deletion/hiding,
# users appearing, being (un)verified, (de)activated and deleted, and some
# noise on the tables reckon only watches. About 10% of the transactions end
# in ROLLBACK. Every transaction is preceded by a line "-- txn N" (0 is the
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
# And for the rest of the catalogue (cosign cs, remix-contest winner w,
# audio matching b and s, the listen streak e), about half of the
# transactions carry "rest" statements (rest_op), on ids of their own:
# artists 2000001..2000006 (1 to 4 verified at first; 4, 5 and 6 are
# (un)verified later) own tracks 3000001..3000024 that remixes 3000101..
# (owned by users and artists) are linked to in remixes; cs: the artists
# save and repost remixes (mostly of their own tracks) at explicit times
# spread over months, the busiest one about 10 times in 30 days, some
# back-dated, some exactly 30 days earlier, unsaves, saves of playlist
# ids, fans' saves; remix links added (before and after the saves),
# removed and rewritten, new remixes, remixes and parent tracks changing
# owner, remixes deleted (flag or row); w: events (mostly remix_contest)
# hosted by the artists, whose winners arrays are named, replaced or
# appended to in place (more than 5 now and then) with numbers, numeric
# strings and elements that are no integer track id (fractions of real
# ids, text, null, true, objects, integers beyond bigint, unknown ids),
# winners that are not an array, updated_at bumps alone, contests deleted
# (flag or row); updated_at only moves forward, a few hours to a day at a
# time, so that a host's 7-day cap binds; b, s: sol_purchases of remixes,
# parent tracks, the users' tracks, albums and playlists (a track and an
# album with the same id in one signature), valid, pending (validated or
# refused later) or invalid, under and over a dollar, bought again, slots
# mostly growing, with ties and some earlier; e: plays of listeners
# 2000011..2000020 at explicit times chosen against the streak's fold (16 h
# to 48 h after the last counted listen mostly; under 16 h, exactly 15:59,
# 16:00, 47:59, 48:00, more than 48 h, before the last counted listen, at
# it), so that streaks pass 7 and break; now and then a plain user's play at
# a time of 2025. The plays of the other statements have a listener but
# every fourth, and only anonymous plays are deleted: the oracle recomputes
# the streak from the plays (tests/integration/oracle.sql).
#
# Same seed, same script: srand(seed) and nothing else random. The catalogue
# statements draw from a second generator (rand2, Park-Miller, seeded from
# seed) and never from rand(), so the statements on the other tables are
# exactly those of the generator without them (same ids, same rollbacks);
# catalogue comments and playlists take ids from 1000000 up, apart from the
# ids the other statements use. The rest statements draw from a third
# (rand3), for the same reason. Plain POSIX awk (runs under mawk). Every
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

function listener_of(u) # u, or NULL for every fourth play printed
{
	return (nplays_printed++ % 4 == 3) ? "NULL" : u
}

function plays_values(n,    i, sep)
{
	printf("INSERT INTO public.plays (user_id, play_item_id) VALUES ")
	sep = ""
	for (i = 0; i < n; i++) {
		printf("%s(%s, %d)", sep, listener_of(rnd(users)), play_track())
		sep = ", "
	}
	printf(";\n")
}

function op(    r, t, n)
{
	r = rand() * 100
	if (r < 30) {
		printf("INSERT INTO public.plays (user_id, play_item_id) VALUES (%s, %d);\n",
			listener_of(rnd(users)), play_track())
	} else if (r < 48) {
		plays_values(rnd(20) + 1)
	} else if (r < 53) {
		# A burst on one track: hundreds of plays in one statement.
		printf("INSERT INTO public.plays (user_id, play_item_id) SELECT CASE WHEN g %% 4 <> 0 THEN g %% %d + 1 END, %d FROM generate_series(1, %d) g;\n",
			users, play_track(), 100 + rnd(400))
	} else if (r < 57) {
		# Only anonymous plays: the listen streak (e) is a fold over the
		# plays of a listener, which the oracle recomputes from them.
		printf("DELETE FROM public.plays WHERE id IN (SELECT id FROM public.plays WHERE play_item_id = %d AND user_id IS NULL ORDER BY id DESC LIMIT %d);\n",
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

# rand3: the generator of the statements for the rest of the catalogue (cs,
# e, w, b, s; rest_op below), Park-Miller like rand2 and seeded apart from
# it, so that neither the base statements nor the catalogue ones change.
function rand3()
{
	seed3 = (seed3 * 16807) % 2147483647
	return seed3 / 2147483647
}

function rnd3(n) # an integer in 1..n
{
	return int(rand3() * n) + 1
}

function skew3(n) # an integer in 1..n, low values more likely
{
	return int(n * rand3() * rand3()) + 1
}

function bool3(p) # "true" with probability p
{
	return rand3() < p ? "true" : "false"
}

# The rest of the catalogue has ids of its own, which no other statement
# touches: the oracle's checks of cosign's anchors and of the listen streak
# need the saves, reposts and plays they read never to be deleted and
# re-created (see tests/integration/oracle.sql).
function artist(i) # users 2000001..2000006: cosigners, contest hosts, sellers
{
	return 2000000 + i
}

function listener(i) # users 2000011..2000020: the listen streaks
{
	return 2000010 + i
}

function parent_track(i) # 3000001..3000024: four per artist at first
{
	return 3000000 + i
}

function remix_track(i) # 3000101..: remixes; remix i's first parent is artist (i - 1) % 6 + 1's
{
	return 3000100 + i
}

function an_artist_parent(a) # one of artist a's first four tracks
{
	return parent_track((a - 1) * 4 + rnd3(4))
}

function a_remix() # an existing remix id (maybe physically deleted)
{
	return remix_track(rnd3(next_remix - 1))
}

function remix_for(a,    k) # a remix whose first parent was artist a's
{
	k = int((next_remix - 1 - a) / 6)
	return remix_track(a + 6 * (rnd3(k + 1) - 1))
}

function remixer() # the owner of a remix: mostly a plain user, some artists
{
	return rand3() < 0.75 ? rnd3(users) : artist(rnd3(6))
}

function at(mins) # a timestamptz: minutes after 2025-01-01 00:00 UTC
{
	return sprintf("(timestamptz '2025-01-01 00:00:00+00' + interval '%d minutes')", mins)
}

# cs_time: the created_at of a cosign: a day clock that moves on by 0, 1 or
# 3 days (the busiest artist acts about 10 times in 30 days: the cap binds),
# 6-hour steps within a day (so that actions exactly 30 days apart are
# common), now and then back-dated by up to 60 days or by exactly 30.
function cs_time(    x, day)
{
	x = rand3()
	if (x < 0.3)
		cs_day += 1
	else if (x < 0.35)
		cs_day += 3
	day = cs_day
	x = rand3()
	if (x < 0.12)
		day -= rnd3(60)
	else if (x < 0.22)
		day -= 30
	return at((day * 24 + (rnd3(4) - 1) * 6) * 60)
}

function cs_op(    x, p, r, t, n)
{
	x = rand3() * 100
	if (x < 55) {
		# A cosign: an artist saves or reposts a remix, mostly one of their
		# own tracks' remixes; the same pair again does nothing or (a
		# quarter) toggles is_delete (an unsave, a save again), created_at
		# unchanged.
		p = skew3(6)
		r = rand3() < 0.8 ? remix_for(p) : a_remix()
		t = rand3() < 0.5 ? "reposts" : "saves"
		n = t == "reposts" ? "repost" : "save"
		printf("INSERT INTO public.%s (user_id, %s_item_id, %s_type, created_at) VALUES (%d, %d, 'track', %s) ON CONFLICT (user_id, %s_item_id, %s_type) ",
			t, n, n, artist(p), r, cs_time(), n, n)
		if (rand3() < 0.25)
			printf("DO UPDATE SET is_delete = NOT public.%s.is_delete;\n", t)
		else
			printf("DO NOTHING;\n")
	} else if (x < 58) {
		t = rand3() < 0.5 ? "reposts" : "saves"
		n = t == "reposts" ? "repost" : "save"
		printf("UPDATE public.%s SET is_delete = true WHERE user_id = %d AND %s_item_id = %d;\n",
			t, artist(skew3(6)), n, remix_for(skew3(6)))
	} else if (x < 60) {
		# A remix saved as a playlist id: not a track save, never a cosign.
		printf("INSERT INTO public.saves (user_id, save_item_id, save_type, created_at) VALUES (%d, %d, 'playlist', %s) ON CONFLICT DO NOTHING;\n",
			artist(skew3(6)), a_remix(), cs_time())
	} else if (x < 63) {
		# A fan saves a remix: no parent of theirs.
		printf("INSERT INTO public.saves (user_id, save_item_id, save_type) VALUES (%d, %d, 'track') ON CONFLICT DO NOTHING;\n",
			rnd3(users), a_remix())
	} else if (x < 74) {
		# A remix link, before or after the saves it qualifies.
		r = rnd3(next_remix - 1)
		printf("INSERT INTO public.remixes (parent_track_id, child_track_id) VALUES (%d, %d) ON CONFLICT DO NOTHING;\n",
			rand3() < 0.6 ? an_artist_parent((r - 1) % 6 + 1) : parent_track(rnd3(24)),
			remix_track(r))
	} else if (x < 76) {
		r = a_remix()
		printf("DELETE FROM public.remixes WHERE child_track_id = %d AND parent_track_id = (SELECT min(parent_track_id) FROM public.remixes WHERE child_track_id = %d);\n",
			r, r)
	} else if (x < 78) {
		# remix_of edited: the application rewrites the child's links.
		r = rnd3(next_remix - 1)
		printf("DELETE FROM public.remixes WHERE child_track_id = %d;\n",
			remix_track(r))
		printf("INSERT INTO public.remixes (parent_track_id, child_track_id) VALUES (%d, %d) ON CONFLICT DO NOTHING;\n",
			rand3() < 0.5 ? an_artist_parent((r - 1) % 6 + 1) : parent_track(rnd3(24)),
			remix_track(r))
	} else if (x < 84) {
		# A new remix, linked now or later.
		r = remix_track(next_remix)
		printf("INSERT INTO public.tracks (track_id, owner_id, genre) VALUES (%d, %d, 'Electronic') ON CONFLICT DO NOTHING;\n",
			r, remixer())
		if (rand3() < 0.6)
			printf("INSERT INTO public.remixes (parent_track_id, child_track_id) VALUES (%d, %d) ON CONFLICT DO NOTHING;\n",
				an_artist_parent((next_remix - 1) % 6 + 1), r)
		next_remix++
	} else if (x < 88) {
		printf("UPDATE public.tracks SET owner_id = %d WHERE track_id = %d;\n",
			remixer(), a_remix())
	} else if (x < 89) {
		# A parent track moves to another artist (its remixes' cosigner).
		printf("UPDATE public.tracks SET owner_id = %d WHERE track_id = %d;\n",
			artist(rnd3(6)), parent_track(rnd3(24)))
	} else if (x < 92.5) {
		# An artist (cosigner, host, seller) (un)verified: 4 (verified at
		# first), 5 and 6 (not); 1 to 3, the busiest, stay verified.
		printf("UPDATE public.users SET is_verified = NOT is_verified WHERE user_id = %d;\n",
			artist(3 + rnd3(3)))
	} else if (x < 99.3) {
		printf("UPDATE public.tracks SET is_delete = NOT is_delete WHERE track_id = %d;\n",
			a_remix())
	} else {
		printf("DELETE FROM public.tracks WHERE track_id = %d;\n", a_remix())
	}
}

# winner: one element of a winners array: mostly a remix id, as a number or
# a numeric string; sometimes something that is no integer track id (a
# fraction of a real id, which a cast would round to a real track; text;
# null, true, an object; an integer beyond bigint; a negative or unknown id).
function winner(    x, r)
{
	x = rand3() * 100
	r = a_remix()
	if (x < 72)
		return r
	if (x < 84)
		return "\"" r "\""
	if (x < 86)
		return "\"abc\""
	if (x < 88)
		return "\"" r "x\""
	if (x < 91)
		return r ".5"
	if (x < 93)
		return "null"
	if (x < 94)
		return "true"
	if (x < 95)
		return "{\"track_id\": " r "}"
	if (x < 96)
		return rand3() < 0.5 ? "99999999999999999999" : "\"99999999999999999999\""
	if (x < 98)
		return remix_track(next_remix + 50)
	return "-" r
}

function winners_list(n,    i, s) # n elements, comma-separated
{
	s = winner()
	for (i = 2; i <= n; i++)
		s = s ", " winner()
	return s
}

function w_op(    x, e, now, kind, bad)
{
	x = rand3() * 100
	# updated_at only moves forward: the oracle's anchor check needs it.
	w_clock += rnd3(30) * 60 + rnd3(60) - 1
	now = at(w_clock)
	if (x < 22 || next_event == 1) {
		# A new contest (a few other events), its winners named later or
		# (a quarter) at once.
		e = next_event++
		kind = rand3() < 0.9 ? "remix_contest" : "live_event"
		win[e] = rand3() < 0.25 ? winners_list(rnd3(7)) : ""
		printf("INSERT INTO public.events (event_id, event_type, user_id, event_data, created_at, updated_at) VALUES (%d, '%s', %d, '{\"winners\": [%s]}', %s, %s) ON CONFLICT (event_id) DO NOTHING;\n",
			e, kind, artist(skew3(6)), win[e], now, now)
		return
	}
	e = next_event - skew3(next_event - 1)
	if (x < 50) {
		# Winners named or replaced (more than 5 now and then).
		win[e] = winners_list(rnd3(8))
	} else if (x < 64) {
		# More winners appended: the first ones named again.
		win[e] = win[e] == "" ? winners_list(rnd3(3)) : win[e] ", " winners_list(rnd3(3))
	} else if (x < 78) {
		# Edited in place, winners unchanged: a refused winner is
		# considered again at the new anchor.
		printf("UPDATE public.events SET updated_at = %s WHERE event_id = %d;\n",
			now, e)
		return
	} else if (x < 88) {
		printf("UPDATE public.events SET is_deleted = NOT is_deleted, updated_at = %s WHERE event_id = %d;\n",
			now, e)
		return
	} else if (x < 97) {
		# winners is not an array (or there is no event_data): no winner.
		split("'{\"winners\": 3000101}'|'{\"winners\": \"3000102\"}'|'{\"winners\": {\"0\": 3000103}}'|'{\"winners\": null}'|'{}'|NULL", bad, "|")
		printf("UPDATE public.events SET event_data = %s, updated_at = %s WHERE event_id = %d;\n",
			bad[rnd3(6)], now, e)
		return
	} else {
		printf("DELETE FROM public.events WHERE event_id = %d;\n", e)
		return
	}
	printf("UPDATE public.events SET event_data = '{\"winners\": [%s], \"edited\": %d}', updated_at = %s WHERE event_id = %d;\n",
		win[e], w_clock, now, e)
}

# purchase: one VALUES row of sol_purchases
function purchase(sig, ix, buyer, type, id,    x, amount, s)
{
	x = rnd3(9)
	split("400000 999999 1000000 1000001 1999999 2000000 5500000 10000000 25000000", amount, " ")
	# slots mostly grow; some ties (then signature order decides, 'sig10'
	# before 'sig9') and some earlier than the last
	slot += rnd3(3) - 1
	s = rand3() < 0.1 ? slot - rnd3(100) : slot
	x = rand3()
	return sprintf("('sig%d', %d, %s, %d, '%s', %d, %d, %s)", sig, ix,
		amount[rnd3(9)], s, type, id, buyer,
		x < 0.45 ? "true" : (x < 0.9 ? "NULL" : "false"))
}

function bs_op(    x, buyer, type, id, rows)
{
	x = rand3() * 100
	if (x < 30 && next_sig > 1) {
		# A pending purchase validated (or found invalid).
		printf("UPDATE public.sol_purchases SET is_valid = %s WHERE signature = 'sig%d' AND is_valid IS NULL;\n",
			bool3(0.8), next_sig - skew3(next_sig - 1))
		return
	}
	if (x < 45 && last_buyer != "") {
		# The same content bought again (another signature).
		buyer = last_buyer
		type = last_type
		id = last_id
	} else {
		x = rand3()
		buyer = x < 0.6 ? rnd3(users) : (x < 0.8 ? artist(rnd3(6)) : listener(rnd3(10)))
		x = rand3()
		if (x < 0.35) {
			type = "track"
			id = rand3() < 0.6 ? a_remix() : parent_track(rnd3(24))
		} else if (x < 0.55) {
			type = "track"
			id = rnd3(next_track - 1)
		} else if (x < 0.8) {
			type = rand3() < 0.5 ? "album" : "playlist"
			id = rand3() < 0.7 ? rnd3(next_playlist) : 999999 + rnd3(next_playlist2 - 999999)
		} else {
			# A track and an album with the same id, one signature.
			id = rnd3(next_track < next_playlist ? next_track : next_playlist)
			rows = purchase(next_sig, 0, buyer, "track", id) ", " \
				purchase(next_sig, 1, buyer, "album", id)
			type = "album"
		}
	}
	if (rows == "") {
		rows = purchase(next_sig, 0, buyer, type, id)
		if (rand3() < 0.1)
			rows = rows ", " purchase(next_sig, 1, buyer, type, id)
	}
	printf("INSERT INTO public.sol_purchases (signature, instruction_index, amount, slot, content_type, content_id, buyer_user_id, is_valid) VALUES %s ON CONFLICT DO NOTHING;\n",
		rows)
	next_sig++
	last_buyer = buyer
	last_type = type
	last_id = id
}

# e_time: the time of listener l's next play, chosen against the listen
# streak's fold as this generator follows it (e_last: the last counted
# listen, in minutes; rolled-back transactions are undone, see
# e_save/e_restore): mostly 16 h to 48 h after the last counted listen (an
# advance), else under 16 h (ignored), exactly 15:59, 16:00, 47:59 or 48:00,
# 48 h or more (a new streak), before it (out of order), or at it (a
# replay).
function e_time(l,    x, g)
{
	if (!e_has[l]) {
		e_has[l] = 1
		e_last[l] = rnd3(20 * 1440)
		return e_last[l]
	}
	x = rand3() * 100
	if (x < 58)
		g = 960 + rnd3(1920) - 1
	else if (x < 72)
		g = rnd3(960) - 1
	else if (x < 74)
		g = 959
	else if (x < 76)
		g = 960
	else if (x < 78)
		g = 2879
	else if (x < 80)
		g = 2880
	else if (x < 83)
		g = 2880 + rnd3(4320)
	else if (x < 92)
		g = -rnd3(4320)
	else
		g = 0
	if (g >= 960)
		e_last[l] += g
	return g >= 960 ? e_last[l] : e_last[l] + g
}

function e_op(    n, i, vals, u, t)
{
	n = rand3() < 0.8 ? 1 : 2
	vals = ""
	for (i = 1; i <= n; i++) {
		if (rand3() < 0.06) {
			# A plain user's play at a time of 2025: before or after
			# their plays of now (a new streak, or ignored).
			u = rnd3(users)
			t = rnd3(365 * 1440)
		} else {
			u = rnd3(10)
			t = e_time(u)
			u = listener(u)
		}
		vals = vals (i > 1 ? ", " : "") sprintf("(%d, %d, %s)", u, a_remix(), at(t))
	}
	printf("INSERT INTO public.plays (user_id, play_item_id, created_at) VALUES %s;\n", vals)
}

function e_save(    l)
{
	for (l = 1; l <= 10; l++) {
		e_has0[l] = e_has[l]
		e_last0[l] = e_last[l]
	}
}

function e_restore(    l)
{
	for (l = 1; l <= 10; l++) {
		e_has[l] = e_has0[l]
		e_last[l] = e_last0[l]
	}
}

function rest_op(    x)
{
	x = rand3() * 100
	if (x < 30)
		cs_op()
	else if (x < 50)
		w_op()
	else if (x < 70)
		bs_op()
	else
		e_op()
}

# rest_seed: artists (1 to 4 verified), listeners, the artists' tracks,
# remixes (owned by users and artists) linked to them.
function rest_seed(    a, l, i, r, sep)
{
	printf("INSERT INTO public.users (user_id, handle, name, is_verified) VALUES ")
	for (a = 1; a <= 6; a++)
		printf("%s(%d, 'artist%d', 'Artist %d', %s)", a > 1 ? ", " : "",
			artist(a), artist(a), a, a <= 4 ? "true" : "false")
	for (l = 1; l <= 10; l++)
		printf(", (%d, 'listener%d', NULL, false)", listener(l), listener(l))
	printf(" ON CONFLICT (user_id) DO NOTHING;\n")
	printf("INSERT INTO public.tracks (track_id, owner_id, genre) VALUES ")
	for (i = 1; i <= 24; i++)
		printf("%s(%d, %d, 'Electronic')", i > 1 ? ", " : "",
			parent_track(i), artist(int((i - 1) / 4) + 1))
	for (r = 1; r < next_remix; r++)
		printf(", (%d, %d, 'Electronic')", remix_track(r), remixer())
	printf(" ON CONFLICT (track_id) DO NOTHING;\n")
	printf("INSERT INTO public.remixes (parent_track_id, child_track_id) VALUES ")
	sep = ""
	for (r = 1; r < next_remix; r++) {
		if (rand3() < 0.85) {
			printf("%s(%d, %d)", sep, an_artist_parent((r - 1) % 6 + 1), remix_track(r))
			sep = ", "
		}
		if (rand3() < 0.2) {
			printf("%s(%d, %d)", sep, parent_track(rnd3(24)), remix_track(r))
			sep = ", "
		}
	}
	printf(" ON CONFLICT DO NOTHING;\n")
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
	seed3 = (seed * 104729 + 54321) % 2147483646 + 1

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
	next_remix = 61
	next_event = 1
	next_sig = 1
	cs_day = 10
	w_clock = 0
	slot = 1000

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
	rest_seed()
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
		e_save()
		if (rand3() < 0.5) {
			nops = rand3() < 0.75 ? 1 : rnd3(3)
			for (i = 0; i < nops; i++)
				rest_op()
		}
		if (rand() < 0.10) {
			print "ROLLBACK;"
			e_restore()
		} else {
			print "COMMIT;"
		}
	}
}
