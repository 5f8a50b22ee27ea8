#!/usr/bin/env bash
# Sets up what is missing, builds rollmat in Release and runs the main job on
# the simulated mat, as a runner at home would on a real one
# (scripts/demo-run.sh: calibrate, record, analyze, draw). Prints where the
# results are.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

exec ./scripts/demo-run.sh build/bin "${ROLLMAT_DEMO_OUT:-demo-out}" scripts/demo.plan
