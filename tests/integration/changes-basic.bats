#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# changes-basic.bats - the everyday use of fvm diff, commit, discard and
# try: the shapes of `diff`, `diff --stat` and `diff --json`; a dry run
# changes nothing; commits of some paths only; options after the VM name;
# discard of a path or of everything (the VM then sees the host's files
# again, and still not its store); try with --commit, --discard, --keep and
# the default without a terminal, passing the command's exit status on; a
# running VM can be committed.

load helpers

# host_files: the scratch files the tests below start from.
host_files() {
	mkdir -p "$SCRATCH/d/sub" "$SCRATCH/d/gone" "$SCRATCH/other"
	echo host >"$SCRATCH/d/mod"
	echo host >"$SCRATCH/d/del"
	echo host >"$SCRATCH/d/chm"
	echo host >"$SCRATCH/d/repl"
	echo host >"$SCRATCH/d/gone/x"
	echo host >"$SCRATCH/other/f"
	chmod 644 "$SCRATCH/d/mod" "$SCRATCH/d/chm"
}

# One of each kind of change in $1 (run by the VM).
VM_EDIT='cd "$1" && echo vm-mod >mod && rm del && chmod 600 chm && echo added >new && echo 12345 >sub/new2 &&
	ln -s target link && mkfifo fifo && rm repl && mkdir repl && echo in >repl/in && rm -rf gone'

setup() {
	fvm_setup
	host_files
	fvm create e 2>/dev/null
}

@test "diff: one line per change, 'X[!] PATH[/] extras', in path order" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT" _ "$SCRATCH/d"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	local d=$SCRATCH/d
	assert_eq "$output" "m  $d/chm  mode 0600
D  $d/del
A  $d/fifo (fifo)
D  $d/gone
A  $d/link -> target
M  $d/mod
A  $d/new
R  $d/repl/  mode 0755
A  $d/repl/in
A  $d/sub/new2"
	# the same as part of the whole VM's changes
	run -0 --separate-stderr fvm diff e
	assert_contains "$output" "M  $d/mod"
	assert_not_contains "$output" "$SCRATCH/other"
	# a conflict: '!' and the reason
	sleep 0.05
	echo host2 >"$d/mod"
	run -0 --separate-stderr fvm diff e "$d/mod"
	assert_match "$output" "^M! $d/mod  conflict: .+"
	# several paths, relative ones from the current directory
	cd "$d"
	run -0 --separate-stderr fvm diff e chm ./new sub/
	assert_eq "$output" "m  $d/chm  mode 0600
A  $d/new
A  $d/sub/new2"
}

