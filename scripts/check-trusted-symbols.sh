#!/usr/bin/env bash
# check-trusted-symbols.sh - the trusted side makes no system calls.
#
# Usage: scripts/check-trusted-symbols.sh [-v] [--src DIR] FILE...
#   FILE   static archives (libtwine_core.a, libtwine_wasm.a) or object
#          files of the trusted rooms (src/util, src/wasm, src/rt,
#          src/interp, src/wasi, src/enclave, src/crypto, src/pfs, ...)
#   --src  the source tree: archive members are then traced back to their
#          source files (in messages), and a member built from src/host/
#          (the untrusted POSIX host) is itself a violation
#   -v     also list the allowed exceptions each file uses
#
# Lists every undefined symbol of every object (nm -u) and fails, naming
# the file and the symbol, if one is a POSIX I/O, file-system, socket,
# descriptor, process, environment or sleeping entry point (DENY below).
# The trusted side reaches the operating system only through the host-call
# table (src/enclave/hostcalls.def, docs/hostcalls.md); this keeps the SGX
# port mechanical and the `process` backend's seccomp filter small.
#
# Names are compared after removing glibc's decorations, so fortified and
# large-file variants are caught too: a leading "__" or "__libc_", a
# trailing "_chk" or "_2", then a trailing "64" (__read_chk -> read,
# __open64_2 -> open, fstatat64 -> fstatat, __xstat64 -> xstat).
#
# Exit status: 0 clean, 1 violations, 2 usage or tool error (no nm, a file
# that is not an object or archive, nothing to check).
set -u

# ---- the denylist -----------------------------------------------------------
DENY="
  open openat openat2 creat close close_range read readv pread preadv preadv2
  write writev pwrite pwritev pwritev2 lseek llseek
  stat fstat lstat fstatat statx newfstatat xstat fxstat lxstat fxstatat
  statfs fstatfs statvfs fstatvfs access faccessat faccessat2 euidaccess
  truncate ftruncate fsync fdatasync sync syncfs fallocate posix_fallocate
  posix_fadvise readahead sendfile splice tee vmsplice copy_file_range
  mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat
  symlink symlinkat readlink readlinkat realpath chdir fchdir getcwd chroot
  opendir fdopendir readdir readdir_r closedir rewinddir seekdir telldir
  scandir scandirat dirfd getdents
  chmod fchmod fchmodat chown fchown lchown fchownat utime utimes futimes
  lutimes futimens utimensat umask mknod mknodat mkfifo mkfifoat
  fopen fdopen freopen fmemopen open_memstream fclose fread fwrite fgets
  fputs fputc putc putchar puts printf fprintf vprintf vfprintf dprintf
  vdprintf getc fgetc getchar gets ungetc scanf fscanf vscanf vfscanf
  fflush fseek fseeko ftell ftello rewind fileno perror remove tmpfile
  tmpnam tempnam mkstemp mkostemp mkdtemp popen pclose stdin stdout stderr
  dup dup2 dup3 pipe pipe2 fcntl ioctl flock lockf
  socket socketpair bind listen accept accept4 connect send sendto sendmsg
  sendmmsg recv recvfrom recvmsg recvmmsg shutdown getsockopt setsockopt
  getsockname getpeername getaddrinfo freeaddrinfo getnameinfo
  gethostbyname gethostbyaddr
  poll ppoll select pselect epoll_create epoll_create1 epoll_ctl epoll_wait
  epoll_pwait eventfd signalfd timerfd_create inotify_init inotify_init1
  fork vfork clone clone3 execve execveat execv execvp execvpe execl execlp
  execle fexecve system posix_spawn posix_spawnp wait waitpid wait3 wait4
  waitid kill tgkill exit _exit _Exit quick_exit ptrace prctl
  setuid setgid seteuid setegid setreuid setregid setresuid setresgid
  mount umount umount2 unshare setns
  syscall
  getenv secure_getenv setenv putenv unsetenv clearenv environ
  sleep usleep nanosleep clock_nanosleep
  time gettimeofday
  getrandom getentropy
  dlopen dlsym dlclose
"

# ---- allowed exceptions (what the trusted side may use, and why) -------------
# Listed so a reader knows they were considered; they pass the check.
ALLOW="
mmap        src/rt/memory.c: reserves linear memory with guard pages (anonymous mappings only)
munmap      src/rt/memory.c: releases linear memory
mprotect    src/rt/memory.c: makes grown pages accessible
madvise     linear memory: returns freed pages to the OS
mremap      linear memory: growing a mapping in place
sigaction   src/interp/exec.c: the guard-page engine's SIGSEGV/SIGBUS handler
sigaltstack src/interp/exec.c: the handler's alternate stack
sigemptyset src/interp/exec.c: building the handler's mask
sigsetjmp   src/interp/exec.c: the trap landing point (glibc: __sigsetjmp)
siglongjmp  src/interp/exec.c: unwinding to it from the handler
signal      src/interp/exec.c: restoring SIG_DFL for a fault not in guest memory
raise       src/interp/exec.c: re-raising that fault with the default action
clock_gettime engine-internal timing only; guest clocks go through the clock_get host call
pthread_*   locks and one-time initialisation of shared tables (no I/O)
RAND_bytes  randomness comes from inside (OpenSSL's generator, src/crypto)
"

usage() {
  echo "usage: $0 [-v] [--src DIR] FILE..." >&2
  exit 2
}

verbose=0
src=""
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    -v) verbose=1 ;;
    --src) [ $# -ge 2 ] || usage; src="$2"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    -*) usage ;;
    *) files+=("$1") ;;
  esac
  shift
