/*
 * ack.h: the LSN reckon may confirm to the server as flushed.
 *
 * Pipeline: stream -> decode -> apply -> dirty -> recompute -> [ack] ->
 * stream. The single writer of the confirmed position: apply moves
 * "received" as commits and keepalives arrive, and ack_flush_lsn() combines
 * it with the oldest dirty or in-flight key (the "hold"). The result never
 * goes backward; stream.c reports nothing else.
 */
#ifndef RECKON_ACK_H
#define RECKON_ACK_H

#include "common.h"

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
} Ack;

/* ack_init: start from the slot's confirmed_flush_lsn. */
void ack_init(Ack *ack, Lsn confirmed);

void ack_begin(Ack *ack);
/* ack_commit: a commit ending at end_lsn has been applied in full. */
void ack_commit(Ack *ack, Lsn end_lsn);
/*
 * ack_keepalive: the server has sent everything before wal_end. Outside a
 * transaction that makes wal_end received; inside one it means nothing.
 */
void ack_keepalive(Ack *ack, Lsn wal_end);

/*
 * ack_flush_lsn: the position to confirm: received, lowered to hold when
 * has_hold (the smallest safe_lsn of any dirty or in-flight key). Never less
 * than the previous result.
 */
Lsn ack_flush_lsn(Ack *ack, bool has_hold, Lsn hold);

/*
 * ack_restart: the stream reconnected; a transaction cut off midway will be
 * sent again from its beginning.
 */
void ack_restart(Ack *ack);

#endif
