/*
 * report.h: what the daemon tells about its pipeline: the group and read
 * server lines at start, the periodic stats line, and the processors' and
 * groups' part of the /metrics snapshot.
 *
 * Pipeline: it reads sched's groups and processors, ack's positions and
 * apply's counters, after the fact. It only reads (the stats line resets
 * each processor's slowest run, which only it reports) and never blocks.
 */
#ifndef RECKON_REPORT_H
#define RECKON_REPORT_H

#include "ack.h"
#include "apply.h"
#include "config.h"
#include "metrics.h"
#include "replica.h"
#include "sched.h"

/* report_start: one line per group, then where the processors read. */
void report_start(const Config *config, const Pipeline *pipe);

/*
 * report_stats: the "stats:" line: positions (server: the stream's server
 * end), dirty keys, the slowest run since the last line (then reset),
 * peak RSS, heartbeat latency and the read server's counts.
 */
void report_stats(const Config *config, Pipeline *pipe, const Ack *ack,
                  const ApplyStats *stats, Lsn server, const Replica *replica);

/* report_metrics: the processors' and groups' figures into m. */
void report_metrics(const Pipeline *pipe, MetricsSnapshot *m);

#endif
