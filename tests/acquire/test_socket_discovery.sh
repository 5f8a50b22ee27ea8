# Socket discovery (acquire/rm_control.h): rollmatd and `rollmat` find the
# control socket by the same rule, with and without XDG_RUNTIME_DIR, honour
# ROLLMAT_SOCKET on both sides, keep the default directory private (0700,
# owned by the user) and refuse one that is not; with no daemon the message
# names the path tried and how to point elsewhere.
# The /tmp fallback is tested under TMPDIR=<a private temp dir>: the real
# /tmp/rollmat-UID would collide with other test runs.
set -uo pipefail
bin=$ROLLMAT_BIN_DIR
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
uid=$(id -u)
fail() { echo "FAIL: $*"; exit 1; }

# Starts rollmatd on the simulated mat with the given env assignments;
# waits (bounded) until `rollmat status` under the same env answers.
start_daemon() {
    local log=$tmp/daemon.$RANDOM.log
    env "$@" "$bin/rollmatd" --device sim:good --dir "$tmp/rolling" 2>"$log" &
    pids+=($!)
    for _ in $(seq 200); do
        env "$@" "$bin/rollmat" status >/dev/null 2>&1 && return 0
        kill -0 "${pids[-1]}" 2>/dev/null || fail "rollmatd exited: $(cat "$log")"
        sleep 0.1
    done
    fail "rollmatd never answered: $(cat "$log")"
}
stop_daemon() {
    kill -TERM "${pids[-1]}"
    wait "${pids[-1]}" || fail "rollmatd exited $?"
    unset 'pids[-1]'
}
check_private_dir() {
    [[ -d "$1" && ! -L "$1" ]] || fail "$1 is not a directory"
    [[ $(stat -c '%a %u' "$1") == "700 $uid" ]] || fail "$1: $(stat -c '%a %u' "$1"), want 700 $uid"
}

# 1. With XDG_RUNTIME_DIR: $XDG_RUNTIME_DIR/rollmat/rollmat.sock.
mkdir -m 700 "$tmp/run"
with_xdg=(-u ROLLMAT_SOCKET XDG_RUNTIME_DIR="$tmp/run" TMPDIR="$tmp/unused")
start_daemon "${with_xdg[@]}"
[[ -S "$tmp/run/rollmat/rollmat.sock" ]] || fail "no socket under XDG_RUNTIME_DIR/rollmat"
check_private_dir "$tmp/run/rollmat"
out=$(env "${with_xdg[@]}" "$bin/rollmat" start calf-left) || fail "start: $out"
[[ $out == *.h5 ]] || fail "start answered '$out'"
env "${with_xdg[@]}" "$bin/rollmat" stop >/dev/null || fail "stop"
[[ -e "$tmp/unused" ]] && fail "TMPDIR used although XDG_RUNTIME_DIR is set"
stop_daemon

# 2. Without XDG_RUNTIME_DIR (ssh, cron): the per-user directory under TMPDIR,
# the issue's case: `rollmatd --dir ~/rolling` and `rollmat muscle` meet.
mkdir "$tmp/t"
no_xdg=(-u XDG_RUNTIME_DIR -u ROLLMAT_SOCKET TMPDIR="$tmp/t")
start_daemon "${no_xdg[@]}"
[[ -S "$tmp/t/rollmat-$uid/rollmat.sock" ]] || fail "no socket in TMPDIR/rollmat-UID"
check_private_dir "$tmp/t/rollmat-$uid"
[[ -e "$tmp/rolling/rollmat.sock" ]] && fail "socket in the session directory"
env "${no_xdg[@]}" "$bin/rollmat" start >/dev/null || fail "start without XDG_RUNTIME_DIR"
out=$(env "${no_xdg[@]}" "$bin/rollmat" muscle calf-left) || fail "muscle: $out"
[[ $out == calf-left ]] || fail "muscle answered '$out'"
env "${no_xdg[@]}" "$bin/rollmat" stop >/dev/null || fail "stop"
stop_daemon

# 3. ROLLMAT_SOCKET is honoured by the daemon as by the clients.
env_sock=(ROLLMAT_SOCKET="$tmp/elsewhere.sock" XDG_RUNTIME_DIR="$tmp/run")
start_daemon "${env_sock[@]}"
[[ -S "$tmp/elsewhere.sock" ]] || fail "rollmatd ignored ROLLMAT_SOCKET"
# --socket wins over ROLLMAT_SOCKET.
env ROLLMAT_SOCKET="$tmp/nothing.sock" "$bin/rollmat" status --socket "$tmp/elsewhere.sock" \
    >/dev/null || fail "--socket did not override ROLLMAT_SOCKET"
stop_daemon

# 4. No daemon: exit 1, one line naming the path, where it came from, and the
# ways to point elsewhere.
err=$(env -u XDG_RUNTIME_DIR -u ROLLMAT_SOCKET TMPDIR="$tmp/none" "$bin/rollmat" status 2>&1)
rc=$?
[[ $rc == 1 ]] || fail "no daemon: exit $rc"
[[ $(wc -l <<< "$err") == 1 ]] || fail "not one line: $err"
for want in "$tmp/none/rollmat-$uid/rollmat.sock" "without XDG_RUNTIME_DIR" "--socket" \
            "ROLLMAT_SOCKET"; do
    [[ $err == *"$want"* ]] || fail "message lacks '$want': $err"
done
err=$(env -u ROLLMAT_SOCKET XDG_RUNTIME_DIR="$tmp/run" "$bin/rollmat" stop 2>&1)
[[ $err == *"$tmp/run/rollmat/rollmat.sock"*XDG_RUNTIME_DIR* ]] || fail "with XDG: $err"

# 5. A directory others can write into is refused, by daemon and client.
mkdir -p "$tmp/lax/rollmat-$uid" && chmod 755 "$tmp/lax/rollmat-$uid"
lax=(-u XDG_RUNTIME_DIR -u ROLLMAT_SOCKET TMPDIR="$tmp/lax")
err=$(env "${lax[@]}" "$bin/rollmatd" --device sim:good --dir "$tmp/rolling" 2>&1)
rc=$?
[[ $rc == 1 && $err == *"not a private directory"* ]] || fail "lax dir, daemon: $rc $err"
err=$(env "${lax[@]}" "$bin/rollmat" status 2>&1)
[[ $? == 1 && $err == *"not a private directory"* ]] || fail "lax dir, client: $err"
# A symlink in its place is not followed.
mkdir -m 700 "$tmp/target" && mkdir "$tmp/link"
ln -s "$tmp/target" "$tmp/link/rollmat-$uid"
err=$(env -u XDG_RUNTIME_DIR -u ROLLMAT_SOCKET TMPDIR="$tmp/link" "$bin/rollmatd" \
      --device sim:good --dir "$tmp/rolling" 2>&1)
[[ $? == 1 && $err == *"not a private directory"* ]] || fail "symlink: $err"
# Another user's directory (needs root to make one).
if [[ $uid == 0 ]]; then
    mkdir -p -m 700 "$tmp/other/rollmat-0" && chown 65534 "$tmp/other/rollmat-0"
    err=$(env -u XDG_RUNTIME_DIR -u ROLLMAT_SOCKET TMPDIR="$tmp/other" "$bin/rollmat" status 2>&1)
    [[ $err == *"owner uid 65534"* ]] || fail "other owner: $err"
fi
echo ok
