/*
 * probe_driver.c: the latency probe of the benchmark's scenario 2
 * (tools/bench/latency.sh). Each probe is one play, committed alone, on a
 * track whose owner then has exactly 250 plays, so it completes the p1
 * milestone; the driver measures how long after the commit the completion
 * (or, for the floor, the change itself) becomes visible to a client.
 *
 * Probe i: user and track id first_user + i (latency.sh prepares them with
 * 249 plays each). The probe connection runs BEGIN, INSERT INTO plays, then
 * t0 = CLOCK_MONOTONIC just before COMMIT is sent (synchronous_commit on,
 * so the commit's WAL flush is inside the figure, as it is for a user).
 *   --mode notify       t1 = when the notification whose payload is the
 *                       user id arrives on --channel (a trigger on
 *                       user_challenges sends it; NOTIFY is delivered at the
 *                       commit of the transaction that completed the row:
 *                       reckon's recompute, or the polling processor's);
 *   --mode recvlogical  t1 = when the wal2json line carrying the probe's
 *                       play (its play_item_id) is read from the stdout of
 *                       --recvlogical-cmd, run as a child through a pipe:
 *                       the floor, what any logical decoding consumer could
 *                       see at best.
 * Probes are sent on a fixed schedule (--rate per second); several may be
 * in flight. Everything is asynchronous and one poll() loop serves the
 * probe connection, the LISTEN connection and the pipe, so an arrival is
 * timed when it happens, and the pipe is drained all the time, between
 * probes too: a backlog in the pipe would be counted as latency.
 *
 * Output: one line per probe, in order: the latency in ms, or "timeout"
 * when nothing arrived within --timeout-ms (a failure, never dropped). A
 * summary goes to stderr. Exit 0 when every probe was sent (timeouts
 * included), 1 when the harness failed (SQL error, child died), 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common.h"

#define PROBE_CHANNEL_DEFAULT "reckon_probe"
#define PROBE_TIMEOUT_MS_DEFAULT 30000
#define PROBE_WAIT_SLOT_MS 60000
#define PROBE_POLL_MAX_MS 100
/* A plays insert line is about 250 bytes; longer lines are not ours. */
#define PROBE_LINE_MAX 65536
#define PROBE_READ_CHUNK 65536
#define PROBE_MATCH_KEY "\"name\":\"play_item_id\",\"value\":"

typedef enum ProbeMode
{
	PROBE_MODE_NOTIFY,
	PROBE_MODE_RECVLOGICAL
} ProbeMode;

typedef enum ProbeState
{
	PROBE_STATE_PENDING, /* not sent yet */
	PROBE_STATE_SENT,    /* COMMIT sent, t0 set, waiting for its arrival */
	PROBE_STATE_DONE,    /* arrived, t1 set */
	PROBE_STATE_TIMEOUT
} ProbeState;

/* Where the probe connection is in the current probe's transaction. */
typedef enum ProbeStep
{
	PROBE_STEP_IDLE,
	PROBE_STEP_BEGIN,
	PROBE_STEP_INSERT,
	PROBE_STEP_COMMIT
} ProbeStep;

typedef struct ProbeOptions
{
	const char *dsn; /* borrowed (argv) */
	ProbeMode mode;
	int probes;
	double rate_per_s;
	int64_t first_user;
	const char *recvlogical_cmd; /* borrowed (argv) */
	const char *wait_slot;       /* borrowed (argv), NULL: do not wait */
	const char *channel;         /* borrowed (argv) */
	int timeout_ms;
	int warmup_ms;
} ProbeOptions;

typedef struct Probe
{
	ProbeState state;
	int64_t t0_us;
	int64_t t1_us;
} Probe;

typedef struct ProbeDriver
{
	const ProbeOptions *opt; /* borrowed */
	Probe *probes;           /* owned */
	PGconn *conn;            /* owned: the probes' transactions */
	PGconn *listen;          /* owned, notify mode only */
	pid_t child;             /* recvlogical mode only, 0: none */
	int pipe_fd;             /* read end of the child's stdout, -1: none */
	char *line;              /* owned, PROBE_LINE_MAX + 1 bytes */
	size_t line_len;
	bool is_line_overlong;
	int64_t lines_overlong;
	ProbeStep step;
	int current; /* probe of the transaction in progress */
	int next;    /* next probe to send */
	int in_flight;
	int64_t start_us;
} ProbeDriver;

