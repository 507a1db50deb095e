#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time (CI's fuzz step).
#   tools/fuzz.sh [SECONDS [PRESET]]   (default 30 per target; preset `fuzz`, the targets alone,
#                                       or `clang`, which also builds the tests: CI's choice)
# Configures and builds the preset, then runs each fuzz_* executable in build/<preset>/fuzz/ on a
# scratch copy of its committed corpus (fuzz/corpus/<target>/, left unmodified; new units and
# crash files go to build/<preset>/fuzz-runs/<target>/), two targets at a time on 2 cores. Exits non-zero
# if any target finds a crash, leak or timeout, naming the target and the saved input.
set -euo pipefail

secs=${1:-30}
preset=${2:-fuzz}
[[ "$secs" =~ ^[0-9]+$ ]] && [[ "$preset" =~ ^(fuzz|clang)$ ]] ||
  { echo "usage: tools/fuzz.sh [SECONDS [fuzz|clang]]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
built=$(date +%s)

runs="$root/build/$preset/fuzz-runs"
rm -rf "$runs"
mkdir -p "$runs"
mapfile -t targets < <(find "build/$preset/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets built" >&2; exit 1; }

run_one() {
  local exe=$1 name
  name=$(basename "$exe")
  local dir="$runs/$name"
  mkdir -p "$dir/corpus"
  if [ -d "fuzz/corpus/$name" ]; then cp -R "fuzz/corpus/$name/." "$dir/corpus/"; fi
  local rc=0
  # libFuzzer saves the input of any sanitizer report, abort, leak (on by default with ASan) or
  # timeout, and exits non-zero.
  ( cd "$dir" && "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$dir/" corpus >"$dir/log" 2>&1 ) || rc=$?
  echo "$rc" >"$dir/rc"
}

# Two at a time: the machine has two cores.
pids=()
for exe in "${targets[@]}"; do
  run_one "$root/$exe" &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done
wait

failed=0
printf '%-22s %10s %8s %s\n' target runs exec/s result
for exe in "${targets[@]}"; do
  name=$(basename "$exe")
  dir="$runs/$name"
  rc=$(cat "$dir/rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
  result=ok
  if [ "$rc" != 0 ]; then
    failed=1
    artifact=$(sed -n "s/.*Test unit written to //p" "$dir/log" | tail -n 1)
    result="FAILED (exit $rc): ${artifact:-no input saved}; log: $dir/log"
    grep -m 3 -E 'amanah fuzz:|ERROR:|SUMMARY:' "$dir/log" | sed 's/^/    /' >&2 || true
  fi
  printf '%-22s %10s %8s %s\n' "$name" "${execs:-?}" "${rate:-?}" "$result"
done
end=$(date +%s)
echo "fuzz: build $((built - start))s, fuzzing $((end - built))s, total $((end - start))s"
exit $failed
