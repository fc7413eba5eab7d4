/*
 * daemon.c: the event loop. One thread: the replication socket and the
 * recompute connection are multiplexed, and while a recompute statement
 * runs, daemon_wait() keeps reading the stream and answering keepalives, so
 * a long recompute never trips wal_sender_timeout. The stream only fills
 * dirty sets; batches are started here and nowhere else.
 *
 * Pipeline: it ties stream -> decode -> apply -> dirty -> sched ->
 * recompute -> ack together, owning each stage's state (Apply and Ack side
 * by side) and reading it only through the stages' functions. It must
 * never compute a position to confirm itself (ack.c does), nor run SQL
 * other than through a stage (session, recompute, slot, catalog,
 * heartbeat). The reload (reload.c), the backfills (backfill_run.c) and
 * the report (report.c) live beside it.
 */
#include "daemon.h"

#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "daemon"
#include "ack.h"
#include "apply.h"
#include "backfill_run.h"
#include "catalog.h"
#include "heartbeat.h"
#include "http.h"
#include "loaders.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "recompute.h"
#include "reload.h"
#include "report.h"
#include "session.h"
#include "slot.h"
#include "stream.h"
#include "trending.h"

/* The snapshot /metrics serves is at most this old while the loop runs. */
#define DAEMON_PUBLISH_US (100 * 1000)
/* A busy slot's holder is logged when the wait starts, then this often. */
#define DAEMON_BUSY_LOG_US (10 * 1000 * 1000)

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t reload_requested = 0;

static void
daemon_on_signal(int signo)
{
	if (signo == SIGHUP)
	{
		reload_requested = 1;
		return;
	}
	stop_requested = 1;
}

typedef struct Daemon
{
	const Config *config;     /* borrowed from main, or owned_config */
	Config *owned_config;     /* owned: the last configuration reloaded */
	DaemonLoadFn load;        /* builds a configuration again on SIGHUP */
	void *load_arg;           /* borrowed */
	MetricsSnapshot *metrics; /* owned: counters, published for /metrics */
	int64_t publish_due_us;
	Http *http;             /* owned; NULL when metrics_addr is "" */
	bool was_streaming;     /* for counting reconnects */
	bool is_ready_notified; /* READY=1 sent to the service manager */
	Pipeline pipe;          /* the processors and groups */
	Apply apply;
	Ack ack;        /* the confirmable position; apply reports to it */
	Stream *stream; /* owned */
	Recompute rc;
	bool is_fatal; /* the stream hit something it cannot pass */
	int stream_failures;
	int64_t stream_retry_us;
	int64_t stream_busy_since_us;  /* slot busy since, 0 if not */
	int64_t stream_busy_logged_us; /* when its holder was last logged */
	Lsn start_confirmed;           /* the slot's confirmed_flush at start */
	int sql_failures;
	int64_t sql_retry_us;
	int64_t stats_due_us;
	int64_t endpos_poke_us;
	TrendingJob trending; /* the hourly job's child */
	Heartbeat heartbeat;
} Daemon;

/* The recompute session's connection, for the slot and catalog queries. */
static Pgconn *
daemon_conn(Daemon *d)
{
	return session_conn(recompute_session(&d->rc));
}

static bool
daemon_on_data(void *arg, Lsn lsn, const char *data, size_t len)
{
	Daemon *d = arg;

	return apply_message(&d->apply, lsn, data, len);
}

static void
daemon_on_keepalive(void *arg, Lsn wal_end)
{
	Daemon *d = arg;

	apply_keepalive(&d->apply, wal_end);
}

static Lsn
daemon_flush_lsn(void *arg)
{
	Daemon *d = arg;

	return ack_flush_lsn(&d->ack);
}

/*
 * Backpressure: a full dirty set, or too many commits waiting for a
 * visibility check, stops reading until recomputes catch up. Status
 * updates keep going, so the server does not time us out meanwhile.
 */
static bool
daemon_can_read(void *arg)
{
	Daemon *d = arg;
	size_t npending;

	(void)apply_pending(&d->apply, &npending);
	return !sched_is_full(d->pipe.groups, d->pipe.ngroups,
	                      d->config->dirty_keys_max) &&
	       (int64_t)npending < d->config->dirty_keys_max;
}

