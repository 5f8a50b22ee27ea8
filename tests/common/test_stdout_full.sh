#!/usr/bin/env bash
# Output that cannot be written (a full disk, here /dev/full) is a failure:
# every command that prints to stdout exits 1 with one line on stderr, never 0
# for output that went nowhere. Buffered stdout fails only when flushed, so
# this is checked once, at the end of `rollmat`, for every command.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
"$ROLLMAT" sim --scenario zero -o "$tmp/zero.h5" || { echo "FAIL: sim"; exit 1; }

full() { # full DESCRIPTION -- command...
    local what=$1
    shift 2
    "$@" >/dev/full 2>"$tmp/err"
    local got=$?
    if [ "$got" != 1 ] || [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q "^rollmat: .*stdout" "$tmp/err"; then
        echo "FAIL: $what > /dev/full: exit $got, stderr: $(cat "$tmp/err")"
        fails=$((fails + 1))
    fi
}
full "rollmat --help" -- "$ROLLMAT" --help
full "sim --help" -- "$ROLLMAT" sim --help
full "info" -- "$ROLLMAT" info "$tmp/zero.h5"
full "info --json" -- "$ROLLMAT" info --json "$tmp/zero.h5"
full "analyze --json" -- "$ROLLMAT" analyze --json "$tmp/zero.h5"
[ "$fails" = 0 ] && echo ok
exit "$fails"
