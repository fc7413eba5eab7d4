/*
 * ack.h: the LSN reckon may confirm to the server as flushed.
 *
 * Pipeline: stream -> decode -> apply -> dirty -> sched -> recompute ->
 * [ack] -> stream. The single writer of the confirmed position. It sits
 * beside apply in the daemon: apply reports commits and keepalives to it
 * (through the pointer apply_init was given), and the stream's flush
 * callback asks ack_flush_lsn() and reports nothing else.
 *
 * THE RULE: a position is confirmed only when every key dirtied before it
 * has been recomputed and committed. Enforced here, in ack_flush_lsn():
 * each key is dirtied with safe_lsn = "received" at that moment (the end
 * of the last commit applied in full), and keeps it while dirty and while
 * in flight; the confirmed position is received, lowered to the smallest
 * safe_lsn of any dirty or in-flight key of the watched groups (the hold,
 * sched_hold). A key leaves the hold only when its batch commits. The
 * result never goes backward (asserted here, and again in stream.c).
 */
#ifndef RECKON_ACK_H
#define RECKON_ACK_H

#include "common.h"
#include "sched.h"

typedef struct Ack
{
	/*
	 * The end of the latest commit (or keepalive position outside a
	 * transaction) such that every change before it has been applied to the
	 * dirty sets. A key dirtied now takes this as its safe_lsn.
	 */
	Lsn received;
	Lsn flushed; /* the last value handed out by ack_flush_lsn() */
	bool in_transaction;
	const Group *groups; /* borrowed: whose keys hold the position back */
	int ngroups;
} Ack;

/* ack_init: start from the slot's confirmed_flush_lsn, watching no group. */
void ack_init(Ack *ack, Lsn confirmed);

/*
 * ack_watch: the groups whose dirty and in-flight keys hold the position
 * back (at start, and after a reload changed them).
 */
void ack_watch(Ack *ack, const Group *groups, int ngroups);

/* ack_received: the end of the last commit applied in full. */
Lsn ack_received(const Ack *ack);

/* ack_flushed: the last position ack_flush_lsn() handed out. */
Lsn ack_flushed(const Ack *ack);

/* ack_in_transaction: a transaction is being received. */
bool ack_in_transaction(const Ack *ack);

void ack_begin(Ack *ack);
/* ack_commit: a commit ending at end_lsn has been applied in full. */
void ack_commit(Ack *ack, Lsn end_lsn);
/*
 * ack_keepalive: the server has sent everything before wal_end. Outside a
 * transaction that makes wal_end received; inside one it means nothing.
 */
void ack_keepalive(Ack *ack, Lsn wal_end);

/*
 * ack_flush_lsn: the position to confirm now, by THE RULE above: received,
 * lowered to the hold of the watched groups. Never less than the previous
 * result. The stream's flush callback.
 */
Lsn ack_flush_lsn(Ack *ack);

/*
 * ack_combine: ack_flush_lsn's arithmetic, for a given hold: received,
 * lowered to hold when has_hold. Never less than the previous result.
 */
Lsn ack_combine(Ack *ack, bool has_hold, Lsn hold);

/*
 * ack_is_idle: nothing half-received, and no key dirty or in flight: the
 * position is received itself.
 */
bool ack_is_idle(const Ack *ack);

/*
 * ack_restart: the stream reconnected; a transaction cut off midway will be
 * sent again from its beginning.
 */
void ack_restart(Ack *ack);

#endif
