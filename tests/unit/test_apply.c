/*
 * test_apply.c: unit tests for apply.c, the stage between decode and the
 * groups' dirty sets (stream -> decode -> [apply] -> dirty -> sched), with
 * cmocka and no server.
 *
 * Each test builds the Config below from text (config_load_buffer, then
 * config_finish), one idle Group per configured group, and an Apply started
 * at TEST_CONFIRMED with track 7 owned by user 42 in the track_owner lookup.
 * Lines are written in the shape bin/reckon --plugin-options asks wal2json
 * 2.5 for (format-version 2, include-xids, include-timestamp, include-lsn,
 * no types): see tests/fixtures/wal2json_v2_variants.jsonl. As the stream
 * does, a commit is applied at the end of its record, which is also its B's
 * "nextlsn".
 *
 * Covers, table-driven: which row change dirties which key of which group,
 * each key with its safe_lsn (the position received before its
 * transaction), commit_lsn (B's "nextlsn") and commit time, and the xid left
 * for a visibility check (comments by user_id; a play through the
 * track_owner lookup, not for an unknown track nor, as an INSERT, for a
 * saturated owner; a track's owner change from the old row wal2json sends
 * as "identity", which under REPLICA IDENTITY DEFAULT lacks owner_id; NULL
 * keys; tables nobody watches). The lookup following the stream. Two
 * dirty rules on one column through two lookups. Positions
 * over several transactions, until a batch commits and releases the hold.
 * Keepalives and non-transactional messages move the received position only
 * outside a transaction. A stream restart mid-transaction. TRUNCATE starts
 * a rescan of the groups reading the table and empties its lookups, or
 * stops reckon for a group without rescan_keys. Malformed or unappliable
 * lines return false, dirty nothing and move no position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ack.h"
#include "apply.h"
#include "config_finish.h"
#include "dirty.h"
#include "lookup.h"
#include "sched.h"

#define TEST_LINE_MAX 1024
#define TEST_KEYS_MAX 8

/* The slot's confirmed_flush_lsn at start. */
#define TEST_CONFIRMED ((Lsn)0x1000000)
/* Every transaction's commit time: 2026-11-24 11:00:26.336426+05:30. */
#define TEST_TIMESTAMP "2026-11-24 11:00:26.336426+05:30"
#define TEST_COMMIT_US (INT64_C(1795498226000000) + 336426)

/* plays: one group over plays (via track_owner) and tracks; c: comments;
 * prof: follows, with no statement to rescan after a TRUNCATE. */
static const char test_config_text[] =
    "[reckon]\n"
    "rescan_keys = all_keys\n"
    "[lookup track_owner]\n"
    "table = public.tracks\n"
    "key = track_id\n"
    "value = owner_id\n"
    "[group plays]\n"
    "dirty_monotone = public.plays.play_item_id -> track_owner\n"
    "dirty = public.tracks.owner_id\n"
    "saturated = play_saturated\n"
    "[group prof]\n"
    "dirty = public.follows.follower_user_id\n"
    "rescan_keys = none\n"
    "[processor p1]\n"
    "group = plays\n"
    "challenge = p1\n"
    "sql = play_milestone\n"
    "[processor p]\n"
    "group = prof\n"
    "challenge = p\n"
    "sql = profile_completion\n"
    "[processor c]\n"
    "challenge = c\n"
    "sql = first_weekly_comment\n"
    "dirty = public.comments.user_id\n";

typedef struct Fixture
{
	Config config;
	Group groups[CONFIG_PROCESSORS_MAX];
	Ack ack; /* beside apply, as in the daemon */
	Apply apply;
	uint32_t xid; /* of the transaction being sent */
} Fixture;

/*
 * The acknowledgement state is reached only through the helpers from here
 * to fx_flush: Ack stands beside Apply, as in the daemon, watching the
 * same groups.
 */
static void
fx_start(Fixture *fx, Lsn confirmed)
{
	ack_init(&fx->ack, confirmed);
	ack_watch(&fx->ack, fx->groups, fx->config.ngroups);
	assert_true(apply_init(&fx->apply, &fx->config, fx->groups,
	                       fx->config.ngroups, &fx->ack));
}

static bool
fx_feed(Fixture *fx, Lsn lsn, const char *line)
{
	return apply_message(&fx->apply, lsn, line, strlen(line));
}

static void
fx_keepalive(Fixture *fx, Lsn wal_end)
{
	apply_keepalive(&fx->apply, wal_end);
}

static void
fx_restart(Fixture *fx)
{
	apply_stream_restarted(&fx->apply);
}

static Lsn
fx_received(const Fixture *fx)
{
	return ack_received(&fx->ack);
}

static bool
fx_in_transaction(const Fixture *fx)
{
	return ack_in_transaction(&fx->ack);
}

