/*
 * spec_main.c - the WebAssembly spec-suite runner (twine-spec).
 *
 *   twine-spec [--bounds=guard|explicit] [--tmpdir=DIR] [FILE.wast ...]
 *
 * Runs every top-level .wast file of the suite ($TWINE_SPEC_DIR), or the
 * files named, through wast2json and then through the public API. Each file
 * runs in a child process (unless --no-isolate) with fresh engine state, so
 * a crash or a hang in one file is reported against that file and the rest
 * still run. While one file executes, the next one is being converted.
 *
 * Output: failure details ("  FAIL file:line: command: ..."), one line per
 * file with its passed/failed/skipped counts, and a total line. Exit status:
 * 0 if no command failed, 1 if any did, 2 for a setup problem (no suite,
 * no wast2json, bad option).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spec.h"

#define PROG "twine-spec"

typedef struct spec_file {
  char *path;    /* the .wast */
  char *name;    /* its base name with .wast, for messages */
  char *base;    /* without .wast, for temp paths */
  bool simd;
  bool conv_started;
  spec_conv conv;
} spec_file;

typedef struct totals {
  unsigned files_run, files_skipped, files_failed;
  unsigned long passed, failed, skipped;
} totals;

static void usage(FILE *f) {
  fprintf(f,
          "Usage: " PROG " [OPTIONS] [FILE...]\n"
          "Run WebAssembly spec tests (.wast) through Twine.\n"
          "\n"
          "FILE is a path, or a name in the suite directory (\"i32\" or "
          "\"i32.wast\").\n"
          "Without FILEs, every top-level .wast file of the suite runs.\n"
          "\n"
          "Options:\n"
          "  --bounds=guard|explicit  memory bounds strategy (default guard)\n"
          "  --suite=DIR         suite directory (default $TWINE_SPEC_DIR)\n"
          "  --tmpdir=DIR        where wast2json writes (default "
          "./spec-tmp-MODE)\n"
          "  --wast2json=PATH    converter (default $WAST2JSON, else "
          "wast2json in PATH)\n"
          "  --max-details=N     failure details shown per file (default 0 "
          "= all)\n"
          "  --timeout=SEC       time limit per file (default 60, 0 = none)\n"
          "  --no-isolate        run files in this process (for debuggers)\n"
          "  --keep              keep converted files (default: kept only "
          "for failing files)\n"
          "  --trace             print each command to stderr before it runs\n"
          "  -v, --verbose       let spectest.print* print its arguments\n"
          "  -h, --help          this help\n");
}

static bool opt_value(const char *arg, const char *name, const char **val) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *val = arg + n + 1;
  return true;
}

static bool parse_uint(const char *s, unsigned *out) {
  if (!s || *s < '0' || *s > '9') return false;
  errno = 0;
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v > 1000000000ul) return false;
  *out = (unsigned)v;
  return true;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool add_file(spec_file **files, size_t *n, size_t *cap,
                     const char *path) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    spec_file *nf = realloc(*files, nc * sizeof *nf);
    if (!nf) return false;
    *files = nf;
    *cap = nc;
  }
  spec_file *f = &(*files)[*n];
  memset(f, 0, sizeof *f);
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  f->path = dup_str(path);
  f->name = dup_str(name);
  f->base = dup_str(name);
  if (!f->path || !f->name || !f->base) {
    free(f->path), free(f->name), free(f->base);
    return false;
  }
  if (ends_with(f->base, ".wast")) f->base[strlen(f->base) - 5] = '\0';
  f->simd = strncmp(f->base, "simd_", 5) == 0;
  (*n)++;
  return true;
}

static int wast_filter(const struct dirent *e) {
  return ends_with(e->d_name, ".wast");
}

/* All top-level .wast files of the suite, sorted by name. */
static bool list_suite(const char *dir, spec_file **files, size_t *n,
                       size_t *cap) {
  struct dirent **list;
  int k = scandir(dir, &list, wast_filter, alphasort);
  if (k < 0) {
    fprintf(stderr, PROG ": cannot read suite directory %s: %s\n", dir,
            strerror(errno));
    return false;
  }
  bool ok = true;
  for (int i = 0; i < k; i++) {
    char path[4096];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name) <
            sizeof path &&
        stat(path, &st) == 0 && S_ISREG(st.st_mode) && ok)
      ok = add_file(files, n, cap, path);
    free(list[i]);
  }
  free(list);
  if (!ok) fprintf(stderr, PROG ": out of memory\n");
  return ok;
}

