/*
 * daemon.c: the event loop. One thread: the replication socket and the
 * recompute connection are multiplexed, and while a recompute statement
 * runs, daemon_wait() keeps reading the stream and answering keepalives, so
 * a long recompute never trips wal_sender_timeout. The stream only fills
 * dirty sets; batches are started here and nowhere else.
 */
#include "daemon.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define LOG_MODULE "daemon"
#include "apply.h"
#include "log.h"
#include "recompute.h"
#include "slot.h"
#include "stream.h"
#include "trending.h"

static volatile sig_atomic_t stop_requested = 0;

static void
daemon_on_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

typedef struct Daemon
{
	const Config *config; /* borrowed */
	Processor procs[CONFIG_PROCESSORS_MAX];
	int nprocs;
	Group groups[CONFIG_PROCESSORS_MAX];
	int ngroups;
	Apply apply;
	Stream *stream; /* owned */
	Recompute rc;
	bool is_fatal; /* the stream hit something it cannot pass */
	int stream_failures;
	int64_t stream_retry_us;
	int64_t stream_busy_since_us; /* slot busy since, 0 if not */
	int sql_failures;
	int64_t sql_retry_us;
	int64_t stats_due_us;
	int64_t endpos_poke_us;
	pid_t trending_pid; /* the running trending job, or 0 */
	int64_t trending_due_us;
} Daemon;

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

	return apply_flush_lsn(&d->apply);
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

	return !sched_is_full(d->groups, d->ngroups, d->config->dirty_keys_max) &&
	       (int64_t)d->apply.npending < d->config->dirty_keys_max;
}

static void
daemon_handle_stream_state(Daemon *d, StreamState state)
{
	if (state == STREAM_FATAL)
	{
		d->is_fatal = true;
	}
	else if (state == STREAM_LOST)
	{
		apply_stream_restarted(&d->apply);
		d->stream_failures++;
		d->stream_retry_us =
		    common_monotonic_us() +
		    sched_backoff_ms(d->stream_failures, d->config->reconnect_min_ms,
		                     d->config->reconnect_max_ms) *
		        1000;
	}
}

/* PgconnWaitFn: serve the stream while the recompute connection works. */
static void
daemon_wait(void *arg, int fd, int64_t timeout_ms)
{
	Daemon *d = arg;

	if (stream_is_connected(d->stream) && !d->is_fatal)
	{
		daemon_handle_stream_state(d,
		                           stream_service(d->stream, fd, timeout_ms));
		return;
	}
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	(void)poll(&pfd, fd >= 0 ? 1 : 0,
	           timeout_ms > 1000 ? 1000 : (int)timeout_ms);
}

