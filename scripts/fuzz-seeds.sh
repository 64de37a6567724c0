#!/usr/bin/env bash
# fuzz-seeds.sh - build the fuzz seed corpus: every binary module that
# wast2json makes from the spec suite's top-level .wast files (valid,
# invalid and malformed ones alike), plus any extra .wasm files given,
# stored under their SHA-1 so duplicates collapse. Never committed: the
# build generates it (tests/fuzz/CMakeLists.txt).
#
#   scripts/fuzz-seeds.sh SPEC_DIR OUT_DIR [EXTRA.wasm ...]
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 SPEC_DIR OUT_DIR [EXTRA.wasm ...]" >&2
  exit 2
fi
spec=$1
out=$2
shift 2
WAST2JSON=${WAST2JSON:-wast2json}
command -v "$WAST2JSON" >/dev/null || { echo "fuzz-seeds: wast2json not found (apt-get install wabt)" >&2; exit 1; }
shopt -s nullglob
wasts=("$spec"/*.wast)
if [ ${#wasts[@]} -eq 0 ]; then
  echo "fuzz-seeds: no .wast files in $spec" >&2
  exit 1
fi

for f in "$@"; do
  [ -f "$f" ] || { echo "fuzz-seeds: $f not found" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
export WAST2JSON tmp
# wast2json, in parallel: one output folder per .wast file.
printf '%s\0' "${wasts[@]}" | xargs -0 -n 1 -P "$(nproc)" sh -c '
  name=$(basename "$1" .wast)
  mkdir -p "$tmp/$name"
  "$WAST2JSON" "$1" -o "$tmp/$name/$name.json" >/dev/null 2>&1 ||
    echo "fuzz-seeds: wast2json failed on $1 (skipped)" >&2' sh
# Name every module by its SHA-1 (one sha1sum for all of them).
n=0
while read -r h f; do
  cp "$f" "$out/$h"
  n=$((n + 1))
done < <(find "$tmp" -name '*.wasm' -type f -print0 | xargs -0 -r sha1sum;
         [ $# -eq 0 ] || sha1sum "$@")
echo "fuzz-seeds: $(ls "$out" | wc -l) unique seeds from $n modules of ${#wasts[@]} .wast files"
