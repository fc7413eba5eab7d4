/*
 * heartbeat.c: the heartbeat statement (see heartbeat.h), sql/heartbeat.sql.
 *
 * Pipeline: session -> server WAL -> stream -> apply. Between batches the
 * SQL session is idle; while the statement runs, the session's wait
 * serves the stream as during a recompute, so our own message may come
 * back before the statement's result does. It must never block the loop
 * longer than HEARTBEAT_TIMEOUT_MS.
 */
#include "heartbeat.h"

#include <inttypes.h>
#include <stdio.h>

#define LOG_MODULE "daemon"
#include "log.h"

/* Client-side bound of the heartbeat statement (it does no real work). */
#define HEARTBEAT_TIMEOUT_MS (10 * 1000)

void
heartbeat_tick(Heartbeat *hb, const Config *config, Session *s,
               MetricsSnapshot *m, int64_t now_us, bool is_ready)
{
	char sent_us[32];
	const char *values[1] = {sent_us};
	PgconnStatus status;

	if (config->heartbeat_interval_ms == 0 || hb->is_off ||
	    now_us < hb->due_us || !is_ready)
	{
		return;
	}
	hb->due_us = now_us + config->heartbeat_interval_ms * 1000;
	snprintf(sent_us, sizeof(sent_us), "%" PRId64, common_now_us());
	status = session_exec_within(s, HEARTBEAT_TIMEOUT_MS, "heartbeat",
	                             session_sql("heartbeat"), 1, values);
	if (status != PGCONN_OK)
	{
		char class_[3];

		metrics_count_error(m, METRICS_SOURCE_HEARTBEAT,
		                    session_error_class(s, class_));
	}
	if (status == PGCONN_FAIL)
	{
		log_error("heartbeats are off until reckon restarts: the heartbeat "
		          "statement failed (see above)");
		hb->is_off = true;
	}
}
