/*
 * test_ack.c: unit tests for ack.c, the confirmable position. Covers, as
 * scripts of begin/commit/keepalive/restart events with the expected
 * "received" after each: ack_init starts from the slot's confirmed
 * position; a keepalive moves received outside a transaction but not inside
 * one; a commit moves it to its end; a replayed commit with an older end
 * (after a reconnect) or an older keepalive never moves it back; ack_restart
 * ends a transaction cut off midway. Then ack_combine: min(received, hold),
 * received when there is no hold, and never below an earlier result across a
 * sequence of calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ack.h"

typedef enum Op
{
	OP_END = 0,
	OP_BEGIN,
	OP_COMMIT,
	OP_KEEPALIVE,
	OP_RESTART
} Op;

typedef struct Step
{
	Op op;
	Lsn lsn;      /* commit end or keepalive wal_end */
	Lsn received; /* expected after the step */
	bool in_xact; /* expected after the step */
} Step;

typedef struct Script
{
	const char *name;
	Lsn confirmed;
	Step steps[12];
} Script;

static const Script scripts[] = {
    {"keepalive outside a transaction moves received",
     100,
     {{OP_KEEPALIVE, 150, 150, false},
      {OP_KEEPALIVE, 150, 150, false},
      {OP_KEEPALIVE, 400, 400, false}}},
    {"keepalive inside a transaction does not",
     100,
     {{OP_BEGIN, 0, 100, true},
      {OP_KEEPALIVE, 500, 100, true},
      {OP_COMMIT, 300, 300, false},
      {OP_KEEPALIVE, 500, 500, false}}},
    {"commit moves received to its end",
     100,
     {{OP_BEGIN, 0, 100, true},
      {OP_COMMIT, 200, 200, false},
      {OP_BEGIN, 0, 200, true},
      {OP_COMMIT, 250, 250, false}}},
    {"replayed commits after a reconnect do not move received back",
     100,
     {{OP_BEGIN, 0, 100, true},
      {OP_COMMIT, 500, 500, false},
      {OP_RESTART, 0, 500, false},
      {OP_BEGIN, 0, 500, true},
      {OP_COMMIT, 300, 500, false},
      {OP_BEGIN, 0, 500, true},
      {OP_COMMIT, 500, 500, false},
      {OP_BEGIN, 0, 500, true},
      {OP_COMMIT, 600, 600, false}}},
    {"a start from confirmed replays older commits harmlessly",
     1000,
     {{OP_BEGIN, 0, 1000, true},
      {OP_COMMIT, 10, 1000, false},
      {OP_KEEPALIVE, 900, 1000, false},
      {OP_KEEPALIVE, 0, 1000, false}}},
    {"restart ends a transaction cut off midway",
     100,
     {{OP_BEGIN, 0, 100, true},
      {OP_KEEPALIVE, 700, 100, true},
      {OP_RESTART, 0, 100, false},
      {OP_KEEPALIVE, 700, 700, false}}},
    {"restart outside a transaction changes nothing",
     100,
     {{OP_RESTART, 0, 100, false},
      {OP_KEEPALIVE, 120, 120, false},
      {OP_RESTART, 0, 120, false}}},
    {"the largest LSN",
     0,
     {{OP_KEEPALIVE, UINT64_MAX - 1, UINT64_MAX - 1, false},
      {OP_BEGIN, 0, UINT64_MAX - 1, true},
      {OP_COMMIT, UINT64_MAX, UINT64_MAX, false}}},
};

static void
run_script(const Script *s)
{
	Ack ack;

	ack_init(&ack, s->confirmed);
	if (ack.received != s->confirmed || ack.flushed != s->confirmed ||
	    ack.in_transaction)
	{
		fail_msg("%s: ack_init(%X/%X) did not start from it", s->name,
		         LSN_FORMAT_ARGS(s->confirmed));
	}
	for (int i = 0; s->steps[i].op != OP_END; i++)
	{
		const Step *st = &s->steps[i];

		switch (st->op)
		{
			case OP_BEGIN:
				ack_begin(&ack);
				break;
			case OP_COMMIT:
				ack_commit(&ack, st->lsn);
				break;
			case OP_KEEPALIVE:
				ack_keepalive(&ack, st->lsn);
				break;
			case OP_RESTART:
				ack_restart(&ack);
				break;
			case OP_END:
				break;
		}
		if (ack.received != st->received)
		{
			fail_msg("%s, step %d: received %X/%X, expected %X/%X", s->name, i,
			         LSN_FORMAT_ARGS(ack.received),
			         LSN_FORMAT_ARGS(st->received));
		}
		if (ack.in_transaction != st->in_xact)
		{
			fail_msg("%s, step %d: in_transaction %d, expected %d", s->name, i,
			         ack.in_transaction, st->in_xact);
		}
		/* nothing but ack_combine (ack_flush_lsn) moves flushed */
		if (ack.flushed != s->confirmed)
		{
			fail_msg("%s, step %d: flushed moved", s->name, i);
		}
	}
}

