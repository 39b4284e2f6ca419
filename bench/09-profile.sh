#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/09-profile.sh - where the time of a cold `fvm run VM true` goes.
#
# Ablations, interleaved like every other series: the same cold run with
# the VM's store on tmpfs instead of the disk (no fsync, no ext4 work for
# overlay's work dirs and runtime state), with --net host (no new network
# namespace), joining an already running VM (no boot at all), and
# `fvm --version` (exec and dynamic linking only). Then perf: CPU used
# against wall time, the kernel functions that take the CPU, and the
# places where fvm sleeps (sched_switch call chains), written to
# RAW/09-profile.txt and quoted in RESULTS.md.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

rounds=8 runs=10
((QUICK)) && rounds=3 runs=5

title "Where a cold \`fvm run VM true\` spends its time"
series parts bars ms "cold run and its ablations"
ratio parts "fvm run" "store on tmpfs"
ratio parts "fvm run" "--net host"
ratio parts "fvm run" "exec (running VM)"

home=$(fresh_home profile)
tmpstore=$SCRATCH/homes/profile-tmpfs
mkdir -p "$tmpstore"
holder=''
cleanup()
{
	if [[ -n $holder ]]; then
		nsenter -t "$holder" -m -- env FVM_HOME="$tmpstore" "$FVM" rm -f pt >/dev/null 2>&1
		kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	fi
	drop_home "$home"
	rm -rf "$tmpstore"
}
trap cleanup EXIT
export FVM_HOME=$home
"$FVM" create p >/dev/null
"$FVM" create --net host ph >/dev/null
"$FVM" create pe >/dev/null
"$FVM" start pe >/dev/null || { skip parts "exec (running VM)" "\`fvm start\` failed"; }

# a private mount namespace whose store is a tmpfs mounted on the store dir
# itself (fvm leaves the store's mount out of the VM)
# shellcheck disable=SC2016  # $1 is the inner shell's argument
unshare -m --propagation private -- sh -c '
	mount -t tmpfs -o size=256m,mode=700 fvmstore "$1" && echo ready && exec sleep 100000' \
	holder "$tmpstore" >"$SCRATCH/profile.ready" 2>&1 &
holder=$!
for ((t = 0; t < 50; t++)); do
	grep -q ready "$SCRATCH/profile.ready" 2>/dev/null && break
	sleep 0.1
done
in_tmp=(nsenter -t "$holder" -m -- env FVM_HOME="$tmpstore")
"${in_tmp[@]}" "$FVM" create pt >/dev/null || skip parts "store on tmpfs" "could not set up the tmpfs store"

log "$rounds rounds x $runs runs"
for ((r = 0; r < rounds; r++)); do
	HF_WRAP='' interleave parts "" 1 "$runs" "fvm run" "$FVM run p true" \
		"--net host" "$FVM run ph true" "exec (running VM)" "$FVM exec pe true" \
		"fvm --version" "$FVM --version"
	HF_WRAP="${in_tmp[*]}" interleave parts "" 1 "$runs" "store on tmpfs" "$FVM run pt true"
done
note "\"store on tmpfs\": FVM_HOME is a tmpfs (in a private mount namespace), so the VM's upper and work dirs and its runtime state (state.json, ctl.sock) are in memory; the difference to \"fvm run\" is what the store's disk file system costs per run. \"--net host\": no network namespace is made. \"exec (running VM)\": joining a VM that is already up, i.e. everything but the boot and the shutdown."

# perf: CPU against wall, hot kernel functions, where fvm sleeps
txt=$RAW/$BENCH.txt
loops=200
((QUICK)) && loops=30
{
	echo "perf stat, $loops cold runs each (task-clock = CPU time of the command and its children):"
	for cmd in "$FVM run p true" "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true"; do
		# shellcheck disable=SC2086  # the command line is split on purpose
		perf stat -r "$loops" -e task-clock,context-switches,cpu-migrations,page-faults $cmd 2>&1 >/dev/null |
			grep -E 'Performance|task-clock|context|migrations|faults|elapsed' | sed 's/^ */  /'
	done
	echo
	perf record -q -o "$SCRATCH/perf.cpu" -F 4999 -g -- sh -c \
		"for i in \$(seq $loops); do $FVM run p true; done" >/dev/null 2>&1
	echo "perf record -g, $loops cold runs: CPU samples of fvm's processes, by function including callees (top 30 kernel functions):"
	perf report -i "$SCRATCH/perf.cpu" --comm fvm,fvm-init --percentage relative --children \
		--sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9.]+% +[0-9.]+% +\[k\] [a-z_]' | head -n 30
	echo
	# in a private mount namespace: perf mounts tracefs for tracepoints
	unshare -m --propagation private -- \
		perf record -q -o "$SCRATCH/perf.sched" -e sched:sched_switch -g -- sh -c \
		"for i in \$(seq $loops); do $FVM run p true; done" >/dev/null 2>&1
	echo "perf record -e sched:sched_switch -g, $loops cold runs: where fvm's processes go to sleep (share of all their context switches, call chains from the syscall down):"
	unshare -m --propagation private -- perf report -i "$SCRATCH/perf.sched" --comm fvm,fvm-init --no-children --sort comm --stdio \
		-g caller,3,callee,function,percent 2>/dev/null |
		grep -E -- '--[0-9.]+%--|^ +[0-9.]+%' | grep -v -E -- '--[0-9.]+%--(0x|entry_SYSCALL|do_syscall_64|schedule$|__schedule$)' |
		sed 's/^ *|* *//' | head -n 60
} >"$txt" 2>&1
rm -f "$SCRATCH"/perf.*
"$FVM" stop -t 1 pe >/dev/null
