-- trending_stage_tracks.sql: stages every track score of one version. Run
-- by the daemon's trending job (src/trending.c) in the run's transaction,
-- after trending_stage_create.sql, with PQexecParams (types inferred):
--   $1  version text: 'pnagD' or 'AnlGe' (any other stages nothing)
--   $2  now timestamptz: the reference time of the decay
-- Reads public.trending_params and public.aggregate_interval_plays (one row
-- per eligible track each, as of their last refresh) and inserts into
-- pg_temp.reckon_trending_stage three rows per track: time_range 'week',
-- 'month' and 'allTime', with the track's genre. Returns nothing
-- (INSERT 0 n: n = 3 x tracks).
--
-- Formulas. N = 1, F = 50, O = 1, R = 0.25, i = 0.01, q = 100000; L = 7
-- (week) or 30 (month) days.
--   K      = karma (pnagD) or 1 + ln(1 + karma) (AnlGe)
--   base_r = N*listens_r + F*reposts_r + O*saves_r + R*repost_count
--            + i*save_count, listens_r = week/month_listen_counts,
--            reposts_r/saves_r = repost/save_week_count or _month_count
--   anchor = created_at if release_date > $2 (a future release), else
--            greatest(release_date, created_at) (created_at when
--            release_date is NULL)
--   d      = floor(($2 - anchor) in days)
--   decay  = greatest(1/q, q ^ greatest(-10, 1 - d/L)) if d > L, else 1
--   week/month = base_r * K * decay
--   allTime    = (N*play_count + R*repost_count + i*save_count) * K
-- Every score is 0 when owner_follower_count < 3.
INSERT INTO pg_temp.reckon_trending_stage (id, time_range, genre, score)
SELECT tp.track_id, r.time_range, tp.genre,
	CASE
		WHEN tp.owner_follower_count < 3 THEN 0::double precision
		WHEN r.days IS NULL THEN
			(1 * tp.play_count + 0.25 * tp.repost_count
				+ 0.01 * tp.save_count)::double precision * k.k
		ELSE
			(1 * CASE r.time_range WHEN 'week' THEN aip.week_listen_counts
					ELSE aip.month_listen_counts END
				+ 50 * CASE r.time_range WHEN 'week' THEN tp.repost_week_count
					ELSE tp.repost_month_count END
				+ 1 * CASE r.time_range WHEN 'week' THEN tp.save_week_count
					ELSE tp.save_month_count END
				+ 0.25 * tp.repost_count
				+ 0.01 * tp.save_count)::double precision
			* k.k
			* CASE WHEN a.d > r.days THEN
				greatest(1 / 100000::double precision,
					power(100000::double precision,
						greatest(-10::double precision,
							1 - a.d / r.days::double precision)))
				ELSE 1::double precision END
	END
FROM public.trending_params tp
JOIN public.aggregate_interval_plays aip ON aip.track_id = tp.track_id
CROSS JOIN LATERAL (
	SELECT CASE $1::text
		WHEN 'pnagD' THEN tp.karma::double precision
		WHEN 'AnlGe' THEN 1 + ln(1 + tp.karma::double precision)
	END AS k
) k
CROSS JOIN LATERAL (
	SELECT floor(extract(epoch FROM $2::timestamptz - CASE
		WHEN tp.release_date > $2::timestamptz THEN aip.created_at
		ELSE greatest(tp.release_date, aip.created_at) END)
		/ 86400)::double precision AS d
) a
CROSS JOIN (VALUES ('week', 7), ('month', 30), ('allTime', NULL::integer))
	AS r (time_range, days)
WHERE $1::text IN ('pnagD', 'AnlGe')
