#!/usr/bin/env bash
# The shared library exports amanah's public API and nothing else: no amanah::detail symbol,
# and no symbol outside namespace amanah (std:: template instantiations excepted).
set -euo pipefail
lib="$1"
syms=$(nm -D --defined-only --demangle "$lib" | awk '$2 ~ /^[TWVDBRiu]$/ {$1=""; $2=""; sub(/^  /, ""); print}')
[ -n "$syms" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -vE '^(amanah::|typeinfo (name )?for amanah::|vtable for amanah::|std::|typeinfo (name )?for std::|vtable for std::|_init$|_fini$|__bss_start$|_edata$|_end$)' || true)
detail=$(printf '%s\n' "$syms" | grep -E 'amanah::detail::' || true)
if [ -n "$bad$detail" ]; then
  echo "unexpected exported symbols:"; printf '%s\n' "$bad" "$detail" | head -40
  exit 1
fi
echo "exports: $(printf '%s\n' "$syms" | grep -c '^amanah::') amanah:: symbols, nothing internal"
