#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/05-files.sh - a file-heavy job (bench/filework.sh: extract a tree of
# small files, find, du, rm) inside a VM, on the host, through a plain
# overlayfs made by hand, and through bwrap (with its overlay options when
# this bwrap has them, else with a plain bind mount). 100,000 files, or
# 10,000 with --quick; the tarball is made once per run in the scratch dir.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

nfiles=100000 rounds=5
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

work=$SCRATCH/files
mkdir -p "$work/mnt"
trap 'rm -rf "$work"' EXIT
tarball=$(tree_tarball "$nfiles") || exit 1

order=(host fvm "overlayfs by hand")
if bwrap --help 2>&1 | grep -q -- '--overlay-src'; then
	order+=("bwrap --overlay")
else
	skip total "bwrap --overlay" "$(bwrap --version) has no --overlay-src/--overlay/--tmp-overlay (added in bubblewrap 0.10); shown instead: bwrap with a plain --bind of the job's file system (namespaces, no copy-on-write)"
	order+=("bwrap (bind)")
fi

log "$nfiles files, $rounds rounds"
files_rounds "$work" "$tarball" "$rounds" "${order[@]}"
note "Tree: $nfiles files of 0-2 KiB in $((nfiles / 100)) dirs, one tarball ($(du -h "$tarball" | cut -f1)). Each job gets a fresh, empty ext4 (a 16 GiB sparse image on the host's disk, loop-mounted in a private mount namespace): the host's tree, the VM's store (so its upper dir) and the hand-made overlay's upper dir all live on it. A fresh file system per job keeps ext4's history out of the comparison: on this machine's root file system, creating inodes within 30 s of deleting many others ran up to 10x slower (perf: ext4's recently_deleted() scan in __ext4_new_inode, which ext4 does when it has no journal), which punished whichever contender came next. The totals include starting each sandbox (and for the hand-made overlay its mount), not making the file system."
note "\"overlayfs by hand\" is the kernel's overlayfs without fvm: \`unshare -m\` and one \`mount -t overlay\` with an empty lower dir, the same work bwrap's --overlay would do."
