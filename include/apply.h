/*
 * apply.h: applies decoded wal2json messages to the dirty sets, the lookup
 * maps and the acknowledgement state.
 *
 * Pipeline: stream -> decode -> [apply] -> dirty -> sched, and -> ack:
 * it reports each commit and keepalive to the daemon's Ack. For each row
 * change of a table a group watches, apply dirties the key each rule
 * names, from the new row and from the old row when the message carries
 * one (so an ownership change dirties both owners). It also remembers the
 * transaction ids of commits that dirtied something until a recompute has
 * seen them visible: the stream delivers a commit as soon as its WAL is
 * flushed, which can be before its effects are visible to new snapshots.
 * No I/O here: the stream calls in, the daemon hands recompute the
 * pending ids. It never decides what may be confirmed (ack.h does).
 */
#ifndef RECKON_APPLY_H
#define RECKON_APPLY_H

#include "ack.h"
#include "common.h"
#include "config.h"
#include "decode.h"
#include "lookup.h"
#include "metrics.h"
#include "sched.h"

/*
 * The prefix of the daemon's heartbeat messages (pg_logical_emit_message),
 * whose content is the wall-clock time they were sent, in Unix
 * microseconds. Messages with any other prefix are not ours and ignored.
 */
#define APPLY_HEARTBEAT_PREFIX "reckon.heartbeat"

typedef struct ApplyTable ApplyTable;

/* What apply has received, for the stats line and /metrics. */
typedef struct ApplyStats
{
	int64_t messages;
	int64_t changes;
	int64_t transactions;   /* commits received */
	int64_t last_commit_us; /* commit time of the last commit received */
	/* the last heartbeat received: now minus the time it was sent */
	bool has_heartbeat;
	int64_t heartbeat_latency_us;
} ApplyStats;

typedef struct Apply
{
	const Config *config; /* borrowed */
	Group *groups;        /* borrowed, ngroups of them */
	int ngroups;
	Lookup lookups[CONFIG_LOOKUPS_MAX]; /* owned, config->nlookups */
	ApplyTable *tables;                 /* owned, config->ntables */
	Decoder *decoder;                   /* owned */
	Ack *ack;                           /* borrowed: commits go there */

	/* the transaction being received */
	bool has_xid;
	uint32_t xid;
	int64_t commit_us;
	Lsn commit_lsn; /* end of its commit record (B's "nextlsn") */
	bool txn_dirtied;

	/* xids of received commits that dirtied keys, not yet seen visible */
	uint32_t *pending_xids; /* owned */
	size_t npending;
	size_t pending_capacity;

	ApplyStats stats;
} Apply;

/*
 * apply_init: build the table routing; commits and keepalives go to ack
 * (borrowed, already initialised); false (logged) on OOM.
 */
bool apply_init(Apply *apply, const Config *config, Group *groups, int ngroups,
                Ack *ack) WARN_UNUSED;
void apply_free(Apply *apply);

/*
 * apply_reconfigure: route by a reloaded configuration whose lookups and
 * tables are those of the running one (config_reload_check); the groups
 * array given to apply_init now holds config's groups, in its order. Keeps
 * the lookups, the pending transaction ids and the counters. Aborts through the
 * OOM handler.
 */
void apply_reconfigure(Apply *apply, const Config *config);

/*
 * apply_table_counts: the index-th table routed (0 up), its names and its
 * row messages by MetricsAction; false past the last one (or before
 * apply_init).
 */
bool apply_table_counts(const Apply *apply, int index, const char **schema,
                        const char **table, const int64_t **counts);

/*
 * apply_message: one wal2json message that started at lsn (for a commit,
 * the end of the commit record, which is what may be confirmed; for a
 * non-transactional logical message, the end of its record). Returns
 * false after logging when the message is malformed or cannot be applied:
 * nothing at or after it may be acknowledged. A heartbeat (prefix
 * APPLY_HEARTBEAT_PREFIX) is logged with its latency; other logical
 * messages are ignored.
 */
bool apply_message(Apply *apply, Lsn lsn, const char *data,
                   size_t len) WARN_UNUSED;

/* apply_keepalive: the server has sent everything before wal_end. */
void apply_keepalive(Apply *apply, Lsn wal_end);

/* apply_stream_restarted: forget a transaction cut off by a reconnect. */
void apply_stream_restarted(Apply *apply);

/*
 * apply_pending: the xids of received commits that dirtied keys and have
 * not been seen visible yet, *n of them; borrowed until apply is next
 * called (a message may move them).
 */
const uint32_t *apply_pending(const Apply *apply, size_t *n);

/* apply_stats: what apply has received so far (borrowed). */
const ApplyStats *apply_stats(const Apply *apply);

/* apply_pending_consume: the first n pending xids were seen visible. */
void apply_pending_consume(Apply *apply, size_t n);

/* apply_lookup_reserve: size lookup number index for n entries. */
void apply_lookup_reserve(Apply *apply, int index, size_t n);

/* apply_lookup_set: used by the initial load of lookup number index. */
void apply_lookup_set(Apply *apply, int index, int64_t key, int64_t value);

#endif
