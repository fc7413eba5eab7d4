-- connection_settings.sql: every plain connection's settings, right after
-- it connects: an empty search_path (every statement is schema-qualified),
-- the configured statement_timeout, and the date and interval styles.
-- Run by src/pgconn.c.
-- $1 text: statement_timeout in milliseconds.
-- Returns one row, unused.
--
-- DateStyle and IntervalStyle: the rows a rule reads on a hot standby
-- travel to the primary as text (src/recompute_rows.c) and are read back
-- there as the policy's column types. A timestamptz printed under one
-- DateStyle ('SQL, DMY', say) and parsed under another ('ISO, MDY') can
-- read as another day, and an interval printed under sql_standard parses
-- differently under postgres; both sessions set the same unambiguous
-- styles, whatever the role's or the server's defaults. TimeZone needs
-- nothing: ISO output carries the offset.
SELECT pg_catalog.set_config('search_path', '', false),
	pg_catalog.set_config('statement_timeout', $1, false),
	pg_catalog.set_config('DateStyle', 'ISO, YMD', false),
	pg_catalog.set_config('IntervalStyle', 'postgres', false)
