/*
 * ack.c: the confirmable position (see ack.h). Pure bookkeeping, no I/O.
 * Its one promise, that the confirmed LSN never moves back, is asserted
 * here on update and again in stream.c before sending.
 */
#include "ack.h"

void
ack_init(Ack *ack, Lsn confirmed)
{
	ack->received = confirmed;
	ack->flushed = confirmed;
	ack->in_transaction = false;
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
ack_flush_lsn(Ack *ack, bool has_hold, Lsn hold)
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
