/*
 * memory.c - linear memories in the store's bounds mode.
 *
 * Guard-page mode: one reservation of 8 GiB + 64 KiB of PROT_NONE address
 * space per memory; [0, size) is read/write, the rest faults, so any
 * 32-bit address plus 32-bit offset lands inside the reservation and the
 * interpreter's signal handler turns the fault into a trap. Growing makes
 * more pages accessible in place (they are fresh anonymous pages, hence
 * zero); `base` never moves.
 * Explicit mode: a heap block of exactly `size` bytes (at least one byte,
 * so base is never NULL) that may move when it grows; the interpreter
 * compares every access against `size`.
 *
 * Invariants: size == pages * 64 KiB; pages <= max_pages; max_pages is the
 * declared maximum (or 65536) capped by the engine's max_memory_bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt/rt_local.h"

#define TW_RT_GUARD_RESERVE (((size_t)8 << 30) + TW_PAGE_SIZE)

static uint64_t engine_page_cap(const twine_engine_t *e) {
  uint64_t bytes = e->cfg.max_memory_bytes;
  uint64_t pages = bytes ? bytes / TW_PAGE_SIZE : TW_MAX_PAGES;
  return pages < TW_MAX_PAGES ? pages : TW_MAX_PAGES;
}

/* Can `pages` pages be addressed by size_t on this host? */
static bool fits_size_t(uint64_t pages) {
#if SIZE_MAX < UINT64_MAX
  return pages * TW_PAGE_SIZE <= SIZE_MAX;
#else
  (void)pages;
  return true;
#endif
}

twine_status_t tw_rt_memory_create(twine_store_t *store,
                                   const tw_limits *limits,
                                   twine_memory_t **out, tw_err *err) {
  uint64_t cap = engine_page_cap(store->engine);
  uint64_t max_pages = limits->has_max && limits->max < cap ? limits->max : cap;
  if (limits->min > max_pages)
    return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX,
                   "memory of %llu pages exceeds the limit of %llu pages",
                   (unsigned long long)limits->min,
                   (unsigned long long)max_pages);
  if (!fits_size_t(max_pages)) max_pages = SIZE_MAX / TW_PAGE_SIZE;
  if (limits->min > max_pages)
    return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX,
                   "memory of %llu pages does not fit the address space",
                   (unsigned long long)limits->min);
  twine_memory_t *mem = calloc(1, sizeof *mem);
  if (!mem) return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX, "out of memory");
  mem->store = store;
  mem->limits = *limits;
  mem->max_pages = max_pages;
  mem->pages = limits->min;
  mem->size = limits->min * TW_PAGE_SIZE;
  size_t size = (size_t)mem->size;

  if (store->engine->cfg.bounds == TWINE_BOUNDS_GUARD_PAGES) {
    void *p = mmap(NULL, TW_RT_GUARD_RESERVE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      free(mem);
      return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX,
                     "cannot reserve 8 GiB of address space for a linear "
                     "memory (guard-page bounds mode; use explicit bounds "
                     "checks where address space is scarce)");
    }
    if (size && mprotect(p, size, PROT_READ | PROT_WRITE) != 0) {
      munmap(p, TW_RT_GUARD_RESERVE);
      free(mem);
      return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX,
                     "cannot commit %llu pages of linear memory",
                     (unsigned long long)limits->min);
    }
    mem->base = p;
    mem->guarded = true;
    mem->reserved = TW_RT_GUARD_RESERVE;
  } else {
    mem->base = calloc(size ? size : 1, 1);
    if (!mem->base) {
      free(mem);
      return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX,
                     "cannot allocate %llu pages of linear memory",
                     (unsigned long long)limits->min);
    }
  }
  *out = mem;
  return TWINE_OK;
}

twine_status_t tw_rt_memory_new(twine_store_t *store, const tw_limits *limits,
                                twine_memory_t **out) {
  return tw_rt_memory_create(store, limits, out, NULL);
}

void tw_rt_memory_free(twine_memory_t *mem) {
  if (!mem) return;
  if (mem->guarded) munmap(mem->base, mem->reserved);
  else free(mem->base);
  free(mem);
}

