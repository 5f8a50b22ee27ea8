#!/usr/bin/env bash
# Issue 13: the job array of packaging/slurm/ on a real one-node Slurm. 40
# short simulated recordings (and one bad file) go through 4 array tasks of
# `rollmat analyze --shard K/4` and the dependent `rollmat summary` job; the
# merged summary.csv and holds.csv must be byte for byte those of one
# unsharded `rollmat analyze --out`. Everything started is stopped at the
# end. Exit 77 (skipped) with the reason when Slurm cannot start here.
set -uo pipefail
src=${ROLLMAT_SOURCE_DIR:?}
rollmat=${ROLLMAT:?}

tmp=$(mktemp -d /tmp/rollmat-slurm-XXXXXX) || exit 1
chmod 755 "$tmp"
cleanup() {
  "$src/tests/slurm/one-node.sh" stop "$tmp/slurm"
  for f in munged slurmctld slurmd; do
    if [[ -s $tmp/slurm/$f.pid ]] && kill -0 "$(cat "$tmp/slurm/$f.pid")" 2>/dev/null; then
      echo "FAIL: $f still running after stop" >&2
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail=0
check() {
  if ! eval "$1"; then
    echo "FAIL: $2" >&2
    fail=1
  fi
}

"$src/tests/slurm/one-node.sh" start "$tmp/slurm"
rc=$?
if ((rc == 77)); then
  exit 77 # the reason is on stderr
elif ((rc != 0)); then
  echo "FAIL: one-node Slurm: exit $rc" >&2
  exit 1
fi
export SLURM_CONF=$tmp/slurm/slurm.conf

mkdir "$tmp/in"
files=()
for i in $(seq 1 40); do
  f=$tmp/in/session-$(printf %02d "$i").h5
  "$rollmat" sim --plan "$src/tests/analysis/batch-short.plan" --seed "$i" -o "$f" ||
    { echo "FAIL: sim $i" >&2; exit 1; }
  files+=("$f")
done
echo "not a recording" >"$tmp/in/damaged.h5"
files+=("$tmp/in/damaged.h5")

"$rollmat" analyze --quiet --out "$tmp/one" "${files[@]}" 2>"$tmp/one.err"
check '(($? == 3))' "unsharded run: exit 3 for the damaged file"

"$src/packaging/slurm/rollmat-submit.sh" --tasks 4 --rollmat "$rollmat" --wait \
  "$tmp/array" "${files[@]}" >"$tmp/submit.out" 2>&1
rc=$?
check '((rc == 0))' "rollmat-submit.sh --wait: exit $rc: $(cat "$tmp/submit.out")"
for k in 1 2 3 4; do
  check "[[ -f $tmp/array/summary-$k-of-4.csv ]]" "shard $k wrote its table"
done
for table in summary.csv holds.csv; do
  check "cmp -s '$tmp/one/$table' '$tmp/array/$table'" \
    "$table of the array identical to the unsharded run's"
done
rows=$(($(wc -l <"$tmp/array/summary.csv") - 1))
check '((rows == 41))' "41 rows (40 recordings of one segment, one error), got $rows"
check "grep -q 'damaged.h5.*not an HDF5 file' '$tmp/array/summary.csv'" "the damaged file's row"
check "[[ -z \$(SLURM_CONF=$SLURM_CONF squeue -h) ]]" "no job left in the queue"

if ((fail)); then
  tail -n 5 "$tmp"/array/rollmat-*.out "$tmp/slurm/slurmctld.log" >&2
  exit 1
fi
echo "slurm job array: merged tables identical to one run"