static void
daemon_try_stream(Daemon *d, int64_t now_us)
{
	bool slot_busy = false;
	PgconnStatus status;
	int64_t busy_ms;

	if (stream_is_connected(d->stream) || now_us < d->stream_retry_us)
	{
		return;
	}
	status = stream_start(d->stream, &slot_busy);
	if (status == PGCONN_OK)
	{
		d->stream_failures = 0;
		d->stream_busy_since_us = 0;
		apply_stream_restarted(&d->apply);
		return;
	}
	if (status == PGCONN_FAIL)
	{
		d->is_fatal = true;
		return;
	}
	if (slot_busy)
	{
		/*
		 * The walsender of a killed predecessor may hold the slot until
		 * the server notices the dead connection: wait, but not forever.
		 */
		if (d->stream_busy_since_us == 0)
		{
			d->stream_busy_since_us = now_us;
		}
		busy_ms = (now_us - d->stream_busy_since_us) / 1000;
		if (busy_ms >= d->config->slot_busy_timeout_ms)
		{
			log_error("replication slot \"%s\" still in use by another "
			          "process after %lld ms (slot_busy_timeout)",
			          d->config->slot, (long long)busy_ms);
			d->is_fatal = true;
			return;
		}
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
	status = recompute_connect(&d->rc, d->procs, d->nprocs);
	if (status == PGCONN_OK)
	{
		d->sql_failures = 0;
		return;
	}
	d->sql_failures++;
	d->sql_retry_us =
	    now_us + sched_backoff_ms(d->sql_failures, d->config->reconnect_min_ms,
	                              d->config->reconnect_max_ms) *
	                 1000;
}

static void
daemon_run_batch(Daemon *d, Group *g)
{
	Batch *batch = sched_take(g, d->apply.ack.received);
	PgconnStatus status = recompute_run(&d->rc, g, batch, &d->apply);

	if (status == PGCONN_OK)
	{
		sched_done(g);
		return;
	}
	/* error already logged; the keys stay in flight and hold the ack */
	int64_t delay_ms =
	    sched_failed(g, common_monotonic_us(), d->config->retry_min_ms,
	                 d->config->retry_max_ms);
	log_warn("group \"%s\": batch of %d keys failed (attempt %d), "
	         "retrying in %lld ms",
	         g->config->name, batch->nkeys, g->failures, (long long)delay_ms);
	if (g->failures >= 5 && g->failures % 5 == 0)
	{
		log_error("group \"%s\" has failed %d times in a row; its keys stay "
		          "dirty and the acknowledged position cannot pass them",
		          g->config->name, g->failures);
	}
}

static void
daemon_stats(Daemon *d)
{
	struct rusage usage;
	char per[1024];
	size_t used = 0;
	const Processor *slowest = NULL;

	per[0] = '\0';
	for (int i = 0; i < d->ngroups; i++)
	{
		const Group *g = &d->groups[i];

		used += (size_t)snprintf(per + used, sizeof(per) - used, "%s%s=%zu",
		                         i ? " " : "", g->config->name, g->dirty.count);
		if (used >= sizeof(per))
		{
			used = sizeof(per) - 1;
		}
	}
	for (int i = 0; i < d->nprocs; i++)
	{
		if (slowest == NULL || d->procs[i].slowest_us > slowest->slowest_us)
		{
			slowest = &d->procs[i];
		}
	}
	getrusage(RUSAGE_SELF, &usage);
	log_info(
	    "stats: received %X/%X flushed %X/%X server %X/%X messages %lld "
	    "dirty %zu (%s) slowest %s %.1f ms, peak RSS %ld kB",
	    LSN_FORMAT_ARGS(d->apply.ack.received),
	    LSN_FORMAT_ARGS(d->apply.ack.flushed),
	    LSN_FORMAT_ARGS(stream_server_lsn(d->stream)),
	    (long long)d->apply.messages, sched_dirty_total(d->groups, d->ngroups),
	    per, slowest ? slowest->config->id : "-",
	    slowest ? (double)slowest->slowest_us / 1000.0 : 0.0, usage.ru_maxrss);
	for (int i = 0; i < d->nprocs; i++)
	{
		d->procs[i].slowest_us = 0;
	}
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
	    apply_flush_lsn(&d->apply) >= d->config->endpos)
	{
		return true;
	}
	if (apply_is_idle(&d->apply) && now_us >= d->endpos_poke_us)
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

/* One line per group: which changes feed which challenges. */
static void
daemon_log_group(const Config *config, const Group *g)
{
	char members[512];
	char sources[1024];
	size_t used = 0;

	members[0] = '\0';
	sources[0] = '\0';
	for (int m = 0; m < g->nmembers && used < sizeof(members); m++)
	{
		used +=
		    (size_t)snprintf(members + used, sizeof(members) - used, "%s%s",
		                     m ? "," : "", g->members[m]->config->challenge_id);
	}
	used = 0;
	for (int r = 0; r < g->config->nrules && used < sizeof(sources); r++)
	{
		const ConfigRule *rule = &g->config->rules[r];

		used += (size_t)snprintf(
		    sources + used, sizeof(sources) - used, "%s%s.%s.%s%s%s",
		    r ? ", " : "", rule->schema, rule->table, rule->column,
		    rule->lookup >= 0 ? " -> " : "",
		    rule->lookup >= 0 ? config->lookups[rule->lookup].name : "");
	}
	log_info("group \"%s\" feeds %s from %s (window %lld ms, batch %d)",
	         g->config->name, members, sources, (long long)g->config->window_ms,
	         g->config->batch_size);
}

/*
 * The trending job runs in a child on its own clock: never two at once,
 * and never in the way of the stream (see trending.h).
 */
static void
daemon_trending(Daemon *d, int64_t now_us)
{
	if (d->trending_pid > 0 && trending_reap(d->trending_pid))
	{
		d->trending_pid = 0;
	}
	if (d->config->trending_interval_ms == 0 || d->trending_pid > 0 ||
	    now_us < d->trending_due_us)
	{
		return;
	}
	d->trending_due_us = now_us + d->config->trending_interval_ms * 1000;
	d->trending_pid = trending_spawn(d->config);
	if (d->trending_pid < 0)
	{
		d->trending_pid = 0;
	}
}

/* Connect, check the slot, load the lookups: failures here exit 1. */
static bool
daemon_setup(Daemon *d)
{
	StreamCallbacks cb = {.on_data = daemon_on_data,
	                      .on_keepalive = daemon_on_keepalive,
	                      .flush_lsn = daemon_flush_lsn,
	                      .can_read = daemon_can_read};
	Lsn confirmed = LSN_INVALID;

	recompute_init(&d->rc, d->config, daemon_wait, d);
	if (recompute_connect(&d->rc, d->procs, d->nprocs) != PGCONN_OK)
	{
		return false;
	}
	if (slot_prepare(d->rc.conn, d->config->slot, d->config->create_slot,
	                 &confirmed) != PGCONN_OK)
	{
		return false;
	}
	if (!apply_init(&d->apply, d->config, d->groups, d->ngroups, confirmed))
	{
		return false;
	}
	if (recompute_load_lookups(&d->rc, &d->apply) != PGCONN_OK)
	{
		return false;
	}
	d->stream = stream_create(d->config, cb, d);
	for (int i = 0; i < d->ngroups; i++)
	{
		daemon_log_group(d->config, &d->groups[i]);
	}
	return true;
}

static void
daemon_loop(Daemon *d)
{
	while (!stop_requested && !d->is_fatal)
	{
		int64_t now_us = common_monotonic_us();
		int64_t wait_us = INT64_MAX;
		int next;

		daemon_try_stream(d, now_us);
		daemon_try_sql(d, now_us);
		if (d->is_fatal || daemon_endpos_reached(d, now_us))
		{
			break;
		}
		if (d->config->stats_interval_ms > 0 && now_us >= d->stats_due_us)
		{
			daemon_stats(d);
			d->stats_due_us = now_us + d->config->stats_interval_ms * 1000;
		}
		daemon_trending(d, now_us);
		next = sched_next(d->groups, d->ngroups, now_us, &wait_us);
		if (next >= 0 && recompute_is_connected(&d->rc))
		{
			daemon_run_batch(d, &d->groups[next]);
			continue;
		}
		if (next >= 0)
		{
			wait_us = d->sql_retry_us - now_us;
		}
		if (!stream_is_connected(d->stream) &&
		    d->stream_retry_us - now_us < wait_us)
		{
			wait_us = d->stream_retry_us - now_us;
		}
		daemon_wait(d, -1, daemon_idle_timeout_ms(d, now_us, wait_us));
	}
}

int
daemon_run(const Config *config)
{
	Daemon *d = calloc(1, sizeof(Daemon));
	int code = EXIT_CODE_OK;
	struct sigaction sa;

	if (d == NULL)
	{
		log_fatal("out of memory");
		return EXIT_CODE_RUNTIME;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	d->config = config;
	d->nprocs = config->nprocessors;
	for (int i = 0; i < d->nprocs; i++)
	{
		d->procs[i] = (Processor){.config = &config->processors[i]};
	}
	d->ngroups = config->ngroups;
	for (int i = 0; i < d->ngroups; i++)
	{
		Group *g = &d->groups[i];

		sched_group_init(g, &config->groups[i]);
		for (int m = 0; m < g->config->nmembers; m++)
		{
			g->members[g->nmembers++] = &d->procs[g->config->members[m]];
		}
	}
	if (!daemon_setup(d))
	{
		code = EXIT_CODE_RUNTIME;
	}
	else
	{
		d->stats_due_us =
		    common_monotonic_us() + config->stats_interval_ms * 1000;
		d->trending_due_us =
		    common_monotonic_us() + config->trending_interval_ms * 1000;
		daemon_loop(d);
		if (d->trending_pid > 0)
		{
			trending_stop(d->trending_pid);
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
		if (code == EXIT_CODE_OK && config->endpos != LSN_INVALID &&
		    stream_sent_flush_lsn(d->stream) < config->endpos &&
		    !stop_requested)
		{
			code = EXIT_CODE_RUNTIME;
		}
		daemon_stats(d);
	}
	stream_destroy(d->stream);
	recompute_free(&d->rc);
	apply_free(&d->apply);
	for (int i = 0; i < d->ngroups; i++)
	{
		sched_group_free(&d->groups[i]);
	}
	free(d);
	return code;
}
