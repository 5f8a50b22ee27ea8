#!/usr/bin/env bash
# Sets up what is missing, builds rollmat in Release and runs the main job on
# the simulated mat. Prints where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"

out=${ROLLMAT_DEMO_OUT:-demo-out}
mkdir -p "$out"
bin=build/bin
echo "rollmat demo: results in $out/"
