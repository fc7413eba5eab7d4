/*
 * test_notify.c: unit tests for notify.c, the hand-written sd_notify
 * client. Each test plays the service manager: it binds an AF_UNIX datagram
 * socket, points NOTIFY_SOCKET at it and reads what notify_send sent. Covers
 * a filesystem socket, an abstract one ('@' form), an unset or empty
 * variable (a no-op that succeeds), a path nobody listens on, names that are
 * neither absolute nor abstract or do not fit sockaddr_un, the WARN-once
 * rule for failures, and a manager that stops reading: notify_send must
 * fail at once rather than block the stream.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "notify.h"

/* the fake manager's socket: the directory it lives in and its descriptor */
typedef struct Manager
{
	char dir[64];
	char path[128];
	int fd;
} Manager;

static int
manager_bind(const char *name, size_t name_len, bool is_abstract)
{
	struct sockaddr_un addr;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	assert_true(name_len < sizeof(addr.sun_path));
	/* an abstract name is sun_path[0] == '\0' then exactly name_len bytes */
	memcpy(addr.sun_path + (is_abstract ? 1 : 0), name, name_len);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len +
	                  (is_abstract ? 1 : 0));
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, len), 0);
	return fd;
}

static int
manager_setup(void **state)
{
	Manager *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	snprintf(m->dir, sizeof(m->dir), "/tmp/test_notify.XXXXXX");
	assert_non_null(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/notify", m->dir);
	m->fd = manager_bind(m->path, strlen(m->path), false);
	*state = m;
	return 0;
}

static int
manager_teardown(void **state)
{
	Manager *m = *state;

	unsetenv("NOTIFY_SOCKET");
	close(m->fd);
	unlink(m->path);
	rmdir(m->dir);
	free(m);
	return 0;
}

/* manager_expect: the next datagram on FD is exactly WANT */
static void
manager_expect(int fd, const char *want)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal((size_t)n, strlen(want));
	assert_string_equal(buf, want);
}

static void
test_notify_path(void **state)
{
	Manager *m = *state;

	assert_int_equal(setenv("NOTIFY_SOCKET", m->path, 1), 0);
	assert_true(notify_send("READY=1\nSTATUS=streaming"));
	manager_expect(m->fd, "READY=1\nSTATUS=streaming");
	assert_true(notify_send("STOPPING=1"));
	manager_expect(m->fd, "STOPPING=1");
}

static void
test_notify_abstract(void **state)
{
	char name[64];
	char env[sizeof(name) + 1];
	int fd;

	(void)state;
	/* pid and time: two test runs at once must not collide */
	snprintf(name, sizeof(name), "reckon-test-notify-%ld-%ld", (long)getpid(),
	         (long)time(NULL));
	snprintf(env, sizeof(env), "@%s", name);
	fd = manager_bind(name, strlen(name), true);
	assert_int_equal(setenv("NOTIFY_SOCKET", env, 1), 0);
	assert_true(notify_send("READY=1"));
	manager_expect(fd, "READY=1");
	close(fd);
}

static void
test_notify_unset_is_noop(void **state)
{
	Manager *m = *state;
	char buf[16];

	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_true(notify_send("READY=1"));
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_true(notify_send("READY=1"));
	/* and nothing reached the manager */
	assert_true(recv(m->fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
}

static void
test_notify_missing_path(void **state)
{
	Manager *m = *state;
	char missing[192];

	snprintf(missing, sizeof(missing), "%s/nobody-listens", m->dir);
	assert_int_equal(setenv("NOTIFY_SOCKET", missing, 1), 0);
	assert_false(notify_send("READY=1"));
	/* a later failure is logged at DEBUG but still reported */
	assert_false(notify_send("READY=1"));
}

static void
test_notify_bad_names(void **state)
{
	char too_long[200];
	static const char *const names[] = {"relative/notify", "@", "notify",
	                                    "vsock:2:1234"};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
	{
		assert_int_equal(setenv("NOTIFY_SOCKET", names[i], 1), 0);
		if (notify_send("READY=1"))
		{
			fail_msg("NOTIFY_SOCKET \"%s\" was accepted", names[i]);
		}
	}
	/* longer than sun_path: must be refused, never truncated */
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[0] = '/';
	too_long[sizeof(too_long) - 1] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", too_long, 1), 0);
	assert_false(notify_send("READY=1"));
	too_long[0] = '@';
	assert_int_equal(setenv("NOTIFY_SOCKET", too_long, 1), 0);
	assert_false(notify_send("READY=1"));
}

static int
count_lines(const char *text, const char *level, const char *needle)
{
	int count = 0;

	for (const char *line = text; line != NULL && *line != '\0';)
	{
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char one[1024];

		snprintf(one, sizeof(one), "%.*s", (int)len, line);
		if (strstr(one, level) != NULL && strstr(one, needle) != NULL)
		{
			count++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return count;
}

/*
 * The first failure is a WARN, the next ones DEBUG: a manager that went
 * away must not turn every STATUS update into a warning. notify.c keeps that
 * state for the life of the process, so this test runs before any other
 * that makes notify_send fail.
 */
static void
test_notify_warns_once(void **state)
{
	Manager *m = *state;
	char log_path[192];
	char text[4096];
	int saved = dup(STDERR_FILENO);
	int fd;
	ssize_t n;

	snprintf(log_path, sizeof(log_path), "%s/stderr", m->dir);
	fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);

	log_min_level = LOG_LEVEL_DEBUG;
	assert_int_equal(setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1), 0);
	assert_false(notify_send("READY=1"));
	assert_false(notify_send("STATUS=still nobody"));
	assert_false(notify_send("STOPPING=1"));
	log_min_level = LOG_LEVEL_ERROR;

	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(log_path);
	assert_true(n > 0);
	text[n] = '\0';
	assert_int_equal(count_lines(text, "level=warn ", "could not notify"), 1);
	assert_int_equal(count_lines(text, "level=debug ", "could not notify"), 2);
	/* quoted in the message, so escaped in logfmt's msg="..." */
	assert_non_null(strstr(text, "\\\"/nonexistent/notify\\\""));
}

/*
 * A manager that does not read: its queue fills and notify_send must then
 * fail (EAGAIN) instead of waiting. A blocking socket would hang this test.
 */
static void
test_notify_full_queue_does_not_block(void **state)
{
	Manager *m = *state;
	int sent = 0;

	assert_int_equal(setenv("NOTIFY_SOCKET", m->path, 1), 0);
	while (sent < 100000 && notify_send("STATUS=filling the queue"))
	{
		sent++;
	}
	assert_true(sent > 0);
	assert_true(sent < 100000);
	manager_expect(m->fd, "STATUS=filling the queue");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    /* first: it needs notify.c not to have warned yet */
	    cmocka_unit_test_setup_teardown(test_notify_warns_once, manager_setup,
	                                    manager_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_path, manager_setup,
	                                    manager_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_abstract, manager_setup,
	                                    manager_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_unset_is_noop,
	                                    manager_setup, manager_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_missing_path, manager_setup,
	                                    manager_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_bad_names, manager_setup,
	                                    manager_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_full_queue_does_not_block,
	                                    manager_setup, manager_teardown),
	};

	/* the failures these tests provoke are expected: keep the output short */
	log_min_level = LOG_LEVEL_ERROR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