twine_status_t tw_rt_memory_grow_st(twine_memory_t *mem, uint64_t delta,
                                    uint64_t *old_pages, tw_err *err) {
  uint64_t old = mem->pages;
  if (delta > mem->max_pages - old)
    return TW_FAIL(err, TWINE_ERR_LIMIT, SIZE_MAX,
                   "memory cannot grow from %llu by %llu pages (maximum %llu)",
                   (unsigned long long)old, (unsigned long long)delta,
                   (unsigned long long)mem->max_pages);
  if (delta) {
    size_t old_size = (size_t)mem->size;
    size_t new_size = (size_t)((old + delta) * TW_PAGE_SIZE);
    if (mem->guarded) {
      if (mprotect(mem->base + old_size, new_size - old_size,
                   PROT_READ | PROT_WRITE) != 0)
        return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX,
                       "cannot commit memory pages");
    } else {
      uint8_t *p = realloc(mem->base, new_size);
      if (!p)
        return TW_FAIL(err, TWINE_ERR_NOMEM, SIZE_MAX,
                       "cannot allocate memory pages");
      memset(p + old_size, 0, new_size - old_size);
      mem->base = p;
    }
    mem->pages = old + delta;
    mem->size = (uint64_t)new_size;
  }
  *old_pages = old;
  return TWINE_OK;
}

int64_t tw_rt_memory_grow(twine_memory_t *mem, uint64_t delta) {
  uint64_t old;
  if (tw_rt_memory_grow_st(mem, delta, &old, NULL) != TWINE_OK) return -1;
  return (int64_t)old;
}

/* ---- public API ------------------------------------------------------------ */

twine_status_t twine_memory_new(twine_store_t *store, twine_limits_t limits,
                                twine_memory_t **out) {
  if (!store || !out) return TWINE_ERR_ARG;
  if (limits.min > TW_MAX_PAGES) return TWINE_ERR_ARG;
  if (limits.has_max && (limits.max > TW_MAX_PAGES || limits.max < limits.min))
    return TWINE_ERR_ARG;
  tw_limits l = {limits.min, limits.has_max ? limits.max : 0, limits.has_max};
  twine_memory_t *mem;
  twine_status_t st = tw_rt_memory_create(store, &l, &mem, NULL);
  if (st != TWINE_OK) return st;
  st = tw_rt_store_adopt(store, TW_EXT_MEMORY, mem);
  if (st != TWINE_OK) {
    tw_rt_memory_free(mem);
    return st;
  }
  *out = mem;
  return TWINE_OK;
}

uint8_t *twine_memory_data(twine_memory_t *mem) {
  return mem ? mem->base : NULL;
}

uint64_t twine_memory_size(const twine_memory_t *mem) {
  return mem ? mem->size : 0;
}

void twine_memory_limits(const twine_memory_t *mem, twine_limits_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!mem) return;
  out->min = mem->pages;
  out->has_max = mem->limits.has_max;
  out->max = mem->limits.has_max ? mem->limits.max : 0;
}

twine_status_t twine_memory_grow(twine_memory_t *mem, uint64_t delta,
                                 uint64_t *old_pages) {
  if (!mem) return TWINE_ERR_ARG;
  uint64_t old;
  twine_status_t st = tw_rt_memory_grow_st(mem, delta, &old, NULL);
  if (st == TWINE_OK && old_pages) *old_pages = old;
  return st;
}

static bool in_bounds(const twine_memory_t *mem, uint64_t addr, size_t len) {
  return addr <= mem->size && (uint64_t)len <= mem->size - addr;
}

twine_status_t twine_memory_read(const twine_memory_t *mem, uint64_t addr,
                                 void *dst, size_t len) {
  if (!mem || (!dst && len)) return TWINE_ERR_ARG;
  if (!in_bounds(mem, addr, len)) return TWINE_ERR_ARG;
  if (len) memcpy(dst, mem->base + addr, len);
  return TWINE_OK;
}

twine_status_t twine_memory_write(twine_memory_t *mem, uint64_t addr,
                                  const void *src, size_t len) {
  if (!mem || (!src && len)) return TWINE_ERR_ARG;
  if (!in_bounds(mem, addr, len)) return TWINE_ERR_ARG;
  if (len) memcpy(mem->base + addr, src, len);
  return TWINE_OK;
}
