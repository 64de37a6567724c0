/*
 * herrno.h - the boundary's errno space: WASI preview1's errno numbering
 * (tw_herr values; TW_HE_X == __WASI_ERRNO_X). Hosts map their native
 * errno onto these; 1..75 may come from a host, TW_HE_NOTCAPABLE only
 * from the trusted side.
 */
#ifndef TW_ENCLAVE_HERRNO_H
#define TW_ENCLAVE_HERRNO_H

/* The one list of errno names and numbers (witx order), shared by the
 * boundary (TW_HE_*) and WASI (TW_WE_* in src/wasi/wasi_int.h). */
#define TW_ERRNO_LIST(X) \
  X(2BIG, 1) X(ACCES, 2) X(ADDRINUSE, 3) X(ADDRNOTAVAIL, 4) \
  X(AFNOSUPPORT, 5) X(AGAIN, 6) X(ALREADY, 7) X(BADF, 8) X(BADMSG, 9) \
  X(BUSY, 10) X(CANCELED, 11) X(CHILD, 12) X(CONNABORTED, 13) \
  X(CONNREFUSED, 14) X(CONNRESET, 15) X(DEADLK, 16) X(DESTADDRREQ, 17) \
  X(DOM, 18) X(DQUOT, 19) X(EXIST, 20) X(FAULT, 21) X(FBIG, 22) \
  X(HOSTUNREACH, 23) X(IDRM, 24) X(ILSEQ, 25) X(INPROGRESS, 26) \
  X(INTR, 27) X(INVAL, 28) X(IO, 29) X(ISCONN, 30) X(ISDIR, 31) \
  X(LOOP, 32) X(MFILE, 33) X(MLINK, 34) X(MSGSIZE, 35) X(MULTIHOP, 36) \
  X(NAMETOOLONG, 37) X(NETDOWN, 38) X(NETRESET, 39) X(NETUNREACH, 40) \
  X(NFILE, 41) X(NOBUFS, 42) X(NODEV, 43) X(NOENT, 44) X(NOEXEC, 45) \
  X(NOLCK, 46) X(NOLINK, 47) X(NOMEM, 48) X(NOMSG, 49) X(NOPROTOOPT, 50) \
  X(NOSPC, 51) X(NOSYS, 52) X(NOTCONN, 53) X(NOTDIR, 54) X(NOTEMPTY, 55) \
  X(NOTRECOVERABLE, 56) X(NOTSOCK, 57) X(NOTSUP, 58) X(NOTTY, 59) \
  X(NXIO, 60) X(OVERFLOW, 61) X(OWNERDEAD, 62) X(PERM, 63) X(PIPE, 64) \
  X(PROTO, 65) X(PROTONOSUPPORT, 66) X(PROTOTYPE, 67) X(RANGE, 68) \
  X(ROFS, 69) X(SPIPE, 70) X(SRCH, 71) X(STALE, 72) X(TIMEDOUT, 73) \
  X(TXTBSY, 74) X(XDEV, 75) X(NOTCAPABLE, 76)

enum {
#define TW_HE_ENUM_(name, num) TW_HE_##name = num,
  TW_ERRNO_LIST(TW_HE_ENUM_)
#undef TW_HE_ENUM_
};

/* The largest errno a host may report. */
#define TW_HE_HOST_MAX TW_HE_XDEV

#endif
