/*
 * notify.h: tell the service manager (systemd, Type=notify) about the
 * daemon's state through the sd_notify datagram protocol, without linking
 * libsystemd. It sits beside the pipeline: main/daemon call it on state
 * changes (streaming, reloading, stopping); no stage depends on it.
 */
#ifndef RECKON_NOTIFY_H
#define RECKON_NOTIFY_H

#include "common.h"

/*
 * notify_send: send STATE (newline-separated assignments such as
 * "READY=1\nSTATUS=streaming") as one datagram to the socket named by
 * $NOTIFY_SOCKET: a path, or an abstract socket when it starts with '@'.
 * Returns true without doing anything when the variable is unset or empty
 * (not started by systemd). Returns false on any error (an unusable
 * address, nobody listening, a full socket buffer): the first failure is
 * logged at WARN, later ones at DEBUG, so a manager that went away does
 * not flood the log. Never blocks, keeps no descriptor open between calls
 * and leaves the environment untouched. The caller keeps STATE.
 *
 * Not WARN_UNUSED, unlike other fallible functions: the failure is logged
 * here, and the daemon streams on whether or not the manager heard it, so a
 * caller usually has nothing to do with the result (and gcc does not let
 * "(void)" discard a warn_unused_result value). Tests and callers that do
 * care check it.
 */
bool notify_send(const char *state);

#endif
