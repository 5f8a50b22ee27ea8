#!/usr/bin/env bash
# Prints how long `rollmat analyze` takes on a 30-minute 64 x 32 @ 100 Hz
# simulated session next to the time HDF5 takes merely to read /frames
# (a minimal C reader: H5Dread one chunk-sized block at a time, the usual
# way to read a dataset too big to hold), both measured in this run with the
# page cache warm: medians over --repeat runs, the ratio analyze / read
# (target <= 0.75), and peak RSS of analyze on a 5- and a 30-minute session
# (memory must not follow the recording's length). Release build, no
# sanitizers, in its own build directory.
#   scripts/bench-analyze.sh [--repeat K] [--minutes M]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=5
minutes=30
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench-analyze: unknown argument $1" >&2; exit 2 ;;
  esac
done
build=${ROLLMAT_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build "$build" --target rollmat -j 2 >/dev/null
rollmat=$PWD/$build/bin/rollmat
work=$(mktemp -d "${TMPDIR:-/tmp}/rollmat-bench-analyze-XXXXXX")
trap 'rm -rf "$work"' EXIT

# A session of `minutes` minutes: muscles of about 5 minutes each, slow
# strokes, holds and fast stretches, separated by short idle gaps.
make_plan() { # minutes -> plan on stdout
  local m=$1 i
  echo "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 serial=SIM-0001"
  echo "idle 2"
  for ((i = 0; i < m / 5; i++)); do
    cat <<PLAN
muscle muscle-$i share=0.33 lateral_mm=150 width_mm=125
at 100
rolls 100 450 speed=30 count=8
roll 260 speed=28
pause 25
rolls 260 120 speed=35 count=6
roll 300 speed=30
pause 22
rolls 300 450 speed=120 count=20
roll 200 speed=30
pause 28
rolls 200 420 speed=25 count=4
end
idle 3
PLAN
  done
}

# The plain reader: /frames with H5Dread, one chunk-sized block at a time.
cat > "$work/h5read.c" <<'C'
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/frames", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d), pl = H5Dget_create_plist(d);
    hsize_t dims[3], chunk[3], start[3] = {0, 0, 0}, count[3];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    if (H5Pget_chunk(pl, 3, chunk) < 0)
        chunk[0] = 100;
    size_t frame = (size_t)(dims[1] * dims[2]);
    uint16_t *buf = malloc(chunk[0] * frame * sizeof(uint16_t));
    uint64_t sum = 0;
    for (start[0] = 0; start[0] < dims[0]; start[0] += chunk[0]) {
        count[0] = dims[0] - start[0] < chunk[0] ? dims[0] - start[0] : chunk[0];
        count[1] = dims[1];
        count[2] = dims[2];
        hid_t ms = H5Screate_simple(3, count, NULL);
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
        if (H5Dread(d, H5T_NATIVE_UINT16, ms, sp, H5P_DEFAULT, buf) < 0)
            return 1;
        sum += buf[0];
        H5Sclose(ms);
    }
    printf("%llu\n", (unsigned long long)sum);
    free(buf);
    H5Pclose(pl);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return 0;
}
C
cc -O2 -o "$work/h5read" "$work/h5read.c" $(pkg-config --cflags --libs hdf5-serial)

make_plan "$minutes" > "$work/long.plan"
make_plan 5 > "$work/short.plan"
"$rollmat" sim --plan "$work/long.plan" -o "$work/long.h5" >/dev/null
"$rollmat" sim --plan "$work/short.plan" -o "$work/short.h5" >/dev/null

# "wall cpu" seconds of a command (stdout discarded; cpu = user + sys of
# all its threads: on a shared machine wall time also counts waiting for a
# core)
timed() { /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1, $2 + $3}'; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
peak_rss_mb() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {printf "%.1f", $2 / 1024}'; }

cat "$work/long.h5" >/dev/null # page cache warm for both
: >"$work/read.txt"
: >"$work/analyze.txt"
for ((k = 0; k < repeat; k++)); do
  timed "$work/h5read" "$work/long.h5" >>"$work/read.txt"
  timed "$rollmat" analyze --json "$work/long.h5" >>"$work/analyze.txt"
done
read_s=$(awk '{print $1}' "$work/read.txt" | median)
read_cpu=$(awk '{print $2}' "$work/read.txt" | median)
analyze_s=$(awk '{print $1}' "$work/analyze.txt" | median)
analyze_cpu=$(awk '{print $2}' "$work/analyze.txt" | median)
frames=$("$rollmat" info "$work/long.h5" | awk '$1 == "frames" {print $2}')
size_mb=$(du -m "$work/long.h5" | cut -f1)
rss_long=$(peak_rss_mb "$rollmat" analyze --json "$work/long.h5")
rss_short=$(peak_rss_mb "$rollmat" analyze --json "$work/short.h5")
rss_read=$(peak_rss_mb "$work/h5read" "$work/long.h5")

echo "rollmat analyze benchmark: ${minutes}-minute session, 64 x 32 @ 100 Hz ($frames frames, ${size_mb} MB on disk), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), median of $repeat"
printf '                                           wall s   cpu s\n'
printf '  plain H5Dread of /frames (chunk blocks)  %7.3f %7.3f\n' "$read_s" "$read_cpu"
printf '  rollmat analyze --json                   %7.3f %7.3f\n' "$analyze_s" "$analyze_cpu"
printf '  ratio analyze / read                     %7.3f %7.3f   (target <= 0.75)\n' \
  "$(echo "$analyze_s / $read_s" | bc -l)" "$(echo "$analyze_cpu / $read_cpu" | bc -l)"
printf '  peak RSS analyze: 5 min %s MB, %s min %s MB; plain read %s MB\n' "$rss_short" "$minutes" "$rss_long" "$rss_read"
