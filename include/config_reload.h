/*
 * config_reload.h: whether a configuration read on SIGHUP may replace the
 * running one (config_reload.c). Pipeline: beside config; the daemon asks
 * before it touches anything running.
 */
#ifndef RECKON_CONFIG_RELOAD_H
#define RECKON_CONFIG_RELOAD_H

#include <stddef.h>

#include "config.h"

/*
 * config_reload_check: whether the running configuration old can become
 * new without a restart (SIGHUP): processors and groups added or removed,
 * windows, batch sizes, timings and limits may change; the connection, the
 * slot, the HTTP address, the lookups, the decoder's limits, the dirty
 * rules of a group that stays, and any table not streamed yet may not. On
 * false, why holds the reason.
 */
bool config_reload_check(const Config *old, const Config *new, char *why,
                         size_t size) WARN_UNUSED;

#endif
