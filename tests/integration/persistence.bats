#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# persistence.bats - copy-on-write files: a VM's changes persist between
# its runs, land in its own layer, and never reach the host or another VM;
# deletions inside a VM leave the host's file alone.

load helpers

setup() {
	fvm_setup
	echo host >"$SCRATCH/file"
	chmod 644 "$SCRATCH/file"
}

@test "persistence: a write in run 1 is read in run 2; the host file is untouched" {
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c "echo vm-web > '$SCRATCH/file'"
	run -0 --separate-stderr fvm run web -- cat "$SCRATCH/file"
	assert_eq "$output" vm-web "the VM sees its change"
	assert_eq "$(cat "$SCRATCH/file")" host "the host's file is untouched"
}

@test "persistence: the change lands in the VM's layer in the store" {
	fvm create web
	fvm run web -- sh -c "echo vm-web > '$SCRATCH/file'; echo new > '$SCRATCH/new'"
	local upper
	upper=$(layer_upper web "$SCRATCH/file")
	assert_contains "$upper" "$FVM_HOME/vms/web/layers/" "upper is in the VM's store"
	assert_eq "$(cat "$upper")" vm-web "content of the copied-up file"
	assert_eq "$(cat "$(layer_upper web "$SCRATCH/new")")" new "content of the new file"
	if is_root; then
		assert_eq "$upper" "$FVM_HOME/vms/web/layers/%2F/upper$SCRATCH/file" "root mode: one layer for /"
	fi
}

@test "persistence: a new file exists in the VM only" {
	fvm create web
	fvm run web -- sh -c "mkdir -p '$SCRATCH/d/e' && echo made > '$SCRATCH/d/e/new'"
	run -0 --separate-stderr fvm run web -- cat "$SCRATCH/d/e/new"
	assert_eq "$output" made
	assert_not_exists "$SCRATCH/d"
}

@test "persistence: two VMs writing the same path each see their own content" {
	fvm create web
	fvm create db
	fvm run web -- sh -c "echo from-web > '$SCRATCH/file'"
	fvm run db -- sh -c "echo from-db > '$SCRATCH/file'"
	run -0 fvm run web -- cat "$SCRATCH/file"
	assert_eq "$output" from-web "web's view"
	run -0 fvm run db -- cat "$SCRATCH/file"
	assert_eq "$output" from-db "db's view"
	assert_eq "$(cat "$SCRATCH/file")" host "host's view"
	fvm create third
	run -0 fvm run third -- cat "$SCRATCH/file"
	assert_eq "$output" host "a fresh VM sees the host's file"
}

@test "persistence: deleting a host file inside the VM leaves the host's file" {
	fvm create web
	run -0 --separate-stderr fvm run web -- rm "$SCRATCH/file"
	assert_exists "$SCRATCH/file"
	assert_eq "$(cat "$SCRATCH/file")" host "host content intact"
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$SCRATCH/file"
	assert_eq "$output" errno=ENOENT "the deletion persists in the VM"
	fvm create db
	run -0 fvm run db -- cat "$SCRATCH/file"
	assert_eq "$output" host "another VM still sees the file"
}

@test "persistence: deleting a host directory tree inside the VM leaves the host's tree" {
	mkdir -p "$SCRATCH/tree/sub"
	echo leaf >"$SCRATCH/tree/sub/leaf"
	fvm create web
	run -0 --separate-stderr fvm run web -- rm -rf "$SCRATCH/tree"
	assert_eq "$(cat "$SCRATCH/tree/sub/leaf")" leaf "host tree intact"
	run -0 fvm run web -- "$PROBE" stat "$SCRATCH/tree"
	assert_eq "$output" errno=ENOENT
}

@test "persistence: a host change to a file the VM never wrote shows through" {
	fvm create web
	fvm run web -- true
	echo host-v2 >"$SCRATCH/file"
	run -0 fvm run web -- cat "$SCRATCH/file"
	assert_eq "$output" host-v2 "the VM reads the host's file directly"
}

@test "persistence: renames and appends stay inside the VM" {
	fvm create web
	fvm run web -- sh -c "echo more >> '$SCRATCH/file' && mv '$SCRATCH/file' '$SCRATCH/moved'"
	# (stderr apart: the conflict rule takes the renamed copy for one the host deleted, and run says so)
	run -0 --separate-stderr fvm run web -- cat "$SCRATCH/moved"
	assert_eq "$output" "host
more"
	assert_eq "$(cat "$SCRATCH/file")" host
	assert_not_exists "$SCRATCH/moved"
}

@test "persistence: changes survive a start/stop cycle" {
	fvm create web
	fvm_start web
	fvm exec web -- sh -c "echo started > '$SCRATCH/file'"
	fvm stop web
	run -0 fvm run web -- cat "$SCRATCH/file"
	assert_eq "$output" started
	assert_eq "$(cat "$SCRATCH/file")" host
}
