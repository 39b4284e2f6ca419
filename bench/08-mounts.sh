#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/08-mounts.sh - how a cold `fvm run VM true` scales with the number of
# host mounts (fvm makes one overlay per host mount). For each N in
# 0 1 10 100 1000 a holder process keeps a private mount namespace with N
# extra tmpfs mounts under the scratch dir; hyperfine runs inside it (nsenter
# -m), so the host's own mount table is never touched. bwrap (which binds
# and remounts every submount of /) and unshare run alongside as peers.
source "$(dirname "$0")/lib.sh"

counts=(0 1 10 100 1000)
rounds=5 runs=5
((QUICK)) && rounds=2 runs=3

title "Scaling with host mounts: cold \`fvm run VM true\` with N extra mounts"
series mounts xy ms "cold run with N extra host mounts" "extra host mounts N"
slope mounts fvm
slope mounts bwrap
slope mounts unshare

home=$(fresh_home mounts)
holders=()
cleanup()
{
	local p
	for p in "${holders[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	drop_home "$home"
}
trap cleanup EXIT
export FVM_HOME=$home

declare -A holder
for n in "${counts[@]}"; do
	d=$SCRATCH/mnt/$n
	mkdir -p "$d"
	# shellcheck disable=SC2016  # $1, $2 are the inner shell's arguments
	unshare -m --propagation private -- bash -c '
		for ((i = 0; i < $1; i++)); do
			mkdir -p "$2/m$i" && mount -t tmpfs -o size=64k,mode=755 bench "$2/m$i" || exit 1
		done
		echo ready
		exec sleep 100000' holder "$n" "$d" >"$d.ready" 2>&1 &
	holders+=($!)
	holder[$n]=$!
	"$FVM" create "m$n" >/dev/null
done
for n in "${counts[@]}"; do
	for ((t = 0; t < 100; t++)); do
		grep -q ready "$SCRATCH/mnt/$n.ready" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$SCRATCH/mnt/$n.ready" || { log "holder for N=$n did not come up: $(cat "$SCRATCH/mnt/$n.ready")"; exit 1; }
done

# which contenders work at which N
declare -A ok
for n in "${counts[@]}"; do
	in=(nsenter -t "${holder[$n]}" -m --)
	try_cmd mounts "fvm (N=$n)" "${in[@]}" "$FVM" run "m$n" true && ok[fvm $n]=1
	try_cmd mounts "bwrap (N=$n)" "${in[@]}" bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true && ok[bwrap $n]=1
	try_cmd mounts "unshare (N=$n)" "${in[@]}" unshare -Umpiunrf true && ok[unshare $n]=1
done

log "N = ${counts[*]}, $rounds rounds x $runs runs"
for ((r = 0; r < rounds; r++)); do
	for ((k = 0; k < ${#counts[@]}; k++)); do
		n=${counts[(k + r) % ${#counts[@]}]}
		HF_WRAP="nsenter -t ${holder[$n]} -m --"
		args=()
		[[ -n ${ok[fvm $n]:-} ]] && args+=(fvm "$FVM run m$n true")
		[[ -n ${ok[bwrap $n]:-} ]] && args+=(bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true")
		[[ -n ${ok[unshare $n]:-} ]] && args+=(unshare "unshare -Umpiunrf true")
		((${#args[@]})) && HF_WRAP=$HF_WRAP interleave mounts "$n" 1 "$runs" "${args[@]}"
	done
done
note "The host has $(grep -c . /proc/self/mountinfo) mounts of its own besides the N extra ones. Slope: least-squares fit of the median against N over the points that ran."
