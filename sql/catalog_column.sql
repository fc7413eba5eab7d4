-- catalog_column.sql: what the catalog says of one configured column.
-- Run by src/catalog.c at start, once per rule or lookup column.
-- $1 text: the schema; $2 text: the table; $3 text: the column.
-- Returns one row: whether the table exists, the column's type name (NULL
-- when there is no such column), the table's replica identity
-- (relreplident), and whether the column is in the replica identity's
-- index (the primary key under DEFAULT). Names are parameters and
-- format('%I') quotes them, so a configured name can never be read as SQL.
SELECT c.oid IS NOT NULL, t.typname, r.relreplident,
	coalesce((
		SELECT a.attnum = ANY (i.indkey) FROM pg_catalog.pg_index i
		WHERE i.indrelid = c.oid AND (CASE r.relreplident
			WHEN 'd' THEN i.indisprimary WHEN 'i' THEN i.indisreplident
			ELSE false END)), false)
FROM (SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', $1::text,
	$2::text)) AS oid) c
LEFT JOIN pg_catalog.pg_class r ON r.oid = c.oid
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
	AND a.attname = $3::text AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
