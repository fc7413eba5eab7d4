/*
 * backfill_run.h: the backfills as whole jobs: `reckon backfill`, and the
 * daemon's bootstrap of a new slot or the finish of one cut off.
 *
 * Pipeline: beside sched -> recompute, before (bootstrap) or beside
 * (`reckon backfill`) the stream; backfill.h runs the batches. These set a
 * backfill up (connection, checks, runs planned or resumed) and never
 * stream themselves.
 */
#ifndef RECKON_BACKFILL_RUN_H
#define RECKON_BACKFILL_RUN_H

#include <signal.h>

#include "common.h"
#include "config.h"
#include "recompute.h"
#include "sched.h"
#include "stream.h"

/*
 * backfill_run_command: `reckon backfill`: recompute every key of every
 * group (or of processor's group, with only that processor) on the
 * configured, existing slot, beside a running daemon, resuming this slot's
 * unfinished manual run for the same processor if there is one. stop
 * (set by SIGINT/SIGTERM) stops between batches. Returns an EXIT_CODE_*.
 */
int backfill_run_command(const Config *config, const char *processor,
                         volatile sig_atomic_t *stop);

/*
 * backfill_run_bootstrap: a new slot: the backfill's runs are planned
 * (committed) before the slot exists, so a crash at any later point
 * leaves runs that the next start resumes; then the slot is created on
 * stream's connection with an exported snapshot (*consistent: its
 * consistent point), and every key of every group of pipe is recomputed
 * from that snapshot while the connection holds it. Returns an
 * EXIT_CODE_*.
 */
int backfill_run_bootstrap(const Config *config, Recompute *rc, Pipeline *pipe,
                           Stream *stream, Lsn *consistent,
                           volatile sig_atomic_t *stop);

/*
 * backfill_run_resume: an existing slot whose bootstrap backfill did not
 * finish: finish it, each batch from a fresh snapshot. Returns an
 * EXIT_CODE_*.
 */
int backfill_run_resume(const Config *config, Recompute *rc, Pipeline *pipe,
                        volatile sig_atomic_t *stop);

#endif
