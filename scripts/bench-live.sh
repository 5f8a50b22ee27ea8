#!/usr/bin/env bash
# Live page benchmark (issue 14): prints figures, is not a test.
#
#   scripts/bench-live.sh [BUILD_DIR]
#
# rollmatd records a 64 x 32 @ 100 Hz session (the `good` scenario's
# capture replayed with --realtime) for BENCH_S (30) seconds, BENCH_RUNS
# (3) times each way, alternating:
#   base  without --http;
#   live  with --http 127.0.0.1:0 and two clients on /events (curl).
# Figures: the daemon's CPU (user + sys of all its threads, from /proc)
# per second of wall clock, in % of one core, median of the runs, and the
# difference live - base (target: <= 5 % of one core); and the time from a
# frame's arrival to its event being handed to a client's socket, measured
# inside the daemon over every event (its log line at exit; target: every
# event within 50 ms). The clients' own CPU is not the daemon's.
#
# BUILD_DIR defaults to build-bench-live, configured Release without
# sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-bench-live}
secs=${BENCH_S:-30}
runs=${BENCH_RUNS:-3}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_SANITIZE=OFF \
  -DROLLMAT_WERROR=OFF -DROLLMAT_TESTS=OFF >/dev/null
if ! cmake --build "$build" --target rollmat rollmatd -j2 >"$build/bench-build.log" 2>&1; then
  cat "$build/bench-build.log" >&2
  exit 1
fi
bin=$build/bin
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rollmat-bench-live.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
"$bin/rollmat" sim --scenario good -o "$tmp/good.rmw" >/dev/null
tick=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run MODE N: one session; prints "cpu_percent [latency line]".
run() {
  local mode=$1 n=$2 dir=$tmp/$1-$2
  mkdir -p "$dir"
  local args=(--device "file:$tmp/good.rmw" --realtime --dir "$dir" --socket "$dir/s.sock")
  [[ $mode == live ]] && args+=(--http 127.0.0.1:0)
  "$bin/rollmatd" "${args[@]}" >"$dir/out" 2>"$dir/err" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 50); do [[ -S $dir/s.sock ]] && break; sleep 0.1; done
  "$bin/rollmat" start calf-left --socket "$dir/s.sock" >/dev/null
  local clients=()
  if [[ $mode == live ]]; then
    local url
    url=$(sed -n 's/^live page: //p' "$dir/out")
    for _ in 1 2; do
      curl -s -N "${url}events" >/dev/null &
      clients+=($!)
      pids+=($!)
    done
  fi
  sleep 2 # the session and the clients settle
  local c0 c1 w0 w1
  c0=$(cpu_ticks "$pid")
  w0=$(date +%s.%N)
  sleep "$secs"
  c1=$(cpu_ticks "$pid")
  w1=$(date +%s.%N)
  kill -TERM "$pid"
  wait "$pid" || true
  for c in "${clients[@]}"; do kill "$c" 2>/dev/null || true; wait "$c" 2>/dev/null || true; done
  awk -v c="$((c1 - c0))" -v t="$tick" -v w0="$w0" -v w1="$w1" \
    'BEGIN { printf "%.2f", 100 * c / t / (w1 - w0) }'
  if [[ $mode == live ]]; then
    printf ' %s' "$(grep -o 'frame to socket:.*' "$dir/err" || echo 'no latency line')"
  fi
  echo
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
base=() live=()
for n in $(seq "$runs"); do
  b=$(run base "$n")
  l=$(run live "$n")
  echo "run $n: base ${b}% of a core; live ${l}"
  base+=("${b%% *}")
  live+=("${l%% *}")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mb=$(median "${base[@]}")
ml=$(median "${live[@]}")
echo "median CPU: base ${mb}%, live ${ml}% of one core; live - base = $(awk -v a="$ml" -v b="$mb" 'BEGIN { printf "%.2f", a - b }') % of one core (target <= 5)"
