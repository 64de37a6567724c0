/*
 * spec_convert.c - running wast2json for the spec runner.
 *
 * Each .wast file is converted into its own directory TMP/<base>/ so its
 * JSON and .wasm files can be removed as a unit once the file has run.
 * Conversions run as background processes so the next file converts while
 * the current one executes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec.h"

extern char **environ;

bool spec_find_program(const char *name, char *out, size_t outlen) {
  if (!name || !*name) return false;
  if (strchr(name, '/')) {
    if (access(name, X_OK) != 0) return false;
    return (size_t)snprintf(out, outlen, "%s", name) < outlen;
  }
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t n = end ? (size_t)(end - path) : strlen(path);
    int w = n ? snprintf(out, outlen, "%.*s/%s", (int)n, path, name)
              : snprintf(out, outlen, "./%s", name);
    struct stat st;
    if (w > 0 && (size_t)w < outlen && stat(out, &st) == 0 &&
        S_ISREG(st.st_mode) && access(out, X_OK) == 0)
      return true;
    if (!end) break;
    path = end + 1;
  }
  return false;
}

bool spec_mkdirs(const char *path) {
  char buf[4096];
  if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf) return false;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return false;
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST) return false;
  struct stat st;
  return stat(buf, &st) == 0 && S_ISDIR(st.st_mode);
}

static void remove_dir_contents(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[4096 + 256];
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
}

bool spec_convert_start(spec_conv *c, const spec_opts *o, const char *wast,
                        const char *base) {
  memset(c, 0, sizeof *c);
  if ((size_t)snprintf(c->dir, sizeof c->dir, "%s/%s", o->tmp_dir, base) >=
          sizeof c->dir ||
      (size_t)snprintf(c->json, sizeof c->json, "%s/%s.json", c->dir, base) >=
          sizeof c->json ||
      (size_t)snprintf(c->log, sizeof c->log, "%s/wast2json.log", c->dir) >=
          sizeof c->log) {
    snprintf(c->error, sizeof c->error, "temp path too long");
    return false;
  }
  if (!spec_mkdirs(c->dir)) {
    snprintf(c->error, sizeof c->error, "cannot create %.400s: %s", c->dir,
             strerror(errno));
    return false;
  }
  remove_dir_contents(c->dir); /* stale output of an earlier run */

  posix_spawn_file_actions_t fa;
  if (posix_spawn_file_actions_init(&fa) != 0) {
    snprintf(c->error, sizeof c->error, "posix_spawn_file_actions_init failed");
    return false;
  }
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, c->log,
                                   O_WRONLY | O_CREAT | O_TRUNC, 0666);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  char *argv[] = {(char *)o->wast2json, (char *)wast, (char *)"-o", c->json,
                  NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, o->wast2json, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    snprintf(c->error, sizeof c->error, "cannot start %s: %s", o->wast2json,
             strerror(rc));
    return false;
  }
  c->pid = (int)pid;
  return true;
}

/* First line of the converter's log, for the failure message. */
static void first_log_line(const char *log, char *buf, size_t len) {
  buf[0] = '\0';
  FILE *f = fopen(log, "r");
  if (!f) return;
  if (fgets(buf, (int)len, f)) buf[strcspn(buf, "\r\n")] = '\0';
  fclose(f);
}

bool spec_convert_wait(spec_conv *c) {
  if (c->pid <= 0) return c->error[0] == '\0';
  int status;
  pid_t w;
  do {
    w = waitpid((pid_t)c->pid, &status, 0);
  } while (w < 0 && errno == EINTR);
  c->pid = 0;
  if (w < 0) {
    snprintf(c->error, sizeof c->error, "waitpid: %s", strerror(errno));
    return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  char line[300];
  first_log_line(c->log, line, sizeof line);
  if (WIFEXITED(status))
    snprintf(c->error, sizeof c->error, "wast2json exited with status %d: %s",
             WEXITSTATUS(status), line);
  else
    snprintf(c->error, sizeof c->error, "wast2json killed by signal %d: %s",
             WIFSIGNALED(status) ? WTERMSIG(status) : 0, line);
  return false;
}

void spec_convert_cleanup(spec_conv *c) {
  if (!c->dir[0]) return;
  remove_dir_contents(c->dir);
  rmdir(c->dir);
}
