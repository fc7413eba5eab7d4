#!/usr/bin/env bash
# test_oracle_rest.sh: tests the checks tests/integration/oracle.sql makes
# of the rest of the catalogue (cosign cs, remix-contest winner w, audio
# matching b and s, the listen streak e, the facts of profile completion)
# on hand-built data, without the daemon and without the rules: the data and
# the rows the settled rules of issue #18 give for it are written here by
# hand, so that the oracle is checked against the rules as stated, not
# against another SQL rendering of them.
#
#   - a consistent state: the oracle (-v rest=1 -v pfacts=1) says nothing
#     about those challenges. It has the edges of the rules: the cosign cap
#     full at exactly 30 days and free an hour later, two actions at the
#     same time, a back-dated action paid in its own window (the
#     cap holds at each payment: a later row's window may then hold six); a contest with more than 5 winners, malformed elements
#     (fractions of real track ids, text, null, integers beyond bigint), a
#     winner named twice, a deleted winning track, an unverified host, a
#     deleted contest, another kind of event, a non-array winners; the
#     host's cap full at exactly 7 days and free a minute later, an earlier
#     contest paid in its own window although a later window is full, a
#     contest full over
#     two anchors while its host has room; purchases pending, invalid,
#     under a dollar, of a track and an album with the same id, of an
#     unknown track, by an unverified seller; a listen streak with gaps of
#     15:59, 16:00, 47:59, a play before the last counted one, a replay, the
#     eighth and ninth counted days, 48:00; a listener whose plays came out
#     of order; profile facts of an eligible, a deactivated (frozen) and an
#     empty profile. Both cap boundaries fall across a daylight-saving
#     change of the session's TimeZone (America/Los_Angeles, 2025-03-09): 30
#     days there is 719 hours, so an oracle that counted calendar days would
#     see room where the rule sees none.
#   - every check fires: each corruption, in a transaction rolled back,
#     makes the oracle print the expected problem for the expected
#     challenge.
#   - the variables: without rest and pfacts no row is required; the checks
#     of the rows that exist still apply; with e inactive the streak is not
#     checked.
# Needs PostgreSQL 15 binaries (tests/integration/cluster.sh); exits 1 on
# any failure.

set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1

. tests/integration/lib.sh
# shellcheck disable=SC2119 # no extra postgresql.conf lines
cluster_start || {
	echo "test_oracle_rest: could not start a cluster" >&2
	exit 1
}
export PGTZ=America/Los_Angeles

if out=$(psql -X -q -v ON_ERROR_STOP=1 -f sql/schema.sql 2>&1); then
	ok "schema.sql loads"
else
	not_ok "schema.sql loads" "$out"
	test_done
	exit 1
fi

# The consistent state. t0 (cosign) = 2025-02-20 12:00 UTC, A (contests) =
# 2025-03-05 10:00 UTC, t1 (plays) = 2025-06-01 00:30 UTC.
expect "a consistent state is loaded" "" <<'SQL'
UPDATE public.challenges SET active = true WHERE id IN ('cs', 'e');
INSERT INTO public.users (user_id, handle, is_verified, is_deactivated)
VALUES (1, NULL, true, false), (2, NULL, false, false), (5, NULL, true, false),
	(6, NULL, false, false), (20, NULL, true, false), (21, NULL, false, false),
	(22, NULL, true, false), (23, NULL, false, false), (24, NULL, false, false),
	(25, NULL, false, false);

-- cs: artist 1 (verified) owns track 10, whose remixes 11 to 17 user 3
-- owns; artist 2 (not verified) owns 20, remix 18 is user 4's.
INSERT INTO public.tracks (track_id, owner_id) VALUES (10, 1), (20, 2),
	(11, 3), (12, 3), (13, 3), (14, 3), (15, 3), (16, 3), (17, 3), (18, 4),
	(19, 3);
