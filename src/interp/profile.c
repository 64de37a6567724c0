/* profile.c - executed-op histogram for tuning the lowering (development
 * builds with -DTWINE_INTERP_SWITCH -DTWINE_INTERP_PROFILE only). */
#ifdef TWINE_INTERP_PROFILE
#include <stdio.h>
#include <stdlib.h>

#include "interp/code.h"

static const char *const extra_names[] = {
#define N(name) #name,
    TW_INTERP_EXTRA_OPS(N)
#define NAI(ident) #ident "_ai",
    TW_INTERP_MEM_OPS(NAI)
#undef NAI
#define NRR(ident) #ident "_rr",
    TW_INTERP_MEM_OPS(NRR)
#undef NRR
    TW_INTERP_ADDBR_OPS(N)
    TW_INTERP_SEL_OPS(N)
#define NLD(name) #name "_ld", #name "_ldrr",
    TW_INTERP_LDBIN_OPS(NLD)
#undef NLD
#define NW(name) #name "_aiw", #name "_rrw",
    TW_INTERP_WBLOAD_OPS(NW)
#undef NW
#define NA(name) #name "_A",
    TW_INTERP_FACC_OPS(NA)
#undef NA
#undef N
};

static unsigned long long counts[TW_IOP_COUNT];
static int registered;

static int by_count(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return counts[y] > counts[x] ? 1 : counts[y] < counts[x] ? -1 : 0;
}

static void report(void) {
  unsigned order[TW_IOP_COUNT];
  unsigned long long total = 0;
  for (unsigned i = 0; i < TW_IOP_COUNT; i++) order[i] = i, total += counts[i];
  qsort(order, TW_IOP_COUNT, sizeof order[0], by_count);
  fprintf(stderr, "interp profile: %llu ops executed\n", total);
  for (unsigned k = 0; k < 40 && counts[order[k]]; k++) {
    unsigned op = order[k];
    const char *name = op < TW_OP_COUNT ? tw_opinfo_table[op].name
                                        : extra_names[op - TW_OP_COUNT];
    fprintf(stderr, "  %-22s %14llu  %5.1f%%\n", name, counts[op],
            100.0 * (double)counts[op] / (double)total);
  }
}

void tw_interp_profile_count(unsigned op) {
  if (!registered) {
    registered = 1;
    atexit(report);
  }
  if (op < TW_IOP_COUNT) counts[op]++;
}
#endif
