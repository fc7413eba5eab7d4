/*
 * config_finish.h: the checks across a configuration's sections, once
 * every line is read (config_finish.c). Pipeline: config.c -> [finish] ->
 * the daemon's groups and processors.
 */
#ifndef RECKON_CONFIG_FINISH_H
#define RECKON_CONFIG_FINISH_H

#include "config.h"

/*
 * config_finish: validate config across its sections, compose each
 * processor's statements (owned by config, freed by config_free) and
 * derive the list of tables the stream must carry. False, logged with the
 * section it concerns, when the configuration cannot run; config is then
 * only to be freed.
 */
bool config_finish(Config *config) WARN_UNUSED;

#endif
