/*
 * posix.c - the untrusted POSIX host: its handle table (handle -> file
 * descriptor, every descriptor O_CLOEXEC) and the launch-time handles
 * (preopened directories, stdio, listening sockets).
 *
 * The calls themselves are in posix_dispatch.c (decoding, from
 * hostcalls.def), posix_file.c, posix_dir.c and posix_misc.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/posix_int.h"

tw_host_posix *tw_host_posix_new(void) {
  tw_host_posix *h = malloc(sizeof *h);
  if (!h) return NULL;
  for (uint32_t i = 0; i < TW_HC_MAX_HANDLES; i++)
    h->slot[i] = (tw_host_slot){.fd = -1};
  return h;
}

void tw_host_release(tw_host_slot *s) {
  if (s->dir) closedir(s->dir); /* closes its own dup */
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->dir = NULL;
  s->dir_pos = 0;
  free(s->dir_locs);
  s->dir_locs = NULL;
  s->dir_nlocs = s->dir_cap = 0;
}

void tw_host_posix_free(tw_host_posix *h) {
  if (!h) return;
  for (uint32_t i = 0; i < TW_HC_MAX_HANDLES; i++)
    if (h->slot[i].fd >= 0) tw_host_release(&h->slot[i]);
  free(h);
}

bool tw_host_add(tw_host_posix *h, int fd, uint32_t *handle) {
  for (uint32_t i = 0; i < TW_HC_MAX_HANDLES; i++) {
    if (h->slot[i].fd < 0) {
      h->slot[i].fd = fd;
      h->slot[i].dir = NULL;
      *handle = i;
      return true;
    }
  }
  close(fd);
  return false;
}

tw_host_slot *tw_host_slot_of(tw_host_posix *h, uint32_t handle) {
  if (handle >= TW_HC_MAX_HANDLES || h->slot[handle].fd < 0) return NULL;
  return &h->slot[handle];
}

/* ---- launch-time handles ------------------------------------------------ */

static int fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t msglen, const char *fmt, ...) {
  if (msg && msglen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int adopt(tw_host_posix *h, int fd, uint32_t *handle, char *msg,
                 size_t msglen) {
  if (!tw_host_add(h, fd, handle))
    return fail(msg, msglen, "too many host handles (limit %u)",
                TW_HC_MAX_HANDLES);
  return 0;
}

int tw_host_posix_open_dir(tw_host_posix *h, const char *path,
                           uint32_t *handle, char *msg, size_t msglen) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    const char *why = e == ENOENT    ? "no such directory"
                      : e == ENOTDIR ? "not a directory"
                      : e == EACCES  ? "permission denied"
                                     : strerror(e);
    return fail(msg, msglen, "cannot open directory '%s': %s", path, why);
  }
  return adopt(h, fd, handle, msg, msglen);
}

int tw_host_posix_add_fd(tw_host_posix *h, int fd, uint32_t *handle,
                         char *msg, size_t msglen) {
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0)
    return fail(msg, msglen, "cannot use file descriptor %d: %s", fd,
                strerror(errno));
  return adopt(h, d, handle, msg, msglen);
}

int tw_host_posix_listen_tcp(tw_host_posix *h, const char *host_port,
                             uint32_t *handle, char *msg, size_t msglen) {
  char host[256];
  const char *colon = strrchr(host_port, ':');
  if (!colon || colon == host_port || !colon[1])
    return fail(msg, msglen, "'%s': expected HOST:PORT", host_port);
  size_t hl = (size_t)(colon - host_port);
  const char *hp = host_port;
  if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') { /* [v6]:port */
    hp++;
    hl -= 2;
  }
  if (hl == 0 || hl >= sizeof host)
    return fail(msg, msglen, "'%s': bad host", host_port);
  memcpy(host, hp, hl);
  host[hl] = '\0';
  const char *port = colon + 1;
  if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
      atoi(port) > 65535)
    return fail(msg, msglen, "'%s': bad port '%s'", host_port, port);

  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int gai = getaddrinfo(host, port, &hints, &res);
  if (gai != 0)
    return fail(msg, msglen, "'%s': %s", host_port, gai_strerror(gai));
  int fd = -1, err = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
        bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
      break;
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return fail(msg, msglen, "cannot listen on '%s': %s", host_port,
                strerror(err));
  return adopt(h, fd, handle, msg, msglen);
}