INSERT INTO public.remixes (parent_track_id, child_track_id)
SELECT 10, g FROM generate_series(11, 17) g;
INSERT INTO public.remixes (parent_track_id, child_track_id) VALUES (10, 19);
INSERT INTO public.remixes (parent_track_id, child_track_id) VALUES (20, 18);
-- Five cosigns in five days (11 unsaved since: its row stays), 17 saved at
-- exactly t0 + 30 days (the window [t0, t0 + 30 days] holds five: no row),
-- then 16 and 17 reposted at t0 + 721 h (four in the window: 16 first, by
-- track id; then five: 17 gets none again). 19 reposted a day before t0,
-- after the others were paid: its own window is empty, so it is paid, and
-- the window of the row at t0 + 4 days now holds six (the cap holds at
-- each payment, in the payer's own window; see oracle.sql's header). Its
-- completed_at, a minute after the others', says it was paid last.
-- Artist 2 is not verified; a save of a playlist id is no track save.
INSERT INTO public.saves (user_id, save_item_id, save_type, is_delete, created_at)
VALUES (1, 11, 'track', true, '2025-02-20 12:00+00'),
	(1, 13, 'track', false, '2025-02-22 12:00+00'),
	(1, 15, 'track', false, '2025-02-24 12:00+00'),
	(1, 17, 'track', false, '2025-02-20 12:00+00'::timestamptz + interval '720 hours'),
	(1, 17, 'playlist', false, '2025-04-01 00:00+00'),
	(2, 18, 'track', false, '2025-02-21 00:00+00');
INSERT INTO public.reposts (user_id, repost_item_id, repost_type, created_at)
VALUES (1, 12, 'track', '2025-02-21 12:00+00'),
	(1, 14, 'track', '2025-02-23 12:00+00'),
	(1, 16, 'track', '2025-02-20 12:00+00'::timestamptz + interval '721 hours'),
	(1, 17, 'track', '2025-02-20 12:00+00'::timestamptz + interval '721 hours'),
	(1, 19, 'track', '2025-02-19 12:00+00');
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
VALUES ('cs', 3, '1:b', true, 1, 1000, '2025-02-20 12:00+00', '2025-02-20 12:00+00'),
	('cs', 3, '1:c', true, 1, 1000, '2025-02-21 12:00+00', '2025-02-21 12:00+00'),
	('cs', 3, '1:d', true, 1, 1000, '2025-02-22 12:00+00', '2025-02-22 12:00+00'),
	('cs', 3, '1:e', true, 1, 1000, '2025-02-23 12:00+00', '2025-02-23 12:00+00'),
	('cs', 3, '1:f', true, 1, 1000, '2025-02-24 12:00+00', now()),
	('cs', 3, '1:10', true, 1, 1000,
		'2025-02-20 12:00+00'::timestamptz + interval '721 hours', now()),
	('cs', 3, '1:13', true, 1, 1000, '2025-02-19 12:00+00',
		now() + interval '1 minute');

-- w: host 5 (verified), host 6 (not). Tracks 31 to 37 of remixers 7 to 13,
-- 38 deleted. Contest 100: 31, "32", text, 33.5, null, integers beyond
-- bigint, 31 again, 34, 35, 36: five remixers, the contest is full: 37
-- gets none, 38 is deleted.
INSERT INTO public.tracks (track_id, owner_id, is_delete)
VALUES (31, 7, false), (32, 8, false), (33, 9, false), (34, 10, false),
	(35, 11, false), (36, 12, false), (37, 13, false), (38, 7, true);
INSERT INTO public.events (event_id, event_type, user_id, is_deleted,
	event_data, created_at, updated_at)
