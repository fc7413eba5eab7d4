-- roles.sql: the least-privilege role reckon connects as (the daemon,
-- `reckon trending` and bin/reckon-slot), and the role that owns the
-- trending matviews. Run it as a superuser, in the application's database,
-- once the schema (sql/schema.sql, or the application's own) exists:
--   psql -v role=reckon -d DB -f sql/roles.sql
-- role defaults to "reckon", the matviews' owner to "reckon_matviews"
-- (-v matview_owner=NAME for another; one owner can serve several reckon
-- roles, each a member). The build does not embed this file: reckon never
-- runs it.
--
-- Safe to run again (after a schema change, on another database of the
-- cluster): the roles are created only when missing, their attributes are
-- set again (an attribute added by hand, SUPERUSER say, is taken back), and
-- a GRANT of a privilege already held changes nothing. It revokes nothing
-- else: a grant an operator added on purpose (for a trigger of theirs, see
-- below) survives.
--
-- No password is set here, and none must ever be written in this file (it
-- sits in version control and in every install). Set one afterwards with
--   psql -c '\password reckon'        (sends only the SCRAM verifier)
-- or connect with peer, certificate or Kerberos authentication instead.
--
-- What reckon can do, and why it needs each privilege. Derived from the
-- statements it runs (sql/*.sql, src/*.c) and checked by running the daemon,
-- the trending job and reckon-slot as this role against sql/schema.sql
-- (tests/integration/test_security.sh; the other integration tests also run
-- reckon as this role, see tests/integration/lib.sh):
--
--   LOGIN REPLICATION, nothing else: a logical replication connection
--     (START_REPLICATION) and the slot functions need REPLICATION or
--     superuser, and REPLICATION is the smaller of the two. NOSUPERUSER,
--     NOCREATEDB, NOCREATEROLE, NOBYPASSRLS are set explicitly, so running
--     this file again takes back an attribute granted by hand. INHERIT:
--     ownership through membership (the matviews, below) needs it.
--     REPLICATION is a strong read privilege in itself: through its slot
--     the role can decode every row change of every table of the database
--     (wal2json's add-tables is the client's choice), so the SELECT grants
--     below limit what it can read with SQL and, above all, the write
--     grants limit what it can change. A replication slot can be used by
--     any REPLICATION role, whoever created it.
--   CONNECT and TEMPORARY on the database: the trending job stages scores
--     in ON COMMIT DROP temp tables (sql/trending_stage_create.sql,
--     trending_diff_create.sql). PUBLIC has both by default; they are
--     granted explicitly so that a database where PUBLIC lost them still
--     works.
--   USAGE on schema public: every statement names public.* objects. No
--     CREATE: reckon creates nothing but temp tables (and PostgreSQL 15 no
--     longer grants CREATE on public to PUBLIC).
--   SELECT on the source tables its statements read (FROM/JOIN in sql/*.sql,
--     the lookup of tools/reckon.conf): users, tracks, playlists, comments,
--     follows, reposts, saves, user_events, aggregate_plays, remixes,
--     events, sol_purchases, and the catalogue challenges; plays, for the
--     listen streak (a listener's plays since the last counted listen;
--     the play milestones read aggregate_plays, not plays). The catalog
--     check at start reads only pg_catalog.
--   reckon.backfill_runs and reckon.backfill_batches (sql/state.sql,
--     which this file runs first): USAGE on schema reckon; SELECT and
--     INSERT to plan, record and resume a backfill; UPDATE of finished_at
--     to end a run; DELETE to drop the unfinished runs of a slot that is
--     created anew (they were for the old one).
--   user_challenges: SELECT, INSERT, and UPDATE of the four columns a
--     recompute's ON CONFLICT DO UPDATE sets (current_step_count,
--     is_complete, amount, completed_at). SELECT because the statements read
--     existing rows (sticky completion, the referral caps, the saturated
--     users) and return them (RETURNING). Column-level UPDATE: reckon cannot
--     move an existing reward to another user, challenge or specifier, nor
--     rewrite created_at. No DELETE: rows are never deleted.
--   challenge_listen_streak, challenge_profile_completion: SELECT, INSERT,
--     UPDATE. The streak's state (its memory: plays may be pruned) and the
--     seven profile facts, one row per user, written when they change;
--     never deleted.
--   trending_results: SELECT, INSERT (a week's winners are inserted once;
--     the statement checks whether the week is already recorded).
--   track_trending_scores, playlist_trending_scores: SELECT, INSERT, UPDATE
--     of the columns a changed score sets (genre, score, created_at; score
--     and created_at for playlists), and DELETE. The issue asked for only
--     INSERT/UPDATE on the targets; these two tables cannot hold to it: the
--     job stores exactly the current scores, and a track or playlist that
--     stopped being eligible (deleted, unlisted, made private) has scores
--     that must go (sql/trending_apply_*.sql prunes them). DELETE is
--     therefore granted on these two tables only; user_challenges and
--     trending_results get none.
--   Membership in the matview owner role (below): REFRESH MATERIALIZED VIEW
--     needs ownership of the matview in PostgreSQL 15 (no REFRESH privilege
--     before 17's MAINTAIN), and ownership is checked as membership in the
--     owning role. See the matview owner for what that brings with it.
--   Functions: pg_logical_emit_message (the heartbeat, heartbeat_interval),
--     pg_current_xact_id, pg_current_snapshot, set_config and the slot
--     views need nothing beyond PUBLIC's EXECUTE, and
--     pg_create_logical_replication_slot (--create-slot) needs REPLICATION.
--
-- What reckon cannot do: write any source table or the catalogue, delete a
-- user_challenges or trending_results row, change who a reward belongs to,
-- create a table outside pg_temp, drop or alter any table (the two
-- matviews aside, see below), read a table not listed here with SQL,
-- create roles or databases, terminate other roles' sessions, or read
-- other sessions' queries (no pg_read_all_stats: when another role's
-- process holds the slot, reckon and reckon-slot name its pid but not its
-- application and client).
--
-- The matview owner (NOLOGIN): owns aggregate_interval_plays and
-- trending_params, so that reckon, a member, may REFRESH them; a REFRESH
-- runs the matview's query as its owner, hence the owner's SELECT on what
-- the two queries read (tracks, plays, follows, reposts, saves, users,
-- aggregate_plays) and TEMPORARY (REFRESH ... CONCURRENTLY builds the new
-- contents in a temp table as the owner). A dedicated role rather than
-- reckon itself: the application's migrations can keep managing the
-- matviews through it, and dropping reckon does not touch them. In
-- PostgreSQL 15 a member of an INHERIT role has all the privileges of the
-- roles granted to it (per-grant INHERIT and SET options are 16's), so
-- reckon also gets SELECT on plays and may ALTER or DROP these two
-- matviews. That is the price of REFRESH in 15: the matviews are derived
-- data that the next cycle rebuilds, and plays reach reckon through the
-- stream anyway. A SECURITY DEFINER function owned by this role that runs
-- the two REFRESH statements, called by src/trending.c instead of REFRESH,
-- would remove the membership.
--
-- Triggers on user_challenges or on the score tables run as reckon (unless
-- they are SECURITY DEFINER): a trigger the application adds that writes
-- elsewhere needs that grant too, or SECURITY DEFINER.
--
-- bin/reckon-slot, as this role (or as any role with what it lists):
--   list, check  any role that can connect: pg_replication_slots and
--                pg_current_wal_lsn are readable by PUBLIC. The holder's
--                application and client come from pg_stat_activity: shown
--                for the role's own sessions, hidden for others' without
--                pg_read_all_stats.
--   create, drop, advance, peek
--                REPLICATION (pg_create_logical_replication_slot,
--                pg_drop_replication_slot, pg_replication_slot_advance,
--                pg_logical_slot_peek_changes check it).
--   drop --force also terminates the slot's holder (pg_terminate_backend):
--                allowed for a holder of the same role (a reckon that runs
--                as this role), otherwise only with membership in
--                pg_signal_backend (never for a superuser's process) or as
--                superuser. This file does not grant pg_signal_backend: it
--                would let reckon terminate any non-superuser session.

\set ON_ERROR_STOP on
\if :{?role}
\else
\set role reckon
\endif
\if :{?matview_owner}
\else
\set matview_owner reckon_matviews
\endif

BEGIN;

-- reckon's own tables, from the file beside this one.
\ir state.sql

-- Roles: created when missing, attributes (re)set either way. psql
-- interpolates no variable inside a DO block's dollar quotes, hence the
-- format() ... \gexec, which quotes the names (%I).
SELECT pg_catalog.format('CREATE ROLE %I', :'role')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'role')
\gexec
ALTER ROLE :"role" LOGIN REPLICATION INHERIT NOSUPERUSER NOCREATEDB
	NOCREATEROLE NOBYPASSRLS;

SELECT pg_catalog.format('CREATE ROLE %I', :'matview_owner')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles
	WHERE rolname = :'matview_owner')
\gexec
ALTER ROLE :"matview_owner" NOLOGIN NOREPLICATION NOSUPERUSER NOCREATEDB
	NOCREATEROLE NOBYPASSRLS;

-- The database and the schema.
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO :"role";
GRANT TEMPORARY ON DATABASE :"DBNAME" TO :"matview_owner";
GRANT USAGE ON SCHEMA public TO :"role", :"matview_owner";

-- Sources reckon's statements read.
GRANT SELECT ON public.users, public.tracks, public.playlists,
	public.comments, public.follows, public.reposts, public.saves,
	public.user_events, public.aggregate_plays, public.challenges,
	public.plays, public.remixes, public.events, public.sol_purchases
	TO :"role";

-- reckon's own state (sql/state.sql): the backfill runs and batches.
GRANT USAGE ON SCHEMA reckon TO :"role";
GRANT SELECT, INSERT, DELETE ON reckon.backfill_runs,
	reckon.backfill_batches TO :"role";
GRANT UPDATE (finished_at) ON reckon.backfill_runs TO :"role";

-- Targets.
GRANT SELECT, INSERT ON public.user_challenges TO :"role";
GRANT UPDATE (current_step_count, is_complete, amount, completed_at)
	ON public.user_challenges TO :"role";
GRANT SELECT, INSERT, UPDATE ON public.challenge_listen_streak,
	public.challenge_profile_completion TO :"role";
GRANT SELECT, INSERT ON public.trending_results TO :"role";
GRANT SELECT, INSERT, DELETE ON public.track_trending_scores,
	public.playlist_trending_scores TO :"role";
GRANT UPDATE (genre, score, created_at) ON public.track_trending_scores
	TO :"role";
GRANT UPDATE (score, created_at) ON public.playlist_trending_scores
	TO :"role";

-- The matviews: owned by the matview owner, which reads what their
-- queries read; reckon refreshes them as its member.
GRANT SELECT ON public.tracks, public.plays, public.follows, public.reposts,
	public.saves, public.users, public.aggregate_plays
	TO :"matview_owner";
ALTER MATERIALIZED VIEW public.aggregate_interval_plays
	OWNER TO :"matview_owner";
ALTER MATERIALIZED VIEW public.trending_params OWNER TO :"matview_owner";
SELECT pg_catalog.format('GRANT %I TO %I', :'matview_owner', :'role')
WHERE NOT pg_catalog.pg_has_role(:'role', :'matview_owner', 'MEMBER')
\gexec

COMMIT;
