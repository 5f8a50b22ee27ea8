#!/usr/bin/env bash
# Ingest benchmark of the acquisition pipeline (issues 3 and 19): prints
# figures, is not a test.
#
#   scripts/bench-ingest.sh [BUILD_DIR]
#
# 1. Sustained ingest, on two captures of BENCH_FRAMES (60000) frames of
#    64 x 32 made by make_capture: the existing one (a moving band with a
#    5-bit dither) and a noisy one (the same plus Gaussian sensor noise of
#    BENCH_NOISE = 1.5 counts on every sensel, as a real mat has). Each is
#    replayed by `rollmat record --device file:...` (decode, CRC, ring,
#    writer thread, chunks compressed on the writer's compression threads,
#    HDF5) as fast as it goes, in MB/s of wire bytes and frames/s, median of
#    BENCH_RUNS (5) runs, next to baselines measured in the same run:
#    reading the file (cat), the wire decoder alone, and the pipeline
#    without compression. Each figure is given per second of wall clock and
#    per second of CPU (user + sys of all threads): on a shared machine wall
#    time includes waiting for a core, CPU time is what the pipeline costs.
#    Targets (issue 19), on the noisy capture: >= 2 x the USB 2.0 high-speed
#    bulk ceiling (53.2 MB/s) in wall time with 2 cores, >= 1.2 x per CPU
#    second.
# 2. CPU of a real-time 64 x 32 @ 100 Hz session: `rollmat record --realtime`
#    of the noisy capture for BENCH_RT_S (30) seconds, (user + sys) / wall,
#    % of one core. Target: < 2 %.
#
# BUILD_DIR defaults to build-bench-ingest, configured Release without
# sanitizers (benchmarks of an ASan build measure ASan). On a shared machine
# run it as `nice -n -5 scripts/bench-ingest.sh` (root) and more than once.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-bench-ingest}
frames=${BENCH_FRAMES:-60000}
runs=${BENCH_RUNS:-5}
rt_s=${BENCH_RT_S:-30}
noise=${BENCH_NOISE:-1.5}

# The capture generator and the decoder baseline live with the tests.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_SANITIZE=OFF \
  -DROLLMAT_WERROR=OFF -DROLLMAT_TESTS=ON >/dev/null
if ! cmake --build "$build" --target rollmat make_capture decode_capture -j2 >"$build/bench-build.log" 2>&1; then
  cat "$build/bench-build.log" >&2
  exit 1
fi
bin=$build/bin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rollmat-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

declare -A cap bytes
cap[clean]=$tmp/clean.rmw
cap[noisy]=$tmp/noisy.rmw
"$bin/make_capture" "${cap[clean]}" "$frames" 64 32 100
"$bin/make_capture" --noise "$noise" "${cap[noisy]}" "$frames" 64 32 100
for c in clean noisy; do bytes[$c]=$(($(stat -c %s "${cap[$c]}") - 72)); done

# "WALL CPU" seconds of a command (CPU = user + sys of all its threads), its
# output discarded. On a shared machine wall time includes waiting for a
# core; CPU time is what the pipeline itself costs.
measure() {
  local t0 t1
  t0=$(date +%s%N)
  # A contender that fails has measured nothing: stop the benchmark (the
  # script's set -e takes the substitution's status).
  if ! /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >/dev/null; then
    echo "bench-ingest: failed: $*" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  read -r u s <"$tmp/time"
  awk -v a="$t0" -v b="$t1" -v u="$u" -v s="$s" 'BEGIN { printf "%.4f %.2f\n", (b - a) / 1e9, u + s }'
}