VALUES (100, 'remix_contest', 5, false,
		'{"winners": [31, "32", "abc", 33.5, null, 99999999999999999999, "99999999999999999999", 31, 34, 35, 36, 37, 38]}',
		'2025-03-04 10:00+00', '2025-03-05 10:00+00'),
	(101, 'remix_contest', 6, false, '{"winners": [31]}',
		'2025-03-05 10:00+00', '2025-03-05 10:00+00'),
	-- host 22 has room in May: no winner for a deleted contest, another
	-- kind of event, winners that are no array
	(102, 'remix_contest', 22, true, '{"winners": [32]}',
		'2025-05-01 10:00+00', '2025-05-01 10:00+00'),
	(103, 'live_event', 22, false, '{"winners": [33]}',
		'2025-05-01 10:00+00', '2025-05-01 10:00+00'),
	(104, 'remix_contest', 22, false, '{"winners": 31}',
		'2025-05-01 10:00+00', '2025-05-01 10:00+00'),
	-- exactly 7 days after contest 100: host 5's window is full
	(105, 'remix_contest', 5, false, '{"winners": [33]}',
		'2025-03-05 10:00+00', '2025-03-05 10:00+00'::timestamptz + interval '168 hours'),
	-- a minute later: room again, for two winners (35.5 and "35.5" are
	-- no track id: a cast to bigint would make them 35 or 36; 38 is
	-- deleted)
	(106, 'remix_contest', 5, false, '{"winners": ["33", 35.5, "35.5", 37, 38]}',
		'2025-03-05 10:00+00', '2025-03-05 10:01+00'::timestamptz + interval '168 hours'),
	-- a day before contest 100, its winner named after contest 100's were
	-- paid: its own window is empty, so it is paid (a minute after them),
	-- and the window of contest 100's rows holds six
	(107, 'remix_contest', 5, false, '{"winners": [31]}',
		'2025-03-04 10:00+00', '2025-03-04 10:00+00'),
	-- host 22: three winners paid on April 1st, three more named on the
	-- 9th (the host's window has room): two paid, the contest is full
	(108, 'remix_contest', 22, false, '{"winners": [31, 32, 34, 35, 36, 37]}',
		'2025-04-01 00:00+00', '2025-04-09 00:00+00');
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
VALUES ('w', 7, '64:7', true, 1, 1000, '2025-03-05 10:00+00', now()),
	('w', 8, '64:8', true, 1, 1000, '2025-03-05 10:00+00', now()),
	('w', 10, '64:a', true, 1, 1000, '2025-03-05 10:00+00', now()),
	('w', 11, '64:b', true, 1, 1000, '2025-03-05 10:00+00', now()),
	('w', 12, '64:c', true, 1, 1000, '2025-03-05 10:00+00', now()),
	('w', 7, '6c:7', true, 1, 1000, '2025-04-01 00:00+00', now()),
	('w', 8, '6c:8', true, 1, 1000, '2025-04-01 00:00+00', now()),
	('w', 10, '6c:a', true, 1, 1000, '2025-04-01 00:00+00', now()),
	('w', 11, '6c:b', true, 1, 1000, '2025-04-09 00:00+00', now()),
	('w', 12, '6c:c', true, 1, 1000, '2025-04-09 00:00+00', now()),
	('w', 9, '6a:9', true, 1, 1000,
		'2025-03-05 10:01+00'::timestamptz + interval '168 hours', now()),
	('w', 13, '6a:d', true, 1, 1000,
		'2025-03-05 10:01+00'::timestamptz + interval '168 hours', now()),
	('w', 7, '6b:7', true, 1, 1000, '2025-03-04 10:00+00',
		now() + interval '1 minute');

-- b, s: track 40 of seller 20 (verified), album 40 of 22 (verified), track
-- 41 of 21 (not verified).
INSERT INTO public.tracks (track_id, owner_id) VALUES (40, 20), (41, 21);
INSERT INTO public.playlists (playlist_id, playlist_owner_id, is_album)
VALUES (40, 22, true);
INSERT INTO public.sol_purchases (signature, instruction_index, amount, slot,
	content_type, content_id, buyer_user_id, is_valid)
VALUES ('a', 0, 2500000, 10, 'track', 40, 23, true),     -- b 2, s 10
	('b', 0, 10000000, 11, 'track', 40, 23, true),        -- same specifier
	('c', 0, 3000000, 9, 'album', 40, 23, true),          -- same specifier
	('d', 0, 1000000, 12, 'track', 41, 23, true),         -- b 1, no s
	('e', 0, 999999, 13, 'track', 40, 25, true),          -- under a dollar
	('f', 0, 5000000, 14, 'track', 40, 25, NULL),         -- pending
	('g', 0, 5000000, 15, 'track', 40, 25, false),        -- invalid
	('h', 0, 5000000, 16, 'track', 999, 25, true),        -- no seller
	('i', 1, 2000000, 17, 'playlist', 40, 24, true);      -- b 2, s 10
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
VALUES ('b', 23, '17:28', true, 1, 2, now(), now()),
	('s', 20, '17:28', true, 1, 10, now(), now()),
	('b', 23, '17:29', true, 1, 1, now(), now()),
	('b', 24, '18:28', true, 1, 2, now(), now()),
	('s', 22, '18:28', true, 1, 10, now(), now());

-- e: listener 50 (hex 32), in id order: t1 (streak 1), +15:59 (ignored),
-- +16:00 (2), +47:59 after that (3), then every 20 h: 4, 5, 6, 7 (the
-- 7-day row completes), 8 (endless), an hour before the last counted
-- (ignored), at it again (ignored), 9 (endless), 48:00 later (a new
-- streak). Listener 51 (hex 33): t1, t1 + 40 h, then t1 + 20 h: streak 2
-- (in created_at order it would be 3). An anonymous play.
INSERT INTO public.plays (user_id, play_item_id, created_at)
SELECT 50, 40, '2025-06-01 00:30+00'::timestamptz + m * interval '1 minute'
FROM unnest(ARRAY[0, 959, 960, 3839, 5039, 6239, 7439, 8639, 9839, 9779,
	9839, 11039, 13919]) WITH ORDINALITY AS o (m, n)
ORDER BY n;
INSERT INTO public.plays (user_id, play_item_id, created_at)
VALUES (51, 40, '2025-06-01 00:30+00');
INSERT INTO public.plays (user_id, play_item_id, created_at)
VALUES (51, 40, '2025-06-02 16:30+00');
INSERT INTO public.plays (user_id, play_item_id, created_at)
VALUES (51, 40, '2025-06-01 20:30+00');
INSERT INTO public.plays (user_id, play_item_id, created_at)
VALUES (NULL, 40, '2025-06-01 00:30+00');
INSERT INTO public.user_challenges (challenge_id, user_id, specifier,
	is_complete, current_step_count, amount, created_at, completed_at)
VALUES ('e', 50, '322025060100', true, 7, 7, '2025-06-01 00:30+00', '2025-06-07 00:29+00'),
	('e', 50, '322025060720', true, 1, 1, '2025-06-07 20:29+00', '2025-06-07 20:29+00'),
	('e', 50, '322025060816', true, 1, 1, '2025-06-08 16:29+00', '2025-06-08 16:29+00'),
	('e', 50, '322025061016', false, 1, 7, '2025-06-10 16:29+00', NULL),
	('e', 51, '332025060100', false, 2, 7, '2025-06-01 00:30+00', NULL);
INSERT INTO public.challenge_listen_streak (user_id, last_listen_date,
	listen_streak, streak_started_at)
VALUES (50, '2025-06-10 16:29+00', 1, '2025-06-10 16:29+00'),
	(51, '2025-06-02 16:30+00', 2, '2025-06-01 00:30+00');

-- Profile facts: 60 has a bio, an empty name, no picture, a blank cover,
-- five live follows (and a deleted one), a deleted save, a live repost;
-- 61 is deactivated (its stale row is frozen); 62 has no fact (no row).
INSERT INTO public.users (user_id, handle, name, bio, profile_picture,
	cover_photo, is_deactivated)
VALUES (60, 'u60', '', 'x', NULL, ' ', false),
	(61, 'u61', NULL, 'x', NULL, NULL, true),
	(62, 'u62', NULL, NULL, NULL, NULL, false);
INSERT INTO public.follows (follower_user_id, followee_user_id, is_delete)
SELECT 60, g, g = 6 FROM generate_series(1, 6) g;
INSERT INTO public.saves (user_id, save_item_id, save_type, is_delete)
VALUES (60, 40, 'track', true);
INSERT INTO public.reposts (user_id, repost_item_id, repost_type)
VALUES (60, 40, 'track');
INSERT INTO public.challenge_profile_completion VALUES
	(60, true, false, false, true, true, false, true),
	(61, false, false, false, false, false, false, false);
SQL

# oracle_rest [PSQL VARIABLES...]: stdin, then the oracle, in one session
# rolled back; prints the lines about the rest of the catalogue only (the
# challenges of the first processors have no rows here: their "missing"
# lines are no concern of this test).
oracle_rest()
{
	{
		echo "BEGIN;"
		cat
		cat tests/integration/oracle.sql
		echo "ROLLBACK;"
	} | psql -X -q -At -F'|' -v ON_ERROR_STOP=1 "$@" -f - 2>&1 |
		awk -F'|' '$2 ~ /^(cs|w|b|s|e)$/ || $1 == "profile_facts" || !/\|/'
}

out=$(oracle_rest -v rest=1 -v pfacts=1 </dev/null)
check_eq "the oracle is silent on the consistent state" "" "$out"

# corrupt PROBLEM|CHALLENGE SQL: after SQL the oracle prints that problem
# for that challenge.
corrupt()
{
	local want=$1 stmt=$2 out
	out=$(oracle_rest -v rest=1 -v pfacts=1 <<<"$stmt")
	if printf '%s\n' "$out" | grep "^$want|" >/dev/null; then
		ok "oracle catches $want: ${3:-$stmt}"
	else
		not_ok "oracle catches $want: ${3:-$stmt}" "$out"
	fi
}

T0="'2025-02-20 12:00+00'::timestamptz"
A="'2025-03-05 10:00+00'::timestamptz"
corrupt "missing|cs" "DELETE FROM public.user_challenges
	WHERE challenge_id = 'cs' AND specifier = '1:10';" \
	"the repost at t0 + 721 h unpaid (four rows in its window)"
corrupt "missing|cs" "UPDATE public.users SET is_verified = false WHERE user_id = 1;
	INSERT INTO public.users (user_id, is_verified) VALUES (3, true);
	UPDATE public.tracks SET owner_id = 3 WHERE track_id = 20;
	INSERT INTO public.saves (user_id, save_item_id, save_type, created_at)
	VALUES (3, 18, 'track', $T0);" \
	"a verified owner of a parent saves the remix: no row"
corrupt "cap|cs" "UPDATE public.user_challenges SET created_at = $T0 + interval '720 hours'
	WHERE challenge_id = 'cs' AND specifier = '1:10';" \
	"a sixth row at exactly 30 days (719 h in the session's calendar)"
corrupt "cap|cs" "INSERT INTO public.user_challenges VALUES ('cs', 3, '1:11', true, 1,
	1000, $T0 + interval '721 hours', now());" \
	"a sixth row at the same time"
corrupt "cap|cs" "INSERT INTO public.user_challenges VALUES ('cs', 3, '1:12', true, 1,
	1000, $T0 + interval '4 days 1 hour', now() + interval '2 minutes');" \
	"a row paid last into its own full window"
