#!/bin/sh
# cli_test.sh - end-to-end tests of the `twine` CLI.
#
#   cli_test.sh CASE TWINE WAT2WASM WORKDIR SRCDIR
#
# Builds the modules of SRCDIR/wat/ with wat2wasm (at test time), runs the
# twine binary on them and checks exit codes, stdout and stderr. Each CASE
# is one function below and one CTest test (see CMakeLists.txt).
set -u

CASE=$1
TWINE=$2
WAT2WASM=$3
WORK=$4
SRC=$5

failures=0
fail() {
  echo "FAIL [$CASE]: $*"
  failures=$((failures + 1))
}

# t WANT_RC CMD...: run CMD, keep its output in $WORK/out and $WORK/err and
# check the exit code.
t() {
  want=$1
  shift
  LAST="$*"
  "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "exit code $rc, expected $want: $LAST"
    sed 's/^/    stdout: /' "$WORK/out"
    sed 's/^/    stderr: /' "$WORK/err"
  fi
}

# out LINE...: stdout must be exactly these lines.
out() {
  printf '%s\n' "$@" >"$WORK/want"
  if ! cmp -s "$WORK/want" "$WORK/out"; then
    fail "stdout of '$LAST' is not '$*'"
    sed 's/^/    got: /' "$WORK/out"
  fi
}

no_out() {
  if [ -s "$WORK/out" ]; then
    fail "stdout of '$LAST' should be empty"
    sed 's/^/    got: /' "$WORK/out"
  fi
}

# err_has TEXT...: every TEXT appears in stderr (fixed strings).
err_has() {
  for s in "$@"; do
    if ! grep -qF -- "$s" "$WORK/err"; then
      fail "stderr of '$LAST' lacks '$s'"
      sed 's/^/    got: /' "$WORK/err"
    fi
  done
}

out_has() {
  for s in "$@"; do
    grep -qF -- "$s" "$WORK/out" || fail "stdout of '$LAST' lacks '$s'"
  done
}

# The error is one line starting with "twine: ".
one_line_err() {
  n=$(wc -l <"$WORK/err")
  [ "$n" -eq 1 ] || fail "stderr of '$LAST' has $n lines, expected 1"
  grep -q '^twine: ' "$WORK/err" || fail "stderr of '$LAST' lacks 'twine: '"
}

# Lines A and B of stderr appear in this order.
err_order() {
  a=$(grep -nF -- "$1" "$WORK/err" | head -n 1 | cut -d: -f1)
  b=$(grep -nF -- "$2" "$WORK/err" | head -n 1 | cut -d: -f1)
  if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then
    fail "stderr of '$LAST': '$1' should come before '$2'"
    sed 's/^/    got: /' "$WORK/err"
  fi
}