/*
 * daemon_confirmed: the slot's confirmed position as far as we know: the
 * last flush position reported, or what the slot said at start.
 */
static Lsn
daemon_confirmed(const Daemon *d)
{
	Lsn sent = stream_sent_flush_lsn(d->stream);

	return sent > d->start_confirmed ? sent : d->start_confirmed;
}

/*
 * daemon_publish: refresh the snapshot /metrics and the probes read, at
 * most every DAEMON_PUBLISH_US unless forced (a change of state). Called
 * from the loop and from daemon_wait(), so it stays fresh during a long
 * recompute statement too.
 */
static void
daemon_publish(Daemon *d, bool force)
{
	MetricsSnapshot *m = d->metrics;
	int64_t now_us = common_monotonic_us();
	const char *schema;
	const char *table;
	const int64_t *counts;

	if (!force && now_us < d->publish_due_us)
	{
		return;
	}
	d->publish_due_us = now_us + DAEMON_PUBLISH_US;
	m->health_max_lag_ms = d->config->health_max_lag_ms;
	m->is_stopping = stop_requested != 0;
	m->is_sql_connected = recompute_is_connected(&d->rc);
	m->is_streaming =
	    d->stream != NULL && stream_is_connected(d->stream) && !d->is_fatal;
	m->received = ack_received(&d->ack);
	m->flushed = d->stream != NULL ? daemon_confirmed(d) : d->start_confirmed;
	m->server_end = d->stream != NULL ? stream_server_lsn(d->stream) : 0;
	m->is_caught_up = ack_is_idle(&d->ack) && m->received >= m->server_end;
	m->last_commit_unix_us = apply_stats(&d->apply)->last_commit_us;
	m->transactions = apply_stats(&d->apply)->transactions;
	m->has_read_server = d->config->read_dsn != NULL;
	replica_counts(recompute_replica(&d->rc), &m->read_batches,
	               &m->read_fallbacks);
	m->ntables = 0;
	for (int i = 0; apply_table_counts(&d->apply, i, &schema, &table, &counts);
	     i++)
	{
		MetricsTable *t = &m->tables[m->ntables++];

		snprintf(t->name, sizeof(t->name), "%s.%s", schema, table);
		memcpy(t->counts, counts, sizeof(t->counts));
	}
	report_metrics(&d->pipe, m);
	metrics_publish(m);
}

/*
 * After START_REPLICATION failed: the server's message may be translated,
 * and 55000 has other causes, so when the stream could not tell, ask
 * pg_replication_slots, which does not depend on the language. Only from
 * the loop itself: inside daemon_wait() the SQL connection may be busy.
 */
static StreamSlotError
daemon_start_slot_error(Daemon *d)
{
	StreamSlotError error = stream_slot_error(d->stream);
	SlotInfo info;

	if (error != STREAM_SLOT_OK || !recompute_is_connected(&d->rc) ||
	    slot_inspect(daemon_conn(d), d->config->slot, &info) != PGCONN_OK)
	{
		return error;
	}
	if (!info.exists)
	{
		return STREAM_SLOT_MISSING;
	}
	if (strcmp(info.wal_status, "lost") == 0)
	{
		return STREAM_SLOT_INVALIDATED;
	}
	return STREAM_SLOT_OK;
}

/*
 * A slot that is gone or has lost its WAL stops reckon for good: never
 * recreate it silently, as the changes it held are lost and only a full
 * recompute puts the derived rows right again.
 */
static void
daemon_slot_fatal(Daemon *d, StreamSlotError error)
{
	switch (error)
	{
		case STREAM_SLOT_MISSING:
			log_fatal("replication slot \"%s\" no longer exists (dropped while "
			          "reckon was running): the changes after its last "
			          "confirmed position %X/%X cannot be recovered from it; "
			          "%s",
			          d->config->slot, LSN_FORMAT_ARGS(daemon_confirmed(d)),
			          slot_lost_steps());
			break;
		case STREAM_SLOT_INVALIDATED:
			log_fatal("replication slot \"%s\" was invalidated (the WAL it "
			          "still needed is gone, see max_slot_wal_keep_size; "
			          "confirmed up to %X/%X): %s",
			          d->config->slot, LSN_FORMAT_ARGS(daemon_confirmed(d)),
			          slot_lost_steps());
			break;
		case STREAM_SLOT_OK:
		case STREAM_SLOT_BUSY:
			/* error already logged */
			break;
	}
	d->is_fatal = true;
}