median() { # of column $1
  awk -v c="$1" '{ print $c }' | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row() { # label, bytes, median wall s, median cpu s
  awk -v l="$1" -v b="$2" -v w="$3" -v c="$4" -v f="$frames" 'BEGIN {
    printf "  %-30s %7.3f s %8.1f MB/s %8.0f fr/s | cpu %6.2f s %8.1f MB/s %8.0f fr/s\n",
      l, w, b / w / 1e6, f / w, c, (c > 0) ? b / c / 1e6 : 0, (c > 0) ? f / c : 0 }'
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, nice $(nice);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
declare -A t wall cpu
names=(cat decoder record record0)
for c in clean noisy; do
  for name in "${names[@]}"; do t[$c.$name]=""; done
done
# Interleaved, so that a burst of load elsewhere hits every contender alike.
for ((i = 0; i < runs; i++)); do
  for c in clean noisy; do
    cat "${cap[$c]}" >/dev/null # page cache warm for every contender alike
    t[$c.cat]+="$(measure cat "${cap[$c]}")"$'\n'
    t[$c.decoder]+="$(measure "$bin/decode_capture" "${cap[$c]}")"$'\n'
    t[$c.record]+="$(measure "$bin/rollmat" record --force --device "file:${cap[$c]}" -o "$tmp/$c.h5")"$'\n'
    t[$c.record0]+="$(measure "$bin/rollmat" record --force --device "file:${cap[$c]}" \
      -o "$tmp/$c-0.h5" --compression 0)"$'\n'
  done
done
for key in "${!t[@]}"; do
  wall[$key]=$(printf '%s' "${t[$key]}" | median 1)
  cpu[$key]=$(printf '%s' "${t[$key]}" | median 2)
done

for c in clean noisy; do
  b=${bytes[$c]}
  if [ "$c" = clean ]; then what="existing capture (band + 5-bit dither)"; else
    what="noisy capture (+ Gaussian noise of $noise counts)"; fi
  echo "$what: $frames frames of 64 x 32, $((b / 1000000)) MB of wire bytes," \
    "median of $runs runs; wall clock | per CPU second"
  row "cat > /dev/null (baseline)" "$b" "${wall[$c.cat]}" "${cpu[$c.cat]}"
  row "wire decoder alone (baseline)" "$b" "${wall[$c.decoder]}" "${cpu[$c.decoder]}"
  row "record, deflate 1 (default)" "$b" "${wall[$c.record]}" "${cpu[$c.record]}"
  row "record, no compression" "$b" "${wall[$c.record0]}" "${cpu[$c.record0]}"
  awk -v w="${wall[$c.record]}" -v c="${cpu[$c.record]}" -v b="$b" -v n="$(nproc)" 'BEGIN {
    rw = b / w / 1e6; rc = b / c / 1e6
    printf "  vs the 53.2 MB/s USB ceiling: %.2fx wall on %d cores (target 2x: %s), %.2fx per CPU second (target 1.2x: %s)\n",
      rw / 53.2, n, (rw >= 2 * 53.2) ? "met" : "MISSED", rc / 53.2, (rc >= 1.2 * 53.2) ? "met" : "MISSED" }'
  awk -v r="${cpu[$c.record]}" -v r0="${cpu[$c.record0]}" -v d="${cpu[$c.decoder]}" \
    -v rw="${wall[$c.record]}" 'BEGIN {
    printf "  CPU shares of the default pipeline: decoder %.0f %%, compression %.0f %%; cores busy %.2f\n",
      100 * d / r, 100 * (r - r0) / r, r / rw }'
  echo "  recording size: $(($(stat -c %s "$tmp/$c.h5") / 1000000)) MB (deflate 1)," \
    "$(($(stat -c %s "$tmp/$c-0.h5") / 1000000)) MB (none)"
done

rt=$tmp/rt.rmw
"$bin/make_capture" --noise "$noise" "$rt" $((rt_s * 100 + 100)) 64 32 100
/usr/bin/time -f "%U %S %e" -o "$tmp/time" "$bin/rollmat" record --realtime \
  --device "file:$rt" --duration "$rt_s" -o "$tmp/rt.h5"
read -r user sys rwall <"$tmp/time"
echo "real-time session: 64 x 32 @ 100 Hz for $rt_s s (--realtime replay of a noisy capture, deflate 1)"
awk -v u="$user" -v s="$sys" -v w="$rwall" 'BEGIN {
  c = 100 * (u + s) / w
  printf "  user %.2f s + sys %.2f s over %.2f s wall: %.2f %% of one core (target < 2 %%: %s)\n",
    u, s, w, c, (c < 2) ? "met" : "MISSED" }'
