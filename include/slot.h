/*
 * slot.h: inspect, list and create replication slots through SQL
 * functions, with the slot name always a parameter (reckon-slot drops and
 * advances them itself, the same way). Shared by the daemon (slot_inspect
 * and slot_check before the stream starts; slot_inspect,
 * slot_describe_holder and slot_lost_steps when START_REPLICATION fails on
 * a busy or lost slot) and by reckon-slot (tools/reckon_slot.c), so both
 * read the same columns the same way.
 */
#ifndef RECKON_SLOT_H
#define RECKON_SLOT_H

#include "common.h"
#include "config.h"
#include "pgconn.h"

#define SLOT_TEXT_MAX 160

/* One row of pg_replication_slots, with the WAL it holds back. */
typedef struct SlotInfo
{
	bool exists;
	char name[CONFIG_NAME_MAX];
	bool is_logical;                /* slot_type 'logical' (else 'physical') */
	char plugin[CONFIG_NAME_MAX];   /* "" for a physical slot */
	char database[CONFIG_NAME_MAX]; /* "" for a physical slot */
	bool is_this_database;
	bool is_active;
	int active_pid; /* 0 when inactive */
	/* who holds it: "pid N (application A, client C, since T)"; "" if none */
	char holder[SLOT_TEXT_MAX];
	Lsn restart_lsn;     /* LSN_INVALID when NULL */
	Lsn confirmed_flush; /* LSN_INVALID when NULL (physical) */
	char wal_status[32]; /* reserved, extended, unreserved, lost, or "" */
	bool has_safe_wal_size;
	int64_t safe_wal_size;
	/*
	 * Bytes from confirmed_flush (lag: what the consumer has not confirmed)
	 * and from restart_lsn (retained: WAL the server keeps for the slot) to
	 * the server's current WAL position; -1 when the LSN is NULL.
	 */
	int64_t lag_bytes;
	int64_t retained_bytes;
} SlotInfo;

/* slot_inspect: what pg_replication_slots says about name (exists false). */
PgconnStatus slot_inspect(Pgconn *conn, const char *name,
                          SlotInfo *info) WARN_UNUSED;

/* slot_list: every slot of the cluster, by name; *slots is caller-freed. */
PgconnStatus slot_list(Pgconn *conn, SlotInfo **slots, int *nslots) WARN_UNUSED;

/* slot_create: a wal2json logical slot; *consistent is where it starts. */
PgconnStatus slot_create(Pgconn *conn, const char *name,
                         Lsn *consistent) WARN_UNUSED;

/*
 * slot_check: whether the inspected slot name exists and is a wal2json
 * slot of this database that still has its WAL; *confirmed is its
 * confirmed_flush_lsn. False, logged with what to do, otherwise.
 */
bool slot_check(const SlotInfo *info, const char *name,
                Lsn *confirmed) WARN_UNUSED;

/*
 * slot_describe_holder: "pid N (application A, ...)" for the process that
 * holds name, or "no process" if none does now, into buf. For the log line
 * of a busy slot; a failure to ask leaves "an unknown process".
 */
void slot_describe_holder(Pgconn *conn, const char *name, char *buf,
                          size_t size);

/* slot_lost_steps: the recovery runbook of a lost slot, one line. */
const char *slot_lost_steps(void);

#endif
