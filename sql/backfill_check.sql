-- backfill_check.sql: whether the backfill's state tables (sql/state.sql)
-- exist and this role may read, insert and delete their rows. Run by
-- src/backfill.c before a backfill plans or resumes runs. No parameters.
-- Returns one row, one boolean column.
SELECT pg_catalog.to_regclass('reckon.backfill_runs') IS NOT NULL
	AND pg_catalog.to_regclass('reckon.backfill_batches') IS NOT NULL
	AND pg_catalog.has_table_privilege('reckon.backfill_runs',
		'SELECT, INSERT, DELETE')
	AND pg_catalog.has_table_privilege('reckon.backfill_batches',
		'SELECT, INSERT, DELETE')