static void
daemon_handle_stream_state(Daemon *d, StreamState state)
{
	if (state == STREAM_FATAL)
	{
		daemon_slot_fatal(d, stream_slot_error(d->stream));
	}
	else if (state == STREAM_LOST)
	{
		metrics_count_error(d->metrics, METRICS_SOURCE_REPLICATION,
		                    "connection");
		apply_stream_restarted(&d->apply);
		d->stream_failures++;
		d->stream_retry_us =
		    common_monotonic_us() +
		    sched_backoff_ms(d->stream_failures, d->config->reconnect_min_ms,
		                     d->config->reconnect_max_ms) *
		        1000;
	}
}

/* The stats line (report.c), from the loop and at the end. */
static void
daemon_stats(Daemon *d)
{
	report_stats(d->config, &d->pipe, &d->ack, apply_stats(&d->apply),
	             stream_server_lsn(d->stream), recompute_replica(&d->rc));
}

/* PgconnWaitFn: serve the stream while the recompute connection works. */
static void
daemon_wait(void *arg, int fd, int64_t timeout_ms)
{
	Daemon *d = arg;

	daemon_publish(d, false);
	if (stream_is_connected(d->stream) && !d->is_fatal)
	{
		daemon_handle_stream_state(d,
		                           stream_service(d->stream, fd, timeout_ms));
		/* what this wait received or confirmed, if the snapshot is due */
		daemon_publish(d, false);
		return;
	}
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	(void)poll(&pfd, fd >= 0 ? 1 : 0,
	           timeout_ms > 1000 ? 1000 : (int)timeout_ms);
}

/*
 * daemon_slot_holder: who holds the slot, asked on the SQL connection (the
 * replication connection is the one that failed).
 */
static void
daemon_slot_holder(Daemon *d, char *buf, size_t size)
{
	if (!recompute_is_connected(&d->rc))
	{
		snprintf(buf, size, "another process (the SQL connection is down)");
		return;
	}
	slot_describe_holder(daemon_conn(d), d->config->slot, buf, size);
	if (strcmp(buf, "no process") == 0)
	{
		snprintf(buf, size, "a process that has released it since");
	}
}

/*
 * The walsender of a killed predecessor may hold the slot until the server
 * notices the dead connection, or another consumer may have taken it: wait,
 * but not forever, and say who holds it when the wait starts and every
 * DAEMON_BUSY_LOG_US after.
 */
static void
daemon_slot_busy(Daemon *d, int64_t now_us)
{
	char holder[SLOT_TEXT_MAX + 64];
	int64_t busy_ms;
	int64_t deadline_us;

	if (d->stream_busy_since_us == 0)
	{
		d->stream_busy_since_us = now_us;
		d->stream_busy_logged_us = 0;
	}
	busy_ms = (now_us - d->stream_busy_since_us) / 1000;
	if (busy_ms >= d->config->slot_busy_timeout_ms)
	{
		daemon_slot_holder(d, holder, sizeof(holder));
		log_fatal("replication slot \"%s\" still in use by another process "
		          "after %lld ms (slot_busy_timeout): held by %s",
		          d->config->slot, (long long)busy_ms, holder);
		d->is_fatal = true;
		return;
	}
	if (d->stream_busy_logged_us == 0 ||
	    now_us - d->stream_busy_logged_us >= DAEMON_BUSY_LOG_US)
	{
		daemon_slot_holder(d, holder, sizeof(holder));
		log_warn("replication slot \"%s\" is in use by %s: retrying for up "
		         "to %lld ms more (slot_busy_timeout; SQLSTATE 55006)",
		         d->config->slot, holder,
		         (long long)(d->config->slot_busy_timeout_ms - busy_ms));
		d->stream_busy_logged_us = now_us;
	}
	daemon_handle_stream_state(d, STREAM_LOST);
	/* the backoff must not carry the last attempt far past the timeout */
	deadline_us =
	    d->stream_busy_since_us + d->config->slot_busy_timeout_ms * 1000;
	if (d->stream_retry_us > deadline_us)
	{
		d->stream_retry_us = deadline_us;
	}
}

