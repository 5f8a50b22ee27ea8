#!/usr/bin/env bash
# Prints the peak memory (maximum resident set size) of `rollmat analyze
# --json` on one unbroken 2-hour segment next to that of a 5-minute one,
# measured in the same run: the target of issue 11 is that memory stays
# flat in segment length, the 2-hour segment within 10 MB of the 5-minute
# one. A benchmark, not a test: it prints PASS or FAIL and exits 0 either
# way (1 only when it could not measure).
#
#   scripts/bench-memory.sh [--repeat K] [--hours H] [--mode auto|labelled|both]
#                           [--fresh]
#
# The recordings, all on the simulator's default mat (64 x 32 at 10 mm,
# 100 Hz, 12 bits) with one muscle rolled the whole time (slow and fast
# strokes, holds of 20-30 s every couple of minutes, never unloaded):
#   - auto: no segment events, the analysis finds the one segment itself
#     from the loaded frames (a pause keeps the roller loaded, so there is
#     never the 2 s unloaded gap that would split it);
#   - labelled: the same plan with a segment_start and a segment_end event.
# Each 2-hour recording must analyse to exactly one segment (checked: the
# script stops otherwise). Peak RSS is GNU time's "Maximum resident set
# size", the minimum of --repeat (2) runs.
#
# The recordings are cached, named by a hash of their plan, in
# $ROLLMAT_BENCH_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/rollmat-bench;
# a 2-hour recording is about 1 GB): later runs reuse them. --fresh makes
# them again. Release build, no sanitizers, in $ROLLMAT_BENCH_BUILD
# (default build-bench, shared with bench-analyze.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=2
hours=2
mode=both
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --hours) hours=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "bench-memory: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$mode" in
  auto) modes=(auto) ;;
  labelled) modes=(labelled) ;;
  both) modes=(auto labelled) ;;
  *) echo "bench-memory: --mode is auto, labelled or both" >&2; exit 2 ;;
esac
if ! [[ $repeat =~ ^[1-9][0-9]*$ && $hours =~ ^[1-9][0-9]*$ ]]; then
  echo "bench-memory: --repeat and --hours take a positive whole number" >&2
  exit 2
fi
for tool in /usr/bin/time jq sha256sum; do
  command -v "$tool" >/dev/null || { echo "bench-memory: needs $tool (scripts/setup-deps.sh)" >&2; exit 1; }
done

build=${ROLLMAT_BENCH_BUILD:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DROLLMAT_TESTS=OFF >/dev/null
cmake --build "$build" --target rollmat -j 2 >/dev/null
rollmat=$PWD/$build/bin/rollmat
cache=${ROLLMAT_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollmat-bench}
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/rollmat-bench-memory-XXXXXX")
trap 'rm -rf "$work"' EXIT

# One block of rolling, about 2.5 minutes, from and back to 100 mm: a rhythm
# of slow strokes, a hold of 25 s, short strokes, a hesitation, a hold of
# 22 s, fast strokes. The roller stays loaded throughout (pauses are on the
# roller).
block() {
  cat <<'PLAN'
rolls 100 450 speed=30 count=5 spread=0.1
roll 260 speed=28
pause 25
rolls 260 120 speed=35 count=4
hesitate 0.5
roll 300 speed=30
pause 22
rolls 300 450 speed=120 count=10
roll 100 speed=40
PLAN
}

# A session of one muscle rolled for `seconds` (rounded up to whole blocks):
# getting on, blocks, getting off, with a little idle mat around it.
make_plan() { # seconds events(on|off) -> plan on stdout
  local s=$1 events=$2 i n
  n=$(((s + 149) / 150))
  echo "# bench-memory: one unbroken segment of $n blocks of about 2.5 minutes"
  echo "mat rows=64 cols=32 pitch_row_mm=10 pitch_col_mm=10 rate_hz=100 adc_bits=12 serial=SIM-0001"
  echo "events $events"
  echo "idle 2"
  echo "muscle quadriceps-left share=0.33 lateral_mm=150 width_mm=125"
  echo "at 100"
  for ((i = 0; i < n; i++)); do block; done
  echo "end"
  echo "idle 3"
}

# The recording of a plan, from the cache or made now (the simulator writes
# under a temporary name and renames when complete: a cached file is whole).
recording() { # plan-file -> path on stdout; seconds taken on fd 3
  local key path t0 t1
  key=$(sha256sum "$1" | cut -c1-16)
  path=$cache/memory-$key.h5
  if [ "$fresh" = 1 ] || [ ! -s "$path" ]; then
    rm -f "$path"
    t0=$(date +%s%N)
    "$rollmat" sim --plan "$1" -o "$path" >/dev/null || exit 1
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }' >&3
  else
    printf 'cached' >&3
  fi
  echo "$path"
}