/* What may be confirmed now; never less than the previous call's. */
static Lsn
fx_flush(Fixture *fx)
{
	return ack_flush_lsn(&fx->ack);
}

/* A started Fixture of the configuration text (lookups empty). */
static Fixture *
fx_create_from(const char *text)
{
	Fixture *fx = calloc(1, sizeof(Fixture));

	assert_non_null(fx);
	config_init(&fx->config);
	assert_true(
	    config_load_buffer(&fx->config, "test_apply", text, strlen(text)));
	assert_true(config_finish(&fx->config));
	for (int i = 0; i < fx->config.ngroups; i++)
	{
		sched_group_init(&fx->groups[i], &fx->config.groups[i]);
	}
	fx_start(fx, TEST_CONFIRMED);
	return fx;
}

static Fixture *
fx_create(void)
{
	Fixture *fx = fx_create_from(test_config_text);

	assert_int_equal(fx->config.nlookups, 1);
	/* the initial load (recompute_load_lookup): track 7 is user 42's */
	apply_lookup_set(&fx->apply, 0, 7, 42);
	return fx;
}

static void
fx_destroy(Fixture *fx)
{
	apply_free(&fx->apply);
	for (int i = 0; i < fx->config.ngroups; i++)
	{
		sched_group_free(&fx->groups[i]);
	}
	config_free(&fx->config);
	free(fx);
}

static int
setup(void **state)
{
	*state = fx_create();
	return 0;
}

static int
teardown(void **state)
{
	fx_destroy(*state);
	return 0;
}

static Group *
fx_group(Fixture *fx, const char *name)
{
	for (int i = 0; i < fx->config.ngroups; i++)
	{
		if (strcmp(fx->groups[i].config->name, name) == 0)
		{
			return &fx->groups[i];
		}
	}
	fail_msg("no group \"%s\"", name);
	return NULL;
}

static size_t
fx_dirty_total(const Fixture *fx)
{
	return sched_dirty_total(fx->groups, fx->config.ngroups);
}

/*
 * B of transaction xid whose first change is at lsn, its commit record at
 * lsn + 0x100 and its end ("nextlsn") at end. has_lsn false: a B sent
 * without include-lsn.
 */
static void
fx_begin(Fixture *fx, uint32_t xid, Lsn lsn, Lsn end, bool has_lsn)
{
	char line[TEST_LINE_MAX];

	fx->xid = xid;
	if (has_lsn)
	{
		snprintf(line, sizeof(line),
		         "{\"action\":\"B\",\"xid\":%u,\"timestamp\":\"%s\","
		         "\"lsn\":\"%X/%X\",\"nextlsn\":\"%X/%X\"}",
		         xid, TEST_TIMESTAMP, LSN_FORMAT_ARGS(lsn + 0x100),
		         LSN_FORMAT_ARGS(end));
	}
	else
	{
		snprintf(line, sizeof(line),
		         "{\"action\":\"B\",\"xid\":%u,\"timestamp\":\"%s\"}", xid,
		         TEST_TIMESTAMP);
	}
	assert_true(fx_feed(fx, lsn, line));
}

/* A row change of the open transaction: body is its schema, table and rows. */
static bool
fx_change(Fixture *fx, char action, Lsn lsn, const char *body)
{
	char line[TEST_LINE_MAX];
	int len =
	    snprintf(line, sizeof(line),
	             "{\"action\":\"%c\",\"xid\":%u,\"timestamp\":\"%s\","
	             "\"lsn\":\"%X/%X\",%s}",
	             action, fx->xid, TEST_TIMESTAMP, LSN_FORMAT_ARGS(lsn), body);

	assert_true(len > 0);
	assert_true(len < (int)sizeof(line));
	return fx_feed(fx, lsn, line);
}

/* C of the open transaction, applied at its end as the stream does. */
static void
fx_commit(Fixture *fx, Lsn end)
{
	char line[TEST_LINE_MAX];

	snprintf(line, sizeof(line),
	         "{\"action\":\"C\",\"xid\":%u,\"timestamp\":\"%s\","
	         "\"lsn\":\"%X/%X\",\"nextlsn\":\"%X/%X\"}",
	         fx->xid, TEST_TIMESTAMP, LSN_FORMAT_ARGS(end - 0x30),
	         LSN_FORMAT_ARGS(end));
	assert_true(fx_feed(fx, end, line));
}

/* A committed transaction of one change, from lsn to lsn + 0x130. */
static void
fx_txn1(Fixture *fx, uint32_t xid, Lsn lsn, char action, const char *body)
{
	fx_begin(fx, xid, lsn, lsn + 0x130, true);
	assert_true(fx_change(fx, action, lsn, body));
	fx_commit(fx, lsn + 0x130);
}

