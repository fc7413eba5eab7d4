/*
 * heartbeat.h: the daemon's heartbeat: a logical message it emits on its
 * SQL session every heartbeat_interval, which comes back through the
 * stream so apply can log the stream's latency.
 *
 * Pipeline: session -> (the server's WAL) -> stream -> decode -> apply.
 * It only writes a logical message: never a row, and never a position to
 * confirm (its record is confirmed like any keepalive's, by ack).
 */
#ifndef RECKON_HEARTBEAT_H
#define RECKON_HEARTBEAT_H

#include "common.h"
#include "config.h"
#include "metrics.h"
#include "session.h"

typedef struct Heartbeat
{
	int64_t due_us; /* monotonic: the next beat */
	bool is_off;    /* its statement failed in a way a retry cannot fix */
} Heartbeat;

/*
 * heartbeat_tick: emit a heartbeat on s when one is due and is_ready
 * (both connections up). A failure only costs this beat (counted in m): a
 * bad connection is reconnected by the daemon, and an error a retry
 * cannot fix (no permission) turns heartbeats off, logged.
 */
void heartbeat_tick(Heartbeat *hb, const Config *config, Session *s,
                    MetricsSnapshot *m, int64_t now_us, bool is_ready);

#endif
