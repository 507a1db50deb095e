#!/usr/bin/env bash
# The layering rules of docs/ARCHITECTURE.md, checked on the sources:
#   - no include cycle between folders of src/ (tsort finds loops);
#   - nothing includes facade/ but facade/ itself (the composition root) and the tests;
#   - <sqlite3.h> only in src/db, OpenSSL and argon2 headers only in src/crypto;
#   - public headers include only public headers and the standard library.
set -euo pipefail
root=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)  # absolute: the checks below cd into src/
cd "$root/src"
fail=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for dir in */; do
  from=${dir%/}
  echo "$from $from" >>"$edges"
  grep -rhoE '^#include "[a-z_]+/' "$from" 2>/dev/null | sed -E 's/^#include "([a-z_]+)\//\1/' |
    sort -u | while read -r to; do
      [ "$to" = "$from" ] && continue
      echo "$from $to" >>"$edges"
      if [ "$to" = facade ]; then echo "layers: src/$from includes facade/" >&2; exit 1; fi
    done || fail=1
done
if ! tsort "$edges" >/dev/null 2>&1; then
  echo "layers: include cycle between folders of src/:" >&2
  tsort "$edges" 2>&1 >/dev/null | sed 's/^/  /' >&2
  fail=1
fi
if grep -rlE '#include <(sqlcipher/)?sqlite3\.h>' . | grep -v '^\./db/'; then
  echo "layers: sqlite3.h outside src/db (files above)" >&2
  fail=1
fi
if grep -rlE '#include <(openssl/|argon2\.h)' . | grep -v '^\./crypto/'; then
  echo "layers: OpenSSL or argon2 outside src/crypto (files above)" >&2
  fail=1
fi
if grep -rnE '#include ("|<(sqlite3|sqlcipher|openssl|argon2|toml\+\+|nlohmann))' "$root/include"; then
  echo "layers: a public header includes an internal or third-party header (lines above)" >&2
  fail=1
fi
[ "$fail" -eq 0 ] && echo "layers: $(grep -vc '^\(.*\) \1$' "$edges") folder edges, no cycle"
exit "$fail"
