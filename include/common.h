/*
 * common.h: definitions every reckon module shares: the always-on ASSERT,
 * the OOM handler, the must-check attribute, exit codes, the LSN type, the
 * clocks and the HOST:PORT parser.
 *
 * Nothing here allocates; the only I/O is the FATAL line ASSERT and the OOM
 * handler log before they abort. It sits below every pipeline stage.
 */
#ifndef RECKON_COMMON_H
#define RECKON_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WARN_UNUSED __attribute__((warn_unused_result))
#define PRINTF_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))
#define NORETURN __attribute__((noreturn))

/* The version --version prints and reckon_build_info carries. */
#define RECKON_VERSION "0.1.0"

/* Exit codes; only main() exits, with one of these. */
#define EXIT_CODE_OK 0
#define EXIT_CODE_RUNTIME 1
#define EXIT_CODE_USAGE 2

/*
 * ASSERT stays on in every build: a broken invariant in a process that
 * acknowledges WAL must stop it rather than confirm something it did not do.
 * Only for programmer errors, never for outside data.
 */
NORETURN void common_assert_failed(const char *expr, const char *file,
                                   int line);
#define ASSERT(cond)                                                           \
	do                                                                         \
	{                                                                          \
		if (!(cond))                                                           \
		{                                                                      \
			common_assert_failed(#cond, __FILE__, __LINE__);                   \
		}                                                                      \
	} while (0)

/* common_out_of_memory: log and abort; the one answer to a failed malloc. */
NORETURN void common_out_of_memory(const char *what);

/* A WAL position, as PostgreSQL's XLogRecPtr; 0 is "invalid". */
typedef uint64_t Lsn;
#define LSN_INVALID ((Lsn)0)
#define LSN_FORMAT_ARGS(lsn) ((uint32_t)((lsn) >> 32)), ((uint32_t)(lsn))

/* Wall-clock and monotonic time in microseconds. */
int64_t common_now_us(void);
int64_t common_monotonic_us(void);

/*
 * common_split_addr: "HOST:PORT", "[IPV6]:PORT" or ":PORT" (every address)
 * into host ("" for every address) and port. False when malformed: no
 * port, a port outside 1..65535, or a host too long.
 */
bool common_split_addr(const char *addr, char *host, size_t host_size,
                       char *port, size_t port_size) WARN_UNUSED;

#endif
