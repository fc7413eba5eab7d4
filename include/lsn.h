/*
 * lsn.h: parse WAL positions written as PostgreSQL prints them ("16/B374D848").
 * Printing uses "%X/%X" with LSN_FORMAT_ARGS from common.h.
 */
#ifndef RECKON_LSN_H
#define RECKON_LSN_H

#include "common.h"

/* lsn_parse: "HI/LO" in hexadecimal, each part at most 8 digits. */
bool lsn_parse(const char *text, Lsn *lsn) WARN_UNUSED;

#endif