/* One key as it left its group's dirty set. */
typedef struct TestDirty
{
	int64_t key;
	Lsn safe_lsn;
	Lsn commit_lsn;
	int64_t commit_us;
} TestDirty;

/* Take g's dirty keys one at a time, oldest first; returns how many. */
static int
fx_drain(Group *g, TestDirty *out, int max)
{
	Batch batch = {0};
	int n = 0;

	while (dirty_set_take(&g->dirty, &batch, 1) == 1)
	{
		assert_true(n < max);
		out[n++] = (TestDirty){.key = batch.keys[0],
		                       .safe_lsn = batch.safe_lsn,
		                       .commit_lsn = batch.commit_lsn,
		                       .commit_us = batch.commit_us[0]};
	}
	batch_free(&batch);
	return n;
}

/* Drain g and check it held exactly keys[0..n), in that order. */
static void
fx_expect_keys(Group *g, const int64_t *keys, int n)
{
	TestDirty got[TEST_KEYS_MAX];
	int ngot = fx_drain(g, got, TEST_KEYS_MAX);

	assert_int_equal(ngot, n);
	for (int i = 0; i < n; i++)
	{
		assert_int_equal(got[i].key, keys[i]);
	}
}

/* Row bodies, as wal2json sends them for the tables of sql/schema.sql. */
#define COMMENT_42                                                             \
	"\"schema\":\"public\",\"table\":\"comments\",\"columns\":["               \
	"{\"name\":\"comment_id\",\"value\":1},"                                   \
	"{\"name\":\"user_id\",\"value\":42},"                                     \
	"{\"name\":\"entity_id\",\"value\":7}]"
#define PLAY_OF(track)                                                         \
	"\"schema\":\"public\",\"table\":\"plays\",\"columns\":["                  \
	"{\"name\":\"id\",\"value\":5},"                                           \
	"{\"name\":\"user_id\",\"value\":99},"                                     \
	"{\"name\":\"play_item_id\",\"value\":" track "}]"
#define TRACK(track, owner)                                                    \
	"[{\"name\":\"track_id\",\"value\":" track "},"                            \
	"{\"name\":\"owner_id\",\"value\":" owner "},"                             \
	"{\"name\":\"is_delete\",\"value\":false}]"
#define TRACK_ROW(track, owner)                                                \
	"\"schema\":\"public\",\"table\":\"tracks\",\"columns\":" TRACK(track,     \
	                                                                owner)

typedef struct TestChange
{
	char action; /* 0 ends the list */
	const char *body;
} TestChange;

typedef struct TestKey
{
	const char *group; /* NULL ends the list */
	int64_t key;
} TestKey;

typedef struct RouteCase
{
	const char *name;
	int64_t saturated; /* a key of group plays saturated first, or 0 */
	TestChange changes[3];
	TestKey dirty[4];      /* every key dirtied, in order within a group */
	int64_t skips;         /* saturated_skips of group plays */
	int64_t track_7_owner; /* in track_owner afterwards */
} RouteCase;