setup() {
  rm -rf "$WORK"
  mkdir -p "$WORK" || exit 1
  if ! command -v "$WAT2WASM" >/dev/null 2>&1; then
    echo "FAIL [$CASE]: wat2wasm ($WAT2WASM) not found; install wabt"
    exit 1
  fi
  for w in "$SRC"/wat/*.wat; do
    b=$(basename "$w" .wat)
    flags="--debug-names"
    [ "$b" = invalid ] && flags="$flags --no-check"
    if ! "$WAT2WASM" $flags "$w" -o "$WORK/$b.wasm"; then
      echo "FAIL [$CASE]: wat2wasm $w failed"
      exit 1
    fi
  done
  # A type section that claims 5 bytes where 2 remain.
  printf '\000asm\001\000\000\000\001\005\001\140' >"$WORK/truncated.wasm"
  # Binary version 2.
  printf '\000asm\002\000\000\000' >"$WORK/version2.wasm"
  printf 'hello, world\n' >"$WORK/hello.txt"
  : >"$WORK/empty.wasm"
  cp "$SRC/wat/arith.wat" "$WORK/arith_text.wasm"
}

case_help() {
  t 0 "$TWINE" --help
  out_has "Usage: twine" "run" "validate"
  t 0 "$TWINE" -h
  out_has "Usage: twine"
  t 0 "$TWINE" run --help
  out_has "--invoke NAME" "--bounds=guard|explicit" "Exit status"
  t 0 "$TWINE" validate --help
  out_has "Usage: twine validate"
  t 0 "$TWINE" help run
  out_has "Usage: twine run"
  t 1 "$TWINE"
  err_has "Usage: twine"
  t 1 "$TWINE" bogus
  one_line_err
  err_has "unknown command bogus"
  t 1 "$TWINE" --bogus
  one_line_err
  t 1 "$TWINE" help bogus
  one_line_err
}

case_version() {
  t 0 "$TWINE" --version
  grep -qE '^twine [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out" ||
    fail "--version printed '$(cat "$WORK/out")'"
  t 0 "$TWINE" -V
  grep -qE '^twine [0-9]+\.[0-9]+\.[0-9]+$' "$WORK/out" || fail "-V"
}

case_validate_valid() {
  for m in arith trap start_trap imports hostile; do
    t 0 "$TWINE" validate "$WORK/$m.wasm"
    out valid
  done
  t 0 "$TWINE" validate -- "$WORK/arith.wasm"
  out valid
}

case_validate_malformed() {
  t 1 "$TWINE" validate "$WORK/truncated.wasm"
  no_out
  one_line_err
  err_has "truncated.wasm: malformed module at offset" "section 1 (type)"
  t 1 "$TWINE" validate "$WORK/version2.wasm"
  one_line_err
  err_has "malformed module at offset 4" "version"
}

case_validate_invalid() {
  t 1 "$TWINE" validate "$WORK/invalid.wasm"
  no_out
  one_line_err
  err_has "invalid.wasm: invalid module at offset" "section 10 (code)" \
    "type mismatch"
}

case_bad_files() {
  for f in "$WORK/missing.wasm" "$WORK" "$WORK/empty.wasm" \
    "$WORK/hello.txt" "$WORK/arith_text.wasm"; do
    t 1 "$TWINE" validate "$f"
    no_out
    one_line_err
    t 1 "$TWINE" run "$f"
    one_line_err
  done
  t 1 "$TWINE" validate "$WORK/missing.wasm"
  err_has "cannot open" "No such file"
  t 1 "$TWINE" validate "$WORK"
  err_has "is a directory"
  t 1 "$TWINE" validate "$WORK/empty.wasm"
  err_has "not a WebAssembly module"
  t 1 "$TWINE" validate "$WORK/hello.txt"
  err_has "not a WebAssembly module"
  t 1 "$TWINE" validate "$WORK/arith_text.wasm"
  err_has "text format" "wat2wasm"
  t 1 "$TWINE" validate
  one_line_err
  t 1 "$TWINE" validate "$WORK/arith.wasm" "$WORK/trap.wasm"
  one_line_err
  t 1 "$TWINE" validate --frobnicate "$WORK/arith.wasm"
  one_line_err
  # Control bytes in a file name are escaped, never echoed raw.
  esc=$(printf 'x\033[31mred')
  t 1 "$TWINE" validate "$WORK/$esc"
  one_line_err
  err_has 'x\x1b[31mred'
  if grep -q "$(printf '\033')" "$WORK/err"; then
    fail "raw ESC byte in stderr"
  fi
}

case_run_invoke() {
  A="$WORK/arith.wasm"
  t 0 "$TWINE" run "$A" --invoke add 2 3
  out 5
  t 0 "$TWINE" run --invoke add 2 3 "$A"
  out 5
  t 0 "$TWINE" run --invoke=add 0xffffffff 1 "$A"
  out 0
  t 0 "$TWINE" run "$A" --invoke add -2147483648 -1
  out 2147483647
  t 0 "$TWINE" run --bounds=explicit "$A" --invoke add 0x10 -0x1
  out 15
  t 0 "$TWINE" run --invoke add -- -1 -2 "$A"
  out -3
  t 0 "$TWINE" run "$A" --invoke mul64 4294967296 4294967296
  out 0
  t 0 "$TWINE" run "$A" --invoke mul64 -3 7
  out -21
  t 0 "$TWINE" run "$A" --invoke mul64 0xffffffffffffffff 1
  out -1
  t 0 "$TWINE" run "$A" --invoke half 3
  out 1.5
  t 0 "$TWINE" run "$A" --invoke half 4
  out 2.0
  t 0 "$TWINE" run "$A" --invoke half 0.2
  out 0.1
  t 0 "$TWINE" run "$A" --invoke half 1e300
  out 5e+299
  t 0 "$TWINE" run "$A" --invoke half -inf
  out -inf
  t 0 "$TWINE" run "$A" --invoke half -0
  out -0.0
  t 0 "$TWINE" run "$A" --invoke id32 0.1
  out 0.1
  t 0 "$TWINE" run "$A" --invoke id32 nan:0x1
  out nan:0x1
  t 0 "$TWINE" run "$A" --invoke id32 -nan
  out -nan
  t 0 "$TWINE" run "$A" --invoke bits32 1.5
  out 1069547520
  t 0 "$TWINE" run "$A" --invoke bits32 0x1p-149
  out 1
  t 0 "$TWINE" run "$A" --invoke bits32 -nan
  out -4194304
  t 0 "$TWINE" run "$A" --invoke swap 7 2.5
  out 2.5 7
  t 0 "$TWINE" run "$A" --invoke nothing
  no_out
  t 0 "$TWINE" run "$A" --invoke is_null null
  out 1
  t 0 "$TWINE" run "$A"
  no_out
}

case_run_arg_errors() {
  A="$WORK/arith.wasm"
  t 1 "$TWINE" run "$A" --invoke add 1
  one_line_err
  err_has "takes 2 arguments, got 1" "(param i32 i32)"
  t 1 "$TWINE" run "$A" --invoke add 1 2 3
  one_line_err
  t 1 "$TWINE" run "$A" --invoke add 1 x
  one_line_err
  err_has "argument 2" "not a valid i32"
  t 1 "$TWINE" run "$A" --invoke add 4294967296 0
  err_has "out of range for i32"
  t 1 "$TWINE" run "$A" --invoke add -2147483649 0
  err_has "out of range for i32"
  t 1 "$TWINE" run "$A" --invoke add " 1" 0
  err_has "not a valid i32"
  t 1 "$TWINE" run "$A" --invoke add "" 0
  one_line_err
  t 1 "$TWINE" run "$A" --invoke mul64 18446744073709551616 0
  err_has "out of range for i64"
  t 1 "$TWINE" run "$A" --invoke half 1e999
  err_has "out of range for f64"
  t 1 "$TWINE" run "$A" --invoke half " 1"
  err_has "not a valid f64"
  t 1 "$TWINE" run "$A" --invoke half "nan(123)"
  err_has "not a valid f64"
  t 1 "$TWINE" run "$A" --invoke id32 nan:0x800000
  err_has "NaN payload"
  t 1 "$TWINE" run "$A" --invoke is_null 5
  err_has "only null"
  t 1 "$TWINE" run "$A" --invoke nope
  one_line_err
  err_has 'no export named "nope"' "add"
  t 1 "$TWINE" run "$A" --invoke g
  err_has "is a global, not a function"
  t 1 "$TWINE" run "$A" --invoke mem
  err_has "is a memory"
  t 1 "$TWINE" run "$A" --invoke
  one_line_err
  t 1 "$TWINE" run --invoke add 1 2
  one_line_err
  t 1 "$TWINE" run
  one_line_err
  t 1 "$TWINE" run "$A" "$A"
  one_line_err
  t 1 "$TWINE" run --invoke add --invoke add 1 2 "$A"
  one_line_err
  t 1 "$TWINE" run --bounds=wide "$A"
  one_line_err
  t 1 "$TWINE" run --bounds
  one_line_err
  t 1 "$TWINE" run --frobnicate "$A"
  one_line_err
}

case_run_trap() {
  T="$WORK/trap.wasm"
  t 0 "$TWINE" run "$T" --invoke divide 1
  out 1
  t 2 "$TWINE" run "$T" --invoke divide 0
  no_out
  head -n 1 "$WORK/err" | grep -qxF "twine: trap: integer divide by zero" ||
    fail "first stderr line of '$LAST' is '$(head -n 1 "$WORK/err")'"
  err_has "backtrace:"
  err_order "inner" "middle"
  err_order "middle" "outer"
  t 2 "$TWINE" run "$T" --invoke crash
  err_has "twine: trap: unreachable" "crash"
  t 2 "$TWINE" run "$T" --invoke recurse
  err_has "twine: trap: call stack exhausted" "recurse"
  for b in guard explicit; do
    t 2 "$TWINE" run --bounds=$b "$T" --invoke load 65535
    err_has "twine: trap: out of bounds memory access" "load"
    t 2 "$TWINE" run --bounds $b "$T" --invoke load 0xffffffff
    err_has "twine: trap: out of bounds memory access"
    t 0 "$TWINE" run --bounds=$b "$T" --invoke load 65532
    out 0
  done
}

case_run_start_trap() {
  t 2 "$TWINE" run "$WORK/start_trap.wasm"
  err_has "twine: trap: unreachable" "boot"
  t 2 "$TWINE" run "$WORK/start_trap.wasm" --invoke never
  no_out
}

case_run_unlinkable() {
  t 1 "$TWINE" run "$WORK/imports.wasm" --invoke main
  no_out
  one_line_err
  err_has "unlinkable" '"env" "log"' "(func (param i32 i64) (result f32))" \
    "1 more import"
}

case_run_load_errors() {
  t 1 "$TWINE" run "$WORK/truncated.wasm"
  one_line_err
  err_has "malformed module" "section 1 (type)"
  t 1 "$TWINE" run "$WORK/invalid.wasm" --invoke x
  one_line_err
  err_has "invalid module" "section 10 (code)"
}

case_hostile_names() {
  H="$WORK/hostile.wasm"
  t 1 "$TWINE" run "$H" --invoke missing
  one_line_err
  err_has 'exported functions: \x1b[31mevil, a\x00b'
  if grep -q "$(printf '\033')" "$WORK/err"; then
    fail "raw ESC byte in stderr"
  fi
  esc=$(printf '\033[31mevil')
  t 0 "$TWINE" run "$H" --invoke "$esc"
  out 1
  # Names are compared by their bytes: "a" is not "a\0b".
  t 1 "$TWINE" run "$H" --invoke a
  err_has 'no export named "a"'
}

setup
if ! command -v "case_$CASE" >/dev/null 2>&1; then
  echo "FAIL: unknown case $CASE"
  exit 1
fi
"case_$CASE"
if [ "$failures" -ne 0 ]; then
  echo "$CASE: $failures check(s) failed"
  exit 1
fi
echo "$CASE: ok"
exit 0
