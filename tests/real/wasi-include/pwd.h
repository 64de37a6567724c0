/*
 * pwd.h - the user database, for the wasm32-wasi build of the SQLite shell
 * only (wasi-libc has no <pwd.h>: WASI has no users). getpwuid() finds no
 * entry, so the shell falls back to $HOME for ~/.sqliterc. Implemented in
 * ../wasi_posix_shim.c.
 */
#ifndef TW_WASI_PWD_H
#define TW_WASI_PWD_H

#include <sys/types.h>

struct passwd {
  char *pw_name;
  char *pw_passwd;
  uid_t pw_uid;
  gid_t pw_gid;
  char *pw_gecos;
  char *pw_dir;
  char *pw_shell;
};

struct passwd *getpwuid(uid_t uid);

#endif
