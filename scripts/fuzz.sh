#!/usr/bin/env bash
# fuzz.sh - build a libFuzzer target with clang-19 (ASan + UBSan) and run
# it over its seed corpus for a while.
#
#   scripts/fuzz.sh [SECONDS [TARGET]]   default: $FUZZ_SECONDS or 600 s;
#                                        TARGET fuzz_module (load,
#                                        instantiate, call) or fuzz_pfs
#                                        (open + read protected files)
#
# Environment:
#   FUZZ_BUILD   build directory            (default: build-fuzz)
#   FUZZ_JOBS    parallel fuzzing processes (default: 1)
#   WERROR=1     configure with -DTWINE_WERROR=ON
#   FUZZ_ARGS    extra libFuzzer flags
#
# New interesting inputs go to FUZZ_BUILD/tests/fuzz/corpus, crashes to
# FUZZ_BUILD/tests/fuzz/artifacts/ (reproduce one with
# `FUZZ_BUILD/tests/fuzz/fuzz_module FILE`). Exit status is libFuzzer's:
# non-zero when it found a crash, leak, timeout or oracle failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-${FUZZ_SECONDS:-600}}
target=${2:-fuzz_module}
case "$target" in
  fuzz_module) seeds_target=fuzz_seeds; seeds=seeds; corpus=corpus ;;
  fuzz_pfs) seeds_target=fuzz_pfs_seeds; seeds=pfs-seeds; corpus=pfs-corpus ;;
  *) echo "fuzz.sh: unknown target $target (fuzz_module, fuzz_pfs)" >&2; exit 2 ;;
esac
build=${FUZZ_BUILD:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}
werror=OFF
case "${WERROR:-0}" in 1|ON|on|yes|true) werror=ON ;; esac

CC=${FUZZ_CC:-clang-19}
command -v "$CC" >/dev/null || { echo "fuzz.sh: $CC not found (scripts/install-deps.sh)" >&2; exit 1; }

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTWINE_FUZZ=ON -DTWINE_SANITIZE=ON -DTWINE_WERROR="$werror" >/dev/null
cmake --build "$build" --target "$target" "$seeds_target" -j "$(nproc)"

# Symbolized stack traces in crash reports (llvm-19 is not on PATH).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-19/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer
fi

fdir=$build/tests/fuzz
mkdir -p "$fdir/$corpus" "$fdir/artifacts"
echo "fuzz.sh: $target for ${secs}s with $jobs job(s); corpus $fdir/$corpus, seeds $fdir/$seeds"
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=4096
      -print_final_stats=1 -artifact_prefix="$fdir/artifacts/")
if [ "$jobs" -gt 1 ]; then
  args+=(-jobs="$jobs" -workers="$jobs")
fi
# shellcheck disable=SC2086
exec "$fdir/$target" "${args[@]}" ${FUZZ_ARGS:-} "$fdir/$corpus" "$fdir/$seeds"
