/*
 * wordfreq.c - count the words of text files: an ordinary POSIX C program
 * that Twine runs as a WASI command (examples/wasi; `make run`).
 *
 *   wordfreq [-n N] PATH...
 *
 * Each PATH is a file or a directory; directories are walked recursively,
 * entries in name order, so the output does not depend on the order the
 * file system lists them in. A word is a run of ASCII letters, with inner
 * apostrophes ("don't"), compared without case; longer than 63 bytes is cut.
 * Prints the words of each file, the totals and the N (default 10) most
 * frequent words, ties in alphabetical order.
 *
 * Under Twine every file access is a WASI call checked by the runtime: the
 * program reaches only the directories given with --dir, e.g.
 *
 *   twine run --dir examples/wasi/data::/data wordfreq.wasm /data
 *
 * Exit status: 0; 1 if a path could not be read (the others are still
 * counted); 2 on a usage error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WORD 63

struct entry {
  char *word; /* NULL: empty slot */
  unsigned long count;
};

struct table {
  struct entry *slots;
  size_t cap; /* a power of two */
  size_t used;
};

static struct table words;
static unsigned long total_words, total_files, total_bytes;
static int status;

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (p == NULL) {
    fprintf(stderr, "wordfreq: out of memory\n");
    exit(1);
  }
  return p;
}

static size_t hash(const char *s) {
  size_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static struct entry *slot_for(struct entry *slots, size_t cap, const char *w) {
  size_t i = hash(w) & (cap - 1);
  while (slots[i].word != NULL && strcmp(slots[i].word, w) != 0)
    i = (i + 1) & (cap - 1);
  return &slots[i];
}

static void grow(void) {
  size_t cap = words.cap ? words.cap * 2 : 1024;
  struct entry *slots = xcalloc(cap, sizeof *slots);
  for (size_t i = 0; i < words.cap; i++)
    if (words.slots[i].word != NULL)
      *slot_for(slots, cap, words.slots[i].word) = words.slots[i];
  free(words.slots);
  words.slots = slots;
  words.cap = cap;
}

static void add_word(const char *w) {
  if (words.used * 4 >= words.cap * 3) grow(); /* load factor <= 3/4 */
  struct entry *e = slot_for(words.slots, words.cap, w);
  if (e->word == NULL) {
    size_t n = strlen(w) + 1;
    e->word = xcalloc(n, 1);
    memcpy(e->word, w, n);
    words.used++;
  }
  e->count++;
  total_words++;
}

/* Scanner state survives buffer boundaries. */
struct scanner {
  char word[MAX_WORD + 1];
  size_t len;
  int apostrophe; /* an apostrophe is pending after the letters in word */
};

static void flush(struct scanner *s) {
  if (s->len > 0) {
    s->word[s->len] = '\0';
    add_word(s->word);
  }
  s->len = 0;
  s->apostrophe = 0;
}

static void scan(struct scanner *s, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int c = p[i];
    if (isalpha(c)) {
      if (s->apostrophe && s->len < MAX_WORD) s->word[s->len++] = '\'';
      s->apostrophe = 0;
      if (s->len < MAX_WORD) s->word[s->len++] = (char)tolower(c);
    } else if (c == '\'' && s->len > 0 && !s->apostrophe) {
      s->apostrophe = 1;
    } else {
      flush(s);
    }
  }
}

static void count_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "wordfreq: %s: %s\n", path, strerror(errno));
    status = 1;
    return;
  }
  unsigned char buf[16384];
  struct scanner s = {.len = 0, .apostrophe = 0};
  unsigned long before = total_words, bytes = 0;
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    scan(&s, buf, n);
    bytes += n;
  }
  flush(&s);
  if (ferror(f)) {
    fprintf(stderr, "wordfreq: %s: read error\n", path);
    status = 1;
  }
  fclose(f);
  total_files++;
  total_bytes += bytes;
  printf("%8lu words %9lu bytes  %s\n", total_words - before, bytes, path);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void count_path(const char *path, int depth);

static void count_dir(const char *path, int depth) {
  DIR *d = opendir(path);
  if (d == NULL) {
    fprintf(stderr, "wordfreq: %s: %s\n", path, strerror(errno));
    status = 1;
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .. and hidden files */
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **grown = realloc(names, cap * sizeof *names);
      if (grown == NULL) {
        fprintf(stderr, "wordfreq: out of memory\n");
        exit(1);
      }
      names = grown;
    }
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = xcalloc(len, 1);
    snprintf(names[n], len, "%s/%s", path, e->d_name);
    n++;
  }
  closedir(d);
  if (n > 1) qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    count_path(names[i], depth + 1);
    free(names[i]);
  }
  free(names);
}

static void count_path(const char *path, int depth) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "wordfreq: %s: %s\n", path, strerror(errno));
    status = 1;
  } else if (S_ISDIR(st.st_mode)) {
    if (depth > 32) {
      fprintf(stderr, "wordfreq: %s: too deep\n", path);
      status = 1;
    } else {
      count_dir(path, depth);
    }
  } else if (S_ISREG(st.st_mode)) {
    count_file(path);
  }
}

static int by_count(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
  unsigned long top = 10;
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
    char *end;
    top = strtoul(argv[i + 1], &end, 10);
    if (*argv[i + 1] == '\0' || *end != '\0') {
      fprintf(stderr, "wordfreq: -n needs a number\n");
      return 2;
    }
    i += 2;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: wordfreq [-n N] PATH...\n");
    return 2;
  }
  for (; i < argc; i++) count_path(argv[i], 0);

  /* Compact the table and sort it. */
  size_t n = 0;
  for (size_t k = 0; k < words.cap; k++)
    if (words.slots[k].word != NULL) words.slots[n++] = words.slots[k];
  if (n > 1) qsort(words.slots, n, sizeof *words.slots, by_count);

  printf("%lu files, %lu bytes, %lu words, %zu different\n", total_files,
         total_bytes, total_words, n);
  for (size_t k = 0; k < n && k < top; k++)
    printf("%4zu. %-16s %6lu  %5.2f%%\n", k + 1, words.slots[k].word,
           words.slots[k].count, 100.0 * (double)words.slots[k].count / (double)total_words);
  for (size_t k = 0; k < n; k++) free(words.slots[k].word);
  free(words.slots);
  return status;
}
