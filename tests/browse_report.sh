#!/usr/bin/env bash
# Renders an HTML report in headless Chromium, offline, for the report
# tests: WORK/shot.png (a WIDTHxHEIGHT screenshot) and WORK/dom.html (the
# DOM once its pictures loaded), and fails on any console message, failed
# load or network error Chromium reported while rendering it.
#   browse_report.sh REPORT.html WORK WIDTH HEIGHT
# Exit 0 rendered cleanly, 1 failed (saying why), 77 no Chromium (the caller
# skips, saying why).
set -euo pipefail
report=$1 work=$2 width=$3 height=$4

chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || exit 77

browse() {
  # Every flag that keeps Chromium from reaching the network or a profile.
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --disable-component-update --disable-sync --disable-default-apps \
    --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" --enable-logging=stderr --v=0 \
    --window-size="$width,$height" "$@" "file://$report"
}

browse --screenshot="$work/shot.png" >"$work/shot.out" 2>"$work/shot.err" || {
  echo "FAIL: chromium failed to take a screenshot"; cat "$work/shot.err"; exit 1; }
# --virtual-time-budget lets the images load before the DOM is dumped.
browse --dump-dom --virtual-time-budget=5000 >"$work/dom.html" 2>"$work/dom.err" || {
  echo "FAIL: chromium failed to dump the DOM"; cat "$work/dom.err"; exit 1; }

# Console messages and failed loads; D-Bus complaints of a machine without a
# session bus are not about the page.
if errors=$(grep -h -E "CONSOLE|Failed to load|ERR_" "$work/shot.err" "$work/dom.err" |
  grep -v dbus); then
  echo "FAIL: chromium reported:"
  echo "$errors"
  exit 1
fi
exit 0
