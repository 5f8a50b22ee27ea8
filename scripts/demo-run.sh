#!/usr/bin/env bash
# The demo's job on the simulated mat, with the rollmat found in BINDIR (the
# build tree's for scripts/demo.sh, an installed one for the install test):
#   1. calibrate the mat (zero, equilibrate, fit with known masses),
#   2. record a session through the acquisition pipeline (the simulated mat's
#      wire capture replayed as if it came over USB),
#   3. analyze it and draw the pictures and the HTML report.
# Prints where the results are, the report's path last.
#
#   demo-run.sh BINDIR OUT PLAN
set -euo pipefail
rollmat=$1/rollmat
out=$2
plan=$3

rm -rf "$out"
mkdir -p "$out/calibration"

echo "== 1. calibration (docs/calibration.md), on the simulated mat SIM-0001"
cal=$out/calibration
"$rollmat" sim --scenario zero -o "$cal/zero.h5"
"$rollmat" sim --scenario uniform -o "$cal/uniform.h5"
"$rollmat" sim --scenario load -o "$cal/load.h5"
"$rollmat" calib zero -o "$cal/mat.cal.h5" "$cal/zero.h5"
"$rollmat" calib equilibrate --cal "$cal/mat.cal.h5" "$cal/uniform.h5"
"$rollmat" calib fit --cal "$cal/mat.cal.h5" --load "$cal/load.h5=40,70,100"

echo "== 2. a session (the left calf rolled well, the right one hurried),"
echo "      its wire capture recorded through the acquisition pipeline"
"$rollmat" sim --plan "$plan" --seed 1 -o "$out/session.rmw" --truth "$out/session.truth.json"
"$rollmat" record --device "file:$out/session.rmw" --calibration "$cal/mat.cal.h5" \
  -o "$out/session.h5"
"$rollmat" info "$out/session.h5"

echo "== 3. analysis and pictures"
# A wire capture carries no muscle names (rollmatd gets them from
# `rollmat muscle LABEL`), so the muscles are found from the unloaded gap
# between them: segment-1 and segment-2.
"$rollmat" analyze --json "$out/session.h5" >"$out/session.analysis.json"
report=$("$rollmat" plot --out "$out/report" "$out/session.h5" | tail -n 1)

echo
echo "rollmat demo: results in $out/ (analysis: $out/session.analysis.json)"
echo "rollmat demo: the report, to open in a browser:"
realpath "$report"