/*
 * daemon_pause_stream: without its SQL connection reckon cannot recompute,
 * so it cannot confirm what it receives, and a walsender kept waiting for a
 * confirmation holds up the server: a fast shutdown ends the backends (our
 * SQL connection among them) first, then waits for every walsender's client
 * to confirm all WAL sent before it can finish. So while the SQL
 * connection is down the stream is closed too (after a last status
 * update); it starts again from the slot's confirmed position once the SQL
 * connection is back. Dirty keys stay in memory meanwhile.
 */
static void
daemon_pause_stream(Daemon *d)
{
	if (recompute_is_connected(&d->rc) || !stream_is_connected(d->stream))
	{
		return;
	}
	log_warn("the SQL connection is lost: closing the replication connection "
	         "as well until it is back, so that the server does not wait "
	         "for a position reckon cannot confirm");
	stream_finish(d->stream);
	apply_stream_restarted(&d->apply);
}

static void
daemon_try_stream(Daemon *d, int64_t now_us)
{
	PgconnStatus status;

	/* see daemon_pause_stream */
	if (stream_is_connected(d->stream) || now_us < d->stream_retry_us ||
	    !recompute_is_connected(&d->rc))
	{
		return;
	}
	status = stream_start(d->stream);
	if (status == PGCONN_OK)
	{
		if (d->stream_busy_since_us != 0)
		{
			log_info("replication slot \"%s\" was released after %lld ms",
			         d->config->slot,
			         (long long)(now_us - d->stream_busy_since_us) / 1000);
		}
		d->stream_failures = 0;
		d->stream_busy_since_us = 0;
		apply_stream_restarted(&d->apply);
		if (d->was_streaming)
		{
			d->metrics->reconnects_replication++;
		}
		d->was_streaming = true;
		if (!d->is_ready_notified)
		{
			(void)notify_send("READY=1\nSTATUS=streaming");
			d->is_ready_notified = true;
		}
		daemon_publish(d, true);
		return;
	}
	if (status == PGCONN_FAIL)
	{
		daemon_slot_fatal(d, daemon_start_slot_error(d));
		return;
	}
	if (stream_slot_error(d->stream) == STREAM_SLOT_BUSY)
	{
		daemon_slot_busy(d, now_us);
		return;
	}
	daemon_handle_stream_state(d, STREAM_LOST);
}

static void
daemon_try_sql(Daemon *d, int64_t now_us)
{
	PgconnStatus status;

	if (recompute_is_connected(&d->rc) || now_us < d->sql_retry_us)
	{
		return;
	}
	status = recompute_connect(&d->rc, d->pipe.procs, d->pipe.nprocs);
	if (status == PGCONN_OK)
	{
		d->sql_failures = 0;
		d->metrics->reconnects_sql++;
		daemon_publish(d, true);
		return;
	}
	metrics_count_error(d->metrics, METRICS_SOURCE_SQL, "connection");
	d->sql_failures++;
	d->sql_retry_us =
	    now_us + sched_backoff_ms(d->sql_failures, d->config->reconnect_min_ms,
	                              d->config->reconnect_max_ms) *
	                 1000;
}

/* A batch failed: its keys stay in flight and hold the ack back. */
static void
daemon_batch_failed(Daemon *d, Group *g, const Batch *batch)
{
	char class_[3];

	metrics_count_error(d->metrics, METRICS_SOURCE_RECOMPUTE,
	                    session_error_class(recompute_session(&d->rc), class_));
	int64_t delay_ms =
	    sched_failed(g, common_monotonic_us(), d->config->retry_min_ms,
	                 d->config->retry_max_ms);
	log_warn("group \"%s\": batch of %d keys failed (attempt %d), "
	         "retrying in %lld ms",
	         sched_group_name(g), batch->nkeys, sched_group_failures(g),
	         (long long)delay_ms);
	if (sched_group_failures(g) >= 5 && sched_group_failures(g) % 5 == 0)
	{
		log_error("group \"%s\" has failed %d times in a row; its keys stay "
		          "dirty and the acknowledged position cannot pass them",
		          sched_group_name(g), sched_group_failures(g));
	}
}

/*
 * One batch of g: the commits it acknowledges made visible first (then
 * apply forgets them), then recompute runs it; sched marks it done.
 */
