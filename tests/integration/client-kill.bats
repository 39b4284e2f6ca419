#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# client-kill.bats - what engines do to fvm: SIGKILL the fvm they started
# (the program and the VM it booted must go with it), and `fvm rm -f` of a
# VM whose init died unseen (its cgroup must go with it).

load helpers

# vm_cgroups NAME: the VM's cgroup directories on the host
vm_cgroups() {
	find /sys/fs/cgroup -maxdepth 3 -type d -path "*/fvm/*-$1" 2>/dev/null
}

@test "client-kill: SIGKILL to fvm run takes its program and the VM it booted" {
	local vm=k-$TEST_ID pid
	fvm create "$vm"
	"$FVM" run "$vm" -- sleep 1000 </dev/null >"$TEST_ROOT/run.out" 2>&1 3>&- &
	pid=$!
	bg_track "$pid"
	assert_state "$vm" running
	local init
	init=$(init_pid "$vm")
	wait_for 10 sh -c "'$FVM' ps '$vm' | grep -q sleep"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	assert_state "$vm" stopped
	wait_for 10 pid_dead "$init"
}

@test "client-kill: SIGKILL to fvm exec takes its program, a started VM stays" {
	local vm=e-$TEST_ID pid
	fvm create "$vm"
	fvm_start "$vm"
	"$FVM" exec "$vm" -- sh -c 'echo $$ >/tmp/pid; exec sleep 1000' </dev/null >"$TEST_ROOT/exec.out" 2>&1 3>&- &
	pid=$!
	bg_track "$pid"
	wait_for 10 sh -c "'$FVM' exec '$vm' -- test -s /tmp/pid"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	wait_for 10 sh -c "! '$FVM' exec '$vm' -- sh -c 'kill -0 \$(cat /tmp/pid)' 2>/dev/null"
	assert_state "$vm" running
}

@test "client-kill: rm -f of a VM whose init died unseen removes its cgroup" {
	is_root || skip "rootless VMs have no cgroup on this host"
	local vm=c-$TEST_ID init
	fvm create "$vm"
	fvm_start "$vm"
	init=$(init_pid "$vm")
	[[ -n $(vm_cgroups "$vm") ]] || { echo "the running VM has no cgroup" >&2; return 1; }
	kill -KILL "$init"
	wait_for 10 pid_dead "$init"
	[[ -n $(vm_cgroups "$vm") ]] || skip "the VM's cgroup went with its init already"
	run -0 fvm rm -f "$vm"
	assert_eq "$(vm_cgroups "$vm")" "" "cgroups left after rm -f"
}
