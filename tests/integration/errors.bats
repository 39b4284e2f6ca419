#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# errors.bats - fvm's own failures: unknown VMs, exec on a stopped VM.
# Each is exit 125 and one line on stderr naming the VM, the store and the fix.

load helpers

@test "unknown VM: inspect exits 125 with the contract's message" {
	run -125 --separate-stderr fvm inspect nope
	assert_eq "$stderr" "fvm: no VM named 'nope' in $FVM_HOME: 'fvm ls' lists the VMs"
	assert_eq "$output" "" "nothing on stdout"
}

@test "unknown VM: start, stop, exec, ps and rm exit 125 naming the VM, and do not offer to create it" {
	local cmd
	for cmd in start stop ps rm "rm -f"; do
		# shellcheck disable=SC2086 # "rm -f" is two words on purpose
		run -125 --separate-stderr fvm $cmd nope
		assert_fvm_error
		assert_contains "$stderr" "no VM named 'nope'" "fvm $cmd nope"
		assert_not_contains "$stderr" "fvm create" "fvm $cmd nope: no hint to create what was to be removed or stopped"
		assert_contains "$stderr" "'fvm ls' lists the VMs" "fvm $cmd nope: the hint"
	done
	run -125 --separate-stderr fvm exec nope -- true
	assert_fvm_error
	assert_contains "$stderr" "no VM named 'nope'" "fvm exec nope"
	assert_not_exists "$FVM_HOME/vms/nope"
}

@test "unknown VM: inspect of a known and an unknown VM fails with 125" {
	fvm create web
	run -125 --separate-stderr fvm inspect web nope
	assert_contains "$stderr" "no VM named 'nope'"
}

@test "exec: a stopped VM is refused with 125 and the contract's message" {
	fvm create web
	run -125 --separate-stderr fvm exec web -- true
	assert_eq "$stderr" "fvm: VM 'web' is not running: start it with 'fvm start web' or use 'fvm run'"
	assert_eq "$(vm_state web)" stopped "exec must not boot the VM"
}

@test "exec: without a command is a usage error (125)" {
	fvm create web
	fvm_start web
	run -125 --separate-stderr fvm exec web
	assert_fvm_usage_error
}
