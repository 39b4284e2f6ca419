#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/07-commit.sh - `fvm commit VM` of 10,000 new 4 KiB files (1,000 with
# --quick) into a host scratch dir, against copying the same files out of
# the VM's upper dir with `cp -a` + `sync` and `rsync -a` + `sync`. Runs
# only when `fvm commit --help` succeeds. Every round writes the files in
# the VM anew (commit takes them out of the layer) and deletes the copies.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

nfiles=10000 rounds=5
((QUICK)) && nfiles=1000 rounds=2

title "\`fvm commit\` of $nfiles new 4 KiB files"
series commit bars ms "apply $nfiles new 4 KiB files to the host"
ratio commit fvm "cp -a + sync"
ratio commit fvm "rsync -a + sync"

if ! "$FVM" commit --help >/dev/null 2>&1; then
	skip commit fvm "not yet implemented: \`fvm commit --help\` exits $("$FVM" commit --help >/dev/null 2>&1; echo $?) ($("$FVM" commit --help 2>&1 | head -n 1))"
	exit 0
fi

home=$(fresh_home commit)
dst=$SCRATCH/commit
trap 'drop_home "$home"; rm -rf "$dst" "$dst".*' EXIT
export FVM_HOME=$home
"$FVM" create cm >/dev/null
upper=$home/vms/cm/layers/%2F/upper

fill()
{
	"$FVM" run cm -- python3 -c '
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open(f"{d}/f{i:05}", "wb") as f:
        f.write(os.urandom(4096))' "$dst" "$nfiles"
}

# time_ms CMD... - run CMD, print its wall time in ms, fail if it fails
time_ms()
{
	local s
	s=$(now_ms)
	"$@" >/dev/null 2>"$SCRATCH/commit.err" || return 1
	elapsed_ms "$s"
}

declare -A failed
log "$nfiles files, $rounds rounds"
for ((r = 0; r < rounds; r++)); do
	fill || { skip commit fvm "could not write the files in the VM"; exit 0; }
	mkdir -p "$dst.cp" "$dst.rsync"
	# the copies take turns; fvm goes last, as its commit takes the
	# files out of the layer
	order=("cp -a + sync" "rsync -a + sync")
	((r % 2)) && order=("rsync -a + sync" "cp -a + sync")
	for who in "${order[@]}" fvm; do
		sync
		case $who in
		cp*) cmd=(sh -c "cp -a $upper$dst/. $dst.cp/ && sync") ;;
		rsync*) cmd=(sh -c "rsync -a $upper$dst/ $dst.rsync/ && sync") ;;
		*) cmd=("$FVM" commit -y cm) ;;
		esac
		if t=$(time_ms "${cmd[@]}"); then
			sample commit "$who" "" "$t"
		elif [[ -z ${failed[$who]:-} ]]; then
			failed[$who]=1
			skip commit "$who" "failed here (round $r): $(tail -n 1 "$SCRATCH/commit.err")"
		fi
	done
	[[ -f $dst/f00000 ]] || log "round $r: commit left no file in $dst"
	rm -rf "$dst" "$dst.cp" "$dst.rsync"
	"$FVM" run cm -- rm -rf "$dst"
done
note "Each round: the VM writes the files (python3 in the VM, os.urandom), then \`cp -a\` and \`rsync -a\` copy them out of the upper dir in alternating order, then \`fvm commit -y\` applies them (last, because it takes them out of the layer); \`sync\` runs before each, outside the timing."
note "The copies read the VM's upper dir directly (STORE/vms/NAME/layers/%2F/upper); fvm commit must also check conflicts and land each file atomically (DESIGN.md section 6)."
