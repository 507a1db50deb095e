#!/usr/bin/env bash
# Does what a vcpkg port and a Conan recipe do with amanah, without vcpkg or Conan:
#   bash tests/packaging/build_like_ports.sh PREFIX_ROOT
# For each linkage (static, shared): configure this source tree as a port does (Release, Ninja,
# BUILD_SHARED_LIBS, no tests/examples/bench, the tool on), build, install into
# PREFIX_ROOT/<linkage>; then build the Conan test_package (packaging/conan/test_package; else
# tests/consumer/find_package) against that prefix alone, run it, check it links the library
# the way asked, and run the installed bin/amanah --version.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
prefix_root=${1:?usage: build_like_ports.sh PREFIX_ROOT}
mkdir -p "$prefix_root"
prefix_root=$(cd "$prefix_root" && pwd)
version=$(tr -d '[:space:]' < "$root/VERSION")

consumer="$root/packaging/conan/test_package"
[ -d "$consumer" ] || consumer="$root/tests/consumer/find_package"

for linkage in static shared; do
  shared=OFF; [ "$linkage" = shared ] && shared=ON
  build="$prefix_root/build-$linkage" prefix="$prefix_root/$linkage"
  test_build="$prefix_root/test_package-$linkage"
  rm -rf "$prefix" "$test_build"
  echo "-- $linkage: configure, build, install into $prefix"
  # The build tree is kept between runs: Ninja rebuilds only what changed.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=$shared -DAMANAH_BUILD_TESTS=OFF -DAMANAH_BUILD_EXAMPLES=OFF \
    -DAMANAH_BUILD_BENCH=OFF -DAMANAH_BUILD_TOOL=ON -DAMANAH_INSTALL=ON \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log"; exit 1; }
  cmake --build "$build"
  cmake --install "$build" >/dev/null

  echo "-- $linkage: test_package ($(basename "$(dirname "$consumer")")/$(basename "$consumer")) against $prefix alone"
  cmake -S "$consumer" -B "$test_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$test_build.configure.log" 2>&1 \
    || { cat "$test_build.configure.log"; exit 1; }
  found=$(sed -n 's/^amanah_DIR:PATH=//p' "$test_build/CMakeCache.txt")
  case "$found" in
    "$prefix"/*) ;;
    *) echo "test_package found amanah in '$found', not in $prefix" >&2; exit 1 ;;
  esac
  cmake --build "$test_build"
  exe=$(find "$test_build" -maxdepth 1 -type f -executable | head -n 1)
  [ -n "$exe" ] || { echo "test_package built no program" >&2; exit 1; }
  needed=$(readelf -d "$exe" | grep NEEDED || true)
  if [ "$linkage" = shared ]; then
    grep -q "libamanah.so" <<<"$needed" || { echo "$exe does not link libamanah.so" >&2; exit 1; }
  else
    ! grep -q "libamanah" <<<"$needed" || { echo "$exe links a shared libamanah" >&2; exit 1; }
  fi
  rm -rf "$test_build/run" && mkdir -p "$test_build/run"
  (cd "$test_build/run" && "$exe" "$test_build/run/store.amanah")

  # Installed without a run path, as the ports install it: the library directory is given.
  got=$(LD_LIBRARY_PATH="$prefix/lib" "$prefix/bin/amanah" --version)
  grep -qx "$version\|amanah $version\|amanah version $version" <<<"$got" \
    || { echo "bin/amanah --version said '$got', not $version" >&2; exit 1; }
  echo "-- $linkage: ok (amanah --version: $got)"
done