static void
daemon_run_batch(Daemon *d, Group *g)
{
	Batch *batch = sched_take(g, ack_received(&d->ack));
	size_t npending;
	const uint32_t *pending = apply_pending(&d->apply, &npending);
	PgconnStatus status = recompute_wait_visible(&d->rc, pending, npending);

	if (status == PGCONN_OK)
	{
		apply_pending_consume(&d->apply, npending);
		status = recompute_run(&d->rc, g, batch);
	}
	if (status != PGCONN_OK)
	{
		/* error already logged */
		daemon_batch_failed(d, g, batch);
		return;
	}
	if (sched_done(g))
	{
		log_info("group \"%s\": rescan done, %" PRId64 " keys "
		         "recomputed after the TRUNCATE",
		         sched_group_name(g), sched_rescan_keys_done(g));
	}
}

/*
 * daemon_heartbeat: emit a heartbeat when one is due (heartbeat.c), with
 * both connections up: while its statement runs, daemon_wait() serves the
 * stream as during a recompute.
 */
static void
daemon_heartbeat(Daemon *d, int64_t now_us)
{
	heartbeat_tick(
	    &d->heartbeat, d->config, recompute_session(&d->rc), d->metrics, now_us,
	    recompute_is_connected(&d->rc) && stream_is_connected(d->stream));
}

/*
 * --endpos: done once the confirmed position has reached it. When idle, ask
 * the server for a keepalive now and then: its WAL end is what carries the
 * position past the last commit.
 */
static bool
daemon_endpos_reached(Daemon *d, int64_t now_us)
{
	if (d->config->endpos == LSN_INVALID || !stream_is_connected(d->stream))
	{
		return false;
	}
	if (stream_sent_flush_lsn(d->stream) >= d->config->endpos ||
	    ack_flush_lsn(&d->ack) >= d->config->endpos)
	{
		return true;
	}
	if (ack_is_idle(&d->ack) && now_us >= d->endpos_poke_us)
	{
		d->endpos_poke_us = now_us + 100 * 1000;
		if (!stream_send_status(d->stream, true))
		{
			daemon_handle_stream_state(d, STREAM_LOST);
		}
	}
	return false;
}

static int64_t
daemon_idle_timeout_ms(Daemon *d, int64_t now_us, int64_t wait_us)
{
	int64_t timeout_us = 1000 * 1000;

	if (wait_us < timeout_us)
	{
		timeout_us = wait_us;
	}
	if (d->config->stats_interval_ms > 0 &&
	    d->stats_due_us - now_us < timeout_us)
	{
		timeout_us = d->stats_due_us - now_us;
	}
	if (d->config->heartbeat_interval_ms > 0 &&
	    d->heartbeat.due_us - now_us < timeout_us)
	{
		timeout_us = d->heartbeat.due_us - now_us;
	}
	if (d->config->endpos != LSN_INVALID && timeout_us > 100 * 1000)
	{
		timeout_us = 100 * 1000;
	}
	if (timeout_us < 0)
	{
		timeout_us = 0;
	}
	return (timeout_us + 999) / 1000;
}

/* Timers whose interval a reload changed start again from now. */
static void
daemon_reload_clocks(Daemon *d, const Config *next)
{
	int64_t now_us = common_monotonic_us();

	if (next->stats_interval_ms != d->config->stats_interval_ms)
	{
		d->stats_due_us = now_us + next->stats_interval_ms * 1000;
	}
	if (next->trending_interval_ms != d->config->trending_interval_ms)
	{
		d->trending.due_us = now_us + next->trending_interval_ms * 1000;
	}
	if (next->heartbeat_interval_ms != d->config->heartbeat_interval_ms)
	{
		d->heartbeat.due_us = now_us;
	}
}

/*
 * daemon_reload: SIGHUP, between two batches. Builds the configuration
 * again and switches to it without touching the stream: the connection,
 * the position, the lookups and the dirty keys of the groups that stay are
 * kept. A configuration that is not valid, changes what only a restart
 * can, or whose statements do not prepare is refused, and the running one
 * stays, with the reason logged (reload.c).
 */
