/* loop_guard.c - the dispatch loop for guard-page bounds checking. */
#define TW_RUN_NAME tw_interp_run_guard
#define TW_TABLE_NAME tw_interp_table_guard
#define TW_TABLE_VAR guard_table
#define TW_TABLE_INIT guard_table_init
#define TW_EXPLICIT 0
#include "interp/loop.inc"
