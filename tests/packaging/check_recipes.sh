#!/usr/bin/env bash
# Static checks of the package recipes (neither vcpkg nor Conan runs here):
#   packaging/vcpkg/ports/amanah/vcpkg.json  parsed and its fields checked (check_vcpkg_json.cmake)
#   the port's portfile.cmake and usage      present; usage names the target the install exports
#   packaging/conan/**/conanfile.py          compiled by python3 (skipped if python3 is absent)
# Usage: check_recipes.sh <source dir>
set -euo pipefail
src=${1:?usage: check_recipes.sh <source dir>}
here=$(cd "$(dirname "$0")" && pwd)
port=$src/packaging/vcpkg/ports/amanah
fail() { echo "check_recipes: $*" >&2; exit 1; }

cmake -DFILE="$port/vcpkg.json" -P "$here/check_vcpkg_json.cmake"
[ -f "$port/portfile.cmake" ] || fail "no $port/portfile.cmake"
grep -q 'find_package(amanah CONFIG REQUIRED)' "$port/usage" || fail "usage lacks find_package"
grep -q 'amanah::amanah' "$port/usage" || fail "usage lacks amanah::amanah"
# The port fixes up the CMake package where CMakeLists.txt installs it.
grep -q 'CONFIG_PATH lib/cmake/amanah' "$port/portfile.cmake" || fail "portfile: config path"
grep -q 'CMAKE_INSTALL_LIBDIR}/cmake/amanah' "$src/CMakeLists.txt" || fail "CMakeLists.txt no longer installs <libdir>/cmake/amanah"

if command -v python3 >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for f in "$src/packaging/conan/conanfile.py" "$src/packaging/conan/test_package/conanfile.py"; do
    python3 -c 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)' \
      "$f" "$tmp/out.pyc" || fail "$f does not compile"
  done
  echo "check_recipes: conanfile.py files compile"
else
  echo "check_recipes: python3 not found, conanfile.py syntax not checked (tools/setup.sh installs it)"
fi
echo "check_recipes: ok"
