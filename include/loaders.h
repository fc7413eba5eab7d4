/*
 * loaders.h: the start-up loads that come before the stream: the lookup
 * maps apply.c routes by, and each group's saturated keys.
 *
 * Pipeline: they fill apply's lookups and sched's saturated sets once,
 * before stream -> decode -> apply runs, so no batch is in flight yet.
 * They only read: they never write a row and never run a batch.
 */
#ifndef RECKON_LOADERS_H
#define RECKON_LOADERS_H

#include "apply.h"
#include "common.h"
#include "config.h"
#include "replica.h"
#include "sched.h"
#include "session.h"

/*
 * loaders_lookups: fill apply's lookup maps from their tables: on the read
 * server (replica) once it has replayed start (the position the stream
 * starts from: it brings every change after), else on primary.
 */
PgconnStatus loaders_lookups(Session *primary, Replica *replica,
                             const Config *config, Apply *apply,
                             Lsn start) WARN_UNUSED;

/*
 * loaders_saturated: run each group's saturated_seed statement and mark
 * the keys it returns.
 */
PgconnStatus loaders_saturated(Session *s, Group *groups,
                               int ngroups) WARN_UNUSED;

#endif
