#!/bin/sh
# cli_pfs.sh TWINE - tests of `twine pfs`: keygen, encrypt/decrypt round
# trips (empty, inline-sized, multi-node, multi-MHT), info, verify, rekey,
# keys from a file and from TWINE_PFS_KEY, and the failure cases (wrong key,
# tampered, truncated, bound to another path, existing OUT): one line on
# stderr, exit 1, OUT not written.
set -u
TWINE=${1:?usage: cli_pfs.sh TWINE}
T=$(mktemp -d /tmp/cli_pfs.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { :; }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect_fail DESC OUTFILE CMD...: exit 1, one stderr line, OUTFILE absent
expect_fail() {
  desc=$1; out=$2; shift 2
  "$@" >"$T/stdout" 2>"$T/stderr"; rc=$?
  [ $rc -eq 1 ] || bad "$desc: exit $rc, want 1"
  [ "$(wc -l <"$T/stderr")" -eq 1 ] || bad "$desc: stderr not one line: $(cat "$T/stderr")"
  [ -n "$out" ] && [ -e "$out" ] && bad "$desc: $out was written"
  ls "$T" | grep -q '\.tmp-' && bad "$desc: temporary file left behind"
  cat "$T/stderr"
}

"$TWINE" pfs --help | grep -q "twine pfs keygen" || bad "pfs --help"
"$TWINE" --help | grep -q "pfs" || bad "twine --help does not list pfs"
"$TWINE" pfs keygen "$T/k1" || bad "keygen"
[ "$(wc -c <"$T/k1")" -eq 32 ] || bad "keygen: not 32 bytes"
[ "$(stat -c %a "$T/k1")" = 600 ] || bad "keygen: mode $(stat -c %a "$T/k1")"
expect_fail "keygen over an existing key" "" "$TWINE" pfs keygen "$T/k1"
"$TWINE" pfs keygen "$T/k2" || bad "keygen 2"
cmp -s "$T/k1" "$T/k2" && bad "keygen: two equal keys"

for size in 0 1 3072 3073 4096 100000 500000; do
  head -c $size /dev/urandom >"$T/p$size"
  "$TWINE" pfs encrypt --key-file "$T/k1" "$T/p$size" "$T/e$size" || bad "encrypt $size"
  cmp -s "$T/p$size" "$T/e$size" && bad "encrypt $size: output equals input"
  "$TWINE" pfs decrypt --key-file "$T/k1" "$T/e$size" "$T/d$size" || bad "decrypt $size"
  cmp -s "$T/p$size" "$T/d$size" || bad "round trip $size"
  "$TWINE" pfs verify --key-file "$T/k1" "$T/e$size" | grep -q "^ok: $size bytes" ||
    bad "verify $size"
  "$TWINE" pfs info --key-file "$T/k1" "$T/e$size" >"$T/info" || bad "info $size"
  grep -q "^size: *$size\$" "$T/info" || bad "info $size: size"
  grep -q "^format: *PFS1" "$T/info" || bad "info $size: format"
  grep -q "^generation:" "$T/info" || bad "info $size: generation"
  grep -qi "$(od -An -tx1 "$T/k1" | tr -d ' \n' | cut -c1-16)" "$T/info" &&
    bad "info $size: prints key material"
done
[ -e "$T/e0.pfsj" ] && bad "journal left next to the output"

# key from the environment (hex)
KEYHEX=$(od -An -tx1 "$T/k1" | tr -d ' \n')
TWINE_PFS_KEY=$KEYHEX "$TWINE" pfs decrypt "$T/e100000" "$T/denv" || bad "env key"
cmp -s "$T/p100000" "$T/denv" || bad "env key round trip"
expect_fail "no key" "$T/nokey" env -u TWINE_PFS_KEY "$TWINE" pfs decrypt "$T/e1" "$T/nokey"
expect_fail "bad hex key" "$T/badhex" env TWINE_PFS_KEY=xyz "$TWINE" pfs decrypt "$T/e1" "$T/badhex"

# wrong key, tampered, truncated, wrong path, existing OUT
expect_fail "wrong key" "$T/o1" "$TWINE" pfs decrypt --key-file "$T/k2" "$T/e100000" "$T/o1"
grep -q "wrong key" "$T/stderr" || bad "wrong key: message"
cp "$T/e100000" "$T/t1"
printf '\001' | dd of="$T/t1" bs=1 seek=20000 conv=notrunc 2>/dev/null
expect_fail "tampered data node" "$T/o2" "$TWINE" pfs decrypt --key-file "$T/k1" --path e100000 "$T/t1" "$T/o2"
expect_fail "verify tampered" "" "$TWINE" pfs verify --key-file "$T/k1" --path e100000 "$T/t1"
cp "$T/e100000" "$T/t2"
printf 'X' | dd of="$T/t2" bs=1 seek=300 conv=notrunc 2>/dev/null
expect_fail "tampered header" "$T/o3" "$TWINE" pfs decrypt --key-file "$T/k1" --path e100000 "$T/t2" "$T/o3"
head -c 40960 "$T/e100000" >"$T/t3"
expect_fail "truncated" "$T/o4" "$TWINE" pfs decrypt --key-file "$T/k1" --path e100000 "$T/t3" "$T/o4"
head -c 100 "$T/e100000" >"$T/t4"
expect_fail "truncated header" "$T/o5" "$TWINE" pfs decrypt --key-file "$T/k1" --path e100000 "$T/t4" "$T/o5"
cp "$T/e100000" "$T/renamed"
expect_fail "other logical path" "$T/o6" "$TWINE" pfs decrypt --key-file "$T/k1" "$T/renamed" "$T/o6"
"$TWINE" pfs decrypt --key-file "$T/k1" --path e100000 "$T/renamed" "$T/o7" || bad "--path"
cmp -s "$T/p100000" "$T/o7" || bad "--path round trip"
expect_fail "other mount id" "$T/o8" "$TWINE" pfs decrypt --key-file "$T/k1" --mount-id 01 "$T/e1" "$T/o8"
expect_fail "existing OUT" "" "$TWINE" pfs decrypt --key-file "$T/k1" "$T/e1" "$T/p0"
[ -s "$T/p0" ] && bad "existing OUT overwritten"
"$TWINE" pfs decrypt -f --key-file "$T/k1" "$T/e1" "$T/p0" || bad "--force"
expect_fail "plain file as input" "$T/o9" "$TWINE" pfs decrypt --key-file "$T/k1" "$T/p100000" "$T/o9"
expect_fail "missing input" "$T/o10" "$TWINE" pfs encrypt --key-file "$T/k1" "$T/nonexistent" "$T/o10"
expect_fail "unknown command" "" "$TWINE" pfs frobnicate x
expect_fail "missing argument" "" "$TWINE" pfs encrypt --key-file "$T/k1" "$T/p1"
head -c 5 /dev/urandom >"$T/shortkey"
expect_fail "short key file" "$T/o11" "$TWINE" pfs decrypt --key-file "$T/shortkey" "$T/e1" "$T/o11"

# rekey: the new key works, the old one does not; the data is unchanged
gen1=$("$TWINE" pfs info --key-file "$T/k1" "$T/e500000" | sed -n 's/^generation: *//p')
"$TWINE" pfs rekey --key-file "$T/k1" --new-key-file "$T/k2" "$T/e500000" || bad "rekey"
"$TWINE" pfs decrypt --key-file "$T/k2" "$T/e500000" "$T/r1" || bad "decrypt after rekey"
cmp -s "$T/p500000" "$T/r1" || bad "rekey round trip"
expect_fail "old key after rekey" "$T/r2" "$TWINE" pfs decrypt --key-file "$T/k1" "$T/e500000" "$T/r2"
gen2=$("$TWINE" pfs info --key-file "$T/k2" "$T/e500000" | sed -n 's/^generation: *//p')
[ "$gen2" -gt "$gen1" ] || bad "rekey: generation $gen1 -> $gen2"
expect_fail "rekey to the same key" "" "$TWINE" pfs rekey --key-file "$T/k2" --new-key-file "$T/k2" "$T/e500000"
expect_fail "rekey with the wrong key" "" "$TWINE" pfs rekey --key-file "$T/k1" --new-key-file "$T/k2" "$T/e500000"

if [ $fails -ne 0 ]; then
  echo "cli_pfs: $fails failure(s)"
  exit 1
fi
echo "cli_pfs: ok"
