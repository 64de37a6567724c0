#!/bin/sh
# run_cli.sh - `twine run` with the enclave features: protected mounts
# (--protected-dir, --key-file, keys sealed to the measurement) and the
# guest import module "twine" (examples/attest).
#
#   run_cli.sh protected BACKEND TWINE WORKDIR PROTECTED.wasm VARIANT.wasm
#   run_cli.sh example   BACKEND TWINE WORKDIR ATTEST_SELF.wasm
#
# BACKEND is process or none (--enclave). PROTECTED.wasm is
# tests/programs/protected.c (write | read | expect ERR); VARIANT.wasm the
# same source built with -DPROTECTED_VARIANT: another module, another
# measurement. The platform key lives in WORKDIR.
set -u
CASE=$1 BACKEND=$2 T=$3 WORK=$4
shift 4
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
export TWINE_PLATFORM_KEY_FILE="$WORK/keys/platform.key"
failures=0
fail() { echo "FAIL [$CASE $BACKEND]: $*"; failures=$((failures + 1)); }
ok() { "$@" >out 2>err || { fail "expected success: $*"; cat out err; }; }
ko() { if "$@" >out 2>err; then fail "expected failure: $*"; fi; }
err_has() { grep -qF -- "$1" err || { fail "stderr lacks '$1'"; cat err; }; }
out_has() { grep -qF -- "$1" out || { fail "stdout lacks '$1'"; cat out; }; }
run() { "$T" run --enclave="$BACKEND" "$@"; }
# flip FILE: invert one byte in the middle of FILE
flip() {
  n=$(stat -c %s "$1")
  off=$((n / 2))
  b=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" |
    dd of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null
}
no_plaintext() { # no file under $1 holds the guest's secret
  if grep -rqF "PLAINTEXT-MARKER" "$1"; then
    fail "plaintext on the host under $1"
  fi
}

