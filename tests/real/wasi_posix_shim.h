/*
 * wasi_posix_shim.h - the few POSIX pieces that SQLite 3.40's unix VFS and
 * shell (and bzip2's file mode) need and wasm32-wasi (wasi-libc) does not
 * have. Force-included (-include) into their sources for the wasm32-wasi
 * builds only; the native builds use the real functions.
 *
 *   fcntl record locks  F_GETLK/F_SETLK/F_SETLKW and F_RDLCK/F_WRLCK/F_UNLCK
 *                       are not in wasi-libc (WASI has no advisory locks).
 *                       fcntl() is routed to tw_shim_fcntl(): a lock
 *                       request always succeeds and F_GETLK reports the
 *                       range unlocked. That is exact for a WASI program:
 *                       no other process can share its files, and SQLite
 *                       tracks locks among its own connections itself
 *                       (unixInodeInfo). Other commands go to wasi-libc.
 *   chmod, fchmod,      WASI files have no mode bits and no owner: these
 *   fchown              succeed on an existing file or open descriptor
 *                       (and fail with stat's errno otherwise).
 *   getuid, geteuid     WASI has no users: a fixed non-root uid (1000), so
 *                       SQLite never tries to hand file ownership around.
 *   system              WASI cannot start processes: system(NULL) says
 *                       there is no command processor, any command fails
 *                       with ENOSYS (the shell's .system/.shell commands).
 *   getpwuid            (declared in wasi-include/pwd.h, which wasi-libc
 *                       lacks) finds no user: the shell then reads $HOME.
 *
 * getpid, signal() and getrusage() come from wasi-libc's emulation
 * libraries (getpid, signal, process-clocks). SQLite is compiled with
 * SQLITE_MAX_MMAP_SIZE=0 and SQLITE_OMIT_WAL, so it maps nothing.
 */
#ifndef TW_WASI_POSIX_SHIM_H
#define TW_WASI_POSIX_SHIM_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Linux's values; they do not collide with wasi-libc's F_GETFD..F_SETFL (1-4). */
#ifndef F_GETLK
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif

int tw_shim_fcntl(int fd, int cmd, ...);
int chmod(const char *path, mode_t mode);
int fchmod(int fd, mode_t mode);
int fchown(int fd, uid_t owner, gid_t group);
int system(const char *command);
uid_t getuid(void);
uid_t geteuid(void);

#define fcntl tw_shim_fcntl

#endif