static const RouteCase route_cases[] = {
    {"a comment dirties its author",
     0,
     {{'I', COMMENT_42}},
     {{"c", 42}},
     0,
     42},
    {"a deleted comment dirties its author (REPLICA IDENTITY FULL)",
     0,
     {{'D', "\"schema\":\"public\",\"table\":\"comments\",\"identity\":["
            "{\"name\":\"comment_id\",\"value\":1},"
            "{\"name\":\"user_id\",\"value\":42}]"}},
     {{"c", 42}},
     0,
     42},
    {"the largest bigint user id",
     0,
     {{'I', "\"schema\":\"public\",\"table\":\"comments\",\"columns\":["
            "{\"name\":\"user_id\",\"value\":9223372036854775807}]"}},
     {{"c", INT64_MAX}},
     0,
     42},
    {"a comment with a NULL author dirties nobody",
     0,
     {{'I', "\"schema\":\"public\",\"table\":\"comments\",\"columns\":["
            "{\"name\":\"comment_id\",\"value\":1},"
            "{\"name\":\"user_id\",\"value\":null}]"}},
     {{NULL, 0}},
     0,
     42},
    {"a play dirties its track's owner, not the listener",
     0,
     {{'I', PLAY_OF("7")}},
     {{"plays", 42}},
     0,
     42},
    {"a play of an unknown track dirties nobody",
     0,
     {{'I', PLAY_OF("8")}},
     {{NULL, 0}},
     0,
     42},
    {"a play of a saturated owner is skipped (dirty_monotone)",
     42,
     {{'I', PLAY_OF("7")}},
     {{NULL, 0}},
     1,
     42},
    {"a deleted play of a saturated owner still dirties it",
     42,
     {{'D', "\"schema\":\"public\",\"table\":\"plays\",\"identity\":["
            "{\"name\":\"id\",\"value\":5},"
            "{\"name\":\"play_item_id\",\"value\":7}]"}},
     {{"plays", 42}},
     0,
     42},
    {"a track's owner change dirties the new and the old owner",
     0,
     {{'U', TRACK_ROW("7", "43") ",\"identity\":" TRACK("7", "42")}},
     {{"plays", 43}, {"plays", 42}},
     0,
     43},
    {"under REPLICA IDENTITY DEFAULT the old owner is not sent",
     0,
     {{'U', TRACK_ROW("7", "43") ",\"identity\":["
                                 "{\"name\":\"track_id\",\"value\":7}]"}},
     {{"plays", 43}},
     0,
     43},
    {"a track update that keeps its owner dirties it once",
     0,
     {{'U', TRACK_ROW("7", "42") ",\"identity\":" TRACK("7", "42")}},
     {{"plays", 42}},
     0,
     42},
    {"tables nobody watches are ignored",
     0,
     {{'I',
       "\"schema\":\"public\",\"table\":\"t\",\"columns\":["
       "{\"name\":\"id\",\"value\":1},{\"name\":\"user_id\",\"value\":42}]"},
      {'I', "\"schema\":\"public\",\"table\":\"user_events\",\"columns\":["
            "{\"name\":\"user_id\",\"value\":42}]"},
      {'I', "\"schema\":\"we\\\"ird\",\"table\":\"comments\",\"columns\":["
            "{\"name\":\"user_id\",\"value\":42}]"}},
     {{NULL, 0}},
     0,
     42},
    {"one transaction, two groups, one xid pending",
     0,
     {{'I', COMMENT_42}, {'I', PLAY_OF("7")}, {'I', PLAY_OF("8")}},
     {{"c", 42}, {"plays", 42}},
     0,
     42},
};

static void
test_apply_routes(void **state)
{
	static const char *const groups[] = {"plays", "prof", "c"};
	const Lsn lsn = 0x1500000;
	const Lsn end = lsn + 0x130;

	(void)state;
	for (size_t i = 0; i < sizeof(route_cases) / sizeof(route_cases[0]); i++)
	{
		const RouteCase *c = &route_cases[i];
		Fixture *fx = fx_create();
		size_t ndirty = 0;
		int64_t owner = 0;

		print_message("case: %s\n", c->name);
		if (c->saturated != 0)
		{
			sched_saturate(fx_group(fx, "plays"), &c->saturated, 1);
		}
		fx_begin(fx, 900, lsn, end, true);
		for (int k = 0; k < 3 && c->changes[k].action != 0; k++)
		{
			assert_true(fx_change(fx, c->changes[k].action, lsn + 0x10 * k,
			                      c->changes[k].body));
		}
		fx_commit(fx, end);
		assert_false(fx_in_transaction(fx));
		assert_true(fx_received(fx) == end);
		while (ndirty < 4 && c->dirty[ndirty].group != NULL)
		{
			ndirty++;
		}
		assert_int_equal(fx_dirty_total(fx), ndirty);
		/* a dirty key holds the acknowledgement before its transaction */
		assert_true(fx_flush(fx) == (ndirty > 0 ? TEST_CONFIRMED : end));
		/* the xid waits for a visibility check once, if it dirtied */
		assert_int_equal(fx->apply.npending, ndirty > 0 ? 1 : 0);
		if (ndirty > 0)
		{
			assert_int_equal(fx->apply.pending_xids[0], 900);
		}
		assert_int_equal(fx_group(fx, "plays")->saturated_skips, c->skips);
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		{
			TestDirty got[TEST_KEYS_MAX];
			int n = fx_drain(fx_group(fx, groups[g]), got, TEST_KEYS_MAX);
			int k = 0;

			for (size_t e = 0; e < ndirty; e++)
			{
				if (strcmp(c->dirty[e].group, groups[g]) != 0)
				{
					continue;
				}
				assert_true(k < n);
				assert_int_equal(got[k].key, c->dirty[e].key);
				assert_true(got[k].safe_lsn == TEST_CONFIRMED);
				assert_true(got[k].commit_lsn == end);
				assert_int_equal(got[k].commit_us, TEST_COMMIT_US);
				k++;
			}
			assert_int_equal(n, k);
		}
		assert_true(lookup_get(&fx->apply.lookups[0], 7, &owner));
		assert_int_equal(owner, c->track_7_owner);
		fx_destroy(fx);
	}
}

/*
 * The track_owner lookup follows the stream: a new track, an owner change
 * and a delete decide whom the next play dirties.
 */
