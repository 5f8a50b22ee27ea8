#!/usr/bin/env bash
# Prints how fast the frame stream (common/rm_frame_stream.h) reads /frames
# against one plain H5Dread of the whole dataset, both measured in this run:
# medians over --repeat runs and the ratio stream / plain. Built in its own
# Release directory without sanitizers.
#   scripts/bench-read.sh [--threads N] [--repeat K] [FILE.h5]
#   scripts/bench-read.sh --frames 6000 --size 64x64 --compression 1
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ROLLMAT_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build "$build" --target rm_bench_read -j 2 >/dev/null
exec "$build/bin/rm_bench_read" "$@"
