/*
 * reload.h: SIGHUP: switch the running pipeline to a configuration built
 * again, or refuse it and keep the running one.
 *
 * Pipeline: it rebuilds the processors and groups (sched), and re-prepares
 * the recompute's statements, between two batches; the stream, its
 * position, the lookups and the dirty keys of the groups that stay are
 * kept. It never touches the stream or the acknowledgement: the daemon
 * hands the new configuration on to them.
 */
#ifndef RECKON_RELOAD_H
#define RECKON_RELOAD_H

#include "config.h"
#include "daemon.h"
#include "recompute.h"
#include "sched.h"

/*
 * reload_configure: build the next configuration with load; check that a
 * reload may switch to it (config_reload_check) and that its statements
 * prepare on rc; then switch pipe and rc to it. Returns it (the caller
 * frees it with config_free and free once it is not running any more),
 * or NULL when refused, logged with the reason; running stays then.
 */
Config *reload_configure(const Config *running, DaemonLoadFn load,
                         void *load_arg, Pipeline *pipe,
                         Recompute *rc) WARN_UNUSED;

#endif