static void
test_apply_lookup_follows(void **state)
{
	Fixture *fx = *state;
	Group *plays = fx_group(fx, "plays");
	const int64_t owner_50[] = {50};
	const int64_t owner_51[] = {51};
	const int64_t owners[] = {51, 50};
	int64_t owner = 0;

	fx_txn1(fx, 900, 0x1500000, 'I', TRACK_ROW("9", "50"));
	fx_expect_keys(plays, owner_50, 1);
	assert_true(lookup_get(&fx->apply.lookups[0], 9, &owner));
	assert_int_equal(owner, 50);
	fx_txn1(fx, 901, 0x1600000, 'I', PLAY_OF("9"));
	fx_expect_keys(plays, owner_50, 1);

	fx_txn1(fx, 902, 0x1700000, 'U',
	        TRACK_ROW("9", "51") ",\"identity\":" TRACK("9", "50"));
	fx_expect_keys(plays, owners, 2);
	fx_txn1(fx, 903, 0x1800000, 'I', PLAY_OF("9"));
	fx_expect_keys(plays, owner_51, 1);

	fx_txn1(fx, 904, 0x1900000, 'D',
	        "\"schema\":\"public\",\"table\":\"tracks\",\"identity\":" TRACK(
	            "9", "51"));
	fx_expect_keys(plays, owner_51, 1);
	assert_false(lookup_get(&fx->apply.lookups[0], 9, &owner));
	fx_txn1(fx, 905, 0x1a00000, 'I', PLAY_OF("9"));
	assert_int_equal(fx_dirty_total(fx), 0);
	/* the pending xids: those that dirtied something, in commit order */
	assert_int_equal(fx->apply.npending, 5);
	assert_int_equal(fx->apply.pending_xids[4], 904);
}

/*
 * Two dirty rules on one column through two lookups (the seller of a
 * purchase: its content_id as a track and as a playlist): each maps the
 * value through its own lookup, so a purchase dirties the owner in each
 * map that has the id, and nobody when neither has it; the second lookup
 * follows its own table.
 */
static void
test_apply_two_lookups_one_column(void **state)
{
	static const char text[] =
	    "[lookup track_owner]\n"
	    "table = public.tracks\n"
	    "key = track_id\n"
	    "value = owner_id\n"
	    "[lookup playlist_owner]\n"
	    "table = public.playlists\n"
	    "key = playlist_id\n"
	    "value = playlist_owner_id\n"
	    "[processor s]\n"
	    "challenge = s\n"
	    "sql = audio_matching_seller\n"
	    "dirty = public.sol_purchases.content_id -> track_owner\n"
	    "dirty = public.sol_purchases.content_id -> playlist_owner\n"
	    "dirty = public.playlists.playlist_owner_id\n";
#define PURCHASE_OF(content)                                                   \
	"\"schema\":\"public\",\"table\":\"sol_purchases\",\"columns\":["          \
	"{\"name\":\"signature\",\"value\":\"x\"},"                                \
	"{\"name\":\"content_id\",\"value\":" content "},"                         \
	"{\"name\":\"buyer_user_id\",\"value\":99}]"
	Fixture *fx = fx_create_from(text);
	Group *s = fx_group(fx, "s");
	const int64_t both[] = {42, 43};
	const int64_t playlist_only[] = {44};
	const int64_t new_owner[] = {45};

	(void)state;
	assert_int_equal(fx->config.nlookups, 2);
	assert_int_equal(s->config->nrules, 3);
	/* track 7 is 42's, playlist 7 is 43's, playlist 8 is 44's */
	apply_lookup_set(&fx->apply, 0, 7, 42);
	apply_lookup_set(&fx->apply, 1, 7, 43);
	apply_lookup_set(&fx->apply, 1, 8, 44);
	fx_txn1(fx, 900, 0x1500000, 'I', PURCHASE_OF("7"));
	fx_expect_keys(s, both, 2);
	fx_txn1(fx, 901, 0x1600000, 'I', PURCHASE_OF("8"));
	fx_expect_keys(s, playlist_only, 1);
	fx_txn1(fx, 902, 0x1700000, 'I', PURCHASE_OF("9"));
	assert_int_equal(fx_dirty_total(fx), 0);
	/* playlist 9 arrives: its owner is dirtied, and then found */
	fx_txn1(fx, 903, 0x1800000, 'I',
	        "\"schema\":\"public\",\"table\":\"playlists\",\"columns\":["
	        "{\"name\":\"playlist_id\",\"value\":9},"
	        "{\"name\":\"playlist_owner_id\",\"value\":45}]");
	fx_expect_keys(s, new_owner, 1);
	fx_txn1(fx, 904, 0x1900000, 'I', PURCHASE_OF("9"));
	fx_expect_keys(s, new_owner, 1);
	fx_destroy(fx);
#undef PURCHASE_OF
}

