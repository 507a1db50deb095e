#!/usr/bin/env bash
# Installs what amanah needs to build, test and run on Debian 12 (bookworm).
# Idempotent: when everything is present it only checks and returns in about a second.
# SQLCipher 4 and Catch2 v3 come from bookworm-backports, added from the mirror this machine
# already uses (never a hard-coded host).
set -euo pipefail

backports_pkgs=(libsqlcipher-dev sqlcipher libcatch2-dev)
main_pkgs=(build-essential g++ clang cmake ninja-build pkg-config git
  libssl-dev libargon2-dev libfmt-dev libtomlplusplus-dev nlohmann-json3-dev
  libcli11-dev libcsv-dev libbenchmark-dev
  clang-14 libfuzzer-14-dev  # the fuzz preset (tools/fuzz.sh)
  python3)  # python3: tests/packaging/check_recipes.sh compiles the Conan recipes

missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
  done
}

mapfile -t miss_bp < <(missing "${backports_pkgs[@]}")
mapfile -t miss_main < <(missing "${main_pkgs[@]}")
if [ ${#miss_bp[@]} -eq 0 ] && [ ${#miss_main[@]} -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${miss_bp[*]} ${miss_main[*]}"

"${SUDO[@]}" apt-get update -qq
if [ ${#miss_bp[@]} -gt 0 ]; then
  list=/etc/apt/sources.list.d/amanah-bookworm-backports.sources
  if ! apt-cache policy 2>/dev/null | grep -q 'bookworm-backports'; then
    mirror=$(apt-get indextargets --format '$(REPO_URI)' "Codename: bookworm" | sort -u | head -n 1)
    [ -n "$mirror" ] || { echo "setup: no configured bookworm mirror found" >&2; exit 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" | "${SUDO[@]}" tee "$list" >/dev/null
    "${SUDO[@]}" apt-get update -qq
  fi
  "${SUDO[@]}" apt-get install -y -qq -t bookworm-backports "${miss_bp[@]}" >/dev/null
fi
if [ ${#miss_main[@]} -gt 0 ]; then
  "${SUDO[@]}" apt-get install -y -qq "${miss_main[@]}" >/dev/null
fi
echo "setup: done"
