#!/usr/bin/env bash
# Compile and link check of the native kernels against the oneDNN 3.x API.
#
# The machine's own oneDNN (Debian 12: 2.6.3) builds and tests the addon as
# usual; this checks the other API: it fetches Debian 13's libdnnl-dev and
# library packages (oneDNN 3.x) with apt-get download, using a private apt
# configuration in a temporary folder (the system's sources are not touched),
# compiles every source against those headers, links the objects with that
# library, and checks that each oneDNN symbol the addon uses is defined in
# it. Nothing is installed and the addon in core/native/build is left alone.
# The 3.x library needs a newer C library than Debian 12's, so it is linked
# but not run here.
#
#   bash core/native/check-onednn3.sh            (Debian/Ubuntu, needs apt-get, g++, Node's headers)
#   ONEDNN3_SUITE=sid bash core/native/check-onednn3.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="${ONEDNN3_SUITE:-trixie}"
mirror="${ONEDNN3_MIRROR:-http://deb.debian.org/debian}"
cxx="${CXX:-g++}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

node_include="${ABSNAS_NODE_INCLUDE:-$(dirname "$(dirname "$(command -v node)")")/include/node}"
[ -f "$node_include/node_api.h" ] || node_include=/usr/include/node
[ -f "$node_include/node_api.h" ] || { echo "check-onednn3: Node's headers (node_api.h) not found; set ABSNAS_NODE_INCLUDE" >&2; exit 2; }

# a private apt configuration: lists and downloads in $work only
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/debs" "$work/root" "$work/obj"
echo "deb $mirror $suite main" > "$work/apt/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o Debug::NoLocking=1
  -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" -qq update
lib_pkg="$(apt-cache "${apt_opts[@]}" depends libdnnl-dev | sed -n 's/^ *Depends: \(libdnnl[0-9.]*\)$/\1/p' | head -n1)"
[ -n "$lib_pkg" ] || { echo "check-onednn3: no oneDNN library package behind $suite's libdnnl-dev" >&2; exit 1; }
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download libdnnl-dev "$lib_pkg")
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

include="$work/root/usr/include"
version_h="$include/oneapi/dnnl/dnnl_version.h"
major="$(sed -n 's/^#define DNNL_VERSION_MAJOR \([0-9]*\).*/\1/p' "$version_h")"
minor="$(sed -n 's/^#define DNNL_VERSION_MINOR \([0-9]*\).*/\1/p' "$version_h")"
patch="$(sed -n 's/^#define DNNL_VERSION_PATCH \([0-9]*\).*/\1/p' "$version_h")"
[ "$major" = 3 ] || { echo "check-onednn3: $suite ships oneDNN $major.$minor, not 3.x" >&2; exit 1; }
library="$(find "$work/root" -name 'libdnnl.so.3*' -type f | head -n1)"
[ -n "$library" ] || { echo "check-onednn3: libdnnl.so.3 not found in $lib_pkg" >&2; exit 1; }

# the sources build.js compiles, with its flags
mapfile -t sources < <(node -e "console.log(require('$here/build.js').SOURCES.join('\n'))")
for src in "${sources[@]}"; do
  "$cxx" -O1 -std=c++17 -fPIC -fvisibility=hidden -fopenmp -ffp-contract=off -DNAPI_VERSION=8 \
    -DNODE_GYP_MODULE_NAME=absnas_native -I"$node_include" -I"$include" -c "$here/$src" -o "$work/obj/${src%.cc}.o"
done
"$cxx" -shared -fopenmp "$work"/obj/*.o "$library" -Wl,--allow-shlib-undefined -o "$work/absnas_native3.node"

# every oneDNN symbol the addon uses must be one the 3.x library defines
nm -D --defined-only "$library" | awk '{print $3}' > "$work/defined.txt"
missing=0
while read -r sym; do
  if ! grep -Fxq "$sym" "$work/defined.txt"; then
    echo "check-onednn3: $sym is not defined in $(basename "$library")" >&2
    missing=1
  fi
done < <(nm -u "$work"/obj/*.o | awk '{print $2}' | grep '^dnnl_' | sort -u)
[ "$missing" = 0 ] || exit 1
used="$(nm -u "$work"/obj/*.o | awk '{print $2}' | grep -c '^dnnl_' || true)"
echo "check-onednn3: the native kernels compile and link against oneDNN $major.$minor.$patch ($suite's libdnnl-dev, $lib_pkg); the $used oneDNN functions they call are all defined in $(basename "$library")"
