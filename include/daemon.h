/*
 * daemon.h: the main loop that ties the pipeline together: stream ->
 * decode -> apply -> dirty -> sched -> recompute -> ack -> stream.
 */
#ifndef RECKON_DAEMON_H
#define RECKON_DAEMON_H

#include "config.h"

/*
 * DaemonLoadFn: build the configuration again, as at start (the file,
 * then the command line); false, logged, when it is not valid. config is
 * the caller's to free either way (config_free).
 */
typedef bool (*DaemonLoadFn)(void *arg, Config *config);

/*
 * daemon_run: run until stopped by SIGINT/SIGTERM, --endpos, or a failure;
 * on SIGHUP, switch to what load builds (see config_reload_check for what
 * a reload may change). Returns an EXIT_CODE_*; never exits itself.
 */
int daemon_run(const Config *config, DaemonLoadFn load, void *load_arg);

/*
 * daemon_backfill: `reckon backfill`: recompute every key of every group
 * (or of processor's group, with only that processor) on the configured,
 * existing slot, beside a running daemon, resuming this slot's unfinished
 * manual run for the same processor if there is one. SIGINT/SIGTERM stop
 * between batches. Returns an EXIT_CODE_*.
 */
int daemon_backfill(const Config *config, const char *processor);

#endif
