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
"$bin/rollmat" sim --scenario good --seed 1 -o "$out/session.h5" --truth "$out/session.truth.json"
# record -> analyze -> plot, as from a real mat: the session's wire capture
# replayed through the acquisition pipeline.
"$bin/rollmat" sim --scenario good --seed 1 -o "$out/session.rmw"
"$bin/rollmat" record --device "file:$out/session.rmw" -o "$out/recorded.h5"
"$bin/rollmat" analyze --json "$out/recorded.h5" >"$out/recorded.analysis.json"
echo "rollmat demo: results in $out/"
report=$("$bin/rollmat" plot --out "$out/report" "$out/recorded.h5" | tail -n 1)
echo "rollmat demo: the report, to open in a browser:"
realpath "$report"
