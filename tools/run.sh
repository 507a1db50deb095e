#!/usr/bin/env bash
# The README's two commands:
#   bash tools/run.sh demo [STORE_DIR]   install what is missing, build, run the quickstart demo
#   bash tools/run.sh test               install what is missing, build and run every test suite:
#                                        GCC (shared library, consumers), GCC + TSan
#                                        (concurrency tests), Clang 14 + ASan/UBSan (static
#                                        library; then its libFuzzer targets, 30 s each), then
#                                        the packaging checks (tests/packaging/). The `asan`
#                                        preset (GCC + ASan/UBSan) is for developers; CI's
#                                        sanitized run is the clang one, which also fuzzes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh

configure() {  # quiet unless it fails
  local log
  log=$(mktemp)
  if ! cmake --preset "$1" >"$log" 2>&1; then cat "$log"; rm -f "$log"; exit 1; fi
  rm -f "$log"
}

case "${1:-}" in
  demo)
    configure dev
    cmake --build --preset dev --target quickstart
    ./build/dev/examples/quickstart "${2:-demo-store.amanah}"
    ;;
  test)
    for preset in dev tsan clang; do
      echo "== $preset: build"
      configure "$preset"
      cmake --build --preset "$preset"
      echo "== $preset: test"
      if [ "$preset" = tsan ]; then  # ThreadSanitizer runs the concurrency tests of both
        # programs (Catch2 fails if the tag matches nothing, so a move cannot go unnoticed)
        TSAN_OPTIONS=halt_on_error=1 ./build/tsan/tests/amanah_api_tests "[concurrency]"
        TSAN_OPTIONS=halt_on_error=1 ./build/tsan/tests/amanah_unit_tests "[concurrency]"
      else
        ctest --preset "$preset"
      fi
      if [ "$preset" = clang ]; then  # the same build holds the libFuzzer targets (fuzz/)
        echo "== fuzz: each target 30 s from its committed corpus"
        bash tools/fuzz.sh 30 clang
      fi
    done
    # What a vcpkg port and a Conan recipe do (static and shared Release builds, installed, the
    # test package built against each prefix alone), and the source archive from a fresh unpack.
    echo "== packaging"
    bash tests/packaging/build_like_ports.sh build/packaging
    bash tests/packaging/source_archive.sh build/packaging/source
    ;;
  *)
    echo "usage: bash tools/run.sh demo [STORE_DIR] | bash tools/run.sh test" >&2
    exit 2
    ;;
esac
