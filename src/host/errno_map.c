/*
 * errno_map.c - the host's errno values as the boundary's (WASI) errno.
 * Every errno with a WASI counterpart maps to it; a few Linux-only values
 * map to their closest WASI meaning; anything else is EIO.
 */
#include <errno.h>

#include "host/posix_int.h"

tw_herr tw_host_errno(int e) {
  switch (e) {
  case E2BIG: return TW_HE_2BIG;
  case EACCES: return TW_HE_ACCES;
  case EADDRINUSE: return TW_HE_ADDRINUSE;
  case EADDRNOTAVAIL: return TW_HE_ADDRNOTAVAIL;
  case EAFNOSUPPORT: return TW_HE_AFNOSUPPORT;
  case EAGAIN: return TW_HE_AGAIN;
#if EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK: return TW_HE_AGAIN;
#endif
  case EALREADY: return TW_HE_ALREADY;
  case EBADF: return TW_HE_BADF;
  case EBADMSG: return TW_HE_BADMSG;
  case EBUSY: return TW_HE_BUSY;
  case ECANCELED: return TW_HE_CANCELED;
  case ECHILD: return TW_HE_CHILD;
  case ECONNABORTED: return TW_HE_CONNABORTED;
  case ECONNREFUSED: return TW_HE_CONNREFUSED;
  case ECONNRESET: return TW_HE_CONNRESET;
  case EDEADLK: return TW_HE_DEADLK;
#if defined(EDEADLOCK) && EDEADLOCK != EDEADLK
  case EDEADLOCK: return TW_HE_DEADLK;
#endif
  case EDESTADDRREQ: return TW_HE_DESTADDRREQ;
  case EDOM: return TW_HE_DOM;
  case EDQUOT: return TW_HE_DQUOT;
  case EEXIST: return TW_HE_EXIST;
  case EFAULT: return TW_HE_FAULT;
  case EFBIG: return TW_HE_FBIG;
  case EHOSTUNREACH: return TW_HE_HOSTUNREACH;
  case EIDRM: return TW_HE_IDRM;
  case EILSEQ: return TW_HE_ILSEQ;
  case EINPROGRESS: return TW_HE_INPROGRESS;
  case EINTR: return TW_HE_INTR;
  case EINVAL: return TW_HE_INVAL;
  case EIO: return TW_HE_IO;
  case EISCONN: return TW_HE_ISCONN;
  case EISDIR: return TW_HE_ISDIR;
  case ELOOP: return TW_HE_LOOP;
  case EMFILE: return TW_HE_MFILE;
  case EMLINK: return TW_HE_MLINK;
  case EMSGSIZE: return TW_HE_MSGSIZE;
  case EMULTIHOP: return TW_HE_MULTIHOP;
  case ENAMETOOLONG: return TW_HE_NAMETOOLONG;
  case ENETDOWN: return TW_HE_NETDOWN;
  case ENETRESET: return TW_HE_NETRESET;
  case ENETUNREACH: return TW_HE_NETUNREACH;
  case ENFILE: return TW_HE_NFILE;
  case ENOBUFS: return TW_HE_NOBUFS;
  case ENODEV: return TW_HE_NODEV;
  case ENOENT: return TW_HE_NOENT;
  case ENOEXEC: return TW_HE_NOEXEC;
  case ENOLCK: return TW_HE_NOLCK;
  case ENOLINK: return TW_HE_NOLINK;
  case ENOMEM: return TW_HE_NOMEM;
  case ENOMSG: return TW_HE_NOMSG;
  case ENOPROTOOPT: return TW_HE_NOPROTOOPT;
  case ENOSPC: return TW_HE_NOSPC;
  case ENOSYS: return TW_HE_NOSYS;
  case ENOTCONN: return TW_HE_NOTCONN;
  case ENOTDIR: return TW_HE_NOTDIR;
  case ENOTEMPTY: return TW_HE_NOTEMPTY;
  case ENOTRECOVERABLE: return TW_HE_NOTRECOVERABLE;
  case ENOTSOCK: return TW_HE_NOTSOCK;
  case ENOTSUP: return TW_HE_NOTSUP;
#if EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP: return TW_HE_NOTSUP;
#endif
  case ENOTTY: return TW_HE_NOTTY;
  case ENXIO: return TW_HE_NXIO;
  case EOVERFLOW: return TW_HE_OVERFLOW;
  case EOWNERDEAD: return TW_HE_OWNERDEAD;
  case EPERM: return TW_HE_PERM;
  case EPIPE: return TW_HE_PIPE;
  case EPROTO: return TW_HE_PROTO;
  case EPROTONOSUPPORT: return TW_HE_PROTONOSUPPORT;
  case EPROTOTYPE: return TW_HE_PROTOTYPE;
  case ERANGE: return TW_HE_RANGE;
  case EROFS: return TW_HE_ROFS;
  case ESPIPE: return TW_HE_SPIPE;
  case ESRCH: return TW_HE_SRCH;
  case ESTALE: return TW_HE_STALE;
  case ETIMEDOUT: return TW_HE_TIMEDOUT;
  case ETXTBSY: return TW_HE_TXTBSY;
  case EXDEV: return TW_HE_XDEV;
  /* Linux-only values with a close WASI meaning */
#ifdef ESHUTDOWN
  case ESHUTDOWN: return TW_HE_PIPE;
#endif
#ifdef EHOSTDOWN
  case EHOSTDOWN: return TW_HE_HOSTUNREACH;
#endif
#ifdef ENOMEDIUM
  case ENOMEDIUM: return TW_HE_NODEV;
#endif
#ifdef ETIME
  case ETIME: return TW_HE_TIMEDOUT;
#endif
#ifdef ESOCKTNOSUPPORT
  case ESOCKTNOSUPPORT: return TW_HE_NOTSUP;
#endif
#ifdef EPFNOSUPPORT
  case EPFNOSUPPORT: return TW_HE_AFNOSUPPORT;
#endif
  default: return TW_HE_IO;
  }
}

tw_herr tw_host_errno_now(void) { return tw_host_errno(errno); }
