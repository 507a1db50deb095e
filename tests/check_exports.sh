#!/usr/bin/env bash
# The shared library exports amanah's public API and nothing else: no amanah::detail symbol and
# nothing outside namespace amanah, except the C++ standard library's template instantiations
# (libstdc++ declares namespace std with default visibility). Checked on mangled names.
set -euo pipefail
lib="$1"
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWVDBRiu]$/ {print $3}')
[ -n "$syms" ] || { echo "no exported symbols in $lib"; exit 1; }
std='^_Z(N|NK|Z|ZN|ZNK|GVZN|GVZNK|T[VIS]N?|T[VIS]NK?)?(St|9__gnu_cxx)'
mine='^_Z(N|NK|T[VIS]N|T[VIS])6amanah'
bad=$(printf '%s\n' "$syms" | grep -vE "$std|$mine|^(_init|_fini|__bss_start|_edata|_end)$" || true)
detail=$(printf '%s\n' "$syms" | grep -E '^_Z(N|NK|T[VIS]N)6amanah6detail' || true)
if [ -n "$bad$detail" ]; then
  echo "unexpected exported symbols:"
  printf '%s\n' "$bad" "$detail" | c++filt | head -40
  exit 1
fi
echo "exports: $(printf '%s\n' "$syms" | grep -cE "$mine") amanah symbols, nothing internal"
