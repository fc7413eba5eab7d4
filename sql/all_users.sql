-- all_users.sql: every user id, in ascending order, a page at a time. Run
-- by src/recompute.c as a group's "rescan_keys" statement (see
-- tools/reckon.conf) after a TRUNCATE of a table the group's rules read:
-- the stream then names no rows, so the group recomputes every key, in
-- batches, from the first transaction that sees the TRUNCATE.
-- $1 bigint: the last key done (the smallest bigint to start);
-- $2 bigint: the page size (the group's batch_size).
-- Returns one row (user_id bigint) per user, at most $2.
--
-- Every processor of the default catalogue is keyed by a user id (the user,
-- a track's owner, a referrer), so one statement serves every group.
-- Bounded: a range of users' primary key.
SELECT u.user_id
FROM public.users u
WHERE u.user_id > $1
ORDER BY u.user_id
LIMIT $2
