-- schema.sql: the source-schema contract reckon relies on, plus its targets.
--
-- The source tables (users, tracks, playlists, plays, comments, follows,
-- reposts, saves, user_events) belong to the application; reckon only reads
-- them, through the WAL (wal2json) and through the recompute statements
-- (the rules of sql/rules/ with the write policies of sql/policies/, and
-- the other sql/*.sql, run by src/recompute.c). This file states the columns, replica
-- identities, indexes and the aggregate_plays triggers those two paths need.
-- The targets are challenges (the reward catalogue) and user_challenges (what
-- reckon writes). Tests and the demo load it into an empty database with
--   psql -v ON_ERROR_STOP=1 -f sql/schema.sql
-- It runs in one transaction, so a failure leaves nothing half-created.
--
-- There are deliberately no foreign keys between source tables: the
-- application writes them in any order (a play may name a track that does not
-- exist yet) and any of them may see physical DELETEs.

BEGIN;

-- ---------------------------------------------------------------------------
-- Source tables
-- ---------------------------------------------------------------------------

CREATE TABLE public.users (
	user_id bigint PRIMARY KEY,
	handle text,
	name text,
	bio text,
	profile_picture text,
	cover_photo text,
	is_verified boolean NOT NULL DEFAULT false,
	is_deactivated boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.tracks (
	track_id bigint PRIMARY KEY,
	owner_id bigint NOT NULL,
	is_delete boolean NOT NULL DEFAULT false,
	is_unlisted boolean NOT NULL DEFAULT false,
	stem_of jsonb,
	genre text,
	release_date timestamptz,
	pinned_comment_id bigint,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.playlists (
	playlist_id bigint PRIMARY KEY,
	playlist_owner_id bigint NOT NULL,
	is_album boolean NOT NULL DEFAULT false,
	is_private boolean NOT NULL DEFAULT false,
	is_delete boolean NOT NULL DEFAULT false,
	playlist_contents jsonb,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.plays (
	id bigserial PRIMARY KEY,
	user_id bigint,
	play_item_id bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.comments (
	comment_id bigint PRIMARY KEY,
	user_id bigint NOT NULL,
	entity_id bigint,
	entity_type text NOT NULL DEFAULT 'Track',
	is_delete boolean NOT NULL DEFAULT false,
	is_visible boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.follows (
	follower_user_id bigint,
	followee_user_id bigint,
	is_delete boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (follower_user_id, followee_user_id)
);

CREATE TABLE public.reposts (
	user_id bigint,
	repost_item_id bigint,
	repost_type text,
	is_delete boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, repost_item_id, repost_type)
);

CREATE TABLE public.saves (
	user_id bigint,
	save_item_id bigint,
	save_type text,
	is_delete boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, save_item_id, save_type)
);

CREATE TABLE public.user_events (
	user_id bigint PRIMARY KEY,
	referrer bigint,
	is_mobile_user boolean NOT NULL DEFAULT false
);

-- Remix links: child_track_id is a remix of parent_track_id (one row per
-- parent; the application rewrites a child's rows when its remix_of
-- changes). Read by cosign (sql/rules/cosign.sql).
CREATE TABLE public.remixes (
	parent_track_id bigint NOT NULL,
	child_track_id bigint NOT NULL,
	PRIMARY KEY (parent_track_id, child_track_id)
);

-- Events hosted by a user, updated in place. A remix contest
-- (event_type 'remix_contest') names its winners in event_data->'winners',
-- a JSON array of track ids (numbers or numeric strings). Read by the
-- remix-contest winner rule (sql/rules/remix_contest_winner.sql); the
-- updated_at of the row that names a winner anchors its reward.
CREATE TABLE public.events (
	event_id bigint PRIMARY KEY,
	event_type text NOT NULL,
	user_id bigint NOT NULL,
	is_deleted boolean NOT NULL DEFAULT false,
	event_data jsonb,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Purchases of a track, an album or a playlist, in micro-USDC (amount
-- 1,000,000 is one dollar). is_valid is NULL while the purchase is pending,
-- then true or false. Read by the audio-matching rules (buyer 'b', seller
-- 's': sql/rules/audio_matching_buyer.sql, audio_matching_seller.sql).
CREATE TABLE public.sol_purchases (
	signature text NOT NULL,
	instruction_index integer NOT NULL,
	amount bigint NOT NULL,
	slot bigint NOT NULL,
	content_type text NOT NULL
		CHECK (content_type IN ('track', 'album', 'playlist')),
	content_id bigint NOT NULL,
	buyer_user_id bigint NOT NULL,
	is_valid boolean,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (signature, instruction_index)
);

-- ---------------------------------------------------------------------------
-- Replica identity
--
-- The daemon maps every WAL change to the user ids whose challenges it may
-- affect. For INSERTs the new row says it all. For UPDATE and DELETE,
-- REPLICA IDENTITY DEFAULT logs only the primary key of the old row, and for
-- an UPDATE only when the key itself changed: that is not enough where the
-- affected user is a non-key column of the OLD row:
--   tracks    UPDATE: the old owner_id (an ownership change lowers the old
--             owner's play count and uploads); DELETE: the owner.
--   plays     DELETE: the play_item_id (whose owner loses a play); UPDATE:
--             the old play_item_id.
--   comments  DELETE: the user_id (whose weekly comment set shrinks).
--   playlists UPDATE/DELETE: the old playlist_owner_id.
-- FULL logs the whole old row on UPDATE/DELETE. It costs nothing on INSERT,
-- which is what plays (by far the busiest table) mostly see, and these
-- tables' rows are narrow.
--
-- users, follows, reposts, saves, user_events and remixes keep DEFAULT
-- (remixes: its key is both its columns): their primary
-- keys contain the user id(s) concerned (users.user_id,
-- follows.follower_user_id/followee_user_id, reposts.user_id, saves.user_id,
-- user_events.user_id), so the logged key already names the user.
-- user_events is also read by referrer (referred, referral): those
-- processors are keyed by the referrer, which an UPDATE logs in the new row
-- only. That is enough: when a user's referrer changes, the new referrer is
-- dirtied and the old pair's rows stay by the rules (rows are never deleted,
-- the old referrer's count of rewarded referrals does not go down), so the
-- old referrer has nothing to recompute; a DELETE changes nothing either.
-- comment_pin is keyed by the track owner: tracks FULL gives the old owner
-- and the old pinned_comment_id, comments FULL the old entity_id (whose
-- track's owner a comment change dirties).
-- ---------------------------------------------------------------------------

ALTER TABLE public.tracks REPLICA IDENTITY FULL;
ALTER TABLE public.plays REPLICA IDENTITY FULL;
ALTER TABLE public.comments REPLICA IDENTITY FULL;
ALTER TABLE public.playlists REPLICA IDENTITY FULL;
-- events (the contest's host, user_id, is w's key) and sol_purchases (the
-- buyer, b's key; the content, whose owner is s's key) are updated in
-- place: FULL logs the old host, buyer and content of an UPDATE that
-- changes them, so the old key is dirtied too, and reckon does not warn at
-- start that it could not be. Their rows are narrow (an event's JSON
-- aside) and their updates rare next to plays.
ALTER TABLE public.events REPLICA IDENTITY FULL;
ALTER TABLE public.sol_purchases REPLICA IDENTITY FULL;

-- ---------------------------------------------------------------------------
-- Indexes the recompute statements need to stay bounded by their batch
-- (each statement starts from the batch's user ids and must reach every row
-- it reads by an index; none may scan a whole table):
--   tracks(owner_id)        play_milestone (a user's tracks), track_upload
--   tracks(owner_id) WHERE pinned_comment_id IS NOT NULL
--                           comment_pin (an owner's pinned tracks only)
--   comments(user_id)       first_weekly_comment (a user's comments)
--   comments PK             comment_pin (the pinned comment)
--   aggregate_plays PK      play_milestone (plays per track)
--   users PK                play_milestone, profile_completion,
--                           connect_verified, referred, referral, comment_pin
--   follows PK              profile_completion (follower_user_id is its
--                           leading column: a user's follows)
--   reposts PK, saves PK    profile_completion (user_id leads)
--   playlists(playlist_owner_id)
--                           first_playlist (a user's playlists)
--   user_events PK          mobile_install
--   user_events(referrer, user_id)
--                           referred, referral (a referrer's referrals, in
--                           referred user order)
--   sol_purchases(buyer_user_id, content_id)
--                           audio_matching_buyer (a buyer's purchases);
--                           audio_matching_buyer and audio_matching_seller
--                           (a (buyer, content) pair's first earning
--                           purchase)
--   sol_purchases(content_id, content_type)
--                           audio_matching_buyer and audio_matching_seller
--                           (the purchases of a seller's content)
--   tracks PK, playlists PK audio_matching_buyer, audio_matching_seller (a
--                           purchase's seller)
--   tracks(owner_id), playlists(playlist_owner_id)
--                           audio_matching_buyer, audio_matching_seller (a
--                           seller's content)
--   challenge_profile_completion PK
--                           profile_completion's policy (profile_facts:
--                           the user's facts row)
--   user_challenges PK      all write policies (existing row / ON
--                           CONFLICT; capped: has this specifier a row
--                           under the challenge or the one it shares with)
--   plays(user_id, created_at) INCLUDE (id) WHERE user_id IS NOT NULL
--                           listen_streak (a listener's plays since its
--                           last counted listen + 16 h), all_keys (the
--                           listeners, a loose index scan)
--   challenge_listen_streak PK
--                           listen_streak and the streak policy (a
--                           listener's state)
--   user_challenges(user_id, challenge_id)
--                           the capped policy (sql/policies/capped.sql: the
--                           rows a user already has under a challenge, for
--                           the cap) and referral's early stop
--   user_challenges(challenge_id, split_part(specifier, ':', 1), created_at)
--                           the windowed policy (sql/policies/windowed.sql:
--                           the rows of a specifier prefix, all or in a
--                           window of created_at; cosign, remix contest
--                           winner). A LIKE 'prefix:%' on the primary key
--                           cannot use it under a non-C collation; the
--                           planner matches this exact expression.
--   users PK, tracks PK     cosign (the cosigner, the remix and its
--                           parents), remix_contest_winner (the host, the
--                           winning tracks)
--   reposts PK, saves PK    cosign (a cosigner's actions)
--   remixes(child_track_id, parent_track_id)
--                           cosign (a remix's parents)
--   events(user_id)         remix_contest_winner (a host's events)
-- ---------------------------------------------------------------------------

CREATE INDEX tracks_owner_id_idx ON public.tracks (owner_id);
CREATE INDEX tracks_pinned_owner_id_idx ON public.tracks (owner_id)
	WHERE pinned_comment_id IS NOT NULL;
CREATE INDEX comments_user_id_idx ON public.comments (user_id);
CREATE INDEX playlists_owner_id_idx ON public.playlists (playlist_owner_id);
CREATE INDEX user_events_referrer_idx ON public.user_events (referrer, user_id);
CREATE INDEX remixes_child_idx ON public.remixes (child_track_id, parent_track_id);
CREATE INDEX events_user_id_idx ON public.events (user_id);
CREATE INDEX sol_purchases_buyer_idx ON public.sol_purchases
	(buyer_user_id, content_id);
CREATE INDEX sol_purchases_content_idx ON public.sol_purchases
	(content_id, content_type);
-- plays has one index beyond its key, for the listen streak
-- (sql/rules/listen_streak.sql: a listener's plays from a time on, their
-- ids and times) and for the listeners of sql/all_keys.sql; play counts
-- come from aggregate_plays. It is the busiest table: what this index
-- costs each play is measured by `make bench` (database-cost scenario).
-- INCLUDE (id): the rule then reads the index alone (an index-only scan)
-- instead of one heap page per play. That matters in a backfill, which
-- reads each listener's whole history and whose plays are spread over the
-- heap one per page: 1,000 listeners x 2,000 plays read 12,800 index pages
-- instead of 2,000,000 heap pages, and the whole backfill statement took
-- 5.1 s instead of 8.6 s with every page in memory (far more on a cold
-- cache). The price, measured inserting 1M plays: 14 bytes more WAL a play
-- (+6% of a bare plays insert's), and the index a third bigger.
CREATE INDEX plays_user_created_idx ON public.plays (user_id, created_at)
	INCLUDE (id) WHERE user_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- aggregate_plays: plays per play_item_id, kept exact by triggers on plays so
-- that play_milestone reads one row per track instead of counting plays.
--
-- Statement-level triggers with transition tables: a multi-row INSERT of
-- hundreds of plays costs one upsert per distinct track, not one per play.
-- Every change is an INSERT ... ON CONFLICT DO UPDATE of a delta, so two
-- transactions adding the first plays of the same track concurrently do not
-- fail on the primary key; rows are touched in play_item_id order so that
-- concurrent multi-track statements lock them in the same order and cannot
-- deadlock each other. A count that drops to 0 keeps its row (deleting it
-- would race with a concurrent insert). TRUNCATE of plays empties it.
-- Transition tables cannot be combined with several events in one trigger,
-- hence one trigger per event, sharing one function.
-- ---------------------------------------------------------------------------

CREATE TABLE public.aggregate_plays (
	play_item_id bigint PRIMARY KEY,
	count bigint NOT NULL
);

CREATE FUNCTION public.aggregate_plays_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO public.aggregate_plays AS a (play_item_id, count)
		SELECT n.play_item_id, count(*)
		FROM new_plays n
		GROUP BY n.play_item_id
		ORDER BY n.play_item_id
		ON CONFLICT (play_item_id)
		DO UPDATE SET count = a.count + excluded.count;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO public.aggregate_plays AS a (play_item_id, count)
		SELECT o.play_item_id, -count(*)
		FROM old_plays o
		GROUP BY o.play_item_id
		ORDER BY o.play_item_id
		ON CONFLICT (play_item_id)
		DO UPDATE SET count = a.count + excluded.count;
	ELSIF TG_OP = 'UPDATE' THEN
		-- +1 for every new row, -1 for every old row: exact whatever the
		-- UPDATE changed, and nothing is written when play_item_id did not
		-- change (the deltas cancel out).
		INSERT INTO public.aggregate_plays AS a (play_item_id, count)
		SELECT d.play_item_id, sum(d.delta)
		FROM (
			SELECT n.play_item_id, 1 AS delta FROM new_plays n
			UNION ALL
			SELECT o.play_item_id, -1 AS delta FROM old_plays o
		) d
		GROUP BY d.play_item_id
		HAVING sum(d.delta) <> 0
		ORDER BY d.play_item_id
		ON CONFLICT (play_item_id)
		DO UPDATE SET count = a.count + excluded.count;
	ELSIF TG_OP = 'TRUNCATE' THEN
		TRUNCATE public.aggregate_plays;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER plays_aggregate_insert
	AFTER INSERT ON public.plays
	REFERENCING NEW TABLE AS new_plays
	FOR EACH STATEMENT EXECUTE FUNCTION public.aggregate_plays_apply();
CREATE TRIGGER plays_aggregate_delete
	AFTER DELETE ON public.plays
	REFERENCING OLD TABLE AS old_plays
	FOR EACH STATEMENT EXECUTE FUNCTION public.aggregate_plays_apply();
CREATE TRIGGER plays_aggregate_update
	AFTER UPDATE ON public.plays
	REFERENCING OLD TABLE AS old_plays NEW TABLE AS new_plays
	FOR EACH STATEMENT EXECUTE FUNCTION public.aggregate_plays_apply();
CREATE TRIGGER plays_aggregate_truncate
	AFTER TRUNCATE ON public.plays
	FOR EACH STATEMENT EXECUTE FUNCTION public.aggregate_plays_apply();

-- ---------------------------------------------------------------------------
-- Targets
-- ---------------------------------------------------------------------------

-- The reward catalogue. The statements read step_count, amount and active
-- for their challenge id ($2) from here on every run; an inactive or missing
-- challenge makes them write nothing.
CREATE TABLE public.challenges (
	id text PRIMARY KEY,
	type text,
	amount integer,
	step_count integer,
	active boolean
);

INSERT INTO public.challenges (id, type, amount, step_count, active) VALUES
	('p1', 'numeric', 25, 250, true),     -- 250 plays
	('p2', 'numeric', 100, 1000, true),   -- 1,000 plays
	('p3', 'numeric', 1000, 10000, true), -- 10,000 plays
	('c', 'aggregate', 1, NULL, true),    -- first comment of an ISO week
	('u', 'numeric', 1, 3, true),         -- 3 track uploads
	('p', 'numeric', 1, 7, true),         -- profile completion, 7 facts
	('fp', 'boolean', 2, NULL, true),     -- first playlist
	('v', 'boolean', 5, NULL, true),      -- verified account
	('m', 'boolean', 1, NULL, true),      -- mobile app installed
	('rd', 'boolean', 1, NULL, true),     -- was referred by an existing user
	('r', 'aggregate', 1, 5, true),       -- a referral (at most 5 rewarded)
	('rv', 'aggregate', 1, 5000, true),   -- a referral by a verified user
	('cp', 'aggregate', 10, NULL, true),  -- comment pinned by a verified artist
	('cs', 'aggregate', 1000, NULL, false), -- a remix cosigned by its parent's artist
	('e', 'aggregate', 1, NULL, false),   -- listen streak, beyond 7 days
	('w', 'aggregate', 1000, NULL, true), -- remix contest winner
	('b', 'aggregate', 1, NULL, true),    -- audio matching buyer, per dollar
	('s', 'aggregate', 5, NULL, true);    -- audio matching seller, per dollar

-- What reckon writes. One row per (challenge, specifier); the specifier
-- starts with the user id in lowercase hex. Rows are never deleted; once
-- complete a row stays complete, and its amount and completed_at are fixed
-- at the first completion (see the statements for the rules).
CREATE TABLE public.user_challenges (
	challenge_id text NOT NULL,
	user_id bigint NOT NULL,
	specifier text NOT NULL,
	is_complete boolean NOT NULL DEFAULT false,
	current_step_count integer,
	amount integer,
	created_at timestamptz NOT NULL DEFAULT now(),
	completed_at timestamptz,
	PRIMARY KEY (challenge_id, specifier)
);

-- The capped write policy counts the rows a user already has under a
-- challenge (for the referrals: their user_id is the referrer): see the
-- index list above.
CREATE INDEX user_challenges_user_idx ON public.user_challenges
	(user_id, challenge_id);

-- The windowed policy counts the rows of a specifier prefix (a cosigner's,
-- a contest's) whose created_at lies in a window: see the index list above.
CREATE INDEX user_challenges_prefix_idx ON public.user_challenges
	(challenge_id, split_part(specifier, ':', 1), created_at);

-- State of the listen streak ('e'), one row per listener, written by the
-- streak policy (sql/policies/streak.sql): the last counted listen, the
-- streak, and the play time that started it (which names the open 7-day
-- row). The streak is a fold over a listener's plays and plays may be
-- pruned, so this row is its memory, not derived data.
CREATE TABLE public.challenge_listen_streak (
	user_id bigint PRIMARY KEY,
	last_listen_date timestamptz,
	listen_streak integer NOT NULL,
	streak_started_at timestamptz
);

-- The listen streak's fold, used by the streak policy
-- (sql/policies/streak.sql): one listener's plays, played_at being their
-- times in play id order, folded from its state (last counted listen,
-- streak, streak start; all NULL: no state). Returns one row per advance
-- (a play that counts), in order: its time, the streak after it, the time
-- that started that streak, and whether it is the last advance (the new
-- state). A play less than 16 h after the last counted listen is ignored
-- (negative gaps too); 16 h to under 48 h adds 1; 48 h or more, or no last
-- listen, starts a streak of 1. The intervals are hours, exact whatever
-- the TimeZone (a day is not, across a DST change): hence IMMUTABLE,
-- though timestamptz + interval is only STABLE in general.
--
-- PL/pgSQL because the fold is sequential (whether a play counts depends
-- on the plays counted before it) and must stay linear in a backfill,
-- where a listener brings its whole history. A recursive CTE stepping
-- through a CTE of the candidates rescans it at every step (a CTE has no
-- index): steps x candidates; one stepping through plays by index cannot
-- follow id order within a time range. This loop costs about 0.25 us a
-- play (2M plays of 1,000 listeners folded in 0.5 s, on the 2-core
-- development machine); reading those plays costs several times more
-- (sql/policies/streak.sql has the whole statement's measure).
CREATE FUNCTION public.listen_streak_fold(last timestamptz, streak integer,
	started timestamptz, played_at timestamptz[])
RETURNS TABLE (listen_at timestamptz, listen_streak integer,
	streak_started_at timestamptz, is_last boolean)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	t timestamptz;
	-- A play before lo is ignored; one at or after hi starts a streak.
	lo timestamptz := coalesce(last + interval '16 hours', '-infinity');
	hi timestamptz := coalesce(last + interval '48 hours', '-infinity');
	-- An advance is returned once the next one is known (is_last).
	has_advance boolean := false;
BEGIN
	IF played_at IS NULL THEN
		RETURN;
	END IF;
	FOREACH t IN ARRAY played_at LOOP
		-- t >= lo is NULL, not true, for a NULL t: skipped
		IF t >= lo THEN
			IF has_advance THEN
				RETURN NEXT;
			END IF;
			IF t >= hi THEN
				streak := 1;
				started := t;
			ELSE
				streak := streak + 1;
			END IF;
			lo := t + interval '16 hours';
			hi := t + interval '48 hours';
			listen_at := t;
			listen_streak := streak;
			streak_started_at := started;
			is_last := false;
			has_advance := true;
		END IF;
	END LOOP;
	IF has_advance THEN
		is_last := true;
		RETURN NEXT;
	END IF;
END
$$;

-- The first earning purchase of a (buyer, content_id) pair, for the
-- audio-matching rules (sql/rules/audio_matching_buyer.sql, b, and
-- audio_matching_seller.sql, s), which must pick the same one: valid, at
-- least one dollar, its seller resolving (the current owner of the track
-- for 'track', of the playlist otherwise), first in (slot, signature,
-- instruction_index) order. units: its whole dollars. No row: none earns.
-- One SELECT, STABLE: the planner inlines it into each rule, where its
-- lookups stay index paths (sol_purchases_buyer_idx, tracks and playlists
-- by primary key).
CREATE FUNCTION public.audio_matching_first_purchase(buyer bigint,
	content bigint)
RETURNS TABLE (units bigint, seller bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT sp.amount / 1000000, sel.seller
	FROM public.sol_purchases sp
	CROSS JOIN LATERAL (
		SELECT CASE WHEN sp.content_type = 'track'
			THEN (SELECT t.owner_id
				FROM public.tracks t
				WHERE t.track_id = sp.content_id)
			ELSE (SELECT pl.playlist_owner_id
				FROM public.playlists pl
				WHERE pl.playlist_id = sp.content_id)
			END AS seller
	) sel
	WHERE sp.buyer_user_id = buyer AND sp.content_id = content
		AND sp.is_valid AND sp.amount >= 1000000
		AND sel.seller IS NOT NULL
	ORDER BY sp.slot, sp.signature, sp.instruction_index
	LIMIT 1
$$;

-- The seven facts of profile completion ('p'), one row per user, written
-- when they change.
CREATE TABLE public.challenge_profile_completion (
	user_id bigint PRIMARY KEY,
	profile_description boolean NOT NULL,
	profile_name boolean NOT NULL,
	profile_picture boolean NOT NULL,
	profile_cover_photo boolean NOT NULL,
	follows boolean NOT NULL,
	favorites boolean NOT NULL,
	reposts boolean NOT NULL
);

-- ---------------------------------------------------------------------------
-- Trending
--
-- The daemon's trending job (src/trending.c) scores tracks and playlists
-- from two materialized views, stores the scores, and once a week turns the
-- top scores into rewards:
--   REFRESH MATERIALIZED VIEW CONCURRENTLY aggregate_interval_plays and
--     trending_params (plain REFRESH when that fails with SQLSTATE 0A000,
--     never populated, or 55000);
--   then for each (type, version) in (TRACKS, pnagD), (TRACKS, AnlGe),
--     (PLAYLISTS, pnagD), one transaction: sql/trending_stage_create.sql,
--     trending_diff_create.sql, trending_stage_tracks.sql or
--     trending_stage_playlists.sql, ANALYZE of the stage,
--     trending_diff_*.sql, ANALYZE of the diff, trending_apply_*.sql;
--   weekly: sql/trending_winners.sql (tt, tut, tp) and sql/tastemaker.sql.
--
-- Both matviews are created WITH NO DATA: loading the schema reads nothing,
-- and on a fresh database the daemon's first REFRESH ... CONCURRENTLY fails
-- with 0A000 ("CONCURRENTLY cannot be used when the materialized view is not
-- populated"), so its fallback to a plain REFRESH is exercised from the very
-- first run (tests/integration/test_trending_sql.sh checks this). Reading
-- one before its first refresh fails with 55000.
--
-- Eligible tracks, in both: is_delete = false, is_unlisted = false,
-- stem_of IS NULL. Windows are relative to now() at REFRESH time (one
-- transaction: one now() for the whole refresh). Each has a UNIQUE index on
-- track_id, which REFRESH CONCURRENTLY requires.
-- ---------------------------------------------------------------------------

-- Plays of each eligible track in the last 7 days and the last month.
-- Scans plays (deliberately not indexed, see above); a refresh is a
-- background job, not a per-batch recompute.
CREATE MATERIALIZED VIEW public.aggregate_interval_plays AS
SELECT t.track_id, t.genre, t.created_at,
	coalesce(p.week_listen_counts, 0)::bigint AS week_listen_counts,
	coalesce(p.month_listen_counts, 0)::bigint AS month_listen_counts
FROM public.tracks t
LEFT JOIN (
	SELECT pl.play_item_id,
		count(*) FILTER (WHERE pl.created_at > now() - interval '7 days')
			AS week_listen_counts,
		count(*) AS month_listen_counts
	FROM public.plays pl
	WHERE pl.created_at > now() - interval '1 month'
	GROUP BY pl.play_item_id
) p ON p.play_item_id = t.track_id
WHERE NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
WITH NO DATA;

CREATE UNIQUE INDEX aggregate_interval_plays_track_id_idx
	ON public.aggregate_interval_plays (track_id);

-- Everything else the track score needs, one row per eligible track.
--   play_count            all plays of the track, read from aggregate_plays
--                         (kept exact by the triggers above; equal to
--                         counting plays, without a second scan of plays)
--   owner_follower_count  live follows (is_delete = false) of the owner
--   repost_*/save_*       live reposts/saves with repost_type/save_type
--                         'track': all, and created in the last 7 days,
--                         1 month, 1 year
--   karma                 sum of the follower counts of the track's live
--                         reposters and savers whose users row has
--                         cover_photo, profile_picture and bio all NOT NULL;
--                         a user who both reposted and saved counts once
--                         (the set union of reposters and savers). 0 when
--                         there is none.
CREATE MATERIALIZED VIEW public.trending_params AS
WITH follower_counts AS (
	SELECT f.followee_user_id AS user_id, count(*) AS n
	FROM public.follows f
	WHERE NOT f.is_delete
	GROUP BY f.followee_user_id
),
track_reposts AS (
	SELECT r.repost_item_id AS track_id,
		count(*) AS repost_count,
		count(*) FILTER (WHERE r.created_at > now() - interval '7 days')
			AS repost_week_count,
		count(*) FILTER (WHERE r.created_at > now() - interval '1 month')
			AS repost_month_count,
		count(*) FILTER (WHERE r.created_at > now() - interval '1 year')
			AS repost_year_count
	FROM public.reposts r
	WHERE r.repost_type = 'track' AND NOT r.is_delete
	GROUP BY r.repost_item_id
),
track_saves AS (
	SELECT s.save_item_id AS track_id,
		count(*) AS save_count,
		count(*) FILTER (WHERE s.created_at > now() - interval '7 days')
			AS save_week_count,
		count(*) FILTER (WHERE s.created_at > now() - interval '1 month')
			AS save_month_count,
		count(*) FILTER (WHERE s.created_at > now() - interval '1 year')
			AS save_year_count
	FROM public.saves s
	WHERE s.save_type = 'track' AND NOT s.is_delete
	GROUP BY s.save_item_id
),
track_karma AS (
	SELECT a.track_id, sum(coalesce(fc.n, 0)) AS karma
	FROM (
		SELECT r.repost_item_id AS track_id, r.user_id
		FROM public.reposts r
		WHERE r.repost_type = 'track' AND NOT r.is_delete
		UNION
		SELECT s.save_item_id, s.user_id
		FROM public.saves s
		WHERE s.save_type = 'track' AND NOT s.is_delete
	) a
	JOIN public.users u ON u.user_id = a.user_id
	LEFT JOIN follower_counts fc ON fc.user_id = a.user_id
	WHERE u.cover_photo IS NOT NULL AND u.profile_picture IS NOT NULL
		AND u.bio IS NOT NULL
	GROUP BY a.track_id
)
SELECT t.track_id, t.release_date, t.genre, t.owner_id,
	coalesce(ap.count, 0)::bigint AS play_count,
	coalesce(fc.n, 0)::bigint AS owner_follower_count,
	coalesce(tr.repost_count, 0)::bigint AS repost_count,
	coalesce(ts.save_count, 0)::bigint AS save_count,
	coalesce(tr.repost_week_count, 0)::bigint AS repost_week_count,
	coalesce(tr.repost_month_count, 0)::bigint AS repost_month_count,
	coalesce(tr.repost_year_count, 0)::bigint AS repost_year_count,
	coalesce(ts.save_week_count, 0)::bigint AS save_week_count,
	coalesce(ts.save_month_count, 0)::bigint AS save_month_count,
	coalesce(ts.save_year_count, 0)::bigint AS save_year_count,
	coalesce(tk.karma, 0)::bigint AS karma
FROM public.tracks t
LEFT JOIN public.aggregate_plays ap ON ap.play_item_id = t.track_id
LEFT JOIN follower_counts fc ON fc.user_id = t.owner_id
LEFT JOIN track_reposts tr ON tr.track_id = t.track_id
LEFT JOIN track_saves ts ON ts.track_id = t.track_id
LEFT JOIN track_karma tk ON tk.track_id = t.track_id
WHERE NOT t.is_delete AND NOT t.is_unlisted AND t.stem_of IS NULL
WITH NO DATA;

CREATE UNIQUE INDEX trending_params_track_id_idx
	ON public.trending_params (track_id);

-- Stored scores, written by trending_apply_*.sql (only rows that are new,
-- changed or gone, as trending_diff_*.sql found them). type is 'TRACKS' or
-- 'PLAYLISTS'; version 'pnagD' or 'AnlGe' (tracks), 'pnagD' (playlists);
-- time_range 'week', 'month', 'allTime' (tracks) or 'week', 'month', 'year'
-- (playlists). created_at is when the stored score was last written.
CREATE TABLE public.track_trending_scores (
	track_id bigint NOT NULL,
	type text NOT NULL,
	version text NOT NULL,
	time_range text NOT NULL,
	genre text,
	score double precision NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (track_id, type, version, time_range)
) WITH (fillfactor = 90);

CREATE TABLE public.playlist_trending_scores (
	playlist_id bigint NOT NULL,
	type text NOT NULL,
	version text NOT NULL,
	time_range text NOT NULL,
	score double precision NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (playlist_id, type, version, time_range)
) WITH (fillfactor = 90);

-- No index on score: an hourly rewrite of 1% of the scores then updates
-- them in place (HOT, within the 10% of each page fillfactor keeps free),
-- with no index entry and no row moved, which is most of what keeps its WAL
-- small. The rankings trending_winners.sql reads scan one (type, version,
-- time_range) once a week.

-- Weekly winners, written by trending_winners.sql: one row per rank of a
-- (type, version) for the week ending on the Friday `week`. id is the
-- track or playlist id as text, user_id its owner. Types: 'TRACKS' (tt),
-- 'UNDERGROUND_TRACKS' (tut), 'PLAYLISTS' (tp), all version 'pnagD'.
CREATE TABLE public.trending_results (
	user_id bigint NOT NULL,
	id text NOT NULL,
	rank integer NOT NULL,
	type text NOT NULL,
	version text NOT NULL,
	week date NOT NULL,
	PRIMARY KEY (rank, type, version, week)
);

-- Catalogue rows of the trending rewards. The amount is that of ranks 1-5;
-- trending_winners.sql pays a tenth of it for ranks 6-10 (tt, tut: 1000 and
-- 100; tp: 100 and 10). t (tastemaker) pays its amount per row.
INSERT INTO public.challenges (id, type, amount, step_count, active) VALUES
	('tt', 'trending', 1000, NULL, true),  -- weekly trending track, top 10
	('tut', 'trending', 1000, NULL, true), -- weekly underground trending track
	('tp', 'trending', 100, NULL, true),   -- weekly trending playlist, top 10
	('t', 'aggregate', 100, NULL, true);   -- early reposter/saver of a top track

COMMIT;
