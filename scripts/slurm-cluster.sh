#!/usr/bin/env bash
# slurm-cluster.sh starts or stops a single-node Slurm cluster on this
# machine, as root, with everything in one folder: munged with a fresh key,
# and slurmctld and slurmd from Debian's slurm-wlm with a minimal
# slurm.conf (proctrack/linuxproc, task/none, select/cons_tres; no
# accounting). It is what scripts/slurm-e2e.sh tests against, and a way to
# try `reslab sweep --slurm` without a cluster.
#
#   scripts/slurm-cluster.sh start DIR   # then: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-cluster.sh stop DIR    # stops the daemons by their pids
set -euo pipefail

usage() {
	echo "usage: $0 start|stop DIR" >&2
	exit 2
}
(($# == 2)) || usage
ACTION=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
PIDS=("$DIR/slurmd.pid" "$DIR/slurmctld.pid" "$DIR/munged.pid")

stop() {
	for pidfile in "${PIDS[@]}"; do
		[[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
	done
	sleep 1
	for pidfile in "${PIDS[@]}"; do
		[[ -s $pidfile ]] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
		rm -f "$pidfile"
	done
}

start() {
	if ((EUID != 0)); then
		echo "slurm-cluster: run as root (it starts munged, slurmctld and slurmd)" >&2
		exit 1
	fi
	local need=() pkg
	for pkg in slurm-wlm munge; do
		dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
	done
	if ((${#need[@]} > 0)); then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq "${need[@]}" >/dev/null
	fi
	mkdir -p "$DIR"/{state,spool,log}
	local host cpus mem
	host=$(hostname -s)
	cpus=$(nproc)
	mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024))

	dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none
	chmod 0400 "$DIR/munge.key"
	munged --force --key-file="$DIR/munge.key" --socket="$DIR/munge.socket" --pid-file="$DIR/munged.pid" \
		--log-file="$DIR/log/munged.log" --seed-file="$DIR/munged.seed"

	cat >"$DIR/slurm.conf" <<CONF
ClusterName=reslab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge.socket
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
KillWait=20
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
	export SLURM_CONF=$DIR/slurm.conf
	slurmctld -f "$SLURM_CONF"
	slurmd -f "$SLURM_CONF"
	local i
	for i in $(seq 60); do
		if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
			echo "slurm-cluster: $host up ($cpus cpus, $mem MB) after ${i}s; export SLURM_CONF=$SLURM_CONF"
			return 0
		fi
		sleep 1
	done
	echo "slurm-cluster: the node did not come up; logs in $DIR/log" >&2
	tail -n 5 "$DIR"/log/*.log >&2
	stop
	exit 1
}

case $ACTION in
start) start ;;
stop) stop ;;
*) usage ;;
esac
