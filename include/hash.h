/*
 * hash.h: the one place that includes uthash and decides what running out
 * of memory means for it. reckon's answer: log and abort. Nothing has been
 * acknowledged past what was committed, so a restart loses nothing, while
 * limping on with a half-inserted dirty set could.
 */
#ifndef RECKON_HASH_H
#define RECKON_HASH_H

#include "common.h"

#undef uthash_fatal
#define uthash_fatal(msg) common_out_of_memory(msg)
#include <uthash.h>

#endif
