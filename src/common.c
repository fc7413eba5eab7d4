/*
 * common.c: the always-on assertion handler and clocks shared by every
 * module (see common.h).
 */
#include "common.h"

#include <stdlib.h>

#include "hash.h"
#include <time.h>

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
