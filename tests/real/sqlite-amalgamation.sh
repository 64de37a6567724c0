#!/bin/sh
# sqlite-amalgamation.sh SRCDIR OUTDIR - make SQLite's amalgamation
# (sqlite3.c, sqlite3.h) and the shell's single source (shell.c) from
# Debian's sqlite3 source tree, which ships the canonical source tree rather
# than the amalgamation. Runs SQLite's own configure and Makefile rules
# (they need a host C compiler and tclsh) in OUTDIR/tree, then copies the
# three files to OUTDIR. Output goes to OUTDIR/amalgamation.log, shown on
# failure.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 SRCDIR OUTDIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
log="$out/amalgamation.log"

if ! command -v tclsh >/dev/null 2>&1 && ! command -v tclsh8.6 >/dev/null 2>&1; then
  echo "sqlite-amalgamation: tclsh not found; install tcl (scripts/install-deps.sh)" >&2
  exit 1
fi
rm -rf "$out/tree"
mkdir -p "$out/tree"
if ! (cd "$out/tree" &&
      "$src/configure" --disable-tcl --disable-readline --disable-editline \
                       --disable-load-extension &&
      make sqlite3.c shell.c) >"$log" 2>&1; then
  cat "$log" >&2
  echo "sqlite-amalgamation: building sqlite3.c/shell.c from $src failed" >&2
  exit 1
fi
for f in sqlite3.c sqlite3.h shell.c; do
  cp "$out/tree/$f" "$out/$f.tmp"
  mv "$out/$f.tmp" "$out/$f"
done
rm -rf "$out/tree"
