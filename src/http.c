/*
 * http.c: the operator's HTTP endpoint (see http.h), on libmicrohttpd's
 * internal polling thread. The listening socket is ours, so a bind failure
 * is reported in our words, naming the address and the setting; the
 * thread blocks the daemon's signals, so SIGTERM and SIGHUP always reach
 * the main loop's poll. The only file that includes microhttpd.h.
 */
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define LOG_MODULE "http"
#include "log.h"
#include "metrics.h"

/* Scrapers and probes are few; anything past this waits in the backlog. */
#define HTTP_CONNECTIONS_MAX 16
#define HTTP_IDLE_TIMEOUT_S 10

struct Http
{
	struct MHD_Daemon *daemon; /* owned */
	int fd; /* the listening socket: ours until MHD starts, then MHD's */
};

/*
 * The listening socket of the running endpoint, closed in a forked child
 * (the trending job): a child that outlives a killed reckon must not keep
 * the port, or the next reckon cannot bind it.
 */
static int http_listen_fd = -1;

static void
http_after_fork_child(void)
{
	if (http_listen_fd >= 0)
	{
		(void)close(http_listen_fd);
		http_listen_fd = -1;
	}
}

/* The listening socket for addr, or -1 (logged). */
static int
http_listen(const char *addr)
{
	char host[200];
	char port[8];
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *found = NULL;
	int fd = -1;
	int on = 1;
	int rc;

	if (!common_split_addr(addr, host, sizeof(host), port, sizeof(port)))
	{
		log_error("metrics_addr \"%s\" is not HOST:PORT", addr);
		return -1;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &found);
	if (rc != 0)
	{
		log_error("could not resolve metrics_addr \"%s\": %s", addr,
		          gai_strerror(rc));
		return -1;
	}
	fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC,
	            found->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    bind(fd, found->ai_addr, found->ai_addrlen) != 0 ||
	    listen(fd, HTTP_CONNECTIONS_MAX) != 0)
	{
		log_error("could not listen on metrics_addr \"%s\": %m; set "
		          "another with --metrics-addr (or \"\" for no endpoint)",
		          addr);
		if (fd >= 0)
		{
			close(fd);
		}
		fd = -1;
	}
	freeaddrinfo(found);
	return fd;
}

/* MHD's own messages (a client that misbehaves, a thread that failed). */
static void
http_log(void *cls, const char *fmt, va_list ap)
{
	char message[512];

	(void)cls;
	vsnprintf(message, sizeof(message), fmt, ap);
	log_warn("%s", message);
}

typedef struct HttpRender
{
	const char *path;
	int64_t now_us;
	int64_t now_unix_us;
	int64_t rss_bytes;
	unsigned int status;
	MetricsBuffer out;
} HttpRender;

/* Under the snapshot's mutex: render, nothing that blocks. */
static void
http_render(const MetricsSnapshot *snap, void *arg)
{
	HttpRender *r = arg;
	char reason[512];
	bool ok;

	if (strcmp(r->path, "/metrics") == 0)
	{
		metrics_render(snap, r->now_us, r->now_unix_us, r->rss_bytes, &r->out);
		r->status = MHD_HTTP_OK;
		return;
	}
	if (strcmp(r->path, "/healthz") == 0)
	{
		ok = metrics_healthz(snap, r->now_us, r->now_unix_us, reason,
		                     sizeof(reason));
	}
	else
	{
		ok = metrics_readyz(snap, reason, sizeof(reason));
	}
	r->status = ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
	r->out.text = malloc(strlen(reason) + 2);
	if (r->out.text != NULL)
	{
		r->out.len = (size_t)sprintf(r->out.text, "%s\n", reason);
	}
}

static enum MHD_Result
http_reply(struct MHD_Connection *conn, unsigned int status, char *text,
           size_t len, const char *content_type)
{
	struct MHD_Response *response;
	enum MHD_Result result;

	response =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (response == NULL)
	{
		free(text);
		return MHD_NO;
	}
	(void)MHD_add_response_header(response, "Content-Type", content_type);
	(void)MHD_add_response_header(response, "Cache-Control", "no-store");
	result = MHD_queue_response(conn, status, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result
http_static(struct MHD_Connection *conn, unsigned int status, const char *body)
{
	char *text = strdup(body);

	if (text == NULL)
	{
		return MHD_NO;
	}
	return http_reply(conn, status, text, strlen(text),
	                  "text/plain; charset=utf-8");
}

static enum MHD_Result
http_handle(void *cls, struct MHD_Connection *conn, const char *url,
            const char *method, const char *version, const char *upload_data,
            size_t *upload_data_size, void **req_cls)
{
	HttpRender r = {.path = url};

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
	{
		return http_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                   "only GET and HEAD\n");
	}
	if (strcmp(url, "/metrics") != 0 && strcmp(url, "/healthz") != 0 &&
	    strcmp(url, "/readyz") != 0)
	{
		return http_static(conn, MHD_HTTP_NOT_FOUND,
		                   "not found: try /metrics, /healthz or /readyz\n");
	}
	r.now_us = common_monotonic_us();
	r.now_unix_us = common_now_us();
	r.rss_bytes = metrics_resident_bytes();
	metrics_with_published(http_render, &r);
	if (r.out.text == NULL)
	{
		return http_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                   "out of memory\n");
	}
	return http_reply(conn, r.status, r.out.text, r.out.len,
	                  strcmp(url, "/metrics") == 0
	                      ? "text/plain; version=0.0.4; charset=utf-8"
	                      : "text/plain; charset=utf-8");
}

Http *
http_start(const char *addr)
{
	Http *http = calloc(1, sizeof(Http));
	sigset_t blocked;
	sigset_t saved;

	if (http == NULL)
	{
		common_out_of_memory("the HTTP endpoint");
	}
	http->fd = http_listen(addr);
	if (http->fd < 0)
	{
		free(http);
		return NULL;
	}
	/* the polling thread inherits this mask: signals go to the main loop */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &blocked, &saved);
	http->daemon = MHD_start_daemon(
	    MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, http_handle, NULL, MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, http->fd, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)HTTP_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (http->daemon == NULL)
	{
		log_error("could not start the HTTP endpoint on \"%s\"", addr);
		close(http->fd);
		free(http);
		return NULL;
	}
	static bool is_atfork_set = false;

	if (!is_atfork_set)
	{
		(void)pthread_atfork(NULL, NULL, http_after_fork_child);
		is_atfork_set = true;
	}
	http_listen_fd = http->fd;
	log_info("serving /metrics, /healthz and /readyz on %s", addr);
	return http;
}

void
http_stop(Http *http)
{
	if (http == NULL)
	{
		return;
	}
	/*
	 * Quiescing hands the listening socket back, so it is closed once,
	 * here, after the thread that polled it has stopped.
	 */
	MHD_socket fd = MHD_quiesce_daemon(http->daemon);

	http_listen_fd = -1;
	MHD_stop_daemon(http->daemon);
	if (fd != MHD_INVALID_SOCKET)
	{
		(void)close(fd);
	}
	free(http);
}