@test "diff --stat: counts and bytes per top-level directory, then a total" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT" _ "$SCRATCH/d"
	local bytes
	run -0 --separate-stderr fvm diff --json e "$SCRATCH/d"
	bytes=$(jq '[.[] | select(.type == "f") | .size] | add' <<<"$output")
	run -0 --separate-stderr fvm diff --stat e "$SCRATCH/d"
	assert_eq "$(grep -c '' <<<"$output")" 2 "one row (all below one top-level directory) and the total: $output"
	# 10 changes: new, sub/new2, repl/in, link, fifo added; mod; chm; del, gone; repl
	local top=${SCRATCH#/}
	top=/${top%%/*}
	assert_match "$(sed -n 1p <<<"$output")" \
		"^$top +10 changes \\(5 added, 1 modified, 1 metadata, 2 deleted, 1 replaced\\), $bytes bytes$"
	assert_eq "$(sed -n 2p <<<"$output")" "10 changes, $bytes bytes of file content"
	sleep 0.05
	echo host2 >"$SCRATCH/d/mod"
	run -0 --separate-stderr fvm diff --stat e "$SCRATCH/d"
	assert_eq "$(sed -n 2p <<<"$output")" "10 changes, $bytes bytes of file content, with conflicts"
	run -0 --separate-stderr fvm diff --stat e "$SCRATCH/other"
	assert_eq "$output" "0 changes, 0 bytes of file content"
}

@test "diff --json: one object per change with the documented fields" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT" _ "$SCRATCH/d"
	sleep 0.05
	echo host2 >"$SCRATCH/d/mod"
	run -0 --separate-stderr fvm diff --json e "$SCRATCH/d"
	local j=$output d=$SCRATCH/d me
	me=$(id -u)
	assert_eq "$(jq -r 'type' <<<"$j")" array
	assert_eq "$(jq length <<<"$j")" 10
	# field by field, for each kind
	assert_eq "$(jq -c --arg p "$d/mod" '.[] | select(.path == $p) | [.kind, .type, .size, .mode, .mode_changed, .owner_changed, .conflict, (.conflict_why | type)]' <<<"$j")" \
		'["modified","f",7,"0644",false,false,true,"string"]'
	assert_eq "$(jq -c --arg p "$d/chm" '.[] | select(.path == $p) | [.kind, .type, .size, .mode, .mode_changed, .owner_changed, .conflict, has("conflict_why")]' <<<"$j")" \
		'["metadata","f",5,"0600",true,false,false,false]'
	assert_eq "$(jq -c --arg p "$d/del" '.[] | select(.path == $p) | [.kind, .type, has("mode"), has("uid"), .conflict]' <<<"$j")" \
		'["deleted","-",false,false,false]'
	assert_eq "$(jq -c --arg p "$d/new" '.[] | select(.path == $p) | [.kind, .type, .size, .mode]' <<<"$j")" \
		'["added","f",6,"0644"]'
	assert_eq "$(jq -c --arg p "$d/link" '.[] | select(.path == $p) | [.kind, .type, .link_target]' <<<"$j")" \
		'["added","l","target"]'
	assert_eq "$(jq -c --arg p "$d/fifo" '.[] | select(.path == $p) | [.kind, .type]' <<<"$j")" '["added","p"]'
	assert_eq "$(jq -c --arg p "$d/repl" '.[] | select(.path == $p) | [.kind, .type]' <<<"$j")" '["replaced","d"]'
	# owners are the host's: the caller (VM root maps back to it)
	assert_eq "$(jq -r --arg me "$me" '[.[] | select(.kind != "deleted") | select(.uid != ($me | tonumber))] | length' <<<"$j")" 0 \
		"entries whose uid is not the caller's"
	# every object has the always-present fields with their types
	assert_eq "$(jq -r '[.[] | select((.path | type) != "string" or (.kind | type) != "string" or (.type | type) != "string"
		or (.size | type) != "number" or (.mode_changed | type) != "boolean" or (.owner_changed | type) != "boolean"
		or (.conflict | type) != "boolean")] | length' <<<"$j")" 0 "objects with a missing or mistyped field"
	run -0 --separate-stderr fvm diff --json e "$SCRATCH/other"
	assert_eq "$(jq -c . <<<"$output")" "[]"
}

@test "commit --dry-run shows the plan and changes nothing, not even the layer" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT" _ "$SCRATCH/d"
	local host layer
	host=$(tree_snapshot "$SCRATCH")
	layer=$(tree_snapshot "$(layer_upper e "$SCRATCH")")
	run -0 --separate-stderr fvm commit --dry-run e "$SCRATCH/d"
	assert_contains "$output" "M  $SCRATCH/d/mod"
	assert_eq "$(tail -1 <<<"$output")" "10 changes would be committed"
	run -0 --separate-stderr fvm commit -n e
	assert_match "$(tail -1 <<<"$output")" "^[0-9]+ changes? would be committed$"
	# options after the name, too
	run -0 --separate-stderr fvm commit e "$SCRATCH/d" -n
	assert_eq "$(tail -1 <<<"$output")" "10 changes would be committed"
	sleep 0.05
	echo host2 >"$SCRATCH/d/mod"
	host=$(tree_snapshot "$SCRATCH")
	run -1 --separate-stderr fvm commit -n e "$SCRATCH/d"
	assert_eq "$(tail -1 <<<"$output")" "10 changes, 1 in conflict: the commit would be refused (see --force)"
	assert_eq "$(tree_snapshot "$SCRATCH")" "$host" "the host after dry runs"
	assert_eq "$(tree_snapshot "$(layer_upper e "$SCRATCH")")" "$layer" "the layer after dry runs"
	assert_not_exists "$FVM_HOME/vms/e/commit.journal"
	assert_eq "$(commit_temps "$SCRATCH")" ""
}

@test "commit: only the paths given; the rest stays in the VM; options after the name" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT; echo vm >'$SCRATCH/other/f'" _ "$SCRATCH/d"
	run -0 --separate-stderr fvm commit e "$SCRATCH/d/mod" "$SCRATCH/d/sub" -y
	assert_contains "$stderr" "committed 2 changes"
	assert_eq "$(cat "$SCRATCH/d/mod")" vm-mod
	assert_eq "$(cat "$SCRATCH/d/sub/new2")" 12345
	assert_not_exists "$SCRATCH/d/new"
	assert_exists "$SCRATCH/d/del"
	assert_eq "$(cat "$SCRATCH/other/f")" host
	run -0 --separate-stderr fvm diff e "$SCRATCH"
	assert_not_contains "$output" "$SCRATCH/d/mod"
	assert_not_contains "$output" "$SCRATCH/d/sub/new2"
	assert_contains "$output" "A  $SCRATCH/d/new"
	assert_contains "$output" "M  $SCRATCH/other/f"
	# the rest of d, then the other directory
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d"
	assert_eq "$(tree_snapshot "$SCRATCH/d")" "$(vm_snapshot e "$SCRATCH/d")" "host and VM agree on d"
	assert_not_exists "$SCRATCH/d/del"
	assert_not_exists "$SCRATCH/d/gone"
	assert_eq "$(readlink "$SCRATCH/d/link")" target
	[[ -p $SCRATCH/d/fifo ]]
	assert_eq "$(cat "$SCRATCH/d/repl/in")" in
	assert_eq "$(stat -c %a "$SCRATCH/d/chm")" 600
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/other"
	assert_eq "$(cat "$SCRATCH/other/f")" vm
	run -0 --separate-stderr fvm diff e "$SCRATCH"
	assert_eq "$output" ""
	# nothing to commit is not an error
	run -0 --separate-stderr fvm commit -y e "$SCRATCH"
	assert_contains "$stderr" "committed 0 changes"
	# committed entries left the layer: the VM sees the host's files
	echo host3 >"$SCRATCH/d/mod"
	run -0 fvm run e -- cat "$SCRATCH/d/mod"
	assert_eq "$output" host3
}

@test "commit, diff, discard: an unknown VM or option is a clean error" {
	local c
	for c in diff commit discard; do
		run --separate-stderr fvm "$c" nope
		assert_status 125
		assert_fvm_error
		run --separate-stderr fvm "$c" --no-such-option e
		assert_status 125
		assert_fvm_usage_error
		run --separate-stderr fvm "$c"
		assert_status 125
		assert_fvm_usage_error
	done
	run --separate-stderr fvm discard --force e
	assert_status 125
}

@test "discard of a path: the VM sees the host's file again; the other changes stay" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT" _ "$SCRATCH/d"
	local host
	host=$(tree_snapshot "$SCRATCH")
	run -0 --separate-stderr fvm discard e "$SCRATCH/d/mod" "$SCRATCH/d/repl" -y
	run -0 fvm run e -- cat "$SCRATCH/d/mod" "$SCRATCH/d/repl"
	assert_eq "$output" $'host\nhost' "the VM sees the host's files again"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_not_contains "$output" "$SCRATCH/d/mod"
	assert_not_contains "$output" "$SCRATCH/d/repl"
	assert_contains "$output" "A  $SCRATCH/d/new"
	assert_eq "$(tree_snapshot "$SCRATCH")" "$host" "discard does not touch the host"
	# a deletion discarded: the file is back in the VM
	run -0 --separate-stderr fvm discard -y e "$SCRATCH/d/del"
	run -0 fvm run e -- cat "$SCRATCH/d/del"
	assert_eq "$output" host
	# a later host change shows through
	echo host2 >"$SCRATCH/d/mod"
	run -0 fvm run e -- cat "$SCRATCH/d/mod"
	assert_eq "$output" host2
}

@test "discard of everything: no change is left, the VM sees the host, and still not its store" {
	run -0 --separate-stderr fvm run e -- sh -c "$VM_EDIT; echo vm >'$SCRATCH/other/f'" _ "$SCRATCH/d"
	run -0 --separate-stderr fvm run e -- "$PROBE" stat "$FVM_HOME"
	local hidden=$output
	local host
	host=$(tree_snapshot "$SCRATCH")
	run -0 --separate-stderr fvm discard -y e
	run -0 --separate-stderr fvm diff e
	assert_eq "$output" "" "diff after discarding everything"
	assert_eq "$(vm_snapshot e "$SCRATCH")" "$host" "the VM's view is the host's"
	assert_eq "$(tree_snapshot "$SCRATCH")" "$host" "the host is untouched"
	run -0 --separate-stderr fvm run e -- "$PROBE" stat "$FVM_HOME"
	assert_eq "$output" "$hidden" "the store is as hidden as before"
	assert_eq "$output" errno=ENOENT "the store is hidden"
}

# try_vms: the VMs of the store (try must leave none unless --keep).
try_vms() {
	fvm ls | awk 'NR > 1 && $1 != "e" { print $1 }'
}

@test "try --commit: the changes reach the host, the VM is gone, the exit status is the command's" {
	run --separate-stderr fvm try --commit -- sh -c "echo tried >'$SCRATCH/d/new'; echo v2 >'$SCRATCH/d/mod'; exit 3" </dev/null
	assert_status 3
	assert_contains "$output" "A  $SCRATCH/d/new"
	assert_contains "$output" "M  $SCRATCH/d/mod"
	assert_eq "$(cat "$SCRATCH/d/new")" tried
	assert_eq "$(cat "$SCRATCH/d/mod")" v2
	assert_eq "$(try_vms)" "" "VMs left by try"
}

@test "try without a terminal discards, like --discard; the exit status is the command's" {
	local host
	host=$(tree_snapshot "$SCRATCH")
	run --separate-stderr fvm try -- sh -c "echo tried >'$SCRATCH/d/new'; rm '$SCRATCH/d/del'; exit 7" </dev/null
	assert_status 7
	assert_contains "$output" "A  $SCRATCH/d/new"
	assert_contains "$output" "D  $SCRATCH/d/del"
	assert_eq "$(tree_snapshot "$SCRATCH")" "$host" "the host after try"
	assert_eq "$(try_vms)" "" "VMs left by try"

	run --separate-stderr fvm try --discard -- sh -c "echo tried >'$SCRATCH/d/new'" </dev/null
	assert_status 0
	assert_eq "$(tree_snapshot "$SCRATCH")" "$host" "the host after try --discard"
	assert_eq "$(try_vms)" "" "VMs left by try --discard"

	# no change at all, a command that is not there
	run --separate-stderr fvm try -- true </dev/null
	assert_status 0
	assert_contains "$stderr" none
	run -127 --separate-stderr fvm try -- no-such-command-here </dev/null
	assert_eq "$(try_vms)" "" "VMs left by try"
}

@test "try --keep: the VM stays with its changes, to commit later" {
	run --separate-stderr fvm try --keep -- sh -c "echo kept >'$SCRATCH/d/new'" </dev/null
	assert_status 0
	local name
	name=$(try_vms)
	assert_match "$name" '^tmp-[a-z0-9]+$' "the kept VM"
	assert_contains "$stderr" "$name"
	assert_not_exists "$SCRATCH/d/new"
	run -0 --separate-stderr fvm diff "$name" "$SCRATCH"
	assert_eq "$output" "A  $SCRATCH/d/new"
	run -0 --separate-stderr fvm commit -y "$name" "$SCRATCH"
	assert_eq "$(cat "$SCRATCH/d/new")" kept
	run -0 fvm rm "$name"
}

@test "a running VM can be committed; it goes on running and sees the committed files" {
	fvm_start e
	run -0 --separate-stderr fvm exec e -- sh -c "$VM_EDIT" _ "$SCRATCH/d"
	local pid
	pid=$(init_pid e)
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d"
	assert_eq "$(cat "$SCRATCH/d/mod")" vm-mod
	assert_eq "$(cat "$SCRATCH/d/new")" added
	assert_not_exists "$SCRATCH/d/del"
	assert_eq "$(init_pid e)" "$pid" "the VM still runs"
	assert_state e running
	run -0 --separate-stderr fvm exec e -- cat "$SCRATCH/d/mod" "$SCRATCH/d/new" "$SCRATCH/d/repl/in"
	assert_eq "$output" $'vm-mod\nadded\nin'
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_eq "$output" ""
	# the VM keeps working on them: a new change, to see and commit again
	# (not a write into a copy that left the layer, lost when the VM stops)
	run -0 --separate-stderr fvm exec e -- sh -c "echo again >'$SCRATCH/d/mod'"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_eq "$output" "M  $SCRATCH/d/mod" "the VM's write after the commit is a change"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d/mod"
	assert_eq "$(cat "$SCRATCH/d/mod")" again
	# once stopped, the VM sees the host's later changes
	fvm stop e
	echo host3 >"$SCRATCH/d/mod"
	run -0 fvm run e -- cat "$SCRATCH/d/mod"
	assert_eq "$output" host3
}
