/*
 * notify.c: the sd_notify protocol written out by hand (see notify.h), so
 * that reckon can run as a systemd Type=notify service without linking
 * libsystemd. It sits beside the pipeline: the daemon reports its state
 * (READY=1 once streaming, RELOADING=1, STOPPING=1, STATUS=...) and nothing
 * in the pipeline waits on it.
 *
 * The protocol (sd_notify(3)): $NOTIFY_SOCKET names an AF_UNIX datagram
 * socket, either a filesystem path ("/run/systemd/notify") or, when it
 * starts with '@', an abstract socket whose name is the rest with a leading
 * NUL byte instead of the '@'. Each message is one datagram of
 * newline-separated VARIABLE=value lines. systemd learns the sender's pid
 * from the socket's credentials, so with the default NotifyAccess=main only
 * the main process may send: the trending child must never call this.
 *
 * It must never block the stream: the socket is non-blocking and a full
 * receive buffer is a failure, not a wait; and it must never kill the
 * process: MSG_NOSIGNAL, although a datagram socket raises no SIGPIPE today.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_MODULE "notify"
#include "log.h"

/*
 * Whether a failure has been logged at WARN yet. One warning tells the
 * operator that the manager does not hear us; repeating it on every STATUS
 * update would only bury the rest of the log.
 */
static bool notify_has_warned = false;

static LogLevel
notify_fail_level(void)
{
	LogLevel level = notify_has_warned ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN;

	notify_has_warned = true;
	return level;
}

/*
 * NOTIFY_FAIL: log one failure at notify_fail_level(). LOG_AT evaluates its
 * level twice, so the level is taken once, before it.
 */
#define NOTIFY_FAIL(...)                                                       \
	do                                                                         \
	{                                                                          \
		LogLevel fail_level = notify_fail_level();                             \
		LOG_AT(fail_level, __VA_ARGS__);                                       \
	} while (0)

/*
 * notify_address: fill ADDR and LEN from NAME, the value of $NOTIFY_SOCKET.
 * A path keeps its terminating NUL in LEN (as systemd sends it); an abstract
 * name must not, since every byte of LEN is part of an abstract name.
 */
static bool
notify_address(const char *name, struct sockaddr_un *addr, socklen_t *len)
{
	size_t name_len = strlen(name);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (name[0] == '@' && name_len >= 2 && name_len <= sizeof(addr->sun_path))
	{
		/* sun_path[0] stays '\0': that is what makes it abstract */
		memcpy(addr->sun_path + 1, name + 1, name_len - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len);
		return true;
	}
	if (name[0] == '/' && name_len < sizeof(addr->sun_path))
	{
		memcpy(addr->sun_path, name, name_len + 1);
		*len =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);
		return true;
	}
	NOTIFY_FAIL("NOTIFY_SOCKET \"%s\" is neither an absolute path nor an "
	            "@abstract name of at most %zu bytes",
	            name, sizeof(addr->sun_path) - 1);
	return false;
}

bool
notify_send(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t addr_len;
	size_t state_len;
	ssize_t sent;
	int fd;

	ASSERT(state != NULL);
	state_len = strlen(state);
	ASSERT(state_len > 0);

	if (name == NULL || name[0] == '\0')
	{
		/* not started by a service manager that listens: nothing to do */
		return true;
	}
	if (!notify_address(name, &addr, &addr_len))
	{
		/* error already logged */
		return false;
	}

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
	{
		NOTIFY_FAIL("could not create a socket to notify "
		            "the service manager: %m");
		return false;
	}
	do
	{
		sent = sendto(fd, state, state_len, MSG_NOSIGNAL,
		              (const struct sockaddr *)&addr, addr_len);
	} while (sent < 0 && errno == EINTR);

	if (sent < 0)
	{
		/* %m before close(), which may change errno */
		NOTIFY_FAIL("could not notify the service manager at \"%s\": %m", name);
		close(fd);
		return false;
	}
	close(fd);
	if ((size_t)sent != state_len)
	{
		/* a datagram goes whole or not at all; the manager got a torn one */
		NOTIFY_FAIL("could not notify the service manager at \"%s\": sent %zd "
		            "of %zu bytes",
		            name, sent, state_len);
		return false;
	}
	log_debug("told the service manager: %s", state);
	return true;
}