/*
 * Over transactions: a key keeps the safe_lsn of its first dirtying and
 * takes the newest commit position; a key first dirtied later holds only
 * what came after the earlier commit; a batch commits and the hold moves.
 */
static void
test_apply_positions(void **state)
{
	Fixture *fx = *state;
	Group *c = fx_group(fx, "c");
	const Lsn end1 = 0x1500130;
	const Lsn end2 = 0x1600130;
	const Lsn end3 = 0x1700130;
	TestDirty got[TEST_KEYS_MAX];
	Batch *batch;

	fx_txn1(fx, 900, 0x1500000, 'I', COMMENT_42);
	assert_true(fx_received(fx) == end1);
	assert_true(fx_flush(fx) == TEST_CONFIRMED);

	fx_begin(fx, 901, 0x1600000, end2, true);
	assert_true(fx_change(fx, 'I', 0x1600000, COMMENT_42));
	assert_true(
	    fx_change(fx, 'I', 0x1600010,
	              "\"schema\":\"public\",\"table\":\"comments\",\"columns\":["
	              "{\"name\":\"user_id\",\"value\":43}]"));
	/* received moves at the commit only */
	assert_true(fx_received(fx) == end1);
	fx_commit(fx, end2);
	assert_true(fx_received(fx) == end2);
	assert_true(fx_flush(fx) == TEST_CONFIRMED);
	assert_int_equal(fx->apply.npending, 2);
	assert_int_equal(fx->apply.pending_xids[0], 900);
	assert_int_equal(fx->apply.pending_xids[1], 901);

	/* the recompute takes the batch: still held until it commits */
	batch = sched_take(c, fx_received(fx));
	assert_int_equal(batch->nkeys, 2);
	assert_int_equal(batch->keys[0], 42);
	assert_int_equal(batch->keys[1], 43);
	assert_true(batch->safe_lsn == TEST_CONFIRMED);
	assert_true(batch->commit_lsn == end2);
	assert_true(batch->upto_lsn == end2);
	assert_true(fx_flush(fx) == TEST_CONFIRMED);
	apply_pending_consume(&fx->apply, 2);
	assert_int_equal(fx->apply.npending, 0);

	/* while in flight, 42 is dirtied again, without include-lsn */
	fx_begin(fx, 902, 0x1700000, end3, false);
	assert_true(fx_change(fx, 'I', 0x1700000, COMMENT_42));
	fx_commit(fx, end3);
	assert_true(fx_flush(fx) == TEST_CONFIRMED);
	sched_done(c);
	/* the batch committed: the hold is now the new dirtying's */
	assert_true(fx_flush(fx) == end2);
	assert_int_equal(fx_drain(c, got, TEST_KEYS_MAX), 1);
	assert_int_equal(got[0].key, 42);
	assert_true(got[0].safe_lsn == end2);
	assert_true(got[0].commit_lsn == LSN_INVALID);
	assert_true(fx_flush(fx) == end3);
	assert_true(ack_is_idle(&fx->ack));
}

/*
 * A keepalive, and a non-transactional logical message, move the received
 * position outside a transaction only, and never back.
 */
static void
test_apply_keepalive(void **state)
{
	Fixture *fx = *state;
	const Lsn end = 0x1700130;
	char line[TEST_LINE_MAX];
	TestDirty got[TEST_KEYS_MAX];

	fx_keepalive(fx, 0x1100000);
	assert_true(fx_received(fx) == 0x1100000);
	assert_true(fx_flush(fx) == 0x1100000);
	fx_keepalive(fx, 0x1080000);
	assert_true(fx_received(fx) == 0x1100000);

	fx_begin(fx, 900, 0x1600000, end, true);
	assert_true(fx_in_transaction(fx));
	assert_false(ack_is_idle(&fx->ack));
	fx_keepalive(fx, 0x1650000);
	assert_true(fx_received(fx) == 0x1100000);
	assert_true(fx_change(fx, 'I', 0x1600000, COMMENT_42));
	/* a transactional message is part of the transaction */
	assert_true(fx_feed(fx, 0x1600100,
	                    "{\"action\":\"M\",\"xid\":900,\"timestamp\":"
	                    "\"" TEST_TIMESTAMP "\",\"lsn\":\"0/1600100\","
	                    "\"transactional\":true,\"prefix\":\"reckon\","
	                    "\"content\":\"x\"}"));
	assert_true(fx_received(fx) == 0x1100000);
	fx_commit(fx, end);
	assert_true(fx_received(fx) == end);

	fx_keepalive(fx, 0x1800000);
	assert_true(fx_received(fx) == 0x1800000);
	assert_true(fx_flush(fx) == 0x1100000);
	snprintf(line, sizeof(line), "%s",
	         "{\"action\":\"M\",\"xid\":null,\"timestamp\":null,"
	         "\"lsn\":\"0/1900000\",\"transactional\":false,"
	         "\"prefix\":\"reckon\",\"content\":\"not transactional\"}");
	assert_true(fx_feed(fx, 0x1900000, line));
	assert_true(fx_received(fx) == 0x1900000);

	/* 42 was dirtied after the first keepalive: that is its safe_lsn */
	assert_int_equal(fx_drain(fx_group(fx, "c"), got, TEST_KEYS_MAX), 1);
	assert_true(got[0].safe_lsn == 0x1100000);
	assert_true(fx_flush(fx) == 0x1900000);
	assert_true(ack_is_idle(&fx->ack));
}