static void
daemon_reload(Daemon *d)
{
	Config *next;

	reload_requested = 0;
	(void)notify_send("RELOADING=1\nSTATUS=reloading the configuration");
	log_info("SIGHUP: reloading the configuration");
	next = reload_configure(d->config, d->load, d->load_arg, &d->pipe, &d->rc);
	if (next != NULL)
	{
		ack_watch(&d->ack, d->pipe.groups, d->pipe.ngroups);
		apply_reconfigure(&d->apply, next);
		stream_set_config(d->stream, next);
		daemon_reload_clocks(d, next);
		log_min_level = next->log_level;
		log_format = next->log_format;
		d->config = next;
		if (d->owned_config != NULL)
		{
			config_free(d->owned_config);
			free(d->owned_config);
		}
		d->owned_config = next;
		log_info("configuration reloaded from %s: %d processors in %d "
		         "groups",
		         next->source, next->nprocessors, next->ngroups);
	}
	(void)notify_send("READY=1\nSTATUS=streaming");
	daemon_publish(d, true);
}

/*
 * Connect, check the configuration against the catalog and the slot
 * (creating and backfilling it, or finishing its backfill), load the
 * lookups. Returns the exit code: 2 for a configuration that does not
 * match the database, 1 for any other failure here.
 */
static int
daemon_setup(Daemon *d)
{
	StreamCallbacks cb = {.on_data = daemon_on_data,
	                      .on_keepalive = daemon_on_keepalive,
	                      .flush_lsn = daemon_flush_lsn,
	                      .can_read = daemon_can_read};
	Lsn confirmed = LSN_INVALID;
	PgconnStatus status;
	SlotInfo slot;
	int code;

	recompute_init(&d->rc, d->config, daemon_wait, d);
	if (recompute_connect(&d->rc, d->pipe.procs, d->pipe.nprocs) != PGCONN_OK)
	{
		return EXIT_CODE_RUNTIME;
	}
	status = catalog_check(daemon_conn(d), d->config);
	if (status != PGCONN_OK)
	{
		return status == PGCONN_FAIL ? EXIT_CODE_USAGE : EXIT_CODE_RUNTIME;
	}
	d->stream = stream_create(d->config, cb, d);
	if (slot_inspect(daemon_conn(d), d->config->slot, &slot) != PGCONN_OK)
	{
		return EXIT_CODE_RUNTIME;
	}
	if (!slot.exists && d->config->create_slot)
	{
		code = backfill_run_bootstrap(d->config, &d->rc, &d->pipe, d->stream,
		                              &confirmed, &stop_requested);
	}
	else if (!slot_check(&slot, d->config->slot, &confirmed))
	{
		code = EXIT_CODE_RUNTIME;
	}
	else
	{
		code =
		    backfill_run_resume(d->config, &d->rc, &d->pipe, &stop_requested);
	}
	if (code != EXIT_CODE_OK || stop_requested)
	{
		return code;
	}
	d->start_confirmed = confirmed;
	ack_init(&d->ack, confirmed);
	ack_watch(&d->ack, d->pipe.groups, d->pipe.ngroups);
	if (!apply_init(&d->apply, d->config, d->pipe.groups, d->pipe.ngroups,
	                &d->ack))
	{
		return EXIT_CODE_RUNTIME;
	}
	/* before the stream starts, so no batch is in flight yet */
	if (loaders_lookups(recompute_session(&d->rc), recompute_replica(&d->rc),
	                    d->config, &d->apply, confirmed) != PGCONN_OK ||
	    loaders_saturated(recompute_session(&d->rc), d->pipe.groups,
	                      d->pipe.ngroups) != PGCONN_OK)
	{
		return EXIT_CODE_RUNTIME;
	}
	report_start(d->config, &d->pipe);
	return EXIT_CODE_OK;
}

