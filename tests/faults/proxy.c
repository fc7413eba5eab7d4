/*
 * proxy.c: a one-process TCP proxy for the fault suite
 * (tests/faults/fault_netcut.sh). reckon connects to it instead of the
 * server, so the test can break the network between the two on command
 * while the workload talks to the server directly.
 *
 *   proxy LISTEN_PORT TARGET_PORT CONTROL_FIFO
 *
 * It listens on 127.0.0.1:LISTEN_PORT (0: any free port, printed on stdout
 * as one line once listening) and forwards each accepted connection to
 * 127.0.0.1:TARGET_PORT, both directions, with poll(). Commands arrive as
 * lines on CONTROL_FIFO (a FIFO the caller created with mkfifo):
 *
 *   drop      reset every current connection at once: both sockets are
 *             closed with SO_LINGER 0, so each peer gets an RST, as when a
 *             firewall or a NAT forgets the connection
 *   stall N   forward nothing and accept nothing for N seconds (a decimal
 *             number), as a partition would: bytes wait in the kernel's
 *             buffers, the peers see silence, not an error
 *   pass      end a stall now
 *   quit      exit 0
 *
 * Events go to stderr, one line each, so the test log shows when a fault
 * began and ended. A peer's EOF is passed on as a half-close once the
 * bytes before it are delivered; a read or write error on either side
 * resets both.
 *
 * Only POSIX.1-2008 interfaces are used (sockets, poll, SO_LINGER,
 * TCP_NODELAY, gmtime_r), so the project's -D_POSIX_C_SOURCE=200809L is
 * enough and no _DEFAULT_SOURCE is needed. Opening the FIFO O_RDWR is the
 * one Linux-specific behaviour relied on (POSIX leaves it undefined): it
 * keeps a writer on the FIFO, so poll() never reports a hang-up between
 * two commands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROXY_CONNS_MAX 64
#define PROXY_BUF_BYTES (64 * 1024)
#define PROXY_LINE_MAX 256

/* One direction: bytes read from one side not yet written to the other. */
typedef struct ProxyPipe
{
	char buf[PROXY_BUF_BYTES];
	size_t len;
	bool is_eof;  /* the source sent FIN */
	bool is_shut; /* and the FIN was passed on (shutdown of the sink) */
} ProxyPipe;

/* fd[0] is the client, fd[1] the server; pipe[i] reads fd[i]. */
typedef struct ProxyConn
{
	bool is_used;
	int fd[2];
	ProxyPipe pipe[2];
} ProxyConn;

typedef struct Proxy
{
	int listener;
	int control;
	uint16_t target_port;
	int64_t stall_until_ms; /* 0: forwarding */
	char line[PROXY_LINE_MAX];
	size_t line_len;
	long accepted;
	long reset_by_drop;
	long stalls;
	bool is_quitting;
	ProxyConn conns[PROXY_CONNS_MAX];
} Proxy;

static volatile sig_atomic_t stop_requested = 0;