corrupt "anchor|cs" "UPDATE public.user_challenges SET created_at = now()
	WHERE challenge_id = 'cs' AND specifier = '1:c';"
corrupt "one_shot|cs" "UPDATE public.user_challenges SET current_step_count = 0
	WHERE challenge_id = 'cs' AND specifier = '1:c';"
corrupt "amount|cs" "UPDATE public.user_challenges SET amount = 1
	WHERE challenge_id = 'cs' AND specifier = '1:c';"
corrupt "specifier|cs" "UPDATE public.user_challenges SET specifier = '1:c:0'
	WHERE challenge_id = 'cs' AND specifier = '1:c';"

corrupt "missing|w" "DELETE FROM public.user_challenges
	WHERE challenge_id = 'w' AND specifier = '6a:d';" \
	"a winner of a contest with room unpaid"
corrupt "missing|w" "DELETE FROM public.user_challenges
	WHERE challenge_id = 'w' AND specifier = '6c:7';" \
	"a contest with four rows, its sixth winner unpaid"
corrupt "missing|w" "UPDATE public.users SET is_verified = true WHERE user_id = 6;" \
	"a host verified later: the contest's winner unpaid"
corrupt "cap|w" "INSERT INTO public.user_challenges VALUES ('w', 13, '6c:d', true, 1,
	1000, '2025-04-09 00:00+00', now());" \
	"a sixth row of a contest"
