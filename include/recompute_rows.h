/*
 * recompute_rows.h: a read's rows as sql/apply_rows.sql's parameters.
 *
 * Pipeline: sched -> recompute -> replica (reads) -> [recompute_rows] ->
 * recompute (writes on the primary) -> ack. With a read server, a member's
 * rows are read on the standby and written on the primary by apply_rows,
 * which takes each column as one array. Pure formatting: no I/O, and it
 * never judges the rows (apply_rows compares them with the stored ones).
 */
#ifndef RECKON_RECOMPUTE_ROWS_H
#define RECKON_RECOMPUTE_ROWS_H

#include "common.h"
#include "pgconn.h"
#include "replica.h"

/* The array literals, one per read column; reused from batch to batch. */
typedef struct RecomputeRows
{
	char *arrays[REPLICA_READ_COLUMNS]; /* owned */
	size_t capacity[REPLICA_READ_COLUMNS];
} RecomputeRows;

void recompute_rows_free(RecomputeRows *rows);

/*
 * recompute_rows_format: read's rows as one array literal per column into
 * values[0 .. REPLICA_READ_COLUMNS - 1], borrowed from rows until the next
 * call. Aborts through the OOM handler.
 */
void recompute_rows_format(RecomputeRows *rows, const PgconnResult *read,
                           const char **values);

#endif
