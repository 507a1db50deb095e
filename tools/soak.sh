#!/usr/bin/env bash
# The soak (not in CI; bench/README.md, "Soak"): builds the bench preset's amanah_soak and runs
# 8 threads of mixed operations, erasures and backups included, on a fresh store for a given time,
# then check(), audit().verify() and the customer count. Exits non-zero if any of them fails.
#   bash tools/soak.sh [SECONDS [CUSTOMERS]]   (default 600 s on 100,000 customers)
set -euo pipefail
secs=${1:-600}
customers=${2:-100000}
[[ "$secs" =~ ^[0-9]+$ && "$customers" =~ ^[0-9]+$ ]] ||
  { echo "usage: tools/soak.sh [SECONDS [CUSTOMERS]]" >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
cmake --preset bench >/dev/null
cmake --build --preset bench --target amanah_soak
dir=$(mktemp -d /tmp/amanah-soak-XXXXXX)
rmdir "$dir"  # the soak creates it, and refuses one that exists
exec ./build/bench/bench/amanah_soak --customers "$customers" --threads 8 --seconds "$secs" \
  --backup-every 60 --dir "$dir"
