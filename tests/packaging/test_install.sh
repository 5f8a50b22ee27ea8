# `cmake --install` into a fresh prefix, then, with the build tree and the
# source tree hidden (an empty tmpfs mounted over each, in a private mount
# namespace: to the installed programs they are gone), the installed rollmat
# runs the whole demo (scripts/demo-run.sh) and the runner's story with the
# installed rollmatd (no XDG_RUNTIME_DIR, sessions in a --dir of their own);
# the installed man pages, completion and systemd unit work from the prefix.
# Where no mount namespace can be made (an unprivileged container), the same
# runs with the trees in place, and no installed text file may name them.
#   test_install.sh BUILD_DIR
set -uo pipefail
build=$(realpath "$1")
src=$(realpath "$ROLLMAT_SOURCE_DIR")
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1 ||
    fail "cmake --install: $(cat "$tmp/install.log")"
for f in bin/rollmat bin/rollmatd share/man/man1/rollmat.1 share/man/man8/rollmatd.8 \
         share/bash-completion/completions/rollmat share/bash-completion/completions/rollmatd \
         share/systemd/user/rollmatd.service lib/udev/rules.d/70-rollmat.rules \
         share/rollmat/gnuplot/plot-heatmap.gp share/rollmat/gnuplot/plot-timeline.gp \
         share/rollmat/gnuplot/plot-overview.gp share/rollmat/examples/demo.plan \
         share/doc/rollmat/README.md share/doc/rollmat/acquisition.md; do
    [[ -s $prefix/$f ]] || fail "not installed: $f"
done
# The unit starts the installed daemon, wherever the prefix is.
unit=$prefix/share/systemd/user/rollmatd.service
grep -qx "ExecStart=$prefix/bin/rollmatd --foreground" "$unit" || fail "$(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify --man=no "$unit" 2>&1) && [[ -z $out ]] ||
        fail "systemd-analyze verify: $out"
fi

cp "$src/scripts/demo-run.sh" "$tmp/demo-run.sh"
cat > "$tmp/inside.sh" <<'EOF'
set -uo pipefail
fail() { echo "FAIL: $*"; exit 1; }
if [[ $HIDDEN == 1 ]]; then
    [[ ! -e $BUILD/bin/rollmat && ! -e $SRC/CMakeLists.txt ]] || fail "the trees are still visible"
fi
export PATH=$PREFIX/bin:/usr/bin:/bin
[[ $(command -v rollmat) == "$PREFIX/bin/rollmat" ]] || fail "rollmat is $(command -v rollmat)"

# The demo, start to end, with the installed rollmat and the installed plan.
bash "$TMP/demo-run.sh" "$PREFIX/bin" "$TMP/demo" "$PREFIX/share/rollmat/examples/demo.plan" \
    > "$TMP/demo.log" 2>&1 || fail "demo: $(tail -5 "$TMP/demo.log")"
report=$(tail -n 1 "$TMP/demo.log")
[[ -s $report ]] || fail "demo: no report ($report)"
ls "$TMP"/demo/report/*heatmap.png > /dev/null || fail "demo: no heatmaps"

# The runner's story: the daemon without XDG_RUNTIME_DIR, two muscles.
unset XDG_RUNTIME_DIR ROLLMAT_SOCKET
export TMPDIR=$TMP/t
mkdir -p "$TMPDIR"
rollmatd --dir "$TMP/rolling" --device "file:$TMP/demo/session.rmw" --realtime \
    --calibration "$TMP/demo/calibration/mat.cal.h5" 2> "$TMP/daemon.log" &
daemon=$!
frames() { rollmat status --json 2>/dev/null | sed -n 's/.*"frames":\([0-9]*\).*/\1/p'; }
# Waits (bounded) until the session has more than $1 frames.
wait_frames() {
    for _ in $(seq 300); do
        n=$(frames)
        [[ -n $n && $n -gt $1 ]] && return 0
        sleep 0.1
    done
    fail "the session never passed $1 frames: $(cat "$TMP/daemon.log")"
}
for _ in $(seq 200); do rollmat status > /dev/null 2>&1 && break; sleep 0.1; done
file=$(rollmat start calf-left) || fail "start: $(cat "$TMP/daemon.log")"
wait_frames 0
rollmat muscle calf-right > /dev/null || fail "muscle"
wait_frames "$(frames)"
rollmat stop > /dev/null || fail "stop"
kill -TERM "$daemon"
wait "$daemon" || fail "rollmatd exited $?: $(cat "$TMP/daemon.log")"
rollmat info "$TMP/rolling/$file" > "$TMP/info.txt" || fail "info $file"
rollmat analyze --json "$TMP/rolling/$file" > "$TMP/session.json" || fail "analyze $file"
for label in calf-left calf-right; do
    grep -q "segment_start.*$label" "$TMP/info.txt" || fail "no segment $label: $(cat "$TMP/info.txt")"
done
rollmat plot --out "$TMP/plots" "$TMP/rolling/$file" > /dev/null || fail "plot $file"

# The installed man pages and completion.
page=$(MANWIDTH=200 man -M "$PREFIX/share/man" 1 rollmat 2>/dev/null | col -b)
grep -q "rollmat analyze" <<< "$page" || fail "man rollmat"
page=$(MANWIDTH=200 man -M "$PREFIX/share/man" 8 rollmatd 2>/dev/null | col -b)
grep -q -- "--auto-idle" <<< "$page" || fail "man rollmatd"
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
    got=$(bash -c 'source /usr/share/bash-completion/bash_completion
        source "$PREFIX/share/bash-completion/completions/rollmat"
        COMP_WORDS=(rollmat calib); COMP_CWORD=1; COMP_LINE="rollmat calib"; COMP_POINT=13
        _rollmat; echo "${COMPREPLY[*]}"')
    [[ $got == calib ]] || fail "installed completion: '$got'"
fi
echo "ok: demo, daemon session $file, man pages, completion from $PREFIX"
EOF
export BUILD=$build SRC=$src PREFIX=$prefix TMP=$tmp
if unshare --mount --propagation private true 2>/dev/null; then
    HIDDEN=1 unshare --mount --propagation private bash -c '
        mount -t tmpfs rollmat-hidden "$BUILD" && mount -t tmpfs rollmat-hidden "$SRC" || exit 1
        exec bash "$TMP/inside.sh"'
else
    echo "note: no private mount namespace (unshare --mount): the trees stay in place"
    named=$(grep -rlIF -e "$build" -e "$src" "$prefix")
    [[ -z $named ]] || fail "installed files name the build or source tree: $named"
    HIDDEN=0 bash "$tmp/inside.sh"
fi
