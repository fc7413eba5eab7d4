/*
 * recompute_rows.h: a read's rows as the parameters of a processor's APPLY
 * statement (rule.h).
 *
 * Pipeline: sched -> recompute -> replica (reads) -> [recompute_rows] ->
 * recompute (writes on the primary) -> ack. With a read server, a member's
 * rows are read on the standby (its rule) and written on the primary by
 * its write policy, which takes each candidate column as one array. Pure
 * formatting: no I/O, and it never judges the rows (the policy compares
 * them with the stored ones).
 */
#ifndef RECKON_RECOMPUTE_ROWS_H
#define RECKON_RECOMPUTE_ROWS_H

#include "common.h"
#include "pgconn.h"
#include "rule.h"

/* The array literals, one per read column; reused from batch to batch. */
typedef struct RecomputeRows
{
	char *arrays[RULE_COLUMNS_MAX]; /* owned */
	size_t capacity[RULE_COLUMNS_MAX];
} RecomputeRows;

void recompute_rows_free(RecomputeRows *rows);

/*
 * recompute_rows_format: the first ncolumns columns of read's rows, as one
 * array literal per column, into values[0 .. ncolumns - 1], borrowed from
 * rows until the next call. Aborts through the OOM handler.
 */
void recompute_rows_format(RecomputeRows *rows, const PgconnResult *read,
                           int ncolumns, const char **values);

#endif
