-- audio_matching_buyer.sql: challenge 'b', audio matching (buyer), for one
-- batch of buyers.
-- reckon: policy scaled
--
-- Rule. A purchase (sol_purchases) earns when it is valid (is_valid true:
-- inserted valid, or turned valid later), its amount is at least one
-- dollar (1,000,000 micro-USDC) and its seller resolves: the current owner
-- of the track (content_type 'track': tracks.owner_id) or of the playlist
-- ('album', 'playlist': playlists.playlist_owner_id); no content row, no
-- seller (a deleted or unlisted one still has one). Each (buyer,
-- content_id) with an earning purchase is one candidate of the buyer,
-- specifier hex(buyer):hex(content_id) (a track and an album with the same
-- id are one pair, as in the reference implementations), whose units are
-- the dollars (amount / 1,000,000, integer division) of the pair's first
-- earning purchase in (slot, signature, instruction_index) order. The
-- scaled policy writes its row once: a later, larger or later validated
-- purchase of the same content changes nothing. The seller's rule
-- (audio_matching_seller.sql) picks the same first earning purchase: both
-- call public.audio_matching_first_purchase (sql/schema.sql).
--
-- Keys: buyers only (a purchase change dirties its buyer). A purchase
-- whose content row arrives after it earns nothing until its buyer's
-- purchases change again: the application validates a purchase once it
-- knows the content's price, so the content is there first. Keying b by
-- the content's owner too would reach that case, but then one pair is
-- written from two keys in two batches, which a backfill reading the
-- slot's exported snapshot cannot do (the second batch does not see the
-- first's row, and its ON CONFLICT fails with a serialization error).
--
-- Bounded: sol_purchases by sol_purchases(buyer_user_id, content_id) (a
-- buyer's purchases, a pair's); tracks and playlists by primary key (a
-- purchase's seller).
SELECT pr.buyer AS user_id,
	to_hex(pr.buyer) || ':' || to_hex(pr.content_id) AS specifier,
	earn.units
FROM challenge ch
CROSS JOIN (
	-- Each pair once. A correlated subquery keyed by one buyer (OFFSET 0
	-- keeps the planner from flattening it into a join over the table).
	SELECT DISTINCT sp.buyer_user_id AS buyer, sp.content_id
	FROM batch_keys k
	CROSS JOIN LATERAL (
		SELECT sp.buyer_user_id, sp.content_id
		FROM public.sol_purchases sp
		WHERE sp.buyer_user_id = k.key
			AND sp.is_valid AND sp.amount >= 1000000
		OFFSET 0
	) sp
) pr
-- The pair's first earning purchase (none: no seller resolves for any):
-- sql/schema.sql's audio_matching_first_purchase, shared by b and s.
CROSS JOIN LATERAL public.audio_matching_first_purchase(pr.buyer,
	pr.content_id) earn