static void
proxy_on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int64_t
proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void proxy_log(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* One line on stderr, with the wall-clock time to match reckon's log. */
static void
proxy_log(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld UTC proxy: ", when, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static bool
proxy_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/*
 * Small writes (status updates, protocol messages) must not wait for
 * Nagle's algorithm: the test measures what reckon does, not our delays.
 */
static void
proxy_set_nodelay(int fd)
{
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Close with an RST instead of a FIN: SO_LINGER on, with a zero timeout. */
static void
proxy_close_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void
proxy_conn_reset(ProxyConn *c)
{
	proxy_close_reset(c->fd[0]);
	proxy_close_reset(c->fd[1]);
	c->is_used = false;
}

static void
proxy_conn_close(ProxyConn *c)
{
	close(c->fd[0]);
	close(c->fd[1]);
	c->is_used = false;
}

static int
proxy_listen(uint16_t port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_port = htons(port),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int on = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
	{
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(fd, SOMAXCONN) != 0 || !proxy_set_nonblock(fd))
	{
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The server is on this host, so a blocking connect either succeeds or is
 * refused at once (server down: the client then gets an RST, as it would
 * from the server's host).
 */
static int
proxy_connect_target(uint16_t port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_port = htons(port),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
	{
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    !proxy_set_nonblock(fd))
	{
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	proxy_set_nodelay(fd);
	return fd;
}

static void
proxy_accept(Proxy *p)
{
	int client;
	int server;
	ProxyConn *c = NULL;

	while ((client = accept(p->listener, NULL, NULL)) >= 0)
	{
		for (int i = 0; i < PROXY_CONNS_MAX && c == NULL; i++)
		{
			if (!p->conns[i].is_used)
			{
				c = &p->conns[i];
			}
		}
		if (c == NULL)
		{
			proxy_log("too many connections (%d), refusing one",
			          PROXY_CONNS_MAX);
			proxy_close_reset(client);
			continue;
		}
		server = proxy_connect_target(p->target_port);
		if (server < 0)
		{
			proxy_log("connect to 127.0.0.1:%u failed: %s, resetting client",
			          (unsigned)p->target_port, strerror(errno));
			proxy_close_reset(client);
			continue;
		}
		if (!proxy_set_nonblock(client))
		{
			proxy_close_reset(client);
			proxy_close_reset(server);
			continue;
		}
		proxy_set_nodelay(client);
		memset(c, 0, sizeof(*c));
		c->is_used = true;
		c->fd[0] = client;
		c->fd[1] = server;
		p->accepted++;
		c = NULL;
	}
}

/*
 * Move what can move without blocking in one direction. False when the
 * connection broke (it is then reset).
 */
static bool
proxy_pump(ProxyConn *c, int side)
{
	ProxyPipe *pp = &c->pipe[side];
	int src = c->fd[side];
	int dst = c->fd[1 - side];
	ssize_t n;

	if (!pp->is_eof && pp->len < sizeof(pp->buf))
	{
		n = read(src, pp->buf + pp->len, sizeof(pp->buf) - pp->len);
		if (n > 0)
		{
			pp->len += (size_t)n;
		}
		else if (n == 0)
		{
			pp->is_eof = true;
		}
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		{
			return false;
		}
	}
	if (pp->len > 0)
	{
		n = write(dst, pp->buf, pp->len);
		if (n > 0)
		{
			memmove(pp->buf, pp->buf + n, pp->len - (size_t)n);
			pp->len -= (size_t)n;
		}
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		         errno != EINTR)
		{
			return false;
		}
	}
	if (pp->is_eof && pp->len == 0 && !pp->is_shut)
	{
		(void)shutdown(dst, SHUT_WR);
		pp->is_shut = true;
	}
	return true;
}

static void
proxy_service(ProxyConn *c, const struct pollfd *pfd)
{
	if ((pfd[0].revents | pfd[1].revents) & (POLLERR | POLLNVAL))
	{
		proxy_conn_reset(c);
		return;
	}
	if (!proxy_pump(c, 0) || !proxy_pump(c, 1))
	{
		proxy_conn_reset(c);
		return;
	}
	if (c->pipe[0].is_shut && c->pipe[1].is_shut)
	{
		proxy_conn_close(c);
	}
}

static void
proxy_drop(Proxy *p)
{
	int n = 0;

	for (int i = 0; i < PROXY_CONNS_MAX; i++)
	{
		if (p->conns[i].is_used)
		{
			proxy_conn_reset(&p->conns[i]);
			n++;
		}
	}
	p->reset_by_drop += n;
	proxy_log("drop: %d connections reset", n);
}

static void
proxy_command(Proxy *p, const char *line)
{
	char *end;
	double seconds;

	if (strcmp(line, "drop") == 0)
	{
		proxy_drop(p);
	}
	else if (strncmp(line, "stall ", 6) == 0)
	{
		seconds = strtod(line + 6, &end);
		if (end == line + 6 || *end != '\0' || !(seconds > 0))
		{
			proxy_log("bad command \"%s\"", line);
			return;
		}
		p->stall_until_ms = proxy_now_ms() + (int64_t)(seconds * 1000.0);
		p->stalls++;
		proxy_log("stall: forwarding nothing for %.3f s", seconds);
	}
	else if (strcmp(line, "pass") == 0)
	{
		if (p->stall_until_ms != 0)
		{
			proxy_log("pass: forwarding again");
		}
		p->stall_until_ms = 0;
	}
	else if (strcmp(line, "quit") == 0)
	{
		p->is_quitting = true;
	}
	else
	{
		proxy_log("bad command \"%s\"", line);
	}
}

/* Read what the FIFO holds and run each complete line. */
static void
proxy_read_control(Proxy *p)
{
	char buf[512];
	ssize_t n;

	while ((n = read(p->control, buf, sizeof(buf))) > 0)
	{
		for (ssize_t i = 0; i < n; i++)
		{
			if (buf[i] == '\n')
			{
				p->line[p->line_len] = '\0';
				if (p->line_len > 0)
				{
					proxy_command(p, p->line);
				}
				p->line_len = 0;
			}
			else if (p->line_len < sizeof(p->line) - 1)
			{
				p->line[p->line_len++] = buf[i];
			}
		}
	}
}

/*
 * One round: wait for the FIFO and, unless stalled, the listener and every
 * connection; then act on what is ready.
 */
static void
proxy_round(Proxy *p)
{
	struct pollfd pfd[2 + 2 * PROXY_CONNS_MAX];
	int owner[2 + 2 * PROXY_CONNS_MAX];
	nfds_t n = 0;
	int timeout_ms = -1;
	int64_t now_ms = proxy_now_ms();

	if (p->stall_until_ms != 0 && now_ms >= p->stall_until_ms)
	{
		p->stall_until_ms = 0;
		proxy_log("stall over: forwarding again");
	}
	pfd[n++] = (struct pollfd){.fd = p->control, .events = POLLIN};
	if (p->stall_until_ms != 0)
	{
		timeout_ms = (int)(p->stall_until_ms - now_ms);
	}
	else
	{
		pfd[n++] = (struct pollfd){.fd = p->listener, .events = POLLIN};
		for (int i = 0; i < PROXY_CONNS_MAX; i++)
		{
			ProxyConn *c = &p->conns[i];

			if (!c->is_used)
			{
				continue;
			}
			for (int side = 0; side < 2; side++)
			{
				short events = 0;

				if (!c->pipe[side].is_eof &&
				    c->pipe[side].len < sizeof(c->pipe[side].buf))
				{
					events |= POLLIN;
				}
				if (c->pipe[1 - side].len > 0)
				{
					events |= POLLOUT;
				}
				owner[n] = i;
				pfd[n++] = (struct pollfd){.fd = c->fd[side], .events = events};
			}
		}
	}
	if (poll(pfd, n, timeout_ms) < 0)
	{
		return; /* EINTR: the caller checks the stop flag */
	}
	proxy_read_control(p);
	if (p->stall_until_ms != 0 || p->is_quitting || n == 1)
	{
		return; /* a stall that began now holds back what was ready */
	}
	if (pfd[1].revents & POLLIN)
	{
		proxy_accept(p);
	}
	/* pfd[2 + 2k] and pfd[3 + 2k] are the two sides of one connection */
	for (nfds_t k = 2; k + 1 < n; k += 2)
	{
		ProxyConn *c = &p->conns[owner[k]];

		if (c->is_used && c->fd[0] == pfd[k].fd)
		{
			proxy_service(c, &pfd[k]);
		}
	}
}

static bool
proxy_parse_port(const char *text, uint16_t *port)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end != '\0' || v < 0 || v > 65535)
	{
		return false;
	}
	*port = (uint16_t)v;
	return true;
}

int
main(int argc, char **argv)
{
	static Proxy p; /* 8 MB of buffers: not on the stack */
	uint16_t listen_port;
	struct sockaddr_in bound;
	socklen_t len = sizeof(bound);
	struct sigaction sa;

	if (argc != 4 || !proxy_parse_port(argv[1], &listen_port) ||
	    !proxy_parse_port(argv[2], &p.target_port) || p.target_port == 0)
	{
		fprintf(stderr, "usage: proxy LISTEN_PORT TARGET_PORT CONTROL_FIFO\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = proxy_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a write to a reset peer must be an EPIPE error, not our death */
	signal(SIGPIPE, SIG_IGN);

	p.control = open(argv[3], O_RDWR | O_NONBLOCK);
	if (p.control < 0)
	{
		fprintf(stderr, "proxy: cannot open \"%s\": %s\n", argv[3],
		        strerror(errno));
		return 1;
	}
	p.listener = proxy_listen(listen_port);
	if (p.listener < 0 ||
	    getsockname(p.listener, (struct sockaddr *)&bound, &len) != 0)
	{
		fprintf(stderr, "proxy: cannot listen on 127.0.0.1:%u: %s\n",
		        (unsigned)listen_port, strerror(errno));
		return 1;
	}
	printf("%u\n", (unsigned)ntohs(bound.sin_port));
	fflush(stdout);
	proxy_log("listening on 127.0.0.1:%u, forwarding to 127.0.0.1:%u",
	          (unsigned)ntohs(bound.sin_port), (unsigned)p.target_port);
	while (!stop_requested && !p.is_quitting)
	{
		proxy_round(&p);
	}
	proxy_log("exiting: %ld connections accepted, %ld reset by drop, "
	          "%ld stalls",
	          p.accepted, p.reset_by_drop, p.stalls);
	return 0;
}
