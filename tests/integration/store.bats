#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# store.bats - the store is invisible inside every VM: a VM can reach
# neither its own layers nor another VM's, by path or by listing.

load helpers

@test "store: FVM_HOME does not exist inside a VM" {
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$FVM_HOME"
	assert_eq "$output" errno=ENOENT "stat \$FVM_HOME"
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$FVM_HOME/vms/web/config.json"
	assert_eq "$output" errno=ENOENT "stat own config.json"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$FVM_HOME/vms/web/layers/%2F/upper" r
	assert_eq "$output" errno=ENOENT "open own upper dir"
}

@test "store: the store is not listed in its parent directory inside a VM" {
	fvm create web
	assert_exists "$TEST_ROOT/store"
	run -0 --separate-stderr fvm run web -- ls -a "$TEST_ROOT"
	assert_contains "$output" scratch "the parent is visible"
	assert_not_contains "$output" store "the store is listed"
}

@test "store: another VM's layer directory is invisible" {
	fvm create web
	fvm create db
	fvm run db -- sh -c "echo secret > '$SCRATCH/db-secret'"
	local upper
	upper=$(layer_upper db "$SCRATCH/db-secret")
	assert_eq "$(cat "$upper")" secret "db's change is in its layer"
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$FVM_HOME/vms/db/layers"
	assert_eq "$output" errno=ENOENT "stat db's layers from web"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$upper" r
	assert_eq "$output" errno=ENOENT "open db's copied-up file from web"
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$SCRATCH/db-secret"
	assert_eq "$output" errno=ENOENT "db's new file from web"
}

@test "store: a VM cannot create the store path or write into it" {
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$FVM_HOME/vms/web/config.json" create '{"name":"pwned"}'
	# Whatever the VM sees at that path, it must not reach the real config.
	assert_eq "$(jq -r .name "$FVM_HOME/vms/web/config.json")" web "the real config.json"
	run -0 fvm run web -- true
}

@test "store: the store stays invisible while the VM runs, in exec too" {
	fvm create web
	fvm_start web
	run -0 --separate-stderr fvm exec web -- "$PROBE" stat "$FVM_HOME"
	assert_eq "$output" errno=ENOENT
	run -0 --separate-stderr fvm exec web -- "$PROBE" stat "$FVM_HOME/vms/web/run"
	assert_eq "$output" errno=ENOENT
}

@test "store: the directories around the hidden store stay the VM root's to write (root mode)" {
	is_root || skip "root mode: rootless VMs cannot write root-owned directories"
	# The whiteout that hides the store needs its parent directories in the
	# layer; they must keep the host's owner as the VM sees it (root), or
	# the VM's root could no longer write next to the store (/var/lib for
	# the default store /var/lib/fvm: dpkg's home).
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c "stat -c '%u %a' '$TEST_ROOT'; touch '$TEST_ROOT/next-to-store' && echo ok"
	assert_eq "${lines[0]}" "0 $(stat -c %a "$TEST_ROOT")" "owner and mode of the store's parent in the VM"
	assert_eq "${lines[1]}" ok "the VM's root writes next to the store"
	assert_not_exists "$TEST_ROOT/next-to-store"
}
