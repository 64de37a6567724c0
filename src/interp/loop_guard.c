/* loop_guard.c - the dispatch loop for guard-page bounds checking. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "interp/code.h"
#include "interp/numeric.h"

#ifndef TW_USE_GOTO
#if defined(__GNUC__) && !defined(TWINE_INTERP_SWITCH)
#define TW_USE_GOTO 1
#else
#define TW_USE_GOTO 0
#endif
#endif

#define TW_RUN_NAME tw_interp_run_guard
#define TW_TABLE_NAME tw_interp_table_guard
#define TW_TABLE_VAR guard_table
#define TW_TABLE_INIT guard_table_init
#define TW_EXPLICIT 0
#include "interp/loop.inc"
