#!/usr/bin/env bash
# Batch analysis on this machine (issue 13), every contender in one run over
# the same simulated sessions, page cache warm, medians of --repeat runs:
#   rollmat analyze --out D --jobs 1     (the baseline)
#   rollmat analyze --out D --jobs 2     (target: >= 1.8 x the baseline's
#                                         throughput on 2 cores)
#   xargs -P2 of single `rollmat analyze --json` runs (must not be faster)
#   the Slurm job array of packaging/slurm/ (2 tasks) on a one-node Slurm
#                                         started here (skipped if it cannot)
# then the parent process's peak memory over 100 and 1,000 short recordings
# (it must not grow with the batch). Release build, no sanitizers.
#   scripts/bench-batch.sh [--repeat K] [--files N]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=5
nfiles=16
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --files) nfiles=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench-batch: unknown argument $1" >&2; exit 2 ;;
  esac
done
src=$PWD
build=${ROLLMAT_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build "$build" --target rollmat -j 2 >/dev/null
rollmat=$PWD/$build/bin/rollmat
work=$(mktemp -d /tmp/rollmat-bench-batch-XXXXXX)
chmod 755 "$work"
cleanup() {
  [[ -d $work/slurm ]] && "$src/tests/slurm/one-node.sh" stop "$work/slurm"
  rm -rf "$work"
}
trap cleanup EXIT

# A 3-minute session: two muscles of strokes, holds and a fast stretch.
cat >"$work/session.plan" <<'PLAN'
mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 serial=SIM-0001
idle 2
muscle calf-left share=0.33 lateral_mm=150 width_mm=125
at 100
rolls 100 450 speed=30 count=4
roll 260 speed=28
pause 22
rolls 260 120 speed=120 count=6
end
idle 3
muscle calf-right share=0.33 lateral_mm=150 width_mm=125
at 100
rolls 100 450 speed=35 count=4
roll 300 speed=30
pause 25
rolls 300 450 speed=40 count=3
end
idle 2
PLAN
mkdir "$work/in"
seq 1 "$nfiles" | xargs -P 2 -I{} "$rollmat" sim --plan "$work/session.plan" --seed {} \
  -o "$work/in/session-{}.h5"
files=("$work"/in/session-*.h5)
printf '%s\n' "${files[@]}" >"$work/list"
frames=$("$rollmat" info --json "${files[0]}" | grep -o '"frames": *[0-9]*' | grep -o '[0-9]*$')
size=$(du -sm "$work/in" | cut -f1)

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# One run of "$@": "wall cpu" in seconds, CPU being user + sys of every
# process of the run. On a machine others are using, wall time measures the
# share of the cores a contender got; CPU time what its work cost.
once() {
  rm -rf "$work/out"
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
    { cat "$work/err" >&2; return 1; }
  awk '{ print $1, $2 + $3 }' "$work/time"
}
# Median wall and CPU of a contender's lines in a file of "name wall cpu".
med() { # file name
  echo "$(awk -v n="$2" '$1 == n { print $2 }' "$1" | median)" \
    "$(awk -v n="$2" '$1 == n { print $3 }' "$1" | median)"
}

cat "${files[@]}" >/dev/null # warm the page cache
# The contenders take turns, round after round, so that a change in what
# else runs on the machine falls on all of them alike.
for ((r = 0; r < repeat; r++)); do
  echo "j1 $(once "$rollmat" analyze --quiet --out "$work/out" --jobs 1 "${files[@]}")"
  echo "j2 $(once "$rollmat" analyze --quiet --out "$work/out" --jobs 2 "${files[@]}")"
  echo "x2 $(once xargs -a "$work/list" -P 2 -n 1 "$rollmat" analyze --json)"
done >"$work/rounds"
read -r t_j1 c_j1 < <(med "$work/rounds" j1)
read -r t_j2 c_j2 < <(med "$work/rounds" j2)
read -r t_x2 c_x2 < <(med "$work/rounds" x2)

t_sl="" c_sl="" why=""
if why=$("$src/tests/slurm/one-node.sh" start "$work/slurm" 2>&1); then
  export SLURM_CONF=$work/slurm/slurm.conf
  # The jobs run under slurmd, not as children of the timed command: wall
  # time only.
  for ((r = 0; r < repeat; r++)); do
    echo "sl $(once "$src/packaging/slurm/rollmat-submit.sh" --tasks 2 --rollmat "$rollmat" \
      --wait "$work/out" "${files[@]}")"
  done >"$work/slurm-rounds"
  read -r t_sl c_sl < <(med "$work/slurm-rounds" sl)
  c_sl=""
fi

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
  "$(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$nfiles recordings of $frames frames (64 x 32 @ 100 Hz), $size MB; median of $repeat"
echo
echo "| contender | wall s | recordings/s | throughput vs --jobs 1 | CPU s | cores busy |"
echo "|---|---:|---:|---:|---:|---:|"
row() { # name wall cpu
  printf '| %s | %.2f | %.2f | %.2f x |' "$1" "$2" "$(echo "$nfiles / $2" | bc -l)" \
    "$(echo "$t_j1 / $2" | bc -l)"
  if [[ -n $3 ]]; then
    printf ' %.2f | %.2f |\n' "$3" "$(echo "$3 / $2" | bc -l)"
  else
    printf ' | |\n'
  fi
}
row "\`analyze --out D --jobs 1\` (baseline)" "$t_j1" "$c_j1"
row "**\`analyze --out D --jobs 2\`**" "$t_j2" "$c_j2"
row "\`xargs -P2\` of single \`analyze --json\`" "$t_x2" "$c_x2"
if [[ -n $t_sl ]]; then
  row "Slurm job array, 2 tasks + summary job (one-node Slurm)" "$t_sl" ""
else
  echo "| Slurm job array | skipped: ${why//$'\n'/ } | | |"
fi
echo
printf -- '--jobs 2 against xargs -P2: %.2f x the time\n' "$(echo "$t_j2 / $t_x2" | bc -l)"

# Peak memory of the parent process (VmHWM, sampled until it exits; the
# workers are separate processes) over many short recordings: hard links to
# 20 simulated sessions, distinct paths.
mkdir "$work/many"
for i in $(seq 1 20); do
  "$rollmat" sim --plan "$src/tests/analysis/batch-short.plan" --seed "$i" \
    -o "$work/many/base-$i.h5"
done
parent_peak() { # count -> "kB seconds"
  local n=$1 i dir=$work/many-$1 pid hwm=0 v t0
  mkdir -p "$dir/in"
  for ((i = 0; i < n; i++)); do
    ln "$work/many/base-$((i % 20 + 1)).h5" "$dir/in/rec-$i.h5"
  done
  t0=$(now)
  "$rollmat" analyze --quiet --out "$dir/out" --jobs 2 "$dir"/in/rec-*.h5 &
  pid=$!
  while v=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [[ -n $v ]]; do
    hwm=$v
    sleep 0.05
  done
  wait "$pid"
  echo "$hwm $(echo "$(now) - $t0" | bc -l)"
}
read -r m100 s100 < <(parent_peak 100)
read -r m1000 s1000 < <(parent_peak 1000)
echo
echo "| short recordings (12 s each) | parent peak RSS | wall s |"
echo "|---:|---:|---:|"
printf '| 100 | %.1f MB | %.1f |\n' "$(echo "$m100 / 1024" | bc -l)" "$s100"
printf '| 1,000 | %.1f MB | %.1f |\n' "$(echo "$m1000 / 1024" | bc -l)" "$s1000"