static void
daemon_loop(Daemon *d)
{
	while (!stop_requested && !d->is_fatal)
	{
		int64_t now_us = common_monotonic_us();
		int64_t wait_us = INT64_MAX;
		int next;

		if (reload_requested)
		{
			daemon_reload(d);
		}
		daemon_publish(d, false);
		daemon_try_sql(d, now_us);
		daemon_pause_stream(d);
		daemon_try_stream(d, now_us);
		if (d->is_fatal || daemon_endpos_reached(d, now_us))
		{
			break;
		}
		if (d->config->stats_interval_ms > 0 && now_us >= d->stats_due_us)
		{
			daemon_stats(d);
			d->stats_due_us = now_us + d->config->stats_interval_ms * 1000;
		}
		/* on its own clock, in a child: never in the stream's way */
		trending_tick(&d->trending, d->config, d->metrics, now_us);
		daemon_heartbeat(d, now_us);
		if (d->is_fatal)
		{
			break;
		}
		next = sched_next(d->pipe.groups, d->pipe.ngroups, now_us, &wait_us);
		if (next >= 0 && recompute_is_connected(&d->rc))
		{
			daemon_run_batch(d, &d->pipe.groups[next]);
			continue;
		}
		if (next >= 0)
		{
			wait_us = d->sql_retry_us - now_us;
		}
		/* the stream waits for the SQL connection (daemon_pause_stream) */
		if (!recompute_is_connected(&d->rc) &&
		    d->sql_retry_us - now_us < wait_us)
		{
			wait_us = d->sql_retry_us - now_us;
		}
		else if (!stream_is_connected(d->stream) &&
		         recompute_is_connected(&d->rc) &&
		         d->stream_retry_us - now_us < wait_us)
		{
			wait_us = d->stream_retry_us - now_us;
		}
		daemon_wait(d, -1, daemon_idle_timeout_ms(d, now_us, wait_us));
	}
}

/* SIGINT and SIGTERM stop, SIGHUP reloads; see daemon_on_signal(). */
static void
daemon_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* From setup to the stop: the loop, then a last status and stats line. */
static int
daemon_main(Daemon *d)
{
	const Config *config = d->config;
	int code = EXIT_CODE_OK;

	d->stats_due_us = common_monotonic_us() + config->stats_interval_ms * 1000;
	d->trending.due_us =
	    common_monotonic_us() + config->trending_interval_ms * 1000;
	d->heartbeat.due_us = common_monotonic_us();
	d->metrics->is_started = true;
	daemon_publish(d, true);
	daemon_loop(d);
	(void)notify_send("STOPPING=1\nSTATUS=stopping");
	daemon_publish(d, true);
	if (d->trending.pid > 0)
	{
		trending_stop(d->trending.pid, d->trending.fd);
	}
	if (d->is_fatal)
	{
		code = EXIT_CODE_RUNTIME;
	}
	else if (stop_requested)
	{
		log_info("stop requested: finishing");
	}
	stream_finish(d->stream);
	if (code == EXIT_CODE_OK && d->config->endpos != LSN_INVALID &&
	    stream_sent_flush_lsn(d->stream) < d->config->endpos && !stop_requested)
	{
		code = EXIT_CODE_RUNTIME;
	}
	daemon_stats(d);
	return code;
}

int
daemon_run(const Config *config, DaemonLoadFn load, void *load_arg)
{
	Daemon *d = calloc(1, sizeof(Daemon));
	int code = EXIT_CODE_OK;

	if (d == NULL || (d->metrics = calloc(1, sizeof(MetricsSnapshot))) == NULL)
	{
		common_out_of_memory("the daemon");
	}
	daemon_signals();
	d->load = load;
	d->load_arg = load_arg;
	d->metrics->start_unix_us = common_now_us();
	d->config = config;
	sched_pipeline_init(&d->pipe, config);
	daemon_publish(d, true);
	/* first, so a probe answers "starting" while the set-up waits */
	if (config->metrics_addr[0] != '\0')
	{
		d->http = http_start(config->metrics_addr);
		code = d->http == NULL ? EXIT_CODE_RUNTIME : EXIT_CODE_OK;
	}
	if (code == EXIT_CODE_OK)
	{
		code = daemon_setup(d);
	}
	if (code == EXIT_CODE_OK && stop_requested)
	{
		log_info("stop requested during the start: nothing streamed yet");
	}
	else if (code == EXIT_CODE_OK)
	{
		code = daemon_main(d);
	}
	http_stop(d->http);
	stream_destroy(d->stream);
	recompute_free(&d->rc);
	apply_free(&d->apply);
	sched_pipeline_free(&d->pipe);
	if (d->owned_config != NULL)
	{
		config_free(d->owned_config);
		free(d->owned_config);
	}
	free(d->metrics);
	free(d);
	return code;
}

int
daemon_backfill(const Config *config, const char *processor)
{
	daemon_signals();
	return backfill_run_command(config, processor, &stop_requested);
}
