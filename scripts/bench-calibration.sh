#!/usr/bin/env bash
# Prints how fast the one counts -> kPa conversion (rm_calibration_apply) is
# against the plain per-sensel formula, in a Release build of its own.
#   ./scripts/bench-calibration.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ROLLMAT_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build "$build" --target rm_bench_calibration_apply -j 2 >/dev/null
"$build/bin/rm_bench_calibration_apply"
