-- trending_weekday.sql: whether the trending job's reference time is a
-- Friday (UTC), and its date. Run by src/trending.c before it pays the
-- weekly winners.
-- $1 timestamptz: the reference time ("now", or a test's timestamp).
-- Returns one row: is Friday (boolean), the date (UTC).
SELECT extract(isodow FROM ($1::timestamptz AT TIME ZONE 'UTC')) = 5,
	($1::timestamptz AT TIME ZONE 'UTC')::date
