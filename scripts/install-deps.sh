#!/usr/bin/env bash
# install-deps.sh - install the Debian 12 packages Twine needs to build, test,
# benchmark and fuzz. Idempotent: it asks dpkg which packages are missing and
# installs only those (running `apt-get update` first). Uses sudo only when
# not already root.
#
#   scripts/install-deps.sh           install what is missing
#   scripts/install-deps.sh --check   list missing packages; exit 1 if any
#   scripts/install-deps.sh --list    print the package list
set -euo pipefail

# The one list of build dependencies. Keep it in sync with README.md only by
# pointing there, never by copying it.
REQUIRED=(
  build-essential           # gcc, make, libc headers
  cmake
  pkg-config
  libcmocka-dev             # unit tests
  libcjson-dev              # spec-test runner reads wast2json output
  wabt                      # wast2json, wat2wasm, wasm-objdump
  clang-19                  # guest programs (wasm32), fuzzing
  lld-19                    # wasm-ld-19
  wasi-libc                 # wasm32-wasi sysroot for WASI guests
  libclang-rt-19-dev-wasm32 # compiler-rt builtins for wasm32
  libclang-rt-19-dev        # libFuzzer + sanitizer runtimes for clang-19
  llvm-19                   # llvm-symbolizer: readable sanitizer stack traces
  binaryen                  # wasm-opt, wasm-dis
  libssl-dev                # OpenSSL libcrypto: CSPRNG (random_get), later PFS crypto
  libseccomp-dev            # the process enclave backend (seccomp-bpf)
  dpkg-dev                  # apt-get source: SQLite, zlib, bzip2 sources for tests
  xz-utils                  # dpkg-source unpacks .tar.xz source packages
  tcl                       # tclsh: SQLite's amalgamation is made by Tcl scripts
  python3                   # bench/run.py
)
OPTIONAL=(
  hyperfine                 # repeated timing of whole commands (bench)
)

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing_of() {
  local p
  for p in "$@"; do
    is_installed "$p" || printf '%s\n' "$p"
  done
}

case "${1:-}" in
  --list)
    printf '%s\n' "${REQUIRED[@]}" "${OPTIONAL[@]}"
    exit 0 ;;
  --check)
    m=$(missing_of "${REQUIRED[@]}" "${OPTIONAL[@]}")
    if [ -n "$m" ]; then
      echo "missing packages:" $m
      exit 1
    fi
    echo "all packages installed"
    exit 0 ;;
  "") ;;
  *)
    echo "usage: $0 [--list|--check]" >&2
    exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps.sh: this script needs Debian (dpkg/apt-get)." >&2
  exit 1
fi

mapfile -t missing_req < <(missing_of "${REQUIRED[@]}")
mapfile -t missing_opt < <(missing_of "${OPTIONAL[@]}")
if [ "${#missing_req[@]}" -eq 0 ] && [ "${#missing_opt[@]}" -eq 0 ]; then
  echo "install-deps: all ${#REQUIRED[@]}+${#OPTIONAL[@]} packages already installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: not root and no sudo; please install:" \
      "${missing_req[@]}" "${missing_opt[@]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get
     -y -q -o Dpkg::Use-Pty=0 --no-install-recommends)

echo "install-deps: installing: ${missing_req[*]} ${missing_opt[*]}"
"${SUDO[@]}" apt-get update -q
if [ "${#missing_req[@]}" -gt 0 ]; then
  "${APT[@]}" install "${missing_req[@]}"
fi
for p in "${missing_opt[@]}"; do
  "${APT[@]}" install "$p" || echo "install-deps: optional package $p not installed (continuing)"
done

# Verify: a package that apt-get claimed to install but dpkg does not know is
# a hard error for the required list.
mapfile -t still < <(missing_of "${REQUIRED[@]}")
if [ "${#still[@]}" -gt 0 ]; then
  echo "install-deps: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: done"