corrupt "cap|w" "INSERT INTO public.user_challenges VALUES ('w', 9, '69:9', true, 1,
	1000, $A + interval '168 hours', now());" \
	"a sixth row of the host at exactly 7 days (167 h in the session's calendar)"
corrupt "cap|w" "INSERT INTO public.user_challenges VALUES ('w', 9, '6b:9', true, 1,
	1000, $A + interval '1 hour', now() + interval '2 minutes');" \
	"a winner paid last into the host's full window"
corrupt "anchor|w" "UPDATE public.user_challenges SET created_at = $A + interval '1 hour'
	WHERE challenge_id = 'w' AND specifier = '64:7';"
corrupt "specifier|w" "UPDATE public.user_challenges SET user_id = 8
	WHERE challenge_id = 'w' AND specifier = '64:7';" \
	"a w row of another user than the remixer"
corrupt "specifier|w" "INSERT INTO public.user_challenges VALUES ('w', 9, '064:9', true, 1,
	1000, $A, now());"

corrupt "missing|b" "DELETE FROM public.user_challenges
	WHERE challenge_id = 'b' AND specifier = '17:29';"
corrupt "missing|s" "DELETE FROM public.user_challenges
	WHERE challenge_id = 's' AND specifier = '18:28';"
corrupt "missing|s" "UPDATE public.users SET is_verified = true WHERE user_id = 21;" \
	"a seller verified later: no s row"