/*
 * A reconnect cuts a transaction off: the server sends it again from its
 * B. Keys it dirtied stay dirty, holding the same position, and keepalives
 * count again.
 */
static void
test_apply_stream_restart(void **state)
{
	Fixture *fx = *state;
	const Lsn end = 0x1500130;
	TestDirty got[TEST_KEYS_MAX];

	fx_begin(fx, 900, 0x1500000, end, true);
	assert_true(fx_change(fx, 'I', 0x1500000, COMMENT_42));
	fx_restart(fx);
	assert_false(fx_in_transaction(fx));
	assert_true(fx_received(fx) == TEST_CONFIRMED);
	/* a change without its B after the restart is refused */
	assert_false(fx_change(fx, 'I', 0x1500000, COMMENT_42));
	fx_keepalive(fx, 0x1400000);
	assert_true(fx_received(fx) == 0x1400000);
	assert_true(fx_flush(fx) == TEST_CONFIRMED);

	fx_begin(fx, 900, 0x1500000, end, true);
	assert_true(fx_change(fx, 'I', 0x1500000, COMMENT_42));
	fx_commit(fx, end);
	assert_true(fx_received(fx) == end);
	assert_true(fx->apply.npending >= 1);
	assert_int_equal(fx->apply.pending_xids[fx->apply.npending - 1], 900);
	assert_int_equal(fx_drain(fx_group(fx, "c"), got, TEST_KEYS_MAX), 1);
	assert_int_equal(got[0].key, 42);
	assert_true(got[0].safe_lsn == TEST_CONFIRMED);
	assert_true(got[0].commit_lsn == end);
	assert_true(fx_flush(fx) == end);
}

typedef struct TruncateCase
{
	const char *name;
	const char *table;
	const char *rescan;  /* the group that rescans, or NULL */
	bool is_lookup_kept; /* track 7 still in track_owner */
} TruncateCase;

static const TruncateCase truncate_cases[] = {
    {"comments: group c rescans", "comments", "c", true},
    {"tracks: plays rescans and track_owner is emptied", "tracks", "plays",
     false},
    {"plays: plays rescans, track_owner stays", "plays", "plays", true},
    {"a table nobody watches", "t", NULL, true},
};

/* A TRUNCATE names no rows: the groups reading the table rescan. */
static void
test_apply_truncate(void **state)
{
	static const char *const groups[] = {"plays", "prof", "c"};
	const Lsn lsn = 0x1500000;
	const Lsn end = lsn + 0x130;

	(void)state;
	for (size_t i = 0; i < sizeof(truncate_cases) / sizeof(truncate_cases[0]);
	     i++)
	{
		const TruncateCase *c = &truncate_cases[i];
		Fixture *fx = fx_create();
		char body[TEST_LINE_MAX];
		int64_t owner;

		print_message("case: %s\n", c->name);
		snprintf(body, sizeof(body), "\"schema\":\"public\",\"table\":\"%s\"",
		         c->table);
		fx_txn1(fx, 900, lsn, 'T', body);
		assert_true(fx_received(fx) == end);
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		{
			Group *group = fx_group(fx, groups[g]);
			bool is_rescan =
			    c->rescan != NULL && strcmp(c->rescan, groups[g]) == 0;

			assert_int_equal(group->rescan, is_rescan);
			if (is_rescan)
			{
				assert_true(group->rescan_safe_lsn == TEST_CONFIRMED);
				assert_int_equal(group->rescan_commit_us, TEST_COMMIT_US);
			}
		}
		assert_int_equal(fx_dirty_total(fx), 0);
		/* the rescan holds the acknowledgement before the TRUNCATE */
		assert_true(fx_flush(fx) == (c->rescan ? TEST_CONFIRMED : end));
		assert_int_equal(fx->apply.npending, c->rescan ? 1 : 0);
		assert_int_equal(lookup_get(&fx->apply.lookups[0], 7, &owner),
		                 c->is_lookup_kept);
		fx_destroy(fx);
	}
}