# Peak RSS in kB and wall seconds of one `analyze --json`, in $work/time;
# its document in $work/out.json. A failed analysis has measured nothing.
measure() { # recording
  if ! /usr/bin/time -f '%M %e' -o "$work/time" "$rollmat" analyze --json "$1" >"$work/out.json"; then
    echo "bench-memory: rollmat analyze --json $1 failed" >&2
    exit 1
  fi
}

short_s=300
long_s=$((hours * 3600))
declare -A rec gen frames segs rss wall
names=()
for m in "${modes[@]}"; do
  events=off
  [ "$m" = labelled ] && events=on
  for len in short long; do
    n=$m-$len
    names+=("$n")
    s=$short_s
    [ "$len" = long ] && s=$long_s
    make_plan "$s" "$events" >"$work/$n.plan"
    rec[$n]=$(recording "$work/$n.plan" 3>"$work/gen")
    gen[$n]=$(cat "$work/gen")
    frames[$n]=$("$rollmat" info "${rec[$n]}" | awk '$1 == "frames" {print $2}')
  done
done

# Interleaved, so that a change in what else runs falls on all alike.
for ((k = 0; k < repeat; k++)); do
  for n in "${names[@]}"; do
    measure "${rec[$n]}"
    read -r kb s <"$work/time"
    if [ -z "${rss[$n]:-}" ] || [ "$kb" -lt "${rss[$n]}" ]; then rss[$n]=$kb; fi
    if [ -z "${wall[$n]:-}" ] || awk -v a="$s" -v b="${wall[$n]}" 'BEGIN { exit !(a < b) }'; then
      wall[$n]=$s
    fi
    # Exactly one segment, found the intended way, covering the session
    # (all but the idle mat and getting on and off at its ends).
    segs[$n]=$(jq '.segments | length' "$work/out.json")
    want=events
    [ "${n%%-*}" = auto ] && want=auto
    read -r sources span duration < <(jq -r '[([.segments[].source] | unique | join(",")),
      ([.segments[] | .t_end - .t_start] | add // 0), .duration_s] | @tsv' "$work/out.json")
    if [ "${segs[$n]}" != 1 ] || [ "$sources" != "$want" ] ||
      awk -v a="$span" -v d="$duration" 'BEGIN { exit !(a < d - 10) }'; then
      echo "bench-memory: $n (${rec[$n]}) analyses to ${segs[$n]} segment(s) from '$sources'" \
        "over $span of $duration s, not one from '$want' over the session: the benchmark" \
        "measures nothing" >&2
      exit 1
    fi
  done
done

echo "rollmat analyze memory benchmark: one muscle rolled without a break, 64 x 32 @ 100 Hz (SIM-0001);" \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); min of $repeat"
echo "recordings in $cache"
printf '  %-16s %8s %9s %8s %8s %8s %12s %10s\n' recording minutes frames segments "MB disk" "made s" "peak RSS MB" "analyse s"
for n in "${names[@]}"; do
  awk -v l="${n%%-*}, ${n#*-}" -v f="${frames[$n]}" -v sg="${segs[$n]}" -v mb="$(du -m "${rec[$n]}" | cut -f1)" \
    -v g="${gen[$n]}" -v kb="${rss[$n]}" -v w="${wall[$n]}" 'BEGIN {
    printf "  %-16s %8.1f %9d %8d %8d %8s %12.1f %10.2f\n", l, f / 6000, f, sg, mb, g, kb / 1024, w }'
done
for m in "${modes[@]}"; do
  awk -v m="$m" -v a="${rss[$m-short]}" -v b="${rss[$m-long]}" 'BEGIN {
    d = (b - a) / 1024
    printf "  %s: long - short = %+.1f MB (target <= +10 MB): %s\n", m, d, (d <= 10) ? "PASS" : "FAIL" }'
done
echo "  (the whole benchmark took ${SECONDS} s)"