corrupt "missing|b" "UPDATE public.sol_purchases SET is_valid = true WHERE signature = 'f';" \
	"a pending purchase validated: no b row"
corrupt "amount|b" "UPDATE public.user_challenges SET amount = 4
	WHERE challenge_id = 'b' AND specifier = '17:28';" \
	"a b amount of no purchase (2, 3 or 10 dollars)"
corrupt "amount|b" "INSERT INTO public.user_challenges VALUES ('b', 25, '19:28', true, 1,
	5, now(), now());" \
	"a b row of pending, invalid and under-a-dollar purchases"
corrupt "amount|b" "INSERT INTO public.user_challenges VALUES ('b', 24, '18:29', true, 1,
	0, now(), now());" \
	"a b row of no purchase"
corrupt "amount|s" "UPDATE public.user_challenges SET amount = 2
	WHERE challenge_id = 's' AND specifier = '17:28';" \
	"an s row at the buyer's rate"
corrupt "specifier|b" "UPDATE public.user_challenges SET user_id = 20
	WHERE challenge_id = 'b' AND specifier = '17:28';" \
	"a b row of the seller"
corrupt "one_shot|s" "UPDATE public.user_challenges SET is_complete = false,
	completed_at = NULL WHERE challenge_id = 's' AND specifier = '17:28';"

