#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/05-files.sh - a file-heavy job (bench/filework.sh: extract a tree of
# small files, find, du, rm) inside a VM, on the host, through a plain
# overlayfs made by hand, and through bwrap (with its overlay options when
# this bwrap has them, else with a plain bind mount). 100,000 files, or
# 10,000 with --quick; the tarball is made once per run in the scratch dir.
source "$(dirname "$0")/lib.sh"

nfiles=100000 rounds=3
((QUICK)) && nfiles=10000 rounds=2

title "File-heavy: extract, find, du and delete $nfiles files"
series total bars s "whole job ($nfiles files)"
for p in extract find du rm; do
	series "$p" bars s "$p phase"
done
for s in total extract find du rm; do
	ratio "$s" fvm host
done
ratio total fvm "overlayfs by hand"
ratio total fvm "bwrap --overlay"
ratio total fvm "bwrap (bind)"

home=$(fresh_home files)
work=$SCRATCH/files
trap 'drop_home "$home"; umount -R "$work/ovl" 2>/dev/null; rm -rf "$work"' EXIT
export FVM_HOME=$home
mkdir -p "$work"/{lower,upper,work,ovl,bw-upper,bw-work,bw-lower}
"$FVM" create fw >/dev/null

tarball=$(tree_tarball "$nfiles") || exit 1
fw=$BENCH_DIR/filework.sh

# name, then the argv that runs filework.sh
declare -A cmd
cmd[host]="bash $fw $tarball $work/host/tree"
cmd[fvm]="$FVM run fw -- bash $fw $tarball $work/vm/tree"
cmd["overlayfs by hand"]="unshare -m --propagation private sh -c 'mount -t overlay ovl -o lowerdir=$work/lower,upperdir=$work/upper,workdir=$work/work $work/ovl && exec bash $fw $tarball $work/ovl/tree'"
order=(host fvm "overlayfs by hand")
if bwrap --help 2>&1 | grep -q -- '--overlay-src'; then
	cmd["bwrap --overlay"]="bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --overlay-src $work/bw-lower --overlay $work/bw-upper $work/bw-work $work/ovl bash $fw $tarball $work/ovl/tree"
	order+=("bwrap --overlay")
else
	skip total "bwrap --overlay" "$(bwrap --version) has no --overlay-src/--overlay/--tmp-overlay (added in bubblewrap 0.10); shown instead: bwrap with a plain --bind of the scratch dir (namespaces, no copy-on-write)"
	cmd["bwrap (bind)"]="bwrap --ro-bind / / --bind $work $work --dev /dev --proc /proc --unshare-all bash $fw $tarball $work/bw/tree"
	order+=("bwrap (bind)")
fi

log "$nfiles files, $rounds rounds"
for ((r = 0; r < rounds; r++)); do
	for ((k = 0; k < ${#order[@]}; k++)); do
		who=${order[(k + r) % ${#order[@]}]}
		sync
		s=$(now_ms)
		if ! out=$(eval "${cmd[$who]}" </dev/null 2>&1); then
			log "$who failed: $out"
			((r == 0)) && skip total "$who" "failed here: $(tail -n 1 <<<"$out")"
			continue
		fi
		total=$(elapsed_ms "$s")
		sample total "$who" "" "$(awk -v m="$total" 'BEGIN { printf "%.4f", m / 1000 }')"
		while read -r phase ms; do
			[[ $phase =~ ^(extract|find|du|rm)$ ]] &&
				sample "$phase" "$who" "" "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
		done <<<"$out"
	done
done
note "Tree: $nfiles files of 0-2 KiB in $((nfiles / 100)) dirs, one tarball ($(du -h "$tarball" | cut -f1)); everything on the same file system ($(df --output=fstype "$SCRATCH" | tail -n 1)): the host's tree in the scratch dir, the VM's in its layer in the store, the hand-made overlay's upper dir in the scratch dir. \`sync\` runs between jobs, outside the timing; the totals include starting each sandbox."
note "\"overlayfs by hand\" is the kernel's overlayfs without fvm: \`unshare -m\` and one \`mount -t overlay\` with an empty lower dir, the same work bwrap's --overlay would do."
