#!/usr/bin/env bash
# Makes the source archive of a release: bash tools/release.sh [OUT_DIR]  (default build/release)
# writes OUT_DIR/amanah-<VERSION>.tar.gz holding the committed tree at HEAD under amanah-<VERSION>/.
#
# git archive rather than CPack's package_source: it takes exactly the files git tracks at HEAD,
# so nothing untracked can slip in (build trees, stores made by the demo or by hand, editor files,
# other worktrees) without keeping an ignore list in step, and it needs no configured build tree.
# It archives what is committed: uncommitted changes are not in it (the script says so).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-build/release}
version=$(tr -d '[:space:]' < VERSION)
mkdir -p "$out"
archive="$out/amanah-$version.tar.gz"
if ! git diff --quiet HEAD -- 2>/dev/null; then
  echo "release.sh: note: uncommitted changes are not in the archive (it is HEAD)" >&2
fi
git archive --format=tar.gz --prefix="amanah-$version/" -o "$archive" HEAD
echo "$archive"