typedef struct ErrorCase
{
	const char *name;
	const char *before[2]; /* lines applied first, each must succeed */
	const char *line;      /* must fail */
} ErrorCase;

#define ERROR_B                                                                \
	"{\"action\":\"B\",\"xid\":900,\"timestamp\":\"" TEST_TIMESTAMP "\","      \
	"\"lsn\":\"0/1500100\",\"nextlsn\":\"0/1500130\"}"
#define ERROR_I(table, columns)                                                \
	"{\"action\":\"I\",\"xid\":900,\"timestamp\":\"" TEST_TIMESTAMP "\","      \
	"\"lsn\":\"0/1500000\",\"schema\":\"public\",\"table\":\"" table "\","     \
	"\"columns\":[" columns "]}"

static const ErrorCase error_cases[] = {
    {"truncated JSON", {ERROR_B}, "{\"action\":\"I\",\"xid\":900,"},
    {"unknown action", {ERROR_B}, "{\"action\":\"Q\",\"xid\":900}"},
    {"an empty line", {ERROR_B}, ""},
    {"a change outside a transaction",
     {NULL},
     ERROR_I("comments", "{\"name\":\"user_id\",\"value\":42}")},
    {"a transaction without xid (include-xids off)",
     {"{\"action\":\"B\",\"timestamp\":\"" TEST_TIMESTAMP "\"}"},
     ERROR_I("comments", "{\"name\":\"user_id\",\"value\":42}")},
    {"the rule's column is missing",
     {ERROR_B},
     ERROR_I("comments", "{\"name\":\"comment_id\",\"value\":1}")},
    {"the user id is not a bigint",
     {ERROR_B},
     ERROR_I("comments", "{\"name\":\"user_id\",\"value\":1.5}")},
    {"the user id is out of range",
     {ERROR_B},
     ERROR_I("comments",
             "{\"name\":\"user_id\",\"value\":9223372036854775808}")},
    {"the user id is text",
     {ERROR_B},
     ERROR_I("comments", "{\"name\":\"user_id\",\"value\":\"abc\"}")},
    {"a play without its track",
     {ERROR_B},
     ERROR_I("plays", "{\"name\":\"user_id\",\"value\":99}")},
    {"a track owner that is not a bigint",
     {ERROR_B},
     ERROR_I("tracks", "{\"name\":\"track_id\",\"value\":7},"
                       "{\"name\":\"owner_id\",\"value\":true}")},
    {"a TRUNCATE a group cannot rescan (rescan_keys = none)",
     {ERROR_B},
     "{\"action\":\"T\",\"xid\":900,\"timestamp\":\"" TEST_TIMESTAMP "\","
     "\"lsn\":\"0/1500000\",\"schema\":\"public\",\"table\":\"follows\"}"},
    {"a commit with a bad nextlsn",
     {ERROR_B, ERROR_I("comments", "{\"name\":\"user_id\",\"value\":42}")},
     "{\"action\":\"C\",\"xid\":900,\"timestamp\":\"" TEST_TIMESTAMP "\","
     "\"lsn\":\"0/1500100\",\"nextlsn\":\"0/15001zz\"}"},
};

/*
 * A line apply cannot take returns false, and changes nothing that would
 * let it, or anything after it, be acknowledged.
 */
static void
test_apply_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
	{
		const ErrorCase *c = &error_cases[i];
		Fixture *fx = fx_create();
		size_t dirty;
		Lsn received;
		size_t npending;
		int64_t owner = 0;

		print_message("case: %s\n", c->name);
		for (int k = 0; k < 2 && c->before[k] != NULL; k++)
		{
			assert_true(fx_feed(fx, 0x1500000, c->before[k]));
		}
		dirty = fx_dirty_total(fx);
		received = fx_received(fx);
		npending = fx->apply.npending;

		assert_false(fx_feed(fx, 0x1500130, c->line));
		assert_int_equal(fx_dirty_total(fx), dirty);
		assert_true(fx_received(fx) == received);
		assert_true(fx_received(fx) == TEST_CONFIRMED);
		assert_true(fx_flush(fx) == TEST_CONFIRMED);
		assert_int_equal(fx->apply.npending, npending);
		for (int g = 0; g < fx->config.ngroups; g++)
		{
			assert_false(fx->groups[g].rescan);
		}
		assert_true(lookup_get(&fx->apply.lookups[0], 7, &owner));
		assert_int_equal(owner, 42);
		fx_destroy(fx);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apply_routes),
	    cmocka_unit_test(test_apply_two_lookups_one_column),
	    cmocka_unit_test_setup_teardown(test_apply_lookup_follows, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_apply_positions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_keepalive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_stream_restart, setup,
	                                    teardown),
	    cmocka_unit_test(test_apply_truncate),
	    cmocka_unit_test(test_apply_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