static int64_t
probe_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
probe_usage(FILE *out)
{
	fprintf(out,
	        "Usage: probe_driver --dsn CONNINFO --mode notify|recvlogical\n"
	        "         --probes N --rate PER_S --first-user ID\n"
	        "         [--recvlogical-cmd 'exec pg_recvlogical ... -f -']\n"
	        "         [--wait-slot NAME] [--warmup-ms MS] [--channel NAME]\n"
	        "         [--timeout-ms MS]\n"
	        "Prints one latency in ms (or \"timeout\") per probe.\n");
}

static bool WARN_UNUSED
probe_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
	{
		return false;
	}
	*out = v;
	return true;
}

/* probe_is_identifier: [a-z0-9_]{1,63}, safe to put in LISTEN unquoted. */
static bool
probe_is_identifier(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 63 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
	                 "0123456789_") == n;
}

static bool WARN_UNUSED
probe_parse_option(ProbeOptions *opt, const char *name, const char *value)
{
	int64_t v;
	char *end;

	if (strcmp(name, "--dsn") == 0)
	{
		opt->dsn = value;
	}
	else if (strcmp(name, "--mode") == 0)
	{
		if (strcmp(value, "notify") == 0)
		{
			opt->mode = PROBE_MODE_NOTIFY;
		}
		else if (strcmp(value, "recvlogical") == 0)
		{
			opt->mode = PROBE_MODE_RECVLOGICAL;
		}
		else
		{
			return false;
		}
	}
	else if (strcmp(name, "--probes") == 0)
	{
		if (!probe_parse_int64(value, 1, 1000000, &v))
		{
			return false;
		}
		opt->probes = (int)v;
	}
	else if (strcmp(name, "--rate") == 0)
	{
		opt->rate_per_s = strtod(value, &end);
		return *end == '\0' && opt->rate_per_s > 0 && opt->rate_per_s <= 1e5;
	}
	else if (strcmp(name, "--first-user") == 0)
	{
		return probe_parse_int64(value, 1, INT64_MAX / 2, &opt->first_user);
	}
	else if (strcmp(name, "--timeout-ms") == 0)
	{
		if (!probe_parse_int64(value, 1, 3600000, &v))
		{
			return false;
		}
		opt->timeout_ms = (int)v;
	}
	else if (strcmp(name, "--warmup-ms") == 0)
	{
		if (!probe_parse_int64(value, 0, 3600000, &v))
		{
			return false;
		}
		opt->warmup_ms = (int)v;
	}
	else if (strcmp(name, "--recvlogical-cmd") == 0)
	{
		opt->recvlogical_cmd = value;
	}
	else if (strcmp(name, "--wait-slot") == 0)
	{
		opt->wait_slot = value;
	}
	else if (strcmp(name, "--channel") == 0)
	{
		opt->channel = value;
		return probe_is_identifier(value);
	}
	else
	{
		return false;
	}
	return true;
}

static bool WARN_UNUSED
probe_parse_options(int argc, char **argv, ProbeOptions *opt)
{
	bool has_mode = false;

	*opt = (ProbeOptions){.channel = PROBE_CHANNEL_DEFAULT,
	                      .timeout_ms = PROBE_TIMEOUT_MS_DEFAULT};
	for (int i = 1; i < argc; i += 2)
	{
		if (i + 1 >= argc || !probe_parse_option(opt, argv[i], argv[i + 1]))
		{
			fprintf(stderr, "probe_driver: bad option \"%s\"\n", argv[i]);
			return false;
		}
		has_mode = has_mode || strcmp(argv[i], "--mode") == 0;
	}
	if (opt->dsn == NULL || !has_mode || opt->probes == 0 ||
	    opt->rate_per_s == 0 || opt->first_user == 0)
	{
		fprintf(stderr, "probe_driver: --dsn, --mode, --probes, --rate and "
		                "--first-user are required\n");
		return false;
	}
	if ((opt->mode == PROBE_MODE_RECVLOGICAL) != (opt->recvlogical_cmd != NULL))
	{
		fprintf(stderr, "probe_driver: --recvlogical-cmd goes with "
		                "--mode recvlogical, and only with it\n");
		return false;
	}
	return true;
}

