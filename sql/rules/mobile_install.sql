-- mobile_install.sql: challenge 'm', the mobile app installed, for one
-- batch of users.
-- reckon: policy once
--
-- Rule. A user whose user_events row has is_mobile_user gets a row with
-- specifier hex(user_id); it stays when the flag is later cleared. No
-- users row is needed.
--
-- Bounded: user_events by primary key (user_id).
SELECT ue.user_id, to_hex(ue.user_id) AS specifier
FROM challenge ch
JOIN public.user_events ue ON ue.user_id = ANY ($1)
WHERE ue.is_mobile_user
