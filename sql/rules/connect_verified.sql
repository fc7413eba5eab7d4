-- connect_verified.sql: challenge 'v', a verified account, for one batch of
-- users.
-- reckon: policy once
--
-- Rule. A user whose users row is_verified and not is_deactivated gets a
-- row with specifier hex(user_id). It stays when the user is later
-- unverified (a one-shot row never changes).
--
-- Bounded: users by primary key.
SELECT u.user_id, to_hex(u.user_id) AS specifier
FROM challenge ch
JOIN public.users u ON u.user_id = ANY ($1)
WHERE u.is_verified AND NOT u.is_deactivated
