/*
 * http.h: the operator's HTTP endpoint (libmicrohttpd, in a thread of its
 * own): GET /metrics (Prometheus text format), /healthz and /readyz (200,
 * or 503 with a one-line reason), all from the snapshot the daemon
 * publishes (metrics.h). It never touches the database or the pipeline, so
 * a scrape answers even while reckon waits on a connection.
 */
#ifndef RECKON_HTTP_H
#define RECKON_HTTP_H

#include "common.h"

typedef struct Http Http;

/*
 * http_start: listen on addr and serve from a new thread. NULL, logged
 * naming addr and the setting, when the address does not resolve or cannot
 * be bound (in use, not local). The caller owns the result: http_stop().
 */
Http *http_start(const char *addr);

/* http_stop: stop serving, join the thread and free http (NULL is fine). */
void http_stop(Http *http);

#endif
