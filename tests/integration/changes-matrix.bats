#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# changes-matrix.bats - fvm diff and fvm commit over the matrix
#   what the VM did  x  what the host did to the same path afterwards
# The VM's changes: added, modified, deleted, metadata only (chmod), a new
# symlink, a file replaced by a symlink, a directory replaced by a file,
# a file replaced by a directory, an opaque directory (rm -rf d; mkdir d),
# a fifo, hard links. The host, after the VM wrote: nothing (same), a
# write (changed), the path deleted, the path replaced by a symlink to
# another scratch directory (the "victim", which must never change).
#
# Each cell is its own directory below SCRATCH, holding one entry "e"
# (and "e2" for hard links). For each cell the test checks the
# classification and conflict flag of `fvm diff`, then `fvm commit` of
# the cell: a conflict is refused (125) with the host untouched and
# committed by --force; otherwise (or forced) the host ends up exactly as
# the VM saw the cell, owned by the caller, the committed entries leave
# the layer and the VM then sees the host's files. Every cell is checked
# before the test fails, so one run reports every wrong cell.

load helpers

STATES=(same changed deleted symlink)

# host_kind ACTION: what the host has at "e" before the VM acts.
host_kind() {
	case $1 in
	added | symlink | fifo | hardlink) echo none ;;
	dir2file | opaque) echo dir ;;
	*) echo file ;;
	esac
}

# host_init ACTION CELL: the host's side before the VM runs.
host_init() {
	mkdir -p "$2"
	case $(host_kind "$1") in
	file)
		echo host >"$2/e"
		chmod 644 "$2/e"
		;;
	dir)
		mkdir "$2/e"
		echo host-a >"$2/e/a"
		echo host-b >"$2/e/b"
		;;
	*) ;;
	esac
}

# vm_cmd ACTION CELL: the shell text the VM runs for ACTION in CELL.
vm_cmd() {
	local e="'$2/e'"
	case $1 in
	added | modified) echo "echo vm > $e" ;;
	deleted) echo "rm $e" ;;
	metadata) echo "chmod 600 $e" ;;
	symlink) echo "ln -s target-vm $e" ;;
	file2symlink) echo "rm $e && ln -s target-vm $e" ;;
	dir2file) echo "rm -rf $e && echo vm > $e" ;;
	file2dir) echo "rm $e && mkdir $e && echo vm > '$2/e/a'" ;;
	opaque) echo "rm -rf $e && mkdir $e && echo vm > '$2/e/c'" ;;
	fifo) echo "mkfifo $e" ;;
	hardlink) echo "echo vm > $e && ln $e '$2/e2'" ;;
	*) return 1 ;;
	esac
}

# host_after STATE ACTION CELL VICTIM: what the host does after the VM.
host_after() {
	local e=$3/e
	case $1 in
	same) ;;
	changed)
		if [[ $(host_kind "$2") == dir ]]; then
			echo host2 >"$e/a"   # a write inside the tree the VM replaced
		else
			echo host2 >"$e"     # a write, or a new file where there was none
		fi
		;;
	deleted) rm -rf "$e" ;;
	symlink)
		rm -rf "$e"
		ln -s "$4" "$e"
		;;
	*) return 1 ;;
	esac
}

# The expected `diff_short` lines of each cell, joined by ';', as an
# anchored regex. "X!?" marks the cells where either answer is sound: the
# VM made a new entry over one the host has since deleted (nothing of the
# host's can be lost); the commit is then checked against the flag given.
declare -gA EXPECT=(
	[added/same]='A e'
	[added/changed]='M! e'
	[added/symlink]='R! e'
	[modified/same]='M e'
	[modified/changed]='M! e'
	[modified/deleted]='M! e'
	[modified/symlink]='R! e'
	[deleted/same]='D e'
	[deleted/changed]='D! e'
	[deleted/deleted]=''
	[deleted/symlink]='D! e'
	[metadata/same]='m e'
	[metadata/changed]='M! e'
	[metadata/deleted]='M! e'
	[metadata/symlink]='R! e'
	[symlink/same]='A e'
	[symlink/changed]='R! e'
	[symlink/symlink]='M! e'
	[file2symlink/same]='R e'
	[file2symlink/changed]='R! e'
	[file2symlink/deleted]='A!? e'
	[file2symlink/symlink]='M! e'
	[dir2file/same]='R e'
	[dir2file/changed]='R! e'
	[dir2file/deleted]='A!? e'
	[dir2file/symlink]='R! e'
	[file2dir/same]='R e/;A e/a'
	[file2dir/changed]='R! e/;A e/a'
	[file2dir/deleted]='A!? e/;A e/a'
	[file2dir/symlink]='R! e/;A e/a'
	[opaque/same]='R e/;D e/a;D e/b;A e/c'
	[opaque/changed]='R!? e/;D! e/a;D e/b;A e/c'
	[opaque/deleted]='A!? e/;A e/c'
	[opaque/symlink]='R! e/;A e/c'
	[fifo/same]='A e'
	[fifo/changed]='R! e'
	[fifo/symlink]='R! e'
	[hardlink/same]='A e;A e2'
	[hardlink/changed]='M! e;A e2'
	[hardlink/symlink]='R! e;A e2'
)

ERRS=()

# err TEXT: one wrong cell; the test goes on and fails at the end.
err() {
	ERRS+=("$*")
}

