/*
 * backfill.h: recompute every key of some groups, in bounded batches,
 * resumably: the bootstrap of a new slot (from the snapshot the slot
 * exported, before the stream starts at its consistent point) and
 * `reckon backfill` (beside a running daemon).
 *
 * Pipeline: it sits beside sched -> recompute, feeding recompute_page()
 * pages of keys from each group's rescan_keys statement instead of dirty
 * keys. Progress lives in reckon.backfill_runs and reckon.backfill_batches
 * (sql/state.sql); each batch is recorded in its own transaction, so a run
 * killed at any point resumes after its last committed batch.
 */
#ifndef RECKON_BACKFILL_H
#define RECKON_BACKFILL_H

#include <signal.h>

#include "common.h"
#include "config.h"
#include "recompute.h"
#include "sched.h"

typedef enum BackfillKind
{
	BACKFILL_BOOTSTRAP, /* the daemon's, for the slot it created */
	BACKFILL_MANUAL     /* `reckon backfill` */
} BackfillKind;

/* One run: one group (or one of its members) for one slot. */
typedef struct BackfillRun
{
	int64_t run_id;
	Group *group;                    /* borrowed */
	char processor[CONFIG_NAME_MAX]; /* "" for every member */
	int64_t after;                   /* the last key done */
	int64_t batches_before;          /* committed by an earlier process */
	int64_t keys_before;
	int64_t batches; /* committed by this process */
	int64_t keys;
	int64_t completions;
	int64_t rows;
	bool is_finished;
} BackfillRun;

typedef struct Backfill
{
	Recompute *rc; /* borrowed, connected */
	const char *slot;
	BackfillKind kind;
	const char *only; /* a processor id, or NULL for every group */
	BackfillRun runs[CONFIG_PROCESSORS_MAX];
	int nruns;
	/* totals of this process, for the progress line and the summary */
	int64_t keys;
	int64_t keys_total;
	int64_t started_us;
	int64_t snapshot_fallbacks;
	int64_t retries;
	bool is_tty;                 /* a progress bar on stderr */
	volatile sig_atomic_t *stop; /* set by a signal: stop between batches */
	int64_t progress_due_us;
} Backfill;

/*
 * backfill_init: a backfill of kind for slot, over every group or the one
 * holding processor only. stop is polled between batches.
 */
void backfill_init(Backfill *bf, Recompute *rc, const char *slot,
                   BackfillKind kind, const char *only,
                   volatile sig_atomic_t *stop);

/*
 * backfill_check: the state tables exist and the role can use them. FAIL
 * otherwise, logged with what to run when required (quietly for a start
 * that only looks for runs to resume).
 */
PgconnStatus backfill_check(Backfill *bf, bool required) WARN_UNUSED;

/*
 * backfill_load: the unfinished runs of this kind for the slot (and, for
 * a manual backfill, for the same processor), each with the last key its
 * recorded batches reached, and claim them (a session advisory lock per
 * run: FAIL if another process runs one). nruns 0: none.
 */
PgconnStatus backfill_load(Backfill *bf, Group *groups,
                           int ngroups) WARN_UNUSED;

/*
 * backfill_plan: new runs, one per group (or the one group of only),
 * committed before anything else happens, and claimed. For a bootstrap,
 * the slot's earlier unfinished bootstrap runs are dropped first: they
 * were for a slot that no longer exists, and this one covers everything.
 */
PgconnStatus backfill_plan(Backfill *bf, Group *groups,
                           int ngroups) WARN_UNUSED;

/*
 * backfill_execute: run every loaded or planned run to its end, batch by
 * batch, reading from snapshot (an exported snapshot name; NULL or "":
 * each batch its own), with progress shown. A batch the snapshot cannot
 * serve any more (the exporting connection gone, a row changed after it)
 * is read from a fresh snapshot, and the rest too (logged, counted): the
 * stream replays every change after the slot's consistent point anyway.
 * OK: every run finished. RETRY: stopped by stop or the connection, with
 * every committed batch recorded (run again to resume). FAIL: a statement
 * that fails again and again.
 */
PgconnStatus backfill_execute(Backfill *bf, const char *snapshot) WARN_UNUSED;

#endif
