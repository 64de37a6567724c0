/* loop_explicit.c - the dispatch loop for explicit bounds checks. */
#define TW_RUN_NAME tw_interp_run_explicit
#define TW_TABLE_NAME tw_interp_table_explicit
#define TW_TABLE_VAR explicit_table
#define TW_TABLE_INIT explicit_table_init
#define TW_EXPLICIT 1
#include "interp/loop.inc"
