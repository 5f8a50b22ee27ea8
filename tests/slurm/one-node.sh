#!/usr/bin/env bash
# A one-node Slurm (munge, slurmctld, slurmd from Debian's slurm-wlm) living
# entirely in one folder, for tests and benchmarks on one machine
# (shared/notes/slurm-one-node.md has the facts this relies on).
#
#   one-node.sh start DIR   configure and start it in DIR (created, or empty);
#                           exit 0 once the node is idle, or 77 with the
#                           reason on stderr when Slurm cannot run here
#   one-node.sh stop DIR    stop everything start started, by PID
#
# Clients need SLURM_CONF=DIR/slurm.conf. Ports are free ones picked at start,
# so several of these may run at once on one machine.
set -uo pipefail

skip() {
  echo "one-node slurm: cannot start: $*" >&2
  exit 77
}

pid_of() { [[ -s $1 ]] && cat "$1"; }

stop() {
  local dir=$1 f pid ids
  # Jobs first, so that no job step outlives its node.
  if [[ -s $dir/slurmctld.pid ]] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    ids=$(SLURM_CONF=$dir/slurm.conf timeout 5 squeue -h -o %A 2>/dev/null)
    [[ -n $ids ]] && SLURM_CONF=$dir/slurm.conf timeout 5 scancel $ids 2>/dev/null
  fi
  # Reverse order of start: the node, the controller, munge.
  for f in slurmd.pid slurmctld.pid munged.pid; do
    pid=$(pid_of "$dir/$f") || continue
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$dir/$f"
  done
  kill_orphan_steps "$dir"
}

# A job step (slurmstepd) is detached from slurmd and may outlive it: ours
# are those whose environment names this folder's slurm.conf.
kill_orphan_steps() {
  local dir=$1 pid
  for pid in $(pgrep -x slurmstepd); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$dir/slurm.conf"; then
      kill -KILL "$pid" 2>/dev/null
    fi
  done
}

free_port() {
  "${PYTHON:-/usr/bin/python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1
  ((EUID == 0)) || skip "needs root (slurmd runs jobs as any user); run the suite as root, as CI does"
  local tool
  for tool in munged mungekey slurmctld slurmd sbatch sinfo squeue scontrol; do
    command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
      skip "$tool is not installed (scripts/setup-deps.sh installs slurmctld slurmd slurm-client munge)"
  done
  export PATH=$PATH:/usr/sbin
  mkdir -p "$dir"/{state,spool,munge} || skip "cannot create $dir"
  # munged refuses a socket folder (or any folder above it) that others
  # cannot read: mktemp's 0700 is not enough.
  chmod 755 "$dir" "$dir"/munge
  local d=$dir
  while [[ $d != / && $d != . ]]; do
    [[ $(stat -c %a "$d") =~ ^7[0-7]5$ || $(stat -c %a "$d") =~ ^1777$ ]] ||
      skip "$d must be readable by everyone for munged (mode $(stat -c %a "$d"))"
    d=$(dirname "$d")
  done

  mungekey -c -k "$dir/munge/munge.key" 2>"$dir/mungekey.log" || skip "mungekey failed: $(cat "$dir/mungekey.log")"
  munged -F -S "$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munged.pid" --seed-file="$dir/munge/seed" \
    --log-file="$dir/munged.log" >"$dir/munged.out" 2>&1 &
  echo $! >"$dir/munged.pid"
  for _ in $(seq 50); do
    [[ -S $dir/munge/munge.sock ]] && break
    sleep 0.1
  done
  [[ -S $dir/munge/munge.sock ]] || { stop "$dir"; skip "munged did not start: $(tail -3 "$dir/munged.out" "$dir/munged.log" 2>/dev/null)"; }

  local cpus ctld_port node_port
  cpus=$(nproc)
  ctld_port=$(free_port) && node_port=$(free_port) || { stop "$dir"; skip "no free port"; }
  cat >"$dir/slurm.conf" <<CONF
ClusterName=rollmat-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=sched_interval=1
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -D -c -f "$dir/slurm.conf" >"$dir/slurmctld.out" 2>&1 &
  echo $! >"$dir/slurmctld.pid"
  slurmd -D -f "$dir/slurm.conf" >"$dir/slurmd.out" 2>&1 &
  echo $! >"$dir/slurmd.pid"
  local state=""
  for _ in $(seq 150); do
    state=$(timeout 5 sinfo -h -N -o %t 2>/dev/null | head -1)
    [[ $state == idle ]] && return 0
    sleep 0.2
  done
  local why
  why=$(tail -2 "$dir/slurmd.log" "$dir/slurmctld.log" "$dir/slurmd.out" "$dir/slurmctld.out" 2>/dev/null | tr '\n' ' ')
  stop "$dir"
  skip "the node did not become idle in 30 s (state '$state'): $why"
}

case ${1:-} in
start) start "$2" ;;
stop) stop "$2" ;;
*)
  echo "usage: one-node.sh start|stop DIR" >&2
  exit 2
  ;;
esac
