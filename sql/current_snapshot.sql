-- current_snapshot.sql: the server's current snapshot as text,
-- "xmin:xmax:xip,xip,...". No parameters; one row, one column. Run by
-- src/visible.c before a batch reads, until every commit the batch will
-- acknowledge is visible to a new snapshot.
SELECT pg_catalog.pg_current_snapshot()::text
