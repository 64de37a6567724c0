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
  out_has "--invoke NAME" "--bounds=guard|explicit" "Exit status" \
    "--dir HOST[::GUEST]" "--env KEY=VALUE" "--tcplisten HOST:PORT" \
    "--argv0 NAME" "--max-memory SIZE" "--stack-size SIZE" \
    "--max-call-depth N" "--timeout DURATION" "proc_exit(N)" "124" "134"
  t 0 "$TWINE" run -h
  out_has "Usage: twine run"
  # --help wins wherever it is among the options
  t 0 "$TWINE" run --env A=1 --help "$WORK/missing.wasm"
  out_has "Usage: twine run"
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
  t 0 "$TWINE" --help
  out_has "134" "124"
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
  t 134 "$TWINE" run "$T" --invoke divide 0
  no_out
  head -n 1 "$WORK/err" | grep -qxF "twine: trap: integer divide by zero" ||
    fail "first stderr line of '$LAST' is '$(head -n 1 "$WORK/err")'"
  err_has "backtrace:"
  err_order "inner" "middle"
  err_order "middle" "outer"
  t 134 "$TWINE" run "$T" --invoke crash
  err_has "twine: trap: unreachable" "crash"
  t 134 "$TWINE" run "$T" --invoke recurse
  err_has "twine: trap: call stack exhausted" "recurse"
  for b in guard explicit; do
    t 134 "$TWINE" run --bounds=$b "$T" --invoke load 65535
    err_has "twine: trap: out of bounds memory access" "load"
    t 134 "$TWINE" run --bounds $b "$T" --invoke load 0xffffffff
    err_has "twine: trap: out of bounds memory access"
    t 0 "$TWINE" run --bounds=$b "$T" --invoke load 65532
    out 0
  done
}

case_run_start_trap() {
  t 134 "$TWINE" run "$WORK/start_trap.wasm"
  err_has "twine: trap: unreachable" "boot"
  t 134 "$TWINE" run "$WORK/start_trap.wasm" --invoke never
  no_out
}

