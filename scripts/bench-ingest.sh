#!/usr/bin/env bash
# Ingest benchmark of the acquisition pipeline (issue 3): prints figures, is
# not a test.
#
#   scripts/bench-ingest.sh [BUILD_DIR]
#
# 1. Sustained ingest: a capture of BENCH_FRAMES (60000) frames of 64 x 32
#    replayed by `rollmat record --device file:...` (decode, CRC, ring,
#    writer thread, HDF5 with the default deflate 1) as fast as it goes, in
#    MB/s of wire bytes and frames/s, median of BENCH_RUNS (5) runs, next to
#    baselines measured in the same run: reading the file (cat), the wire
#    decoder alone, and the pipeline without compression. Each figure is
#    given per second of wall clock and per second of CPU (user + sys of all
#    threads): on a shared machine only the latter says what one core does.
#    Target: >= 53.2 MB/s on one core (the USB 2.0 high-speed bulk ceiling).
# 2. CPU of a real-time 64 x 32 @ 100 Hz session: `rollmat record --realtime`
#    for BENCH_RT_S (30) seconds, (user + sys) / wall, % of one core.
#    Target: < 2 %.
#
# BUILD_DIR defaults to build-bench-ingest, configured Release without
# sanitizers (benchmarks of an ASan build measure ASan).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-bench-ingest}
frames=${BENCH_FRAMES:-60000}
runs=${BENCH_RUNS:-5}
rt_s=${BENCH_RT_S:-30}

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

cap=$tmp/ingest.rmw
"$bin/make_capture" "$cap" "$frames" 64 32 100
bytes=$(($(stat -c %s "$cap") - 72))

# "WALL CPU" seconds of a command (CPU = user + sys of all its threads), its
# output discarded. On a shared machine wall time includes waiting for a
# core; CPU time is what the pipeline itself costs.
measure() {
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >/dev/null
  t1=$(date +%s%N)
  read -r u s <"$tmp/time"
  awk -v a="$t0" -v b="$t1" -v u="$u" -v s="$s" 'BEGIN { printf "%.4f %.2f\n", (b - a) / 1e9, u + s }'
}

median() { # of column $1
  awk -v c="$1" '{ print $c }' | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

row() { # label, median wall s, median cpu s
  awk -v l="$1" -v w="$2" -v c="$3" -v b="$bytes" -v f="$frames" 'BEGIN {
    printf "  %-30s %7.3f s %8.1f MB/s %8.0f fr/s | cpu %6.2f s %8.1f MB/s %8.0f fr/s\n",
      l, w, b / w / 1e6, f / w, c, (c > 0) ? b / c / 1e6 : 0, (c > 0) ? f / c : 0 }'
}

cat "$cap" >/dev/null # page cache warm for every contender alike

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
declare -A t
names=(cat decoder record record0)
for name in "${names[@]}"; do t[$name]=""; done
for ((i = 0; i < runs; i++)); do
  t[cat]+="$(measure cat "$cap")"$'\n'
  t[decoder]+="$(measure "$bin/decode_capture" "$cap")"$'\n'
  t[record]+="$(measure "$bin/rollmat" record --device "file:$cap" -o "$tmp/out.h5")"$'\n'
  t[record0]+="$(measure "$bin/rollmat" record --device "file:$cap" -o "$tmp/out0.h5" \
    --compression 0)"$'\n'
done
declare -A wall cpu
for name in "${names[@]}"; do
  wall[$name]=$(printf '%s' "${t[$name]}" | median 1)
  cpu[$name]=$(printf '%s' "${t[$name]}" | median 2)
done

echo "sustained ingest: $frames frames of 64 x 32, $((bytes / 1000000)) MB of wire bytes," \
  "median of $runs runs; wall clock | per CPU second"
row "cat > /dev/null (baseline)" "${wall[cat]}" "${cpu[cat]}"
row "wire decoder alone (baseline)" "${wall[decoder]}" "${cpu[decoder]}"
row "record, deflate 1 (default)" "${wall[record]}" "${cpu[record]}"
row "record, no compression" "${wall[record0]}" "${cpu[record0]}"
awk -v w="${wall[record]}" -v c="${cpu[record]}" -v b="$bytes" 'BEGIN {
  rw = b / w / 1e6; rc = b / c / 1e6
  printf "  default pipeline vs the 53.2 MB/s target: %.2fx wall, %.2fx per CPU second (%s)\n",
    rw / 53.2, rc / 53.2, (rc >= 53.2) ? "met on one core" : "MISSED" }'
awk -v r="${cpu[record]}" -v r0="${cpu[record0]}" -v d="${cpu[decoder]}" 'BEGIN {
  printf "  CPU shares of the default pipeline: decoder %.0f %%, compression %.0f %%\n",
    100 * d / r, 100 * (r - r0) / r }'
echo "  recording size: $(($(stat -c %s "$tmp/out.h5") / 1000000)) MB (deflate 1)," \
  "$(($(stat -c %s "$tmp/out0.h5") / 1000000)) MB (none)"

rt=$tmp/rt.rmw
"$bin/make_capture" "$rt" $((rt_s * 100 + 100)) 64 32 100
/usr/bin/time -f "%U %S %e" -o "$tmp/time" "$bin/rollmat" record --realtime \
  --device "file:$rt" --duration "$rt_s" -o "$tmp/rt.h5"
read -r user sys wall <"$tmp/time"
echo "real-time session: 64 x 32 @ 100 Hz for $rt_s s (--realtime replay, deflate 1)"
awk -v u="$user" -v s="$sys" -v w="$wall" 'BEGIN {
  c = 100 * (u + s) / w
  printf "  user %.2f s + sys %.2f s over %.2f s wall: %.2f %% of one core (target < 2 %%: %s)\n",
    u, s, w, c, (c < 2) ? "met" : "MISSED" }'
