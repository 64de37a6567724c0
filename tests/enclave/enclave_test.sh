#!/bin/sh
# enclave_test.sh - tests of the process enclave backend (docs/enclave.md).
#
#   enclave_test.sh CASE TWINE WAT2WASM WORKDIR TESTSDIR FAKE_HOST PROC_LEAK
#
# Builds the modules it needs with wat2wasm (tests/enclave/wat and
# tests/cli/wat), then runs one CASE (a function below). Exit 0 if every
# check of the case passed.
set -u

CASE=$1
TWINE=$2
WAT2WASM=$3
WORK=$4
TESTS=$5
FAKE=$6
LEAK=$7

failures=0
fail() {
  echo "FAIL [$CASE]: $*"
  failures=$((failures + 1))
}

rm -rf "$WORK"
mkdir -p "$WORK"
command -v "$WAT2WASM" >/dev/null 2>&1 || { echo "wat2wasm not found"; exit 1; }
for w in "$TESTS"/enclave/wat/*.wat "$TESTS"/cli/wat/wasi_echo.wat \
  "$TESTS"/cli/wat/loop.wat "$TESTS"/cli/wat/trap.wat \
  "$TESTS"/cli/wat/arith.wat "$TESTS"/cli/wat/imports.wat \
  "$TESTS"/cli/wat/start_only.wat "$TESTS"/cli/wat/wasi_sleep.wat; do
  "$WAT2WASM" "$w" -o "$WORK/$(basename "$w" .wat).wasm" ||
    { echo "cannot build $w"; exit 1; }
done

# t WANT_RC CMD...: run CMD with stdout/stderr in $WORK/out, $WORK/err.
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

err_has() {
  for s in "$@"; do
    grep -qF -- "$s" "$WORK/err" || {
      fail "stderr of '$LAST' lacks '$s'"
      sed 's/^/    got: /' "$WORK/err"
    }
  done
}

# The trusted process of the twine process $1 (its only child), waiting up
# to 5 s for it to appear.
child_of() {
  i=0
  while [ $i -lt 500 ]; do
    c=$(cat /proc/"$1"/task/"$1"/children 2>/dev/null | tr -d ' ')
    if [ -n "$c" ]; then
      echo "$c"
      return 0
    fi
    sleep 0.01
    i=$((i + 1))
  done
  return 1
}

# Start `twine run ARGS read_stdin.wasm` reading from a FIFO we hold open
# for writing on fd 7; sets TPID and CPID, and waits until the trusted
# process sits in its fd_read host call (locked down by then).
start_blocked() {
  rm -f "$WORK/fifo"
  mkfifo "$WORK/fifo"
  "$TWINE" run "$@" "$WORK/read_stdin.wasm" <"$WORK/fifo" >"$WORK/out" \
    2>"$WORK/err" &
  TPID=$!
  exec 7>"$WORK/fifo"
  CPID=$(child_of "$TPID") || { fail "no trusted process under $TPID"; return 1; }
  i=0
  while [ $i -lt 500 ]; do
    grep -q '^Seccomp:[[:space:]]*2' /proc/"$CPID"/status 2>/dev/null && return 0
    sleep 0.01
    i=$((i + 1))
  done
  return 0
}

case_status() {
  start_blocked || return
  st=/proc/$CPID/status
  grep -q '^Seccomp:[[:space:]]*2$' "$st" || fail "Seccomp is not 2: $(grep Seccomp "$st")"
  grep -q '^NoNewPrivs:[[:space:]]*1$' "$st" || fail "NoNewPrivs is not 1"
  grep -q '^Seccomp_filters:[[:space:]]*1$' "$st" ||
    fail "not exactly one filter: $(grep Seccomp_filters "$st")"
  nfd=$(ls /proc/"$CPID"/fd | wc -l)
  # a sanitizer build keeps stderr open for its reports (docs/enclave.md)
  want=1
  [ "${TWINE_TEST_SANITIZE:-0}" = 1 ] && want=2
  [ "$nfd" -eq "$want" ] || fail "the trusted process has $nfd descriptors: $(ls -l /proc/$CPID/fd)"
  ls -l /proc/"$CPID"/fd | grep -q 'socket:' || fail "its one descriptor is not the channel"
  [ -s /proc/"$CPID"/environ ] && fail "the trusted process has an environment"
  tr '\0' ' ' </proc/"$CPID"/cmdline | grep -q -- '__trusted-process 3' ||
    fail "cmdline: $(tr '\0' ' ' </proc/$CPID/cmdline)"
  echo "Seccomp 2, NoNewPrivs 1, $nfd descriptor(s) in pid $CPID"
  echo ping >&7
  exec 7>&-
  wait "$TPID"
  rc=$?
  [ "$rc" -eq 0 ] || fail "twine exited $rc"
  [ "$(cat "$WORK/out")" = ping ] || fail "output '$(cat "$WORK/out")', expected ping"
  # --enclave=none: no child at all
  echo x | "$TWINE" run --enclave=none "$WORK/read_stdin.wasm" >/dev/null || fail "none backend"
}

case_forbidden_syscall() {
  t 1 "$TWINE" run --enclave-test forbidden-syscall "$WORK/wasi_echo.wasm"
  err_has "twine: trusted process killed by SIGSYS (forbidden system call)"
  [ -s "$WORK/out" ] && fail "output from a killed trusted process"
  t 1 "$TWINE" run --enclave=process --enclave-test=forbidden-syscall \
    --invoke add "$WORK/arith.wasm" 1 2
  err_has "killed by SIGSYS"
  t 1 "$TWINE" run --enclave=none --enclave-test forbidden-syscall "$WORK/wasi_echo.wasm"
  err_has "--enclave-test needs --enclave=process"
  t 1 "$TWINE" run --enclave-test bogus "$WORK/wasi_echo.wasm"
  err_has "unknown hook"
  t 1 "$TWINE" run --enclave=sgx "$WORK/wasi_echo.wasm"
  err_has "--enclave must be process or none"
}

case_killed() {
  for sig in KILL TERM; do
    start_blocked || return
    kill -"$sig" "$CPID"
    wait "$TPID"
    rc=$?
    exec 7>&-
    [ "$rc" -eq 1 ] || fail "twine exited $rc after SIG$sig to the trusted process"
    grep -qF "twine: trusted process killed by SIG$sig" "$WORK/err" ||
      fail "stderr: $(cat "$WORK/err")"
    [ -e /proc/"$CPID" ] && fail "trusted process $CPID still there"
  done
  # A guest trap is not a crash: reported as a trap, 134.
  t 134 "$TWINE" run --invoke crash "$WORK/trap.wasm"
  err_has "twine: trap: unreachable"
}

case_hostile_channel() {
  for c in eof_launch bad_launch truncated_launch launch_type eof truncated \
    oversized_frame over_cap wrong_type bad_magic bad_version len_mismatch \
    trailing; do
    out=$("$FAKE" "$TWINE" "$WORK/wasi_echo.wasm" "$c" 2>&1)
    rc=$?
    echo "$c: $out"
    [ "$rc" -eq 0 ] || fail "$c: $out"
  done
  # the internal entry point refuses to run without a channel
  t 1 "$TWINE" __trusted-process 3
  err_has "is internal"
  t 1 "$TWINE" __trusted-process
  err_has "is internal"
}

case_host_death() {
  out=$("$FAKE" "$TWINE" "$WORK/wasi_echo.wasm" host_death 2>&1)
  echo "$out"
  [ $? -eq 0 ] && echo "$out" | grep -q '^ok' || fail "host_death: $out"
  # The real host killed while the trusted process waits for stdin.
  start_blocked || return
  kill -KILL "$TPID"
  wait "$TPID" 2>/dev/null
  exec 7>&-
  i=0
  while [ -e /proc/"$CPID" ] && [ $i -lt 500 ]; do
    # a zombie that init has not reaped yet is gone as far as we care
    grep -q '^State:[[:space:]]*Z' /proc/"$CPID"/status 2>/dev/null && break
    sleep 0.01
    i=$((i + 1))
  done
  if [ -e /proc/"$CPID" ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$CPID"/status 2>/dev/null; then
    fail "trusted process $CPID survived its host"
  fi
}

case_leaks() {
  out=$("$LEAK" "$TWINE" "$WORK/wasi_echo.wasm" "$WORK/loop.wasm" 200 2>/dev/null)
  rc=$?
  echo "$out"
  [ "$rc" -eq 0 ] || fail "$out"
  # the CLI: 50 runs in one shell, then no process of ours is left
  i=0
  while [ $i -lt 50 ]; do
    "$TWINE" run "$WORK/wasi_echo.wasm" a >/dev/null 2>&1
    [ $? -eq 1 ] || fail "run $i"
    i=$((i + 1))
  done
  left=$(ps -o pid= --ppid $$ | wc -l)
  [ "$left" -le 1 ] || fail "$left processes left under the test shell"
}

# Both backends: identical stdout, stderr and exit status.
same() {
  "$TWINE" run --enclave=none "$@" >"$WORK/n.out" 2>"$WORK/n.err" </dev/null
  nrc=$?
  "$TWINE" run --enclave=process "$@" >"$WORK/p.out" 2>"$WORK/p.err" </dev/null
  prc=$?
  [ "$nrc" -eq "$prc" ] || fail "exit $nrc (none) vs $prc (process): $*"
  cmp -s "$WORK/n.out" "$WORK/p.out" || fail "stdout differs: $*"
  cmp -s "$WORK/n.err" "$WORK/p.err" || {
    fail "stderr differs: $*"
    diff "$WORK/n.err" "$WORK/p.err" | sed 's/^/    /'
  }
}

case_same_as_none() {
  mkdir -p "$WORK/d"
  same "$WORK/wasi_echo.wasm"
  same --env A=1 --env B=two --argv0 prog "$WORK/wasi_echo.wasm" x "y z"
  same --dir "$WORK/d::/data" "$WORK/wasi_echo.wasm" q
  same --invoke add "$WORK/arith.wasm" 40 2
  same --invoke crash "$WORK/trap.wasm"
  same --invoke recurse "$WORK/trap.wasm"
  same --invoke nosuch "$WORK/arith.wasm"
  same --invoke add "$WORK/arith.wasm" 1
  same --max-call-depth 10 --invoke recurse "$WORK/trap.wasm"
  same --bounds=explicit --invoke load "$WORK/trap.wasm" 99999999
  same "$WORK/imports.wasm"
  same "$WORK/start_only.wasm"
  same "$WORK/arith.wasm"
  same --invoke exit_with "$WORK/wasi_echo.wasm" 7
  same --timeout 100ms "$WORK/loop.wasm"
  # blocked in a host call at the deadline: in-process the watchdog adds
  # why it had to end the process; both say the timeout and exit 124
  for e in none process; do
    t 124 "$TWINE" run --enclave=$e --timeout 200ms "$WORK/wasi_sleep.wasm"
    err_has "twine: timeout after 200ms"
  done
  printf 'not wasm' >"$WORK/bad.wasm"
  same "$WORK/bad.wasm"
  same "$WORK/missing.wasm"
}

case_stdin_pipe() {
  out=$(printf 'through the host' | "$TWINE" run "$WORK/read_stdin.wasm")
  [ "$out" = "through the host" ] || fail "got '$out'"
  # stdout closed: the guest's write fails, the run still ends
  "$TWINE" run "$WORK/wasi_echo.wasm" >&- 2>/dev/null
  rc=$?
  [ "$rc" -ne 0 ] || fail "closed stdout: exit 0"
}

"case_$CASE"
if [ "$failures" -ne 0 ]; then
  echo "$CASE: $failures failure(s)"
  exit 1
fi
echo "$CASE: ok"
exit 0
