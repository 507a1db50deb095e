#!/usr/bin/env bash
# Builds and runs a consumer of amanah three ways:
#   run.sh find_package     SRC BUILD PREFIX CXX   find_package(amanah CONFIG) against an install
#   run.sh pkg_config       SRC BUILD PREFIX CXX   compile with pkg-config --cflags --libs amanah
#   run.sh add_subdirectory SRC BUILD AMANAH_SRC CXX
set -euo pipefail
mode=$1 src=$2 build=$3 where=$4 cxx=$5
# The vendored build compiles all of amanah, so its build tree is kept between runs and rebuilt
# incrementally (Ninja rebuilds whatever changed); the others are small and start clean.
if [ "$mode" != add_subdirectory ]; then rm -rf "$build"; fi
mkdir -p "$build"
rm -rf "$build/store.amanah"
case "$mode" in
  find_package)
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$where"
    cmake --build "$build"
    LD_LIBRARY_PATH="$where/lib:${LD_LIBRARY_PATH:-}" "$build/consumer" "$build/store.amanah"
    ;;
  pkg_config)
    pc=$(find "$where" -name amanah.pc -printf '%h\n' | head -n 1)
    flags=$(PKG_CONFIG_PATH="$pc" pkg-config --static --cflags --libs amanah)
    # shellcheck disable=SC2086
    "$cxx" -std=c++20 "$src/../main.cpp" -o "$build/consumer" $flags -Wl,-rpath,"$where/lib"
    "$build/consumer" "$build/store.amanah"
    ;;
  add_subdirectory)
    # No build type: the consumer checks amanah leaves it so (and unoptimized compiles faster).
    configure() {
      cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE= \
        -DAMANAH_SOURCE_DIR="$where"
    }
    # A tree left by another compiler or source path cannot be reused: start it again.
    if ! configure; then
      rm -rf "$build"
      mkdir -p "$build"
      configure
    fi
    cmake --build "$build" --target consumer
    "$build/consumer" "$build/store.amanah"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
