-- rule_frame.sql: the relations every rule and every write policy may read
-- besides the source tables: src/rule.c puts them in front of each
-- composed statement (the "-- reckon: frame" line of a policy; before a
-- rule read alone on a standby). Parameters, of every composed statement:
--   $1  bigint[]  the batch's keys (user ids, or referrers, or track owners:
--                 what the processor's dirty rules name)
--   $2  text      the challenge id (the processor's "challenge")
--   $3  bigint    create_min (the processor's; 1 unless set, and NULL is 1): a
--                 sticky row is created once its count reaches it
--
-- challenge   the catalogue row of $2 while it is active (no row: an
--             inactive or missing challenge has no candidates): id, amount
--             (every policy writes it), step_count (a sticky row's
--             threshold, a capped policy's cap)
-- batch_keys  the batch's keys, each once, no NULL (key)
challenge AS (
	SELECT c.id, c.amount, c.step_count
	FROM public.challenges c
	WHERE c.id = $2 AND c.active
),
batch_keys AS (
	SELECT DISTINCT x.key
	FROM unnest($1::bigint[]) AS x (key)
	WHERE x.key IS NOT NULL
)
