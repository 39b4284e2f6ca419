#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# rootless.bats - rootless mode only (skipped as root): the caller is root
# in the VM, files the caller owns are copy-on-write (home, /tmp), and
# root-owned host files cannot be changed, in the VM or on the host.

load helpers

setup() {
	! is_root || skip "rootless mode: run the suite as an unprivileged user"
	fvm_setup
}

teardown() {
	! is_root || return 0
	fvm_teardown
}

@test "rootless: id -u is 0 inside; the host sees the caller's uid" {
	fvm create web
	run -0 --separate-stderr fvm run web -- id -u
	assert_eq "$output" 0
	assert_eq "$(vm_field web .mode)" rootless
	fvm_start web
	local pid
	pid=$(init_pid web)
	assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$(id -u)" "init's host uid"
}

@test "rootless: writing /etc/passwd fails (--cow kernel) and the host file is unchanged" {
	local sum
	sum=$(sha256sum </etc/passwd)
	# the kernel's overlay only: the host's system tree read-only (with the
	# default, fuse-overlayfs makes it copy-on-write: cow-fuse.bats)
	fvm create --cow kernel web
	run -0 --separate-stderr fvm run web -- "$PROBE" open /etc/passwd w
	assert_match "$output" '^errno=(EACCES|EROFS|EPERM)$' "open /etc/passwd for writing"
	run --separate-stderr fvm run web -- sh -c 'echo "evil::0:0::/:/bin/sh" >> /etc/passwd'
	assert_ne "$status" 0 "appending to /etc/passwd"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "/etc/fvm-rootless-$TEST_ID" create
	assert_match "$output" '^errno=(EACCES|EROFS|EPERM)$' "creating a file in /etc"
	assert_eq "$(sha256sum </etc/passwd)" "$sum" "host /etc/passwd"
	assert_not_exists "/etc/fvm-rootless-$TEST_ID"
	run -1 --separate-stderr fvm run web -- grep -q '^evil:' /etc/passwd
}

@test "rootless: writing ~/notes.txt works and persists; the host's home is untouched" {
	local notes=$HOME/notes.txt before=absent
	[[ -e $notes ]] && before=$(sha256sum <"$notes")
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c 'echo "written in web" > ~/notes.txt'
	run -0 --separate-stderr fvm run web -- cat "$notes"
	assert_eq "$output" "written in web" "the VM reads its note in a later run"
	local after=absent
	[[ -e $notes ]] && after=$(sha256sum <"$notes")
	assert_eq "$after" "$before" "host ~/notes.txt"
	local upper
	upper=$(layer_upper web "$notes")
	assert_contains "$upper" "$FVM_HOME/vms/web/layers/" "the note is in the VM's layer"
	assert_eq "$(cat "$upper")" "written in web"
}

@test "rootless: HOME, /tmp and /var/tmp have their own layers" {
	fvm create web
	fvm run web -- true
	local mounts
	mounts=$(vm_field web '.layers[].mount' | sort | tr '\n' ' ')
	assert_contains "$mounts" "$HOME " "a layer for \$HOME"
	assert_contains "$mounts" "/tmp " "a layer for /tmp"
	assert_contains "$mounts" "/var/tmp " "a layer for /var/tmp"
	assert_exists "$FVM_HOME/vms/web/layers/$(sed 's/%/%25/g; s|/|%2F|g' <<<"$HOME")/upper"
}

@test "rootless: /var/tmp writes stay in the VM" {
	host_cleanup_add "rm -f /var/tmp/fvm-rootless-$TEST_ID"
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c "echo vt > /var/tmp/fvm-rootless-$TEST_ID"
	run -0 --separate-stderr fvm run web -- cat "/var/tmp/fvm-rootless-$TEST_ID"
	assert_eq "$output" vt
	assert_not_exists "/var/tmp/fvm-rootless-$TEST_ID"
}

@test "rootless: no uid range is allocated" {
	fvm create web
	run -0 --separate-stderr fvm inspect web
	local base
	base=$(jq -r '.[0].uid_base // empty' <<<"$output")
	[[ -z $base || $base == 0 || $base == "$(id -u)" ]] ||
		{ echo "rootless VM with uid_base=$base" >&2; false; }
}
