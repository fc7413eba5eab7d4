/*
 * ack.c: the confirmable position (see ack.h, which states the rule this
 * file enforces). Pure bookkeeping, no I/O.
 *
 * Pipeline: apply -> [ack] -> stream; it reads sched's hold. It must never
 * hand out a position past a dirty or in-flight key's safe_lsn, nor one
 * below an earlier result: that promise is asserted here on update and
 * again in stream.c before sending.
 */
#include "ack.h"

void
ack_init(Ack *ack, Lsn confirmed)
{
	ack->received = confirmed;
	ack->flushed = confirmed;
	ack->in_transaction = false;
	ack->groups = NULL;
	ack->ngroups = 0;
}

void
ack_watch(Ack *ack, const Group *groups, int ngroups)
{
	ack->groups = groups;
	ack->ngroups = ngroups;
}

Lsn
ack_received(const Ack *ack)
{
	return ack->received;
}

Lsn
ack_flushed(const Ack *ack)
{
	return ack->flushed;
}

bool
ack_in_transaction(const Ack *ack)
{
	return ack->in_transaction;
}

void
ack_begin(Ack *ack)
{
	ack->in_transaction = true;
}

void
ack_commit(Ack *ack, Lsn end_lsn)
{
	ack->in_transaction = false;
	/*
	 * After a reconnect the server replays commits we already applied;
	 * their ends lie behind received and must not pull it back.
	 */
	if (end_lsn > ack->received)
	{
		ack->received = end_lsn;
	}
}

void
ack_keepalive(Ack *ack, Lsn wal_end)
{
	if (!ack->in_transaction && wal_end > ack->received)
	{
		ack->received = wal_end;
	}
}

Lsn
ack_flush_lsn(Ack *ack)
{
	Lsn hold = LSN_INVALID;
	bool has_hold = sched_hold(ack->groups, ack->ngroups, &hold);

	return ack_combine(ack, has_hold, hold);
}

bool
ack_is_idle(const Ack *ack)
{
	Lsn hold;

	return !ack->in_transaction &&
	       !sched_hold(ack->groups, ack->ngroups, &hold);
}

Lsn
ack_combine(Ack *ack, bool has_hold, Lsn hold)
{
	Lsn lsn = ack->received;

	if (has_hold && hold < lsn)
	{
		lsn = hold;
	}
	/*
	 * Keys are dirtied with safe_lsn = received at that moment, and received
	 * only grows, so the hold can never be behind an earlier result.
	 */
	ASSERT(lsn >= ack->flushed);
	ack->flushed = lsn;
	return lsn;
}

void
ack_restart(Ack *ack)
{
	ack->in_transaction = false;
}