case_run_unlinkable() {
  t 1 "$TWINE" run "$WORK/imports.wasm" --invoke main
  no_out
  one_line_err
  err_has "unlinkable" '"env" "log"' "(func (param i32 i64) (result f32))" \
    "1 more unknown import" "wasi_snapshot_preview1"
  t 1 "$TWINE" run "$WORK/imports.wasm"
  one_line_err
  # An unknown function in the WASI namespace: named by the linker.
  t 1 "$TWINE" run "$WORK/bad_wasi.wasm"
  no_out
  one_line_err
  err_has "unknown import" "wasi_snapshot_preview1" "fd_teleport" \
    "(func (param i32) (result i32))"
  t 1 "$TWINE" run "$WORK/wasi_unstable.wasm"
  one_line_err
  err_has '"wasi_unstable" "fd_write"' \
    "(func (param i32 i32 i32 i32) (result i32))" "older WASI snapshot"
  t 1 "$TWINE" run "$WORK/bad_start.wasm"
  one_line_err
  err_has '"_start"'
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

# ---- twine run for WASI programs ---------------------------------------

case_run_option_errors() {
  A="$WORK/arith.wasm"
  long=$(printf '%05000d' 7)
  # Every bad value: one line, exit 1, the guest never runs.
  for args in \
    "--max-memory abc" "--max-memory 3X" "--max-memory -1" "--max-memory ''" \
    "--max-memory 0" "--max-memory 63K" "--max-memory 4097M" \
    "--max-memory 5G" "--max-memory 1T" "--max-memory 64K64" \
    "--max-memory 18446744073709551615" "--max-memory 18446744073709551616" \
    "--max-memory 99999999999999999999999999G" "--max-memory 17179869184G" \
    "--max-memory 0x10000" "--max-memory ' 64K'" "--max-memory 1.5G" \
    "--stack-size 1K" "--stack-size 2G" "--stack-size=" "--stack-size 4096Q" \
    "--max-call-depth 0" "--max-call-depth -1" "--max-call-depth 1e3" \
    "--max-call-depth 16777217" "--max-call-depth 99999999999999999999" \
    "--max-call-depth ''" "--timeout 0" "--timeout 0ms" "--timeout 10x" \
    "--timeout ms" "--timeout -5s" "--timeout 1.5s" "--timeout 10S" \
    "--timeout 18446744073709551615ms" "--timeout 99999999999999999999h" \
    "--timeout 366d" "--timeout 8761h" "--timeout ''" \
    "--env NOEQUALS" "--env =value" "--env ''" \
    "--dir ''" "--dir ::/guest" "--dir .::" "--dir '$WORK/no-such-dir'" \
    "--dir '$WORK/hello.txt'" "--dir '$WORK/$long'" \
    "--tcplisten 127.0.0.1" "--tcplisten :8080" "--tcplisten 127.0.0.1:" \
    "--tcplisten 127.0.0.1:65536" "--tcplisten 127.0.0.1:-1" \
    "--tcplisten 127.0.0.1:http" "--bounds=wide" "--bounds=" \
    "--frobnicate" "-x" "--invoke add --invoke add" "--dirs '$WORK'"; do
    eval "set -- $args"
    t 1 "$TWINE" run "$@" "$A"
    no_out
    one_line_err
  done
  # Options that need a value, given none.
  for o in --dir --env --tcplisten --argv0 --invoke --max-memory \
    --stack-size --max-call-depth --timeout --bounds; do
    t 1 "$TWINE" run "$o"
    one_line_err
    err_has "$o needs a value"
  done
  t 1 "$TWINE" run --max-memory 3X "$A"
  err_has "--max-memory 3X" "unit"
  t 1 "$TWINE" run --max-memory 63K "$A"
  err_has "too small" "64K"
  t 1 "$TWINE" run --max-memory 17179869184G "$A"
  err_has "too large" "4G"
  t 1 "$TWINE" run --timeout 0 "$A"
  err_has "--timeout 0"
  t 1 "$TWINE" run --timeout 10x "$A"
  err_has "unit"
  t 1 "$TWINE" run --env NOEQUALS "$A"
  err_has "--env NOEQUALS" "KEY=VALUE"
  t 1 "$TWINE" run --env =v "$A"
  err_has "empty variable name"
  t 1 "$TWINE" run --dir "$WORK/no-such-dir" "$A"
  err_has "no-such-dir" "No such file or directory"
  t 1 "$TWINE" run --dir "$WORK/hello.txt::/x" "$A"
  err_has "not a directory"
  t 1 "$TWINE" run --tcplisten 127.0.0.1:65536 "$A"
  err_has "port"
  t 1 "$TWINE" run --frobnicate "$A"
  err_has "unknown option --frobnicate"
  t 1 "$TWINE" run --env A=1
  err_has "missing module path"
  t 1 "$TWINE" run --
  err_has "missing module path"
  # Good values of every kind are accepted.
  for args in "--max-memory 64K" "--max-memory=4G" "--max-memory 65536" \
    "--max-memory 1MiB" "--max-memory 2gb" "--stack-size 4K" \
    "--stack-size=64M" "--max-call-depth 1" "--max-call-depth=16777216" \
    "--timeout 1h" "--timeout=8760h" "--timeout 30" "--timeout 2m" \
    "--timeout 2min" "--env A=" "--env A=b=c" "--dir '$WORK'" \
    "'--dir=$WORK::/data'" "--bounds explicit" "--argv0 x" "--argv0="; do
    eval "set -- $args"
    t 0 "$TWINE" run "$@" "$A" --invoke add 1 2
    out 3
  done
}

case_run_limits() {
  L="$WORK/limits.wasm"
  t 0 "$TWINE" run --invoke grow "$L" 3
  out 1
  t 0 "$TWINE" run --max-memory 128K --invoke grow "$L" 1
  out 1
  t 0 "$TWINE" run --max-memory 128K --invoke grow "$L" 2
  out -1
  t 0 "$TWINE" run --max-memory 191K --invoke grow "$L" 2
  out -1
  t 0 "$TWINE" run --max-memory=192K --invoke grow "$L" 2
  out 1
  t 1 "$TWINE" run --max-memory 128K "$WORK/big_memory.wasm"
  one_line_err
  err_has "memory"
  t 0 "$TWINE" run --max-memory 256K "$WORK/big_memory.wasm"
  # The engine allows a few frames of slack above --max-call-depth.
  t 0 "$TWINE" run --max-call-depth 100 --invoke depth "$L" 50
  out 50
  t 134 "$TWINE" run --max-call-depth 100 --invoke depth "$L" 1000
  err_has "twine: trap: call stack exhausted" "depth" "same as #0"
  t 0 "$TWINE" run --invoke depth "$L" 1000
  out 1000
  t 134 "$TWINE" run --stack-size 4K --invoke fat "$L" 100
  err_has "twine: trap: call stack exhausted" "fat"
  t 0 "$TWINE" run --stack-size 1M --invoke fat "$L" 100
  out 100
}

case_run_nothing() {
  # Neither _start nor --invoke: say so, but it is no failure.
  t 0 "$TWINE" run "$WORK/arith.wasm"
  no_out
  one_line_err
  err_has "nothing to run" "--invoke" "add"
  # A start function is something to run.
  t 0 "$TWINE" run "$WORK/start_only.wasm"
  no_out
  if [ -s "$WORK/err" ]; then fail "stderr of '$LAST' should be empty"; fi
  # Words after the module path belong to the guest; without _start there
  # is nobody to give them to.
  t 1 "$TWINE" run "$WORK/arith.wasm" --bounds=explicit
  one_line_err
  err_has "unexpected argument --bounds=explicit" "before the module path"
}

case_wasi_echo() {
  E="$WORK/wasi_echo.wasm"
  t 0 "$TWINE" run "$E"
  out "hello, wasi" "arg: $E"
  [ "$(cat "$WORK/err")" = "to stderr" ] ||
    fail "stderr of '$LAST' is '$(cat "$WORK/err")'"
  t 3 "$TWINE" run --env A=1 --env B=x=y --env EMPTY= "$E" one "two words" ""
  out "hello, wasi" "arg: $E" "arg: one" "arg: two words" "arg: " \
    "env: A=1" "env: B=x=y" "env: EMPTY="
  # A later --env of the same key replaces the earlier one.
  t 0 "$TWINE" run --env K=1 --env K=2 "$E"
  out "hello, wasi" "arg: $E" "env: K=2"
  # The host environment is not passed on.
  t 0 env TWINE_SECRET=1 "$TWINE" run "$E"
  out "hello, wasi" "arg: $E"
  t 0 "$TWINE" run --argv0 prog "$E"
  out "hello, wasi" "arg: prog"
  # Everything after the module path is the guest's, options included.
  t 5 "$TWINE" run "$E" --env X=1 -- --help --invoke
  out "hello, wasi" "arg: $E" "arg: --env" "arg: X=1" "arg: --" \
    "arg: --help" "arg: --invoke"
  t 1 "$TWINE" run -- "$E" x
  out "hello, wasi" "arg: $E" "arg: x"
  # Guest arguments with control bytes reach the guest unchanged.
  t 1 "$TWINE" run "$E" "$(printf 'a\tb')"
  out "hello, wasi" "arg: $E" "$(printf 'arg: a\tb')"
}

case_wasi_exit() {
  E="$WORK/wasi_echo.wasm"
  for code in 0 1 2 7 42 124 134 255; do
    t $code "$TWINE" run --invoke exit_with "$E" $code
    no_out
    if [ -s "$WORK/err" ]; then fail "stderr of '$LAST' should be empty"; fi
  done
  # Codes a process cannot return become 255, never a false success.
  for code in 256 512 65536 -1 2147483647; do
    t 255 "$TWINE" run --invoke exit_with "$E" $code
  done
  t 5 "$TWINE" run "$E" 1 2 3 4 5
  t 0 "$TWINE" run --invoke add "$E" 2 3
  out 5
  t 134 "$TWINE" run --invoke crash "$E"
  err_has "twine: trap: unreachable" "crash"
  # A reactor's _initialize runs before the invoked export.
  t 0 "$TWINE" run --invoke ready "$WORK/wasi_reactor.wasm"
  out init 42
  t 0 "$TWINE" run --invoke _initialize "$WORK/wasi_reactor.wasm"
  out init
}

case_wasi_trap() {
  t 134 "$TWINE" run "$WORK/wasi_trap.wasm"
  out "before the trap"
  head -n 1 "$WORK/err" | grep -qxF "twine: trap: integer divide by zero" ||
    fail "first stderr line of '$LAST' is '$(head -n 1 "$WORK/err")'"
  err_has "backtrace:"
  err_order "explode" "middle"
  err_order "middle" "_start_impl"
}

# now_ms: monotonic enough for coarse bounds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

case_timeout() {
  start=$(now_ms)
  t 124 "$TWINE" run --timeout 200ms "$WORK/loop.wasm"
  el=$(($(now_ms) - start))
  no_out
  one_line_err
  err_has "twine: timeout after 200ms"
  [ "$el" -ge 190 ] || fail "'$LAST' stopped after ${el}ms, before 200ms"
  [ "$el" -lt 10000 ] || fail "'$LAST' took ${el}ms"
  t 124 "$TWINE" run --timeout=1s --invoke spin "$WORK/loop.wasm"
  err_has "twine: timeout after 1s"
  t 124 "$TWINE" run --bounds=explicit --timeout 100ms "$WORK/loop.wasm"
  err_has "timeout after 100ms"
  # A guest that finishes in time is not affected.
  t 0 "$TWINE" run --timeout 10s --invoke add "$WORK/arith.wasm" 1 2
  out 3
  t 3 "$TWINE" run --timeout 1m "$WORK/wasi_echo.wasm" a b c
  # Blocked in a host call (a one-hour poll_oneoff): ended after a grace
  # period.
  start=$(now_ms)
  t 124 "$TWINE" run --timeout 300ms "$WORK/wasi_sleep.wasm"
  el=$(($(now_ms) - start))
  err_has "twine: timeout after 300ms"
  [ "$el" -lt 20000 ] || fail "'$LAST' took ${el}ms"
}

case_wasi_dirs() {
  P="$WORK/wasi_preopens.wasm"
  mkdir -p "$WORK/d1" "$WORK/d2"
  t 0 "$TWINE" run "$P"
  no_out
  t 0 "$TWINE" run --dir "$WORK/d1" --dir "$WORK/d2::/data" --dir "$WORK/d1::." "$P"
  out "fd 3: dir $WORK/d1" "fd 4: dir /data" "fd 5: dir ."
  # Sockets are numbered after every directory, whatever the order.
  t 0 "$TWINE" run --tcplisten 127.0.0.1:0 --dir "$WORK/d1::/a" "$P"
  out "fd 3: dir /a" "fd 4: socket"
  # Missing or unusable directories: one line, before the guest runs.
  t 1 "$TWINE" run --dir "$WORK/d1" --dir "$WORK/missing::/m" "$P"
  no_out
  one_line_err
  err_has "$WORK/missing" "No such file or directory"
  t 1 "$TWINE" run --dir "$WORK/hello.txt" "$P"
  one_line_err
  err_has "not a directory"
  if [ "$(id -u)" -ne 0 ]; then
    mkdir -p "$WORK/locked"
    chmod 000 "$WORK/locked"
    t 1 "$TWINE" run --dir "$WORK/locked" "$P"
    one_line_err
    err_has "Permission denied"
    chmod 700 "$WORK/locked"
  fi
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
