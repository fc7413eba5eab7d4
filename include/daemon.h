/*
 * daemon.h: the main loop that ties the pipeline together: stream ->
 * decode -> apply -> dirty -> sched -> recompute -> ack -> stream.
 */
#ifndef RECKON_DAEMON_H
#define RECKON_DAEMON_H

#include "config.h"

/*
 * daemon_run: run until stopped by SIGINT/SIGTERM, --endpos, or a failure.
 * Returns an EXIT_CODE_*; never exits itself.
 */
int daemon_run(const Config *config);

#endif
