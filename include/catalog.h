/*
 * catalog.h: the configuration checked against the database's catalog at
 * start, before the stream: every table and column a dirty rule or a
 * lookup names exists and holds an integer, so a typo in the configuration
 * is an error naming its line now, not a stop at the first change of that
 * table hours later.
 *
 * Pipeline: config -> [catalog] -> slot, stream. Runs once on the
 * recompute connection.
 */
#ifndef RECKON_CATALOG_H
#define RECKON_CATALOG_H

#include "config.h"
#include "pgconn.h"

/*
 * catalog_check: FAIL (after logging "FILE:LINE: ..." for every mismatch)
 * when a rule or lookup names a missing table or column, or a column that
 * is not an integer; RETRY when the connection failed. Warns, without
 * failing, when an UPDATE could move a row from one key to another and the
 * table's replica identity does not stream the old key.
 */
PgconnStatus catalog_check(Pgconn *conn, const Config *config) WARN_UNUSED;

#endif
