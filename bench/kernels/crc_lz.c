/* crc_lz - integer and branch-heavy work in the style of a compressor:
 * generate n KiB of word-structured pseudo-text, compute its CRC-32 (IEEE,
 * table driven), then run a greedy LZ77 matcher over it (4-byte hash, hash
 * chains, 32 KiB window, matches of 4..258 bytes, as in deflate). The
 * checksum covers the CRC and every literal / (length, distance) token. */
#include "bench.h"

#define MAXKIB 32768
#define MAXLEN (MAXKIB * 1024)
#define WSIZE 32768
#define WMASK (WSIZE - 1)
#define HBITS 15
#define HSIZE (1 << HBITS)
#define MIN_MATCH 4
#define MAX_MATCH 258
#define MAX_CHAIN 48
#define NWORDS 512

static uint8_t text[MAXLEN];
static int32_t head[HSIZE];
static int32_t prev[WSIZE];
static uint32_t crc_table[256];
static uint8_t words[NWORDS][12];
static uint8_t word_len[NWORDS];

static void make_text(int32_t len) {
  bench_rng_t rng = {UINT64_C(0x853c49e6748fea9b)};
  for (int32_t w = 0; w < NWORDS; w++) {
    int32_t l = 2 + (int32_t)(bench_next(&rng) % 10);
    word_len[w] = (uint8_t)l;
    for (int32_t i = 0; i < l; i++)
      words[w][i] = (uint8_t)('a' + bench_next(&rng) % 26);
  }
  int32_t pos = 0;
  while (pos < len) {
    uint64_t r = bench_next(&rng);
    /* Skewed choice: small word indices are much more frequent. */
    int32_t w = (int32_t)((r & 0x1ff) & ((r >> 9) & 0x1ff));
    for (int32_t i = 0; i < word_len[w] && pos < len; i++)
      text[pos++] = words[w][i];
    if (pos < len)
      text[pos++] = (r >> 20) % 11 == 0 ? '\n' : ' ';
  }
}

static uint32_t crc32(const uint8_t *p, int32_t len) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  uint32_t crc = 0xffffffffu;
  for (int32_t i = 0; i < len; i++)
    crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

static inline uint32_t hash4(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
  return (v * 2654435761u) >> (32 - HBITS);
}

static inline void insert(int32_t pos) {
  uint32_t h = hash4(&text[pos]);
  prev[pos & WMASK] = head[h];
  head[h] = pos;
}

int64_t run(int32_t kib) {
  kib = bench_clamp(kib, 1, MAXKIB);
  const int32_t len = kib * 1024;
  make_text(len);
  uint64_t h = bench_mix(BENCH_HASH_INIT, crc32(text, len));

  for (int32_t i = 0; i < HSIZE; i++)
    head[i] = -1;
  int64_t literals = 0, matches = 0;
  int32_t pos = 0;
  while (pos < len) {
    int32_t best_len = 0, best_dist = 0;
    if (pos + MIN_MATCH <= len) {
      int32_t cand = head[hash4(&text[pos])];
      const int32_t limit = len - pos < MAX_MATCH ? len - pos : MAX_MATCH;
      for (int32_t chain = 0; chain < MAX_CHAIN && cand >= 0 &&
                              pos - cand <= WSIZE - 1;
           chain++) {
        if (text[cand + best_len] == text[pos + best_len]) {
          int32_t l = 0;
          while (l < limit && text[cand + l] == text[pos + l])
            l++;
          if (l > best_len) {
            best_len = l;
            best_dist = pos - cand;
            if (l == limit)
              break;
          }
        }
        int32_t next = prev[cand & WMASK];
        if (next >= cand)
          break; /* stale entry from an older window */
        cand = next;
      }
    }
    if (best_len >= MIN_MATCH) {
      h = bench_mix(h, (uint64_t)best_len << 32 | (uint32_t)best_dist);
      matches++;
      const int32_t end = pos + best_len;
      for (; pos < end; pos++)
        if (pos + MIN_MATCH <= len)
          insert(pos);
    } else {
      h = bench_mix(h, text[pos]);
      literals++;
      if (pos + MIN_MATCH <= len)
        insert(pos);
      pos++;
    }
  }
  h = bench_mix(h, (uint64_t)literals << 32 | (uint64_t)matches);
  return (int64_t)h;
}
