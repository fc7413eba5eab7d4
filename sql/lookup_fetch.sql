-- lookup_fetch.sql: the next page of a lookup load's cursor
-- (reckon_lookup, declared by src/loaders.c over the lookup's key and value
-- columns). No parameters. Returns at most 10000 rows (key bigint,
-- value bigint): the page bounds the result held in memory; none left,
-- no rows.
FETCH FORWARD 10000 FROM reckon_lookup