corrupt "missing|e" "DELETE FROM public.user_challenges
	WHERE challenge_id = 'e' AND specifier = '322025060720';" \
	"the eighth day's endless row lost"
corrupt "streak|e" "UPDATE public.user_challenges SET current_step_count = 3
	WHERE challenge_id = 'e' AND specifier = '332025060100';" \
	"plays folded in created_at order"
corrupt "streak|e" "INSERT INTO public.user_challenges VALUES ('e', 50, '322025060719',
	true, 1, 1, now(), now());" \
	"an endless row for the play before the last counted one"
corrupt "streak|e" "UPDATE public.user_challenges SET amount = 1
	WHERE challenge_id = 'e' AND specifier = '322025061016';" \
	"a 7-day row at the catalogue's amount"
corrupt "streak|e" "INSERT INTO public.plays (user_id, play_item_id, created_at)
	VALUES (50, 40, '2025-06-11 08:29+00');" \
	"a play 16 h after the last counted one not folded"
corrupt "streak_state|e" "UPDATE public.challenge_listen_streak
	SET last_listen_date = '2025-06-10 16:30+00' WHERE user_id = 50;"
corrupt "streak_state|e" "UPDATE public.challenge_listen_streak
	SET streak_started_at = '2025-06-01 20:30+00' WHERE user_id = 51;"
corrupt "streak_state|e" "INSERT INTO public.challenge_listen_streak
	VALUES (52, now(), 1, now());" \
	"a state row of no listener"
corrupt "e_row|e" "UPDATE public.user_challenges SET is_complete = true,
	completed_at = now() WHERE challenge_id = 'e' AND specifier = '322025061016';" \
	"a 7-day row complete at step 1"
corrupt "specifier|e" "UPDATE public.user_challenges SET specifier = '3220250601'
	WHERE challenge_id = 'e' AND specifier = '322025060100';" \
	"an e specifier without the hour"
corrupt "specifier|e" "UPDATE public.user_challenges SET user_id = 51
	WHERE challenge_id = 'e' AND specifier = '322025060100';" \
	"an e row of another user"

corrupt "profile_facts|p" "UPDATE public.challenge_profile_completion
	SET favorites = true WHERE user_id = 60;" \
	"a deleted save counted as a favorite"
corrupt "profile_facts|p" "UPDATE public.users SET name = 'n' WHERE user_id = 60;" \
	"a name filled in, the row not updated"
corrupt "profile_facts|p" "DELETE FROM public.challenge_profile_completion
	WHERE user_id = 60;" \
	"no row for a user with facts"

# The variables: without them no row is required...
out=$(oracle_rest <<'SQL'
DELETE FROM public.user_challenges;
DELETE FROM public.challenge_listen_streak;
DELETE FROM public.challenge_profile_completion;
SQL
)
check_eq "without rest and pfacts no row is required" "" "$out"
# ... but the rows that exist are checked.
out=$(oracle_rest <<SQL
INSERT INTO public.user_challenges VALUES ('cs', 3, '1:11', true, 1, 1000,
	$T0 + interval '721 hours', now());
UPDATE public.challenge_profile_completion SET reposts = false WHERE user_id = 60;
SQL
)
if printf '%s\n' "$out" | grep '^cap|cs|' >/dev/null &&
	printf '%s\n' "$out" | grep '^profile_facts|p|' >/dev/null; then
	ok "without rest and pfacts the rows that exist are checked"
else
	not_ok "without rest and pfacts the rows that exist are checked" "$out"
fi
# With e inactive, the streak is not required.
out=$(oracle_rest -v rest=1 -v pfacts=1 <<'SQL'
UPDATE public.challenges SET active = false WHERE id = 'e';
DELETE FROM public.user_challenges WHERE challenge_id = 'e';
DELETE FROM public.challenge_listen_streak;
SQL
)
check_eq "with e inactive the streak is not required" "" "$out"

test_done
