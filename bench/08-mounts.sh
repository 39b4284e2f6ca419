#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/08-mounts.sh - how a cold `fvm run VM true` scales with the number of
# host mounts (fvm makes one overlay per host mount). For each N in
# 0 1 10 100 1000 a holder process keeps a private mount namespace with N
# extra tmpfs mounts under the scratch dir; hyperfine runs inside it (nsenter
# -m), so the host's own mount table is never touched. bwrap (which binds
# and remounts every submount of /) and unshare run alongside as peers.
# FVM_BASE=PATH adds "fvm (base)" and "fvm (base), store on tmpfs",
# another fvm build (an older one) run the same ways in the same rounds,
# so a change is measured against it.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

counts=(0 1 10 100 1000)
rounds=8 runs=5
((QUICK)) && rounds=2 runs=3

title "Scaling with host mounts: cold \`fvm run VM true\` with N extra mounts"
series mounts xy ms "cold run with N extra host mounts" "extra host mounts N"
slope mounts fvm 0.1   # issue 10: ms per extra host mount
slope mounts "fvm, store on tmpfs"
if [[ -n ${FVM_BASE:-} ]]; then
	slope mounts "fvm (base)"
	slope mounts "fvm (base), store on tmpfs"
fi
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
	rm -rf "${SCRATCH:?}/mnt"
}
trap cleanup EXIT
export FVM_HOME=$home

declare -A holder
for n in "${counts[@]}"; do
	d=$SCRATCH/mnt/$n
	mkdir -p "$d"
	mkdir -p "$d.store"
	# shellcheck disable=SC2016  # $1, $2 are the inner shell's arguments
	unshare -m --propagation private -- bash -c '
		mount -t tmpfs -o size=64m,mode=700 fvmstore "$2.store" || exit 1
		for ((i = 0; i < $1; i++)); do
			mkdir -p "$2/m$i" && mount -t tmpfs -o size=64k,mode=755 bench "$2/m$i" || exit 1
		done
		echo ready
		exec sleep 100000' holder "$n" "$d" >"$d.ready" 2>&1 &
	holders+=($!)
	holder[$n]=$!
	"$FVM" create "m$n" >/dev/null
	[[ -z ${FVM_BASE:-} ]] || "$FVM" create "b$n" >/dev/null
done
# up to 60 s: 1000 mounts are 2000 forks of mkdir and mount, slow on a busy machine
for n in "${counts[@]}"; do
	for ((t = 0; t < 600; t++)); do
		grep -q ready "$SCRATCH/mnt/$n.ready" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$SCRATCH/mnt/$n.ready" || { log "holder for N=$n did not come up: $(cat "$SCRATCH/mnt/$n.ready")"; exit 1; }
done

# which contenders work at which N: name, then the wrapper hyperfine runs
# in (word list), then the command
declare -A wrap cmd
for n in "${counts[@]}"; do
	in="nsenter -t ${holder[$n]} -m --"
	FVM_HOME=$SCRATCH/mnt/$n.store nsenter -t "${holder[$n]}" -m -- "$FVM" create "t$n" >/dev/null
	[[ -z ${FVM_BASE:-} ]] ||
		FVM_HOME=$SCRATCH/mnt/$n.store nsenter -t "${holder[$n]}" -m -- "$FVM" create "bt$n" >/dev/null
	wrap[fvm $n]=$in cmd[fvm $n]="$FVM run m$n true"
	wrap[fvm, store on tmpfs $n]="$in env FVM_HOME=$SCRATCH/mnt/$n.store"
	cmd[fvm, store on tmpfs $n]="$FVM run t$n true"
	wrap[bwrap $n]=$in cmd[bwrap $n]="bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true"
	wrap[unshare $n]=$in cmd[unshare $n]="unshare -Umpiunrf true"
	wrap[fvm (base) $n]=$in cmd[fvm (base) $n]="${FVM_BASE:-} run b$n true"
	wrap[fvm (base), store on tmpfs $n]="$in env FVM_HOME=$SCRATCH/mnt/$n.store"
	cmd[fvm (base), store on tmpfs $n]="${FVM_BASE:-} run bt$n true"
done
names=(fvm "fvm, store on tmpfs" bwrap unshare)
[[ -z ${FVM_BASE:-} ]] || names+=("fvm (base)" "fvm (base), store on tmpfs")
declare -A ok
for n in "${counts[@]}"; do
	for c in "${names[@]}"; do
		read -ra w <<<"${wrap[$c $n]}"
		read -ra a <<<"${cmd[$c $n]}"
		try_cmd mounts "$c (N=$n)" "${w[@]}" "${a[@]}" && ok[$c $n]=1
	done
done

log "N = ${counts[*]}, $rounds rounds x $runs runs"
for ((r = 0; r < rounds; r++)); do
	for ((k = 0; k < ${#counts[@]}; k++)); do
		n=${counts[(k + r) % ${#counts[@]}]}
		for ((j = 0; j < ${#names[@]}; j++)); do
			c=${names[(j + r) % ${#names[@]}]}
			[[ -n ${ok[$c $n]:-} ]] &&
				HF_WRAP=${wrap[$c $n]} interleave mounts "$n" 1 "$runs" "$c" "${cmd[$c $n]}"
		done
	done
done
note "\"fvm, store on tmpfs\": the same cold run with FVM_HOME on a tmpfs mounted on the store dir itself (fvm leaves the store's own mount out of the VM): the VM's N+1 layers and their work dirs are in memory, so the difference to \"fvm\" is what making N overlays costs on the store's disk file system ($(fs_desc "$SCRATCH"))."
[[ -z ${FVM_BASE:-} ]] || note "\"fvm (base)\": $("$FVM_BASE" --version 2>&1 | head -n 1) at $FVM_BASE, with VMs of its own in the stores of \"fvm\" and \"fvm, store on tmpfs\"."
note "The host has $(grep -c . /proc/self/mountinfo) mounts of its own besides the N extra ones, and each namespace has one more (the tmpfs store), for every contender alike. Slope: least-squares fit of the median against N over the points that ran."
