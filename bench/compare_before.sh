#!/usr/bin/env bash
# The cost of the access policy on reads: the same get / find / scan benchmarks
# (bench_records.cpp: a contract purpose, every field readable unmasked) built from the commit
# before the policy existed and from this tree, run alternately in one go on this machine, and
# the ratio of their times printed (target: <= 1.1).
#
#   bash bench/compare_before.sh [BEFORE_REV] [ROUNDS]
#
# BEFORE_REV defaults to fa06e90 (the last commit before issue 8). Builds both in Release under
# $AMANAH_BENCH_WORK (default /tmp/amanah-compare); takes about 15 minutes on 2 cores.
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
before=${1:-fa06e90}
rounds=${2:-3}
work=${AMANAH_BENCH_WORK:-/tmp/amanah-compare}
filter='BM_(Get|GetCachedKey|FindEmail|Scan)_Amanah'
mkdir -p "$work"

build() {  # build <source dir> <build dir>
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DAMANAH_BUILD_BENCH=ON -DAMANAH_BUILD_TESTS=OFF -DAMANAH_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$2" -j2 --target amanah_bench >/dev/null
}

if [ ! -f "$work/before/CMakeLists.txt" ]; then
  rm -rf "$work/before" && mkdir -p "$work/before"
  git -C "$root" archive "$before" | tar -x -C "$work/before"
fi
build "$work/before" "$work/before-build"
build "$root" "$work/after-build"

run() {  # run <build dir> <round>
  "$1"/bench/amanah_bench --benchmark_filter="$filter" --benchmark_min_time=1 \
    --benchmark_format=json 2>/dev/null >"$work/$(basename "$1")-$2.json"
}
for r in $(seq 1 "$rounds"); do
  run "$work/before-build" "$r"
  run "$work/after-build" "$r"
done

python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def times(which):
    out = {}
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{work}/{which}-build-{r}.json"))["benchmarks"]:
            # Benchmarks with repetitions report aggregates: keep their medians.
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            name = b.get("run_name", b["name"])
            out.setdefault(name, []).append(b["real_time"])
    return {k: statistics.median(v) for k, v in out.items()}
before, after = times("before"), times("after")
print(f"{'benchmark (median of medians)':<56}{'before':>10}{'after':>10}{'after/before':>14}")
for name in before:
    if name in after:
        print(f"{name:<56}{before[name]:>10.1f}{after[name]:>10.1f}{after[name] / before[name]:>14.3f}")
PY
