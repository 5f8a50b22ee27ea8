# `rollmat info` says what a stored time means: a vendor export's start time
# (no zone: the clock of the PC that recorded it) is "local time, zone
# unknown"; rollmat's own UTC times ("...Z") are printed as they are.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
data=$ROLLMAT_SOURCE_DIR/tests/import/data

"$ROLLMAT" import -o "$tmp/tekscan.h5" "$data/iscan_test.csv"
line=$("$ROLLMAT" info "$tmp/tekscan.h5" | grep '^created')
[[ $line == "created       2019-12-02T18:21:52.34 (local time, zone unknown)" ]] || fail "$line"
"$ROLLMAT" import -o "$tmp/xsensor.h5" "$data/xsensor_data.csv"
out=$("$ROLLMAT" info "$tmp/xsensor.h5")
[[ $(grep -c 'zone unknown' <<< "$out") == 2 ]] || fail "xsensor: recording and calibration: $out"

"$ROLLMAT" sim --scenario zero -o "$tmp/sim.h5"
line=$("$ROLLMAT" info "$tmp/sim.h5" | grep '^created')
[[ $line =~ ^created\ +[0-9-]+T[0-9:]+Z$ ]] || fail "UTC time annotated: $line"
echo ok