# check_applied VM CELL WHAT VM_VIEW: after a successful commit of CELL.
check_applied() {
	local vm=$1 cell=$2 what=$3 vm_view=$4 host_view left others

	host_view=$(tree_snapshot "$cell")
	[[ $host_view == "$vm_view" ]] ||
		err "$what: host after commit differs from the VM's view before it:" \
			$'\n'"    VM:   ${vm_view//$'\n'/$'\n'          }" \
			$'\n'"    host: ${host_view//$'\n'/$'\n'          }"
	others=$(find "$cell" -mindepth 1 \( ! -uid "$(id -u)" -o ! -gid "$(id -g)" \) -printf '%P %U:%G\n')
	[[ -z $others ]] || err "$what: committed entries not owned by the caller $(id -u):$(id -g): $others"
	left=$(layer_leftovers "$vm" "$cell")
	[[ -z $left ]] || err "$what: committed entries still in the layer: ${left//$'\n'/ }"
	[[ -z $(diff_short "$vm" "$cell") ]] || err "$what: diff not empty after commit: $(diff_short "$vm" "$cell")"
	local now
	now=$(vm_snapshot "$vm" "$cell")
	[[ $now == "$host_view" ]] ||
		err "$what: the VM does not see the host's files after commit:" \
			$'\n'"    VM:   ${now//$'\n'/$'\n'          }" \
			$'\n'"    host: ${host_view//$'\n'/$'\n'          }"
	if [[ -f $cell/e && ! -L $cell/e ]]; then
		echo host3 >"$cell/e"
		now=$(fvm run "$vm" -- cat "$cell/e")
		[[ $now == host3 ]] || err "$what: a host write after the commit is not seen by the VM: '$now'"
	fi
}

# run_matrix ACTION: the cells of ACTION in one VM.
run_matrix() {
	local action=$1 state cell vm=m script=() victim=$SCRATCH/victim
	local -a states=()

	mkdir -p "$victim"
	echo sentinel >"$victim/sentinel"
	local victim_before
	victim_before=$(tree_snapshot "$victim")

	for state in "${STATES[@]}"; do
		[[ $state == deleted && $(host_kind "$action") == none ]] && continue
		states+=("$state")
		cell=$SCRATCH/$action-$state
		host_init "$action" "$cell"
		script+=("$(vm_cmd "$action" "$cell")")
	done
	# FVM_TEST_COW: the copy-on-write backend the cells run under (cow-fuse.bats)
	fvm create ${FVM_TEST_COW:+--cow "$FVM_TEST_COW"} "$vm"
	local joined
	joined=$(printf '%s && ' "${script[@]}")
	run -0 --separate-stderr fvm run "$vm" -- sh -c "set -e; ${joined% && }"
	sleep 0.05   # the host's changes come strictly later than the VM's
	for state in "${states[@]}"; do
		host_after "$state" "$action" "$SCRATCH/$action-$state" "$victim"
	done

	for state in "${states[@]}"; do
		local what=$action/$state actual expect host_before vm_view
		cell=$SCRATCH/$action-$state
		expect=${EXPECT[$what]}
		actual=$(diff_short "$vm" "$cell" | paste -sd ';' -) || { err "$what: fvm diff failed"; continue; }
		[[ $actual =~ ^${expect}$ ]] || err "$what: diff: expected '$expect', got '$actual'"

		host_before=$(tree_snapshot "$cell")
		vm_view=$(vm_snapshot "$vm" "$cell")
		run --separate-stderr fvm commit -y "$vm" "$cell"
		if [[ $actual == *'!'* ]]; then
			if ((status != 125)); then
				err "$what: commit of a conflict: expected exit 125, got $status ($stderr)"
				continue
			fi
			[[ $stderr == *conflict* ]] || err "$what: refusal does not say 'conflict': $stderr"
			[[ $(tree_snapshot "$cell") == "$host_before" ]] || err "$what: refused commit changed the host"
			[[ $(diff_short "$vm" "$cell" | paste -sd ';' -) == "$actual" ]] ||
				err "$what: refused commit changed the layer"
			run --separate-stderr fvm commit -y --force "$vm" "$cell"
			if ((status != 0)); then
				err "$what: commit --force: expected 0, got $status ($stderr)"
				continue
			fi
			check_applied "$vm" "$cell" "$what (forced)" "$vm_view"
		elif ((status != 0)); then
			err "$what: commit: expected 0, got $status ($stderr)"
		else
			check_applied "$vm" "$cell" "$what" "$vm_view"
		fi
	done

	[[ $(tree_snapshot "$victim") == "$victim_before" ]] ||
		err "the symlinks' target $victim changed: $(tree_snapshot "$victim")"
	local temps
	temps=$(commit_temps "$SCRATCH")
	[[ -z $temps ]] || err "commit temporaries left: $temps"

	if ((${#ERRS[@]})); then
		printf '%s\n' "${ERRS[@]}" >&2
		return 1
	fi
}

@test "matrix: VM added a file" {
	run_matrix added
}

@test "matrix: VM modified a file" {
	run_matrix modified
}

@test "matrix: VM deleted a file" {
	run_matrix deleted
}

@test "matrix: VM changed only the mode (chmod)" {
	run_matrix metadata
}

@test "matrix: VM made a symlink" {
	run_matrix symlink
}

@test "matrix: VM replaced a file by a symlink" {
	run_matrix file2symlink
}

@test "matrix: VM replaced a directory by a file" {
	run_matrix dir2file
}

@test "matrix: VM replaced a file by a directory" {
	run_matrix file2dir
}

@test "matrix: VM emptied and remade a directory (opaque)" {
	run_matrix opaque
}

@test "matrix: VM made a fifo" {
	run_matrix fifo
}

@test "matrix: VM made a file with two hard links" {
	run_matrix hardlink
}
