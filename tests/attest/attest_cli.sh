#!/bin/sh
# attest_cli.sh - end-to-end tests of twine measure / sign / attest / verify
# and of the platform key file.
#
#   attest_cli.sh CASE TWINE WAT2WASM WORKDIR
#
# Each CASE is one function below and one CTest test. The platform key
# lives in WORKDIR (TWINE_PLATFORM_KEY_FILE), never in the user's home.
set -u
CASE=$1 T=$2 WAT2WASM=$3 WORK=$4
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1
export TWINE_PLATFORM_KEY_FILE="$WORK/keys/platform.key"
failures=0
fail() { echo "FAIL [$CASE]: $*"; failures=$((failures + 1)); }
# ok CMD...: must exit 0; ko CMD...: must exit non-zero (output kept in err)
ok() { "$@" >out 2>err || { fail "expected success: $*"; cat err; }; }
ko() { if "$@" >out 2>err; then fail "expected failure: $*"; fi; }
err_has() { grep -qF -- "$1" err || { fail "stderr lacks '$1'"; cat err; }; }

mk() { # mk NAME WAT
  printf '%s' "$2" >"$1.wat" && "$WAT2WASM" "$1.wat" -o "$1.wasm" ||
    { echo "cannot build $1 (wat2wasm)"; exit 1; }
}
mk a '(module (func (export "_start")))'
mk b '(module (func (export "_start") nop))'

case_measure() {
  ok "$T" measure a.wasm; m1=$(cat out)
  echo "$m1" | grep -Eq '^[0-9a-f]{64}$' || fail "not 64 hex digits: $m1"
  ok "$T" measure a.wasm; [ "$(cat out)" = "$m1" ] || fail "not stable"
  ok "$T" measure a.wasm other words; [ "$(cat out)" = "$m1" ] ||
    fail "argv changed an unmeasured launch"
  mkdir -p d
  seen="$m1"
  for opts in "--env A=1" "--env A=2" "--bounds=explicit" "--max-memory 1M" \
      "--stack-size 64K" "--max-call-depth 10" "--invoke _start2" \
      "--dir d::/x" "--dir d::/y" "--measure-args" "--tcplisten 127.0.0.1:0"; do
    # shellcheck disable=SC2086
    ok "$T" measure $opts a.wasm; m=$(cat out)
    for s in $seen; do [ "$m" = "$s" ] && fail "$opts: measurement not new"; done
    seen="$seen $m"
  done
  ok "$T" measure --measure-args a.wasm x; mx=$(cat out)
  ok "$T" measure --measure-args a.wasm y
  [ "$(cat out)" = "$mx" ] && fail "--measure-args: argv not measured"
  ok "$T" measure --timeout 5s a.wasm; [ "$(cat out)" = "$m1" ] ||
    fail "--timeout should not be measured"
  ok "$T" measure b.wasm; [ "$(cat out)" = "$m1" ] && fail "module not measured"
  ko "$T" measure --nonce 00 a.wasm; err_has "unknown option --nonce"
  ko "$T" measure --dir missing-dir a.wasm
  ko "$T" measure a.wat
  ok "$T" measure --help
}

case_sign() {
  ok "$T" sign --new-key signer.pem
  grep -Eq '^signer [0-9a-f]{64}$' out || fail "no signer id: $(cat out)"
  sid=$(cut -d' ' -f2 out)
  [ "$(stat -c %a signer.pem)" = 600 ] || fail "key file mode $(stat -c %a signer.pem)"
  ko "$T" sign --new-key signer.pem; err_has "never overwritten"
  ok "$T" sign --key signer.pem a.wasm
  [ "$(cut -d' ' -f2 out)" = "$sid" ] || fail "sign printed another signer id"
  [ "$(wc -c <a.wasm.sig)" -eq 144 ] || fail "signature size"
  ko "$T" sign --key signer.pem a.wasm; err_has "exists"
  ok "$T" sign --key signer.pem --force a.wasm
  ok "$T" measure --sig a.wasm.sig a.wasm
  # A tampered module (or a signature for another module) is refused.
  cp a.wasm t.wasm && printf 'X' >>t.wasm
  ko "$T" measure --sig a.wasm.sig t.wasm; err_has "refusing to use the module"
  ko "$T" measure --sig a.wasm.sig b.wasm; err_has "another module"
  ko "$T" attest --sig a.wasm.sig --nonce 00 -o ev b.wasm
  # A tampered signature file.
  cp a.wasm.sig bad.sig && printf '\001' | dd of=bad.sig bs=1 seek=100 conv=notrunc 2>/dev/null
  ko "$T" measure --sig bad.sig a.wasm; err_has "does not verify"
  head -c 100 a.wasm.sig >short.sig
  ko "$T" measure --sig short.sig a.wasm
  printf 'not a key' >junk.pem
  ko "$T" sign --key junk.pem -o x.sig a.wasm; err_has "not a PEM Ed25519"
  # openssl's own keys work too, when openssl is installed.
  if command -v openssl >/dev/null 2>&1; then
    openssl genpkey -algorithm ed25519 -out o.pem 2>/dev/null &&
      ok "$T" sign --key o.pem -o o.sig a.wasm
  fi
  # Signed evidence carries the signer id.
  ok "$T" attest --sig a.wasm.sig --nonce 00 -o ev a.wasm
  ok "$T" attest --pubkey -o pub.hex
  ok "$T" measure a.wasm; m=$(cat out)
  ok "$T" verify ev --pubkey pub.hex --expect "$m" --nonce 00 --expect-signer "$sid"
  grep -q "^signer $sid" out || fail "verify does not show the signer"
  ko "$T" verify ev --pubkey pub.hex --expect "$m" --nonce 00 \
    --expect-signer 0000000000000000000000000000000000000000000000000000000000000000
  err_has "signer differs"
}

