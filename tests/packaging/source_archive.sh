#!/usr/bin/env bash
# The source archive builds and its tests run from a fresh unpack:
#   bash tests/packaging/source_archive.sh SCRATCH_DIR
# makes the archive with tools/release.sh, unpacks it into SCRATCH_DIR (emptied first), checks
# it holds no build tree or git metadata, configures it outside any git checkout (library and
# tests; tool and examples off), builds the public-API test program and runs its [store] tests.
# A fast subset, for CI time: it proves the archive is complete enough to build and test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
scratch=${1:?usage: source_archive.sh SCRATCH_DIR}
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
version=$(tr -d '[:space:]' < "$root/VERSION")

archive=$(bash "$root/tools/release.sh" "$scratch")
tar -xzf "$archive" -C "$scratch"
src="$scratch/amanah-$version"
[ -f "$src/CMakeLists.txt" ] || { echo "archive: no amanah-$version/CMakeLists.txt" >&2; exit 1; }
[ "$(tr -d '[:space:]' < "$src/VERSION")" = "$version" ] || { echo "archive: VERSION differs" >&2; exit 1; }
for unwanted in .git build demo-store.amanah; do
  if [ -e "$src/$unwanted" ]; then echo "archive: holds $unwanted" >&2; exit 1; fi
done

cmake -S "$src" -B "$scratch/build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DAMANAH_BUILD_TESTS=ON -DAMANAH_BUILD_TOOL=OFF -DAMANAH_BUILD_EXAMPLES=OFF \
  -DAMANAH_BUILD_BENCH=OFF -DAMANAH_CONSUMER_TESTS=OFF >"$scratch/configure.log" 2>&1 \
  || { cat "$scratch/configure.log"; exit 1; }
grep -q "amanah_api_tests" "$scratch/build/build.ninja"
cmake --build "$scratch/build" --target amanah_api_tests
mkdir -p "$scratch/tmp"
AMANAH_TEST_TMP="$scratch/tmp" "$scratch/build/tests/amanah_api_tests" "[store]"
echo "source archive amanah-$version: unpacked, built, [store] tests pass"