/*
 * probe_connect: a blocking connection; the probes' queries are sent with
 * PQsend* (tiny, they never fill the socket) and read asynchronously.
 */
static PGconn *
probe_connect(const char *dsn, const char *what)
{
	PGconn *conn = PQconnectdb(dsn);

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "probe_driver: %s connection failed: %s", what,
		        PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static bool WARN_UNUSED
probe_exec_ok(PGconn *conn, const char *sql, int nparams, const char **params,
              ExecStatusType want)
{
	PGresult *res =
	    PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	bool is_ok = PQresultStatus(res) == want;

	if (!is_ok)
	{
		fprintf(stderr, "probe_driver: \"%s\" failed: %s", sql,
		        PQerrorMessage(conn));
	}
	PQclear(res);
	return is_ok;
}

/*
 * probe_start_child: run the recvlogical command with its stdout on a
 * non-blocking pipe. PR_SET_PDEATHSIG (kept across exec) stops it if the
 * driver dies, so no pg_recvlogical outlives a killed harness and holds
 * its slot.
 */
static bool WARN_UNUSED
probe_start_child(ProbeDriver *d)
{
	int fds[2];

	if (pipe(fds) != 0)
	{
		fprintf(stderr, "probe_driver: pipe: %s\n", strerror(errno));
		return false;
	}
	d->child = fork();
	if (d->child < 0)
	{
		fprintf(stderr, "probe_driver: fork: %s\n", strerror(errno));
		return false;
	}
	if (d->child == 0)
	{
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", d->opt->recvlogical_cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	d->pipe_fd = fds[0];
	if (fcntl(d->pipe_fd, F_SETFL, O_NONBLOCK) != 0)
	{
		fprintf(stderr, "probe_driver: fcntl: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* probe_arrived: probe index i (maybe out of range) was seen at now_us. */
static void
probe_arrived(ProbeDriver *d, int64_t index, int64_t now_us)
{
	Probe *p;

	if (index < 0 || index >= d->opt->probes)
	{
		return; /* background load, or another run's probe */
	}
	p = &d->probes[index];
	if (p->state != PROBE_STATE_SENT)
	{
		return; /* a duplicate, or a late arrival after its timeout */
	}
	p->state = PROBE_STATE_DONE;
	p->t1_us = now_us;
	d->in_flight--;
}

static void
probe_match_line(ProbeDriver *d, int64_t now_us)
{
	const char *key;
	char *end;
	long long v;

	d->line[d->line_len] = '\0';
	key = strstr(d->line, PROBE_MATCH_KEY);
	if (key == NULL)
	{
		return;
	}
	key += strlen(PROBE_MATCH_KEY);
	errno = 0;
	v = strtoll(key, &end, 10);
	if (errno == 0 && end != key && (*end == '}' || *end == ','))
	{
		probe_arrived(d, v - d->opt->first_user, now_us);
	}
}

/*
 * probe_drain_pipe: read everything the child wrote so far and match it
 * line by line. False when the child is gone (EOF) or reading failed.
 */
static bool WARN_UNUSED
probe_drain_pipe(ProbeDriver *d, int64_t now_us)
{
	char buf[PROBE_READ_CHUNK];

	for (;;)
	{
		ssize_t n = read(d->pipe_fd, buf, sizeof(buf));

		if (n == 0)
		{
			fprintf(stderr, "probe_driver: the recvlogical command exited\n");
			return false;
		}
		if (n < 0)
		{
			if (errno == EINTR)
			{
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
			{
				return true;
			}
			fprintf(stderr, "probe_driver: read: %s\n", strerror(errno));
			return false;
		}
		for (ssize_t i = 0; i < n; i++)
		{
			if (buf[i] == '\n')
			{
				if (!d->is_line_overlong)
				{
					probe_match_line(d, now_us);
				}
				d->line_len = 0;
				d->is_line_overlong = false;
			}
			else if (d->line_len < PROBE_LINE_MAX)
			{
				d->line[d->line_len++] = buf[i];
			}
			else if (!d->is_line_overlong)
			{
				d->is_line_overlong = true;
				d->lines_overlong++;
			}
		}
	}
}

static bool WARN_UNUSED
probe_drain_notifies(ProbeDriver *d, int64_t now_us)
{
	PGnotify *n;

	if (!PQconsumeInput(d->listen))
	{
		fprintf(stderr, "probe_driver: listen connection: %s",
		        PQerrorMessage(d->listen));
		return false;
	}
	while ((n = PQnotifies(d->listen)) != NULL)
	{
		int64_t user;

		if (probe_parse_int64(n->extra, 0, INT64_MAX, &user))
		{
			probe_arrived(d, user - d->opt->first_user, now_us);
		}
		PQfreemem(n);
	}
	return true;
}

/*
 * probe_wait_slot: wait until the consumer (reckon or pg_recvlogical)
 * streams from the slot, draining the pipe meanwhile: probes sent before
 * it streams would time the consumer's start-up.
 */
static bool WARN_UNUSED
probe_wait_slot(ProbeDriver *d)
{
	const char *sql = "SELECT 1 FROM pg_catalog.pg_replication_slots "
	                  "WHERE slot_name = $1 AND active_pid IS NOT NULL";
	int64_t deadline_us = probe_now_us() + PROBE_WAIT_SLOT_MS * 1000LL;

	while (probe_now_us() < deadline_us)
	{
		PGresult *res = PQexecParams(d->conn, sql, 1, NULL, &d->opt->wait_slot,
		                             NULL, NULL, 0);
		bool is_active =
		    PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "probe_driver: slot query failed: %s",
			        PQerrorMessage(d->conn));
			PQclear(res);
			return false;
		}
		PQclear(res);
		if (is_active)
		{
			return true;
		}
		if (d->pipe_fd >= 0 && !probe_drain_pipe(d, probe_now_us()))
		{
			return false;
		}
		poll(NULL, 0, 50);
	}
	fprintf(stderr, "probe_driver: slot \"%s\" not streamed after %d ms\n",
	        d->opt->wait_slot, PROBE_WAIT_SLOT_MS);
	return false;
}

/*
 * probe_warmup: let the background load run --warmup-ms before the first
 * probe (the consumer's start-up and first batches are not what is
 * measured), serving the listen connection or the pipe all along.
 */
static bool WARN_UNUSED
probe_warmup(ProbeDriver *d)
{
	int64_t deadline_us = probe_now_us() + d->opt->warmup_ms * 1000LL;
	int64_t now_us;

	while ((now_us = probe_now_us()) < deadline_us)
	{
		struct pollfd fd = {.fd = d->listen != NULL ? PQsocket(d->listen)
		                                            : d->pipe_fd,
		                    .events = POLLIN};
		int64_t wait_ms = (deadline_us - now_us + 999) / 1000;

		if (poll(&fd, 1,
		         (int)(wait_ms < PROBE_POLL_MAX_MS ? wait_ms
		                                           : PROBE_POLL_MAX_MS)) < 0 &&
		    errno != EINTR)
		{
			fprintf(stderr, "probe_driver: poll: %s\n", strerror(errno));
			return false;
		}
		if (fd.revents == 0)
		{
			continue;
		}
		if (d->listen != NULL ? !probe_drain_notifies(d, probe_now_us())
		                      : !probe_drain_pipe(d, probe_now_us()))
		{
			return false;
		}
	}
	return true;
}

/* probe_send_step: send the statement of the current probe's next step. */
static bool WARN_UNUSED
probe_send_step(ProbeDriver *d, ProbeStep step)
{
	char track[32];
	const char *params[1] = {track};
	int ok;

	snprintf(track, sizeof(track), "%" PRId64, d->opt->first_user + d->current);
	switch (step)
	{
		case PROBE_STEP_BEGIN:
			ok = PQsendQuery(d->conn, "BEGIN");
			break;
		case PROBE_STEP_INSERT:
			/* user_id 1 is any listener: the owner of the track counts. */
			ok = PQsendQueryParams(d->conn,
			                       "INSERT INTO public.plays (user_id, "
			                       "play_item_id) VALUES (1, $1::bigint)",
			                       1, NULL, params, NULL, NULL, 0);
			break;
		case PROBE_STEP_COMMIT:
			d->probes[d->current].t0_us = probe_now_us();
			d->probes[d->current].state = PROBE_STATE_SENT;
			d->in_flight++;
			ok = PQsendQuery(d->conn, "COMMIT");
			break;
		default:
			ASSERT(false);
	}
	if (!ok)
	{
		fprintf(stderr, "probe_driver: send failed: %s",
		        PQerrorMessage(d->conn));
		return false;
	}
	d->step = step;
	return true;
}

/*
 * probe_advance: consume what the server sent on the probe connection and,
 * once the current statement's result is complete, send the next one.
 */
static bool WARN_UNUSED
probe_advance(ProbeDriver *d)
{
	PGresult *res;

	if (!PQconsumeInput(d->conn))
	{
		fprintf(stderr, "probe_driver: probe connection: %s",
		        PQerrorMessage(d->conn));
		return false;
	}
	while (d->step != PROBE_STEP_IDLE && !PQisBusy(d->conn))
	{
		bool is_ok = true;

		while ((res = PQgetResult(d->conn)) != NULL)
		{
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
			{
				fprintf(stderr, "probe_driver: probe %d: %s", d->current,
				        PQresultErrorMessage(res));
				is_ok = false;
			}
			PQclear(res);
		}
		if (!is_ok)
		{
			return false;
		}
		if (d->step == PROBE_STEP_COMMIT)
		{
			d->step = PROBE_STEP_IDLE;
		}
		else if (!probe_send_step(d, d->step + 1))
		{
			return false;
		}
	}
	return true;
}

/* probe_expire: time out sent probes older than --timeout-ms. */
static void
probe_expire(ProbeDriver *d, int64_t now_us)
{
	int64_t limit_us = (int64_t)d->opt->timeout_ms * 1000;

	for (int i = 0; i < d->next; i++)
	{
		Probe *p = &d->probes[i];

		if (p->state == PROBE_STATE_SENT && now_us - p->t0_us > limit_us)
		{
			p->state = PROBE_STATE_TIMEOUT;
			d->in_flight--;
		}
	}
}

static int64_t
probe_due_us(const ProbeDriver *d, int i)
{
	return d->start_us + (int64_t)((double)i * 1e6 / d->opt->rate_per_s);
}

/* probe_poll_ms: how long poll() may sleep before the next send is due. */
static int
probe_poll_ms(const ProbeDriver *d, int64_t now_us)
{
	int64_t wait_us = PROBE_POLL_MAX_MS * 1000;

	if (d->step == PROBE_STEP_IDLE && d->next < d->opt->probes)
	{
		int64_t due = probe_due_us(d, d->next) - now_us;

		wait_us = due < wait_us ? due : wait_us;
	}
	if (wait_us <= 0)
	{
		return 0;
	}
	return (int)((wait_us + 999) / 1000);
}

/* probe_loop: send every probe and wait for every arrival or timeout. */
static bool WARN_UNUSED
probe_loop(ProbeDriver *d)
{
	d->start_us = probe_now_us();
	while (d->next < d->opt->probes || d->step != PROBE_STEP_IDLE ||
	       d->in_flight > 0)
	{
		struct pollfd fds[2];
		int nfds = 1;
		int64_t now_us = probe_now_us();

		if (d->step == PROBE_STEP_IDLE && d->next < d->opt->probes &&
		    now_us >= probe_due_us(d, d->next))
		{
			d->current = d->next++;
			if (!probe_send_step(d, PROBE_STEP_BEGIN))
			{
				return false;
			}
		}
		fds[0] = (struct pollfd){.fd = PQsocket(d->conn), .events = POLLIN};
		if (d->listen != NULL)
		{
			fds[nfds++] =
			    (struct pollfd){.fd = PQsocket(d->listen), .events = POLLIN};
		}
		else if (d->pipe_fd >= 0)
		{
			fds[nfds++] = (struct pollfd){.fd = d->pipe_fd, .events = POLLIN};
		}
		if (poll(fds, nfds, probe_poll_ms(d, now_us)) < 0 && errno != EINTR)
		{
			fprintf(stderr, "probe_driver: poll: %s\n", strerror(errno));
			return false;
		}
		/* The arrival time: before any other work of this round. */
		now_us = probe_now_us();
		if (nfds == 2 && fds[1].revents != 0)
		{
			bool is_ok = d->listen != NULL ? probe_drain_notifies(d, now_us)
			                               : probe_drain_pipe(d, now_us);
			if (!is_ok)
			{
				return false;
			}
		}
		if (fds[0].revents != 0 && !probe_advance(d))
		{
			return false;
		}
		probe_expire(d, now_us);
	}
	return true;
}

static int
probe_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * probe_report: one line per probe on stdout; on stderr a summary where a
 * timeout sorts above every latency, so lost probes push p99 up instead
 * of vanishing from it.
 */
static void
probe_report(const ProbeDriver *d)
{
	int n = d->opt->probes;
	int timeouts = 0;
	double *ms = malloc(sizeof(double) * (size_t)n);

	if (ms == NULL)
	{
		common_out_of_memory("probe latencies");
	}
	for (int i = 0; i < n; i++)
	{
		const Probe *p = &d->probes[i];

		if (p->state == PROBE_STATE_DONE)
		{
			ms[i] = (double)(p->t1_us - p->t0_us) / 1000.0;
			printf("%.3f\n", ms[i]);
		}
		else
		{
			ms[i] = 1e300;
			timeouts++;
			printf("timeout\n");
		}
	}
	qsort(ms, (size_t)n, sizeof(double), probe_cmp_double);
	fprintf(stderr,
	        "probe_driver: %d probes, %d timed out (> %d ms); p50 %.1f ms, "
	        "p99 %.1f ms, max %.1f ms (1e300: timeout)\n",
	        n, timeouts, d->opt->timeout_ms, ms[(n - 1) / 2],
	        ms[(99 * n + 99) / 100 - 1], ms[n - 1]);
	if (d->lines_overlong > 0)
	{
		fprintf(stderr, "probe_driver: %" PRId64 " overlong lines skipped\n",
		        d->lines_overlong);
	}
	free(ms);
}

static bool WARN_UNUSED
probe_setup(ProbeDriver *d)
{
	d->conn = probe_connect(d->opt->dsn, "probe");
	if (d->conn == NULL)
	{
		return false;
	}
	if (d->opt->mode == PROBE_MODE_NOTIFY)
	{
		char sql[128];

		/* LISTEN takes no parameter: the channel name was validated. */
		snprintf(sql, sizeof(sql), "LISTEN %s", d->opt->channel);
		d->listen = probe_connect(d->opt->dsn, "listen");
		if (d->listen == NULL ||
		    !probe_exec_ok(d->listen, sql, 0, NULL, PGRES_COMMAND_OK))
		{
			return false;
		}
	}
	else if (!probe_start_child(d))
	{
		return false;
	}
	if (d->opt->wait_slot != NULL && !probe_wait_slot(d))
	{
		return false;
	}
	return probe_warmup(d);
}

static void
probe_teardown(ProbeDriver *d)
{
	if (d->child > 0)
	{
		kill(d->child, SIGTERM);
		waitpid(d->child, NULL, 0);
	}
	if (d->pipe_fd >= 0)
	{
		close(d->pipe_fd);
	}
	PQfinish(d->listen);
	PQfinish(d->conn);
	free(d->probes);
	free(d->line);
}

int
main(int argc, char **argv)
{
	ProbeOptions opt;
	ProbeDriver d = {.pipe_fd = -1};
	bool is_ok;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
	{
		probe_usage(stdout);
		return EXIT_CODE_OK;
	}
	if (!probe_parse_options(argc, argv, &opt))
	{
		probe_usage(stderr);
		return EXIT_CODE_USAGE;
	}
	d.opt = &opt;
	d.probes = calloc((size_t)opt.probes, sizeof(Probe));
	d.line = malloc(PROBE_LINE_MAX + 1);
	if (d.probes == NULL || d.line == NULL)
	{
		common_out_of_memory("probe driver");
	}
	is_ok = probe_setup(&d) && probe_loop(&d);
	if (is_ok)
	{
		probe_report(&d);
	}
	probe_teardown(&d);
	return is_ok ? EXIT_CODE_OK : EXIT_CODE_RUNTIME;
}
