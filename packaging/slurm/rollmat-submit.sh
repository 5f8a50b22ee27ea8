#!/usr/bin/env bash
# Analyses recordings on a Slurm cluster: a job array of N tasks, each
# `rollmat analyze --shard K/N` into OUT_DIR, then a dependent job building
# OUT_DIR/summary.csv and holds.csv with `rollmat summary` (docs/batch.md).
#
#   rollmat-submit.sh [--tasks N] [--cpus C] [--rollmat PATH] [--wait]
#                     OUT_DIR FILE.h5 ... | OUT_DIR --list LIST
#
#   --tasks N       array tasks (default 8, at most one per recording)
#   --cpus C        cores per task, one worker process each (default 1)
#   --rollmat PATH  the rollmat the compute nodes run (default: `rollmat`
#                   on their PATH)
#   --list LIST     the recordings, one path per line, instead of arguments
#   --wait          return when the summary is built: exit 0 when it was
#
# Partition, account, time limit and the like come from sbatch's own
# environment variables (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT).
# OUT_DIR and the recordings must be on a file system every node sees; use
# absolute paths (the tasks' working directory is OUT_DIR). Prints the two
# job ids.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() {
  echo "rollmat-submit: $*" >&2
  exit 2
}

tasks=8 cpus=1 rollmat=rollmat list="" wait=0
while (($#)); do
  case $1 in
  --tasks) tasks=${2:?--tasks N}; shift 2 ;;
  --cpus) cpus=${2:?--cpus C}; shift 2 ;;
  --rollmat) rollmat=${2:?--rollmat PATH}; shift 2 ;;
  --list) list=${2:?--list LIST}; shift 2 ;;
  --wait) wait=1; shift ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) die "unknown option $1" ;;
  *) break ;;
  esac
done
(($#)) || die "missing OUT_DIR"
[[ $tasks =~ ^[1-9][0-9]*$ ]] || die "--tasks $tasks: want a whole number >= 1"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus $cpus: want a whole number >= 1"
out=$1
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Every task reads the same list: keep it with the results.
inputs=$out/.rollmat-inputs
if [[ -n $list ]]; then
  (($# == 0)) || die "give recordings either as arguments or with --list"
  grep -v '^$' "$list" >"$inputs" || die "$list: no recordings"
else
  (($#)) || die "no recordings"
  printf '%s\n' "$@" >"$inputs"
fi
n=$(wc -l <"$inputs")
((tasks > n)) && tasks=$n
# Shard tables of an earlier submission with the same N would pass for this
# one's.
rm -f "$out"/summary-*-of-"$tasks".csv

export ROLLMAT=$rollmat
array=$(sbatch --parsable --array=1-"$tasks" --cpus-per-task="$cpus" --chdir="$out" \
  "$here/rollmat-shard.sbatch" "$out" "$inputs")
array=${array%%;*}
summary=$(sbatch --parsable --dependency=afterany:"$array" --chdir="$out" \
  "$here/rollmat-summary.sbatch" "$out" "$tasks")
summary=${summary%%;*}
echo "array job $array ($tasks tasks), summary job $summary"
((wait)) || exit 0

while [[ -n $(squeue -h -j "$array,$summary" -o %i 2>/dev/null) ]]; do
  sleep 0.5
done
state=$(scontrol show job "$summary" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
if [[ $state != COMPLETED ]]; then
  echo "rollmat-submit: summary job $summary ended ${state:-unknown}; see $out/rollmat-summary-$summary.out" >&2
  exit 1
fi
echo "$out/summary.csv"
