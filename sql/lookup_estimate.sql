-- lookup_estimate.sql: the planner's row estimate of a lookup's table,
-- which sizes its map before the load. Run by src/loaders.c at start.
-- $1 text: the table, as a quoted "schema"."table" (cast to regclass).
-- Returns one row: the estimate (bigint, 0 when never analyzed).
SELECT greatest(reltuples, 0)::bigint FROM pg_catalog.pg_class
WHERE oid = $1::regclass
