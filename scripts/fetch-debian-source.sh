#!/usr/bin/env bash
# fetch-debian-source.sh - download and unpack the source of one Debian 12
# (bookworm) package with `apt-get source`, using a PRIVATE apt
# configuration, and cache it.
#
#   scripts/fetch-debian-source.sh PKG DESTDIR
#
# Result: DESTDIR/PKG is the unpacked source tree (with Debian's patches
# applied); DESTDIR/PKG.version holds the version that was fetched. If
# DESTDIR/PKG/.twine-fetched exists already, nothing is done (the cache), so
# only the first build of a tree needs the network.
#
# The machine's apt setup is never touched: the deb-src list, the package
# lists and apt's caches all live in DESTDIR/.apt, and apt-get is pointed
# there with -o options (Dir::Etc::SourceList, Dir::Etc::SourceParts,
# Dir::State::Lists, Dir::Cache). No root needed; as root apt's download
# sandbox user is set to root so that apt need not chown the private dirs.
#
# Mirror: the first Debian URI of the machine's own deb822 sources
# (/etc/apt/sources.list.d/*.sources), else http://deb.debian.org/debian;
# TWINE_DEBIAN_MIRROR=URL overrides. Index files are checked against the
# Release file signed by debian-archive-keyring, as apt always does.
#
# Exit status: 0 on success; 1 with a message on stderr otherwise (most
# often: no network, or the mirror is unreachable).
set -euo pipefail

die() {
  echo "fetch-debian-source: $*" >&2
  exit 1
}

[ $# -eq 2 ] || { echo "usage: $0 PKG DESTDIR" >&2; exit 2; }
pkg=$1
dest=$2
case "$pkg" in
  ''|*[!a-z0-9.+-]*) die "bad package name '$pkg'" ;;
esac

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if [ -e "$dest/$pkg/.twine-fetched" ]; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian needed)"
command -v dpkg-source >/dev/null 2>&1 ||
  die "dpkg-source not found; install dpkg-dev (scripts/install-deps.sh)"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing; install debian-archive-keyring"

mirror=${TWINE_DEBIAN_MIRROR:-}
sec_mirror=
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    while read -r key val _; do
      [ "$key" = "URIs:" ] || continue
      case "$val" in
        */debian-security) [ -n "$sec_mirror" ] || sec_mirror=$val ;;
        */debian) [ -n "$mirror" ] || mirror=$val ;;
      esac
    done <"$f"
  done
fi
mirror=${mirror:-http://deb.debian.org/debian}
sec_mirror=${sec_mirror:-${mirror%/debian}/debian-security}

apt_dir="$dest/.apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" \
         "$apt_dir/cache/archives/partial"

# Several packages may be fetched in parallel (make -j) into one DESTDIR:
# they share the private lists, so one at a time (apt's own locking is off,
# see Debug::NoLocking below, because its lock fails instead of waiting).
exec 9>"$apt_dir/lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if [ -e "$dest/$pkg/.twine-fetched" ]; then
  exit 0
fi
cat >"$apt_dir/sources.list.d/twine-bookworm-src.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: $keyring

Types: deb-src
URIs: $sec_mirror
Suites: bookworm-security
Components: main
Signed-By: $keyring
EOF

APT_OPTS=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
  -o "Acquire::Retries=2"
  -o "Acquire::http::Timeout=30"
  -o "Debug::NoLocking=1"
)
if [ "$(id -u)" -eq 0 ]; then
  APT_OPTS+=(-o "APT::Sandbox::User=root")
fi

log="$apt_dir/log"
echo "fetch-debian-source: $pkg from $mirror (bookworm, deb-src)" >&2
if ! apt-get "${APT_OPTS[@]}" -q update >"$log" 2>&1 ||
   grep -qE '^(W|E): (Failed to fetch|Some index files failed)' "$log"; then
  cat "$log" >&2
  die "apt-get update failed for the private deb-src list ($mirror): is the network up?"
fi

work="$dest/.work-$pkg"
rm -rf "$work"
mkdir -p "$work"
if ! (cd "$work" && apt-get "${APT_OPTS[@]}" -q source "$pkg") >>"$log" 2>&1; then
  cat "$log" >&2
  die "apt-get source $pkg failed"
fi

# The unpacked tree is the only directory apt-get source leaves in $work.
tree=
for d in "$work"/*/; do
  [ -d "$d" ] || continue
  [ -z "$tree" ] || die "apt-get source $pkg left more than one directory"
  tree=${d%/}
done
[ -n "$tree" ] || die "apt-get source $pkg left no source tree"
dsc=$(ls "$work"/*.dsc 2>/dev/null | head -n 1)
version=$(sed -n 's/^Version: //p' "$dsc" | head -n 1)

rm -rf "${dest:?}/$pkg"
mv "$tree" "$dest/$pkg"
echo "$version" >"$dest/$pkg.version"
rm -rf "$work"
touch "$dest/$pkg/.twine-fetched"
echo "fetch-debian-source: $pkg $version unpacked in $dest/$pkg" >&2