case_attest() {
  ok "$T" attest --pubkey; pub=$(cat out)
  echo "$pub" | grep -Eq '^[0-9a-f]{64}$' || fail "pubkey: $pub"
  ok "$T" attest --pubkey; [ "$(cat out)" = "$pub" ] || fail "pubkey not stable"
  ok "$T" measure --env K=V a.wasm; m=$(cat out)
  ok "$T" attest --env K=V --nonce 00112233445566778899aabbccddeeff \
    --user-data cafe -o ev a.wasm
  [ "$(wc -c <ev)" -eq 320 ] || fail "evidence size"
  ok "$T" verify ev --pubkey "$pub" --expect "$m" \
    --nonce 00112233445566778899aabbccddeeff --user-data cafe
  grep -q '^OK$' out || fail "no OK"
  grep -q "^measurement $m" out || fail "measurement not shown"
  grep -q "from the launcher" out || fail "origin not shown"
  N=00112233445566778899aabbccddeeff
  ko "$T" verify ev --pubkey "$pub" --expect "$m" --nonce 00112233; err_has "nonce differs"
  ok "$T" measure a.wasm; other=$(cat out)
  ko "$T" verify ev --pubkey "$pub" --expect "$other" --nonce $N; err_has "measurement differs"
  ko "$T" verify ev --pubkey 1111111111111111111111111111111111111111111111111111111111111111 \
    --expect "$m" --nonce $N; err_has "another attestation key"
  ko "$T" verify ev --pubkey "$pub" --expect "$m" --nonce $N --user-data cafd
  err_has "report data differs"
  ko "$T" verify ev --pubkey "$pub" --expect "$m" --nonce $N --guest
  ko "$T" verify ev --pubkey "$pub" --expect "$m" --no-nonce
  # Every byte flipped (one at a time) is refused.
  i=0
  while [ $i -lt 320 ]; do
    cp ev f.ev
    b=$(od -An -tu1 -j $i -N1 ev | tr -d ' ')
    printf "\\$(printf %o $(( (b + 1) % 256 )))" |
      dd of=f.ev bs=1 seek=$i conv=notrunc 2>/dev/null
    if "$T" verify f.ev --pubkey "$pub" --expect "$m" --nonce $N \
        --user-data cafe >/dev/null 2>&1; then
      fail "byte $i modified still verifies"
    fi
    i=$((i + 1))
  done
  head -c 319 ev >short.ev
  ko "$T" verify short.ev --pubkey "$pub" --expect "$m" --nonce $N; err_has "malformed"
  cat ev ev >long.ev
  ko "$T" verify long.ev --pubkey "$pub" --expect "$m" --nonce $N
  ko "$T" attest -o ev a.wasm; err_has "--nonce HEX and -o EVIDENCE are required"
  ko "$T" attest --nonce zz -o ev a.wasm
  ko "$T" attest --nonce "$N$N$N" -o ev a.wasm
  ko "$T" verify ev --pubkey "$pub" --expect abc --nonce $N
}

case_platform_key() {
  ok "$T" attest --pubkey; pub=$(cat out)
  k=keys/platform.key
  [ "$(stat -c %a keys)" = 700 ] || fail "key dir mode $(stat -c %a keys)"
  [ "$(stat -c %a $k)" = 600 ] || fail "key mode $(stat -c %a $k)"
  [ "$(wc -c <$k)" -eq 32 ] || fail "key size"
  chmod 640 $k
  ko "$T" attest --pubkey; err_has "must be 0600"
  chmod 604 $k
  ko "$T" attest --pubkey
  chmod 600 $k
  ok "$T" attest --pubkey; [ "$(cat out)" = "$pub" ] || fail "key changed"
  cp $k saved.key
  printf 'x' >>$k
  ko "$T" attest --pubkey; err_has "33 bytes, expected 32"
  cp saved.key $k && chmod 600 $k
  ln -s "$WORK/saved.key" link.key
  TWINE_PLATFORM_KEY_FILE="$WORK/link.key" ko "$T" attest --pubkey
  err_has "symbolic link"
  # Another platform (another key file) has another key.
  TWINE_PLATFORM_KEY_FILE="$WORK/k2/deep/platform.key" ok "$T" attest --pubkey
  [ "$(cat out)" = "$pub" ] && fail "two platforms share a key"
  [ -f k2/deep/platform.key ] || fail "nested key not created"
  # Evidence from platform 2 does not verify under platform 1's key.
  ok "$T" measure a.wasm; m=$(cat out)
  TWINE_PLATFORM_KEY_FILE="$WORK/k2/deep/platform.key" ok "$T" attest --nonce 01 -o ev2 a.wasm
  ko "$T" verify ev2 --pubkey "$pub" --expect "$m" --nonce 01
  err_has "another attestation key"
  # No location at all.
  env -u TWINE_PLATFORM_KEY_FILE -u XDG_DATA_HOME -u HOME "$T" attest --pubkey >out 2>err &&
    fail "no key location accepted"
  err_has "no location"
  # XDG_DATA_HOME is honoured.
  env -u TWINE_PLATFORM_KEY_FILE XDG_DATA_HOME="$WORK/xdg" "$T" attest --pubkey >out 2>err ||
    fail "XDG_DATA_HOME"
  [ -f xdg/twine/platform.key ] || fail "not under XDG_DATA_HOME"
}

"case_$CASE"
[ $failures -eq 0 ] && echo "PASS [$CASE]" && exit 0
exit 1
