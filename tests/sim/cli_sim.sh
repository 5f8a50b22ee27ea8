#!/usr/bin/env bash
# `rollmat sim` on the command line: usage errors exit 2, bad plans exit 3
# with one line naming file and line, and no failed run leaves an output.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check WANT_CODE DESCRIPTION -- command...
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: exit $got, wanted $want; stderr: $(cat "$tmp/err")"
        fails=$((fails + 1))
    fi
}

check 0 "--help" -- "$ROLLMAT" sim --help
grep -q -- "--scenario" "$tmp/out" || { echo "FAIL: --help does not describe --scenario"; fails=$((fails + 1)); }
check 2 "unknown option" -- "$ROLLMAT" sim --bogus -o "$tmp/x.h5"
check 2 "missing -o" -- "$ROLLMAT" sim --scenario zero
check 2 "missing argument" -- "$ROLLMAT" sim -o
check 2 "bad extension" -- "$ROLLMAT" sim --scenario zero -o "$tmp/x.txt"
check 2 "unknown scenario" -- "$ROLLMAT" sim --scenario nope -o "$tmp/x.h5"
grep -q "good" "$tmp/err" || { echo "FAIL: unknown scenario does not list the scenarios"; fails=$((fails + 1)); }
check 2 "bad seed" -- "$ROLLMAT" sim --scenario zero --seed -3 -o "$tmp/x.h5"
check 2 "both plan and scenario" -- "$ROLLMAT" sim --scenario zero --plan "$tmp/p" -o "$tmp/x.h5"

printf 'mat rows=16 cols=8\n# comment\n\nidle 1\nmuscle calf-left\nroll 100 speed=30\nroll 900 speed=30\n' >"$tmp/bad.plan"
for ext in h5 rmw; do
    check 3 "bad plan ($ext)" -- "$ROLLMAT" sim --plan "$tmp/bad.plan" -o "$tmp/bad.$ext" --truth "$tmp/bad.json"
    if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q "^rollmat: $tmp/bad.plan:7: position = 900 is outside 0 .. 150" "$tmp/err"; then
        echo "FAIL: bad plan message: $(cat "$tmp/err")"
        fails=$((fails + 1))
    fi
done
if ls "$tmp" | grep -q "^bad\.\(h5\|rmw\|json\)"; then
    echo "FAIL: a failed run left files: $(ls "$tmp")"
    fails=$((fails + 1))
fi

# An unwritable output: the system's reason, exit 1, and an earlier file
# of that name (the truth here) left as it was.
echo keep >"$tmp/keep.json"
check 1 "unwritable output" -- "$ROLLMAT" sim --scenario zero -o "$tmp/no/such/dir.h5" --truth "$tmp/keep.json"
grep -q "^rollmat: $tmp/no/such/dir.h5: No such file or directory$" "$tmp/err" || { echo "FAIL: unwritable output message: $(cat "$tmp/err")"; fails=$((fails + 1)); }
[ "$(cat "$tmp/keep.json")" = keep ] || { echo "FAIL: a failed run replaced the truth"; fails=$((fails + 1)); }
rm -f "$tmp/keep.json"
check 1 "unwritable truth" -- "$ROLLMAT" sim --scenario zero -o "$tmp/t.h5" --truth "$tmp/no/t.json"
[ ! -e "$tmp/t.h5" ] || { echo "FAIL: a recording without its truth"; fails=$((fails + 1)); }
check 0 "zero scenario to .h5" -- "$ROLLMAT" sim --scenario zero -o "$tmp/z.h5" --truth "$tmp/z.json"
check 0 "info on it" -- "$ROLLMAT" info "$tmp/z.h5"
check 0 "the example plan" -- "$ROLLMAT" sim --plan "$ROLLMAT_SOURCE_DIR/tests/sim/plans/example.plan" -o "$tmp/e.h5"
rm -f "$tmp/e.h5"
check 0 "load scenario to .rmw" -- "$ROLLMAT" sim --scenario load --seed 2 -o "$tmp/l.rmw"
[ -s "$tmp/l.rmw" ] || { echo "FAIL: no capture written"; fails=$((fails + 1)); }
# The truth written over the recording: a usage error, nothing written.
check 2 "--truth naming the output" -- "$ROLLMAT" sim --scenario zero -o "$tmp/same.h5" --truth "$tmp/same.h5"
[ ! -e "$tmp/same.h5" ] || { echo "FAIL: --truth over -o wrote $(file -b "$tmp/same.h5")"; fails=$((fails + 1)); }
# The recording's date: from the plan's `date`, overridden by --created-utc.
printf 'date 2026-09-01T07:15:00Z\nidle 1\n' >"$tmp/dated.plan"
check 0 "a dated plan" -- "$ROLLMAT" sim --plan "$tmp/dated.plan" -o "$tmp/d.h5"
check 0 "info on it" -- "$ROLLMAT" info "$tmp/d.h5"
grep -q "created *2026-09-01T07:15:00Z" "$tmp/out" || { echo "FAIL: plan date not in the recording: $(cat "$tmp/out")"; fails=$((fails + 1)); }
check 0 "--created-utc" -- "$ROLLMAT" sim --plan "$tmp/dated.plan" --created-utc 2026-10-02T08:00:00Z -o "$tmp/d.h5"
check 0 "info on it" -- "$ROLLMAT" info "$tmp/d.h5"
grep -q "created *2026-10-02T08:00:00Z" "$tmp/out" || { echo "FAIL: --created-utc not in the recording: $(cat "$tmp/out")"; fails=$((fails + 1)); }
check 2 "bad --created-utc" -- "$ROLLMAT" sim --scenario zero --created-utc 2026-13-01T00:00:00Z -o "$tmp/x.h5"
rm -f "$tmp/d.h5" "$tmp/dated.plan"
# Nothing but the outputs: no temporary files left behind.
left=$(ls "$tmp" | grep -v -x -e out -e err -e bad.plan -e z.h5 -e z.json -e l.rmw)
[ -z "$left" ] || { echo "FAIL: stray files: $left"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo ok
exit "$fails"