done
[ ${#files[@]} -gt 0 ] || usage
NM="${NM:-nm}"
command -v "$NM" >/dev/null 2>&1 || { echo "$0: $NM not found" >&2; exit 2; }
if [ -n "$src" ] && [ ! -d "$src/src" ]; then
  echo "$0: --src $src: no src/ directory there" >&2
  exit 2
fi

declare -A deny=()
for s in $DENY; do deny[$s]=1; done

# glibc's decorated names -> the plain name
plain() {
  local s="${1%%@*}"
  case "$s" in __libc_*) s="${s#__libc_}" ;; __*) s="${s#__}" ;; esac
  s="${s%_chk}"
  s="${s%_2}"
  case "$s" in *64) [ -n "${deny[${s%64}]+x}" ] && s="${s%64}" ;; esac
  printf '%s' "$s"
}

# Where an archive member or object came from: "src/room/file.c" (or the
# member's own name when there is no --src or no match).
declare -A origin_cache=()
origin() {
  local obj="$1" base m found=""
  [ -n "${origin_cache[$obj]+x}" ] && { printf '%s' "${origin_cache[$obj]}"; return; }
  case "$obj" in
    */src/*) found="src/${obj##*/src/}"; found="${found%.o}" ;;
  esac
  if [ -z "$found" ] && [ -n "$src" ]; then
    base="${obj##*/}"
    base="${base%.o}"
    for m in "$src"/src/*/"$base"; do
      [ -e "$m" ] && found="${found:+$found, }src/${m#"$src"/src/}"
    done
  fi
  [ -n "$found" ] || found="$obj"
  origin_cache[$obj]="$found"
  printf '%s' "$found"
}

violations=0
objects=0
for f in "${files[@]}"; do
  if [ ! -r "$f" ]; then
    echo "$0: cannot read $f" >&2
    exit 2
  fi
  # POSIX format: "archive[member]: sym U ..." or "file.o: sym U ..."
  if ! out="$("$NM" -A -u -P "$f" 2>&1)"; then
    echo "$0: $NM failed on $f: $out" >&2
    exit 2
  fi
  # every member, also those without undefined symbols
  members="$("$NM" -A -P "$f" 2>/dev/null | sed -n 's/^\(.*\.o\)\]\{0,1\}: .*/\1/p' | sort -u)"
  [ -n "$members" ] || members="$f"
  while IFS= read -r obj; do
    [ -n "$obj" ] || continue
    obj="${obj/\[/:}"
    objects=$((objects + 1))
    o="$(origin "${obj##*:}")"
    case ", $o" in
      *", src/host/"*)
        echo "VIOLATION $obj ($o): untrusted src/host code in a trusted library"
        violations=$((violations + 1)) ;;
    esac
  done <<< "$members"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    obj="${line%%: *}"
    rest="${line#*: }"
    sym="${rest%% *}"
    obj="${obj/\[/:}"
    obj="${obj%]}"
    p="$(plain "$sym")"
    if [ -n "${deny[$p]+x}" ]; then
      o="$(origin "${obj##*:}")"
      [ "$o" = "${obj##*:}" ] && o="" || o=" ($o)"
      echo "VIOLATION $obj$o: references $sym" \
           "(POSIX I/O or process call; go through the host-call table)"
      violations=$((violations + 1))
    elif [ $verbose -eq 1 ]; then
      reason="$(printf '%s\n' "$ALLOW" | awk -v s="$p" '
        $1 == s || ($1 ~ /\*$/ && index(s, substr($1, 1, length($1) - 1)) == 1) {
          $1 = ""; sub(/^ +/, ""); print; exit }')"
      [ -n "$reason" ] && echo "allowed   $obj: $sym ($reason)"
    fi
  done <<< "$(printf '%s\n' "$out" | grep -E ' [Uw] ' )"
done

if [ $objects -eq 0 ]; then
  echo "$0: no object files in ${files[*]}" >&2
  exit 2
fi
if [ $violations -gt 0 ]; then
  echo "check-trusted-symbols: $violations violation(s) in $objects object(s)"
  exit 1
fi
echo "check-trusted-symbols: $objects trusted object(s) clean"
exit 0
