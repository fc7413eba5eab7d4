-- audio_matching_seller.sql: challenge 's', audio matching (seller), for
-- one batch of sellers (users who own tracks or playlists).
-- reckon: policy scaled
--
-- Rule. A purchase earns as for the buyer (audio_matching_buyer.sql: valid,
-- at least one dollar, its seller resolves to the current owner of the
-- track, or of the playlist for 'album' and 'playlist'), and each (buyer,
-- content_id) is paid for its first earning purchase in (slot, signature,
-- instruction_index) order (public.audio_matching_first_purchase, in
-- sql/schema.sql, shared with the buyer's rule). That purchase's seller, when it is a key whose users row is
-- is_verified now, gets a candidate: user_id the seller, specifier
-- hex(buyer):hex(content_id) (it starts with the buyer), units the
-- purchase's dollars (amount / 1,000,000, integer division). The scaled
-- policy writes its row once. So a seller verified after the sale earns
-- the row when verified; a content moved to another owner before its row
-- was written pays the new owner; buyer and seller may be the same user.
-- When a track and an album share an id and one buyer bought both, the
-- pair's first earning purchase names the one seller who may earn it.
--
-- Keys: sellers. A purchase dirties the owner of its content_id as a track
-- and as a playlist (lookups track_owner and playlist_owner), a tracks or
-- playlists change its old and new owner, a users change that user.
--
-- Bounded: users by primary key; tracks by tracks(owner_id), playlists by
-- playlists(playlist_owner_id) (a seller's content); sol_purchases by
-- sol_purchases(content_id, content_type) (a content's purchases) and
-- sol_purchases(buyer_user_id, content_id) (a pair's); tracks and
-- playlists by primary key (a purchase's seller).
SELECT pr.seller AS user_id,
	to_hex(pr.buyer) || ':' || to_hex(pr.content_id) AS specifier,
	earn.units
FROM challenge ch
CROSS JOIN (
	-- Each (seller, pair) once (a seller may own a track and a playlist
	-- with the same id). Every lookup is a correlated subquery keyed by
	-- one seller or one content (OFFSET 0 keeps the planner from
	-- flattening it into a join over a whole table).
	SELECT DISTINCT u.user_id AS seller, sp.buyer_user_id AS buyer,
		sp.content_id
	-- users.user_id is the key: each verified seller once.
	FROM public.users u
	CROSS JOIN LATERAL (
		SELECT t.track_id AS content_id, '{track}'::text[] AS types
		FROM public.tracks t
		WHERE t.owner_id = u.user_id
		UNION ALL
		SELECT pl.playlist_id, '{album,playlist}'::text[]
		FROM public.playlists pl
		WHERE pl.playlist_owner_id = u.user_id
	) c
	CROSS JOIN LATERAL (
		SELECT sp.buyer_user_id, sp.content_id
		FROM public.sol_purchases sp
		WHERE sp.content_id = c.content_id AND sp.content_type = ANY (c.types)
			AND sp.is_valid AND sp.amount >= 1000000
		OFFSET 0
	) sp
	WHERE u.user_id = ANY ($1) AND u.is_verified
) pr
-- The pair's first earning purchase (none: no seller resolves for any):
-- sql/schema.sql's audio_matching_first_purchase, shared by b and s.
CROSS JOIN LATERAL public.audio_matching_first_purchase(pr.buyer,
	pr.content_id) earn
WHERE earn.seller = pr.seller
