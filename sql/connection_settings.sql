-- connection_settings.sql: every plain connection's settings, right after
-- it connects: an empty search_path (every statement is schema-qualified)
-- and the configured statement_timeout. Run by src/pgconn.c.
-- $1 text: statement_timeout in milliseconds.
-- Returns one row, unused.
SELECT pg_catalog.set_config('search_path', '', false),
	pg_catalog.set_config('statement_timeout', $1, false)
