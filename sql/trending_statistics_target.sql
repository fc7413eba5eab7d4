-- trending_statistics_target.sql: a statistics target of 10 for the
-- ANALYZE of a trending temp table that follows in the same transaction:
-- it samples 3,000 rows instead of 30,000, enough for the row count and
-- the coarse histogram the joins need. Run by src/trending.c. No
-- parameters, no rows.
SET LOCAL default_statistics_target = 10