static void print_file_line(const spec_file *f, const spec_result *r) {
  printf("%s: %u passed, %u failed, %u skipped", f->name, r->passed,
         r->failed, r->skipped);
  if (r->skipped_text || r->skipped_simd) {
    printf(" (");
    if (r->skipped_text) printf("text-format module: %u", r->skipped_text);
    if (r->skipped_text && r->skipped_simd) printf(", ");
    if (r->skipped_simd)
      printf("SIMD not supported yet: %u", r->skipped_simd);
    printf(")");
  }
  if (r->failed && r->details_shown < r->failed)
    printf(" [%u failure details not shown]", r->failed - r->details_shown);
  printf("\n");
}

/* Run one converted file, in a child process when isolating. */
static void run_one(const spec_opts *o, spec_file *f, spec_result *r) {
  memset(r, 0, sizeof *r);
  if (!o->isolate) {
    spec_run_file(o, f->conv.json, f->name, r);
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    printf("  FAIL %s: fork: %s\n", f->name, strerror(errno));
    r->failed++;
    return;
  }
  if (pid == 0) {
    if (o->timeout) alarm(o->timeout);
    spec_run_file(o, f->conv.json, f->name, r);
    fflush(stdout);
    exit(0); /* exit, not _exit: sanitizer leak checks run at exit */
  }
  int status;
  pid_t w;
  do {
    w = waitpid(pid, &status, 0);
  } while (w < 0 && errno == EINTR);
  if (w < 0) {
    printf("  FAIL %s: waitpid: %s\n", f->name, strerror(errno));
    r->failed++;
    return;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  char where[128] = "";
  if (r->cur_line)
    snprintf(where, sizeof where, ":%d (%s)", r->cur_line, r->cur_cmd);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
    printf("  FAIL %s%s: timed out after %u s; the rest of the file did not "
           "run\n",
           f->name, where, o->timeout);
  else if (WIFSIGNALED(status))
    printf("  FAIL %s%s: crashed with signal %d (%s); the rest of the file "
           "did not run\n",
           f->name, where, WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    printf("  FAIL %s%s: the runner process exited with status %d "
           "(sanitizer report on stderr?)\n",
           f->name, where, WEXITSTATUS(status));
  r->failed++;
}

static void start_conversion(const spec_opts *o, spec_file *f) {
  if (f->conv_started || f->simd) return;
  f->conv_started = true;
  spec_convert_start(&f->conv, o, f->path, f->base); /* error kept in conv */
}

int main(int argc, char **argv) {
  spec_opts o;
  memset(&o, 0, sizeof o);
  o.bounds = TWINE_BOUNDS_GUARD_PAGES;
  o.timeout = 60;
  o.isolate = true;
  const char *suite = getenv("TWINE_SPEC_DIR");
  const char *converter = getenv("WAST2JSON");
  const char *tmp = NULL;
  int first_file = argc;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--") == 0) {
      first_file = i + 1;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') {
      first_file = i;
      break;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (opt_value(a, "--bounds", &v)) {
      if (!strcmp(v, "guard"))
        o.bounds = TWINE_BOUNDS_GUARD_PAGES;
      else if (!strcmp(v, "explicit"))
        o.bounds = TWINE_BOUNDS_EXPLICIT;
      else {
        fprintf(stderr, PROG ": --bounds must be guard or explicit\n");
        return 2;
      }
    } else if (opt_value(a, "--suite", &v)) {
      suite = v;
    } else if (opt_value(a, "--tmpdir", &v)) {
      tmp = v;
    } else if (opt_value(a, "--wast2json", &v)) {
      converter = v;
    } else if (opt_value(a, "--max-details", &v)) {
      if (!parse_uint(v, &o.max_details)) {
        fprintf(stderr, PROG ": --max-details needs a number\n");
        return 2;
      }
    } else if (opt_value(a, "--timeout", &v)) {
      if (!parse_uint(v, &o.timeout)) {
        fprintf(stderr, PROG ": --timeout needs a number of seconds\n");
        return 2;
      }
    } else if (!strcmp(a, "--no-isolate")) {
      o.isolate = false;
    } else if (!strcmp(a, "--keep")) {
      o.keep = true;
    } else if (!strcmp(a, "--trace")) {
      o.trace = true;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      o.verbose = true;
    } else {
      fprintf(stderr, PROG ": unknown option %s (try --help)\n", a);
      return 2;
    }
  }

  /* The converter. */
  static char w2j[4096];
  if (!converter || !*converter) converter = "wast2json";
  if (!spec_find_program(converter, w2j, sizeof w2j)) {
    fprintf(stderr,
            PROG ": wast2json not found (%s); install wabt or set WAST2JSON\n",
            converter);
    return 2;
  }
  o.wast2json = w2j;

  /* The files. A suite directory is needed unless every file is a path. */
  bool need_suite = first_file >= argc;
  for (int i = first_file; i < argc; i++)
    if (!strchr(argv[i], '/')) need_suite = true;
  struct stat st;
  if (need_suite) {
    if (!suite || !*suite) {
      fprintf(stderr, PROG ": TWINE_SPEC_DIR is not set; point it (or "
                      "--suite=DIR) at the wasm spec testsuite\n");
      return 2;
    }
    if (stat(suite, &st) != 0 || !S_ISDIR(st.st_mode)) {
      fprintf(stderr, PROG ": spec suite directory %s not found\n", suite);
      return 2;
    }
  }
  o.suite_dir = suite;

  spec_file *files = NULL;
  size_t nfiles = 0, cap = 0;
  if (first_file >= argc) {
    if (!list_suite(suite, &files, &nfiles, &cap)) return 2;
    if (nfiles == 0) {
      fprintf(stderr, PROG ": no .wast files in %s\n", suite);
      return 2;
    }
  }
  for (int i = first_file; i < argc; i++) {
    char path[4096];
    const char *a = argv[i];
    if (strchr(a, '/'))
      snprintf(path, sizeof path, "%s", a);
    else
      snprintf(path, sizeof path, "%s/%s%s", suite, a,
               ends_with(a, ".wast") ? "" : ".wast");
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
      fprintf(stderr, PROG ": %s: no such .wast file\n", path);
      return 2;
    }
    if (!add_file(&files, &nfiles, &cap, path)) {
      fprintf(stderr, PROG ": out of memory\n");
      return 2;
    }
  }

  /* The temp directory. */
  static char tmpbuf[4096];
  if (!tmp) {
    snprintf(tmpbuf, sizeof tmpbuf, "spec-tmp-%s",
             o.bounds == TWINE_BOUNDS_EXPLICIT ? "explicit" : "guard");
    tmp = tmpbuf;
  }
  if (!spec_mkdirs(tmp)) {
    fprintf(stderr, PROG ": cannot create temp directory %s: %s\n", tmp,
            strerror(errno));
    return 2;
  }
  o.tmp_dir = tmp;

  /* Results of a file live in shared memory so a child's counts (and the
   * command it was on when it crashed) reach the parent. */
  spec_result *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (r == MAP_FAILED) {
    fprintf(stderr, PROG ": mmap: %s\n", strerror(errno));
    return 2;
  }

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  totals t;
  memset(&t, 0, sizeof t);
  for (size_t i = 0; i < nfiles; i++) {
    spec_file *f = &files[i];
    if (f->simd) {
      printf("%s: skipped (SIMD not supported yet)\n", f->name);
      t.files_skipped++;
      continue;
    }
    start_conversion(&o, f);
    for (size_t j = i + 1; j < nfiles; j++) { /* convert the next one now */
      if (!files[j].simd) {
        start_conversion(&o, &files[j]);
        break;
      }
    }
    t.files_run++;
    if (!spec_convert_wait(&f->conv)) {
      memset(r, 0, sizeof *r);
      printf("  FAIL %s: converting: %s\n", f->name, f->conv.error);
      r->failed = 1;
      r->details_shown = 1;
    } else {
      run_one(&o, f, r);
    }
    print_file_line(f, r);
    fflush(stdout);
    t.passed += r->passed;
    t.failed += r->failed;
    t.skipped += r->skipped;
    if (r->failed) t.files_failed++;
    if (r->failed == 0 && !o.keep)
      spec_convert_cleanup(&f->conv);
    else if (f->conv.dir[0])
      printf("  (converted files kept in %s)\n", f->conv.dir);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

  printf("total (%s bounds): %lu passed, %lu failed, %lu skipped; %u files "
         "run (%u with failures), %u files skipped; %.1f s\n",
         o.bounds == TWINE_BOUNDS_EXPLICIT ? "explicit" : "guard", t.passed,
         t.failed, t.skipped, t.files_run, t.files_failed, t.files_skipped,
         secs);
  rmdir(tmp); /* only succeeds if nothing was kept */

  for (size_t i = 0; i < nfiles; i++) {
    free(files[i].path);
    free(files[i].name);
    free(files[i].base);
  }
  free(files);
  munmap(r, sizeof *r);
  return t.failed ? 1 : 0;
}