static void
test_ack_scripts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
	{
		run_script(&scripts[i]);
	}
}

static void
test_ack_init(void **state)
{
	Ack ack;

	(void)state;
	ack_init(&ack, 0x16B374D848);
	assert_true(ack.received == 0x16B374D848);
	assert_true(ack.flushed == 0x16B374D848);
	assert_false(ack.in_transaction);
	assert_true(ack_combine(&ack, false, 0) == 0x16B374D848);
	/* a hold at the start position keeps it there */
	assert_true(ack_combine(&ack, true, 0x16B374D848) == 0x16B374D848);
	/* watching no group: nothing holds, received is confirmed */
	assert_true(ack_is_idle(&ack));
	assert_true(ack_flush_lsn(&ack) == 0x16B374D848);

	/* a fresh slot */
	ack_init(&ack, LSN_INVALID);
	assert_true(ack_combine(&ack, false, 0) == LSN_INVALID);
	assert_true(ack_combine(&ack, true, LSN_INVALID) == LSN_INVALID);
}

typedef struct FlushCase
{
	Lsn received;
	bool has_hold;
	Lsn hold;
	Lsn expected;
} FlushCase;

static void
test_ack_flush_is_min(void **state)
{
	static const FlushCase cases[] = {
	    {500, false, 0, 500},  {500, false, 100, 500}, {500, true, 100, 100},
	    {500, true, 500, 500}, {500, true, 900, 500},  {500, true, 499, 499},
	    {100, true, 100, 100}, {100, false, 0, 100},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const FlushCase *c = &cases[i];
		Ack ack;
		Lsn got;

		ack_init(&ack, 100);
		ack_keepalive(&ack, c->received);
		got = ack_combine(&ack, c->has_hold, c->hold);
		if (got != c->expected)
		{
			fail_msg("case %zu: flush %X/%X, expected %X/%X", i,
			         LSN_FORMAT_ARGS(got), LSN_FORMAT_ARGS(c->expected));
		}
		assert_true(ack.flushed == got);
		assert_true(ack.received == c->received);
	}
}

static void
test_ack_flush_monotonic(void **state)
{
	/*
	 * A daemon-like sequence: keys are dirtied with safe_lsn = received,
	 * so a hold is never below an earlier result. The result must never go
	 * down, whether received or the hold moves.
	 */
	Ack ack;
	Lsn prev;
	Lsn got;

	(void)state;
	ack_init(&ack, 100);
	prev = ack_combine(&ack, false, 0);
	assert_true(prev == 100);

	ack_begin(&ack);
	/* a key dirtied inside this transaction: safe_lsn = 100 */
	ack_keepalive(&ack, 180);
	got = ack_combine(&ack, true, 100);
	assert_true(got == 100);
	assert_true(got >= prev);
	prev = got;

	ack_commit(&ack, 200);
	got = ack_combine(&ack, true, 100);
	assert_true(got == 100);
	prev = got;

	/* the batch committed: no hold, received passes through */
	got = ack_combine(&ack, false, 0);
	assert_true(got == 200);
	assert_true(got >= prev);
	prev = got;

	/* a new key at 200, and the stream moves on */
	ack_keepalive(&ack, 350);
	got = ack_combine(&ack, true, 200);
	assert_true(got == 200);
	assert_true(got >= prev);
	prev = got;

	/* a replay after a reconnect must not pull anything back */
	ack_restart(&ack);
	ack_begin(&ack);
	ack_commit(&ack, 150);
	got = ack_combine(&ack, true, 200);
	assert_true(got == 200);
	assert_true(ack.received == 350);
	prev = got;

	got = ack_combine(&ack, true, 300);
	assert_true(got == 300);
	assert_true(got >= prev);
	prev = got;

	got = ack_combine(&ack, false, 0);
	assert_true(got == 350);
	assert_true(got >= prev);

	/* repeated calls with nothing new return the same */
	for (int i = 0; i < 3; i++)
	{
		assert_true(ack_combine(&ack, false, 0) == 350);
		assert_true(ack_combine(&ack, true, 350) == 350);
		assert_true(ack_combine(&ack, true, 1000) == 350);
	}
	assert_true(ack.flushed == 350);
}

static void
test_ack_restart_clears_transaction(void **state)
{
	Ack ack;

	(void)state;
	ack_init(&ack, 10);
	ack_begin(&ack);
	assert_true(ack.in_transaction);
	ack_restart(&ack);
	assert_false(ack.in_transaction);
	assert_true(ack.received == 10);
	assert_true(ack.flushed == 10);
	/* the replayed transaction begins again and commits */
	ack_begin(&ack);
	assert_true(ack.in_transaction);
	ack_commit(&ack, 40);
	assert_false(ack.in_transaction);
	assert_true(ack.received == 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ack_scripts),
	    cmocka_unit_test(test_ack_init),
	    cmocka_unit_test(test_ack_flush_is_min),
	    cmocka_unit_test(test_ack_flush_monotonic),
	    cmocka_unit_test(test_ack_restart_clears_transaction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
