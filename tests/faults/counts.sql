-- counts.sql: the fault suite's exactly-once figures for one database, as
-- key=value lines, once reckon has caught up with the final data:
--
--   completions     rows of public.user_challenges that are complete
--   lost            completions the rules require on the final data that are
--                   missing or not complete: the oracle's "missing" rows
--                   whose rule wants them complete (and its missing referral
--                   pairs: one-shot rows are born complete), plus its
--                   "not_complete" rows
--   duplicated      completions given more than once or that should not
--                   exist: more than one row per (challenge_id, specifier)
--                   (the primary key forbids it; counted anyway), a
--                   referral pair under both r and rv (the oracle's
--                   "double_reward"), rows of a referrer past the cap, a key
--                   completed more than once (faults.completion_log, see
--                   setup.sql), and a stepped completion (p1, p2, p3, u, p)
--                   logged at a step below its threshold
--   revoked         completions turned incomplete, and rows deleted
--   unlogged        complete rows with no completion in the log
--   oracle_problems every line the oracle prints (any problem at all)
--
-- The expected set is not restated here: the rows are those of
-- tests/integration/oracle.sql, run as it is by a child psql (the path in
-- the environment variable FAULTS_ORACLE, -v catalogue=1 as check_oracle
-- runs it) and loaded into a temporary table. Run it as
--   FAULTS_ORACLE=tests/integration/oracle.sql \
--       psql -X -At -v ON_ERROR_STOP=1 -f tests/faults/counts.sql
\set ON_ERROR_STOP 1
CREATE TEMP TABLE oracle_problems (
	problem text,
	challenge_id text,
	specifier text,
	detail text
);
\copy oracle_problems FROM PROGRAM 'psql -X -q --csv -t -v ON_ERROR_STOP=1 -v catalogue=1 -f "$FAULTS_ORACLE"' WITH (FORMAT csv)

WITH lost AS (
	SELECT count(*) AS n
	FROM oracle_problems o
	WHERE o.problem = 'not_complete'
		OR (o.problem = 'missing' AND (o.detail ~ 'complete t(rue)?$'
			OR o.detail LIKE '%no row under r or rv%'))
),
duplicate_rows AS (
	SELECT coalesce(sum(d.n - 1), 0) AS n
	FROM (SELECT count(*) AS n FROM public.user_challenges
		GROUP BY challenge_id, specifier HAVING count(*) > 1) d
),
double_reward AS (
	SELECT count(*) AS n FROM oracle_problems o
	WHERE o.problem = 'double_reward'
),
over_cap AS (
	SELECT coalesce(sum(r.n - c.step_count), 0) AS n
	FROM (SELECT uc.user_id, uc.challenge_id, count(*) AS n
		FROM public.user_challenges uc
		WHERE uc.challenge_id IN ('r', 'rv')
		GROUP BY 1, 2) r
	JOIN public.challenges c ON c.id = r.challenge_id
	WHERE r.n > c.step_count
),
completed_twice AS (
	SELECT coalesce(sum(l.n - 1), 0) AS n
	FROM (SELECT count(*) AS n FROM faults.completion_log
		WHERE event = 'complete'
		GROUP BY challenge_id, specifier HAVING count(*) > 1) l
),
unearned AS (
	SELECT count(*) AS n
	FROM faults.completion_log l
	JOIN public.challenges c ON c.id = l.challenge_id
	WHERE l.event = 'complete'
		AND l.challenge_id IN ('p1', 'p2', 'p3', 'u', 'p')
		AND l.step IS DISTINCT FROM c.step_count
)
SELECT format('completions=%s', (SELECT count(*) FROM public.user_challenges
		WHERE is_complete))
UNION ALL
SELECT format('lost=%s', (SELECT n FROM lost))
UNION ALL
SELECT format('duplicated=%s', (SELECT n FROM duplicate_rows)
	+ (SELECT n FROM double_reward) + (SELECT n FROM over_cap)
	+ (SELECT n FROM completed_twice) + (SELECT n FROM unearned))
UNION ALL
SELECT format('revoked=%s', (SELECT count(*) FROM faults.completion_log
		WHERE event IN ('revoke', 'delete')))
UNION ALL
SELECT format('unlogged=%s', (SELECT count(*) FROM public.user_challenges uc
		WHERE uc.is_complete AND NOT EXISTS (SELECT 1
			FROM faults.completion_log l
			WHERE l.event = 'complete' AND l.challenge_id = uc.challenge_id
				AND l.specifier = uc.specifier)))
UNION ALL
SELECT format('oracle_problems=%s', (SELECT count(*) FROM oracle_problems));