case_protected() {
  P=$1 PV=$2
  mkdir v
  # sealed to the measurement (the default)
  ok run --protected-dir v::/vault "$P" write; out_has "0 failed"
  [ -f v/secret.txt ] || fail "no host file v/secret.txt"
  no_plaintext v
  ok run --protected-dir v::/vault "$P" read; out_has "0 failed"
  # with a --dir too (numbered in command-line order, and measured: the
  # extra mount is another configuration, which cannot read v)
  mkdir plain v2
  ok run --dir plain::/plain --protected-dir v2::/vault "$P" write
  ok run --dir plain::/plain --protected-dir v2::/vault "$P" read
  out_has "0 failed"
  no_plaintext v2
  ko run --dir plain::/plain --protected-dir v::/vault "$P" read
  err_has "WRONG_KEY"
  ok "$T" measure --dir plain::/plain --protected-dir v2::/vault "$P"
  m_a=$(cat out)
  ok "$T" measure --protected-dir v2::/vault --dir plain::/plain "$P"
  [ "$(cat out)" != "$m_a" ] || fail "mount order not measured"
  # another module cannot read the data sealed to this one
  ko run --protected-dir v::/vault "$PV" read
  err_has "WRONG_KEY"
  # nor this module with a different measured configuration
  ko run --env X=1 --protected-dir v::/vault "$P" read
  err_has "WRONG_KEY"
  # nor an explicit key
  head -c 32 /dev/urandom >k1 || exit 1
  ko run --key-file k1 --protected-dir v::/vault "$P" read
  err_has "WRONG_KEY"
  # tampering: one flipped byte -> EIO in the guest
  cp v/secret.txt good.bin
  cp -a v v.old
  flip v/secret.txt
  cmp -s v/secret.txt good.bin && fail "flip changed nothing"
  ok run --protected-dir v::/vault "$P" expect EIO; out_has "0 failed"
  cp good.bin v/secret.txt
  ok run --protected-dir v::/vault "$P" read; out_has "0 failed"
  # rollback: a newer version, then the older copy put back -> EIO
  ok run --protected-dir v::/vault "$P" write
  cmp -s v/secret.txt v.old/secret.txt &&
    fail "a second write left the same host bytes"
  cp v.old/secret.txt v/secret.txt
  ok run --protected-dir v::/vault "$P" expect EIO; out_has "0 failed"

  # an explicit key: readable by another module with the same key
  mkdir kv
  ok run --key-file k1 --protected-dir kv::/vault "$P" write
  no_plaintext kv
  ok run --key-file k1 --protected-dir kv::/vault "$PV" read
  out_has "0 failed"
  head -c 32 /dev/urandom >k2 || exit 1
  ko run --key-file k2 --protected-dir kv::/vault "$P" read
  err_has "WRONG_KEY"
  ko run --protected-dir kv::/vault "$P" read
  err_has "WRONG_KEY"
  head -c 31 k1 >short
  ko run --key-file short --protected-dir kv::/vault "$P" read
  err_has "exactly 32 bytes"
  ko run --key-file k1 --dir kv::/vault "$P" read
  err_has "--key-file"
  ko run --protected-dir missing::/vault "$P" read
  err_has "--protected-dir"

  # the platform key is read only when needed
  mkdir -p nokey && chmod 0700 nokey
  TWINE_PLATFORM_KEY_FILE="$WORK/nokey/bad.key"
  printf 'short' >"$TWINE_PLATFORM_KEY_FILE" && chmod 600 "$TWINE_PLATFORM_KEY_FILE"
  ok run --key-file k1 --protected-dir kv::/vault "$P" read
  ko run --protected-dir v::/vault "$P" read
  err_has "bad.key"
  TWINE_PLATFORM_KEY_FILE="$WORK/keys/platform.key"

  # measure: protected mounts and their policy are measured
  ok "$T" measure --dir v::/vault "$P"; m_plain=$(cat out)
  ok "$T" measure --protected-dir v::/vault "$P"; m_prot=$(cat out)
  ok "$T" measure --key-file k1 --protected-dir v::/vault "$P"; m_k1=$(cat out)
  ok "$T" measure --key-file k2 --protected-dir v::/vault "$P"; m_k2=$(cat out)
  [ "$m_plain" != "$m_prot" ] || fail "protected mode not measured"
  [ "$m_prot" != "$m_k1" ] || fail "seal policy not measured"
  [ "$m_k1" != "$m_k2" ] || fail "explicit key fingerprint not measured"
}

case_example() {
  A=$1
  mkdir out_dir
  msg="attested by run_cli"
  ok run --dir out_dir::/out "$A" "$msg" /out/evidence.bin
  out_has "evidence: 320 bytes"
  m_guest=$(sed -n 's/^measurement //p' out)
  ok "$T" measure --dir out_dir::/out "$A"; m=$(cat out)
  [ "$m_guest" = "$m" ] || fail "guest saw $m_guest, twine measure says $m"
  ok "$T" attest --pubkey -o pub
  hex=$(printf '%s' "$msg" | od -An -tx1 | tr -d ' \n')
  ok "$T" verify out_dir/evidence.bin --pubkey pub --expect "$m" --no-nonce \
    --guest --user-data "$hex"
  ko "$T" verify out_dir/evidence.bin --pubkey pub --expect "$m" --no-nonce \
    --guest --user-data "00$hex"
  # another configuration measures differently, and evidence says so
  ok run --env A=1 --dir out_dir::/out "$A" "$msg" /out/ev2.bin
  ko "$T" verify out_dir/ev2.bin --pubkey pub --expect "$m" --no-nonce \
    --guest --user-data "$hex"
  # without a usable platform key the guest cannot run
  printf 'short' >bad.key && chmod 600 bad.key
  TWINE_PLATFORM_KEY_FILE="$WORK/bad.key" ko run --dir out_dir::/out "$A" "$msg"
  err_has "bad.key"
}

"case_$CASE" "$@"
if [ "$failures" -ne 0 ]; then
  echo "$CASE $BACKEND: $failures failure(s)"
  exit 1
fi
echo "$CASE $BACKEND: ok"
