-- trending_stage_playlists.sql: stages every playlist score. Run by the
-- daemon's trending job (src/trending.c) in the run's transaction, after
-- trending_stage_create.sql, with PQexecParams (types inferred):
--   $1  version text: 'pnagD' (any other stages nothing)
--   $2  now timestamptz: the end of the windows and the decay's reference
-- Reads the base tables directly (there is no playlist matview) and inserts
-- into pg_temp.reckon_trending_stage three rows per eligible playlist:
-- time_range 'week', 'month', 'year' (windows W = 7, 30, 365 days), genre
-- NULL. Returns nothing (INSERT 0 n: n = 3 x playlists).
--
-- Eligible: is_delete = false, is_private = false, and
-- playlist_contents->'track_ids' a JSON array of at least 3 elements
-- (elements are {"track": id} objects or plain ids: elements are counted;
-- anything but an array makes the playlist ineligible, not an error).
-- Reposts/saves of a playlist: repost_type/save_type 'playlist' or 'album',
-- is_delete = false; "in W": created_at in ($2 - W, $2].
-- Formulas (N = 1, F = 50, O = 1, R = 0.25, i = 0.01, q = 100000, L = W):
--   base  = N*1 + F*reposts_W + O*saves_W + R*reposts + i*saves
--   karma_W = sum of the follower counts (live follows) of the distinct
--           users who reposted or saved it in W and whose users row has
--           cover_photo, profile_picture and bio NOT NULL; NULL (no such
--           user) counts as 1, a sum of 0 as 0
--   d     = floor(($2 - created_at) in days)
--   decay = greatest(1/q, q ^ greatest(-10, 1 - d/L)) if d > L, else 1
--   score = base * coalesce(karma_W, 1) * decay, or 0 when the owner has
--           fewer than 3 followers
-- Reposts and saves are aggregated once over the tables (hash joins): a
-- lookup per playlist would need an index on repost_item_id/save_item_id
-- that the source schema does not have.
WITH windows (time_range, days) AS (
	VALUES ('week', 7), ('month', 30), ('year', 365)
),
eligible AS (
	SELECT p.playlist_id, p.playlist_owner_id, p.created_at
	FROM public.playlists p
	WHERE NOT p.is_delete AND NOT p.is_private
		AND CASE WHEN jsonb_typeof(p.playlist_contents -> 'track_ids') = 'array'
			THEN jsonb_array_length(p.playlist_contents -> 'track_ids') >= 3
			ELSE false END
		AND $1::text = 'pnagD'
),
acts AS (
	SELECT r.repost_item_id AS playlist_id, r.user_id, r.created_at,
		true AS is_repost
	FROM public.reposts r
	WHERE r.repost_type IN ('playlist', 'album') AND NOT r.is_delete
	UNION ALL
	SELECT s.save_item_id, s.user_id, s.created_at, false
	FROM public.saves s
	WHERE s.save_type IN ('playlist', 'album') AND NOT s.is_delete
),
totals AS (
	SELECT a.playlist_id,
		count(*) FILTER (WHERE a.is_repost) AS reposts,
		count(*) FILTER (WHERE NOT a.is_repost) AS saves
	FROM acts a
	GROUP BY a.playlist_id
),
in_window AS (
	SELECT a.playlist_id, w.time_range, a.user_id, a.is_repost
	FROM acts a
	JOIN windows w
		ON a.created_at > $2::timestamptz - make_interval(days => w.days)
		AND a.created_at <= $2::timestamptz
),
windowed AS (
	SELECT iw.playlist_id, iw.time_range,
		count(*) FILTER (WHERE iw.is_repost) AS reposts_w,
		count(*) FILTER (WHERE NOT iw.is_repost) AS saves_w
	FROM in_window iw
	GROUP BY iw.playlist_id, iw.time_range
),
follower_counts AS (
	SELECT f.followee_user_id AS user_id, count(*) AS n
	FROM public.follows f
	WHERE NOT f.is_delete
	GROUP BY f.followee_user_id
),
karma AS (
	SELECT x.playlist_id, x.time_range, sum(coalesce(fc.n, 0)) AS karma
	FROM (SELECT DISTINCT iw.playlist_id, iw.time_range, iw.user_id
		FROM in_window iw) x
	JOIN public.users u ON u.user_id = x.user_id
	LEFT JOIN follower_counts fc ON fc.user_id = x.user_id
	WHERE u.cover_photo IS NOT NULL AND u.profile_picture IS NOT NULL
		AND u.bio IS NOT NULL
	GROUP BY x.playlist_id, x.time_range
)
INSERT INTO pg_temp.reckon_trending_stage (id, time_range, genre, score)
SELECT e.playlist_id, w.time_range, NULL,
	CASE
		WHEN coalesce(ofc.n, 0) < 3 THEN 0::double precision
		ELSE
			(1 + 50 * coalesce(wd.reposts_w, 0) + 1 * coalesce(wd.saves_w, 0)
				+ 0.25 * coalesce(t.reposts, 0)
				+ 0.01 * coalesce(t.saves, 0))::double precision
			* coalesce(k.karma, 1)::double precision
			* CASE WHEN a.d > w.days THEN
				greatest(1 / 100000::double precision,
					power(100000::double precision,
						greatest(-10::double precision,
							1 - a.d / w.days::double precision)))
				ELSE 1::double precision END
	END
FROM eligible e
CROSS JOIN windows w
CROSS JOIN LATERAL (
	SELECT floor(extract(epoch FROM $2::timestamptz - e.created_at)
		/ 86400)::double precision AS d
) a
LEFT JOIN follower_counts ofc ON ofc.user_id = e.playlist_owner_id
LEFT JOIN totals t ON t.playlist_id = e.playlist_id
LEFT JOIN windowed wd ON wd.playlist_id = e.playlist_id
	AND wd.time_range = w.time_range
LEFT JOIN karma k ON k.playlist_id = e.playlist_id
	AND k.time_range = w.time_range
