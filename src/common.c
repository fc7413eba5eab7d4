/*
 * common.c: the always-on assertion handler, the clocks and the HOST:PORT
 * parser shared by every module (see common.h).
 */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"

#define LOG_MODULE "assert"
#include "log.h"

void
common_assert_failed(const char *expr, const char *file, int line)
{
	log_write(LOG_LEVEL_FATAL, LOG_MODULE, "assertion \"%s\" failed at %s:%d",
	          expr, file, line);
	abort();
}

int64_t
common_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
common_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
common_out_of_memory(const char *what)
{
	log_write(LOG_LEVEL_FATAL, LOG_MODULE, "out of memory: %s", what);
	abort();
}

bool
common_split_addr(const char *addr, char *host, size_t host_size, char *port,
                  size_t port_size)
{
	const char *colon;
	const char *host_start = addr;
	size_t host_len;
	char *end;
	long number;

	if (addr[0] == '[')
	{
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':')
		{
			return false;
		}
		host_start = addr + 1;
		host_len = (size_t)(close - host_start);
		colon = close + 1;
	}
	else
	{
		colon = strrchr(addr, ':');
		if (colon == NULL)
		{
			return false;
		}
		host_len = (size_t)(colon - addr);
		/* an IPv6 address needs its brackets, or its port is ambiguous */
		if (memchr(addr, ':', host_len) != NULL)
		{
			return false;
		}
	}
	errno = 0;
	number = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || colon[1] < '0' || colon[1] > '9' ||
	    number < 1 || number > 65535 || host_len >= host_size)
	{
		return false;
	}
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	snprintf(port, port_size, "%ld", number);
	return true;
}
