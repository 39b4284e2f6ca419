#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# stale.bats - robustness of the store: runtime state left by a VM whose
# init was killed is repaired, and a corrupt config.json is reported with
# its path while the VM's directory is kept.

load helpers

@test "stale state: after kill -9 of init, ls says stopped and run works" {
	fvm create web
	fvm_start web
	local pid
	pid=$(init_pid web)
	assert_match "$pid" '^[0-9]+$' "init pid"
	kill -KILL "$pid"
	wait_for 10 pid_dead "$pid" || { echo "init $pid did not die" >&2; false; }

	assert_eq "$(vm_state web)" stopped "ls after init was killed"
	assert_eq "$(vm_field web .state)" stopped "inspect after init was killed"
	run -0 --separate-stderr fvm run web -- true
	run -0 --separate-stderr fvm run web -- hostname
	assert_eq "$output" web
	assert_state web stopped
}

@test "stale state: after kill -9 of init, start, exec and stop work again" {
	fvm create web
	fvm_start web
	local pid
	pid=$(init_pid web)
	kill -KILL "$pid"
	wait_for 10 pid_dead "$pid"

	run -125 --separate-stderr fvm exec web -- true
	assert_contains "$stderr" "is not running"
	fvm_start web
	local pid2
	pid2=$(init_pid web)
	assert_match "$pid2" '^[0-9]+$'
	assert_ne "$pid2" "$pid" "a new init"
	run -0 --separate-stderr fvm exec web -- hostname
	assert_eq "$output" web
	run -0 fvm stop web
	assert_eq "$(vm_state web)" stopped
	run -0 fvm rm web
}

@test "stale state: a recycled pid in state.json is not taken for the VM's init" {
	fvm create web
	fvm_start web
	local pid
	pid=$(init_pid web)
	kill -KILL "$pid"
	wait_for 10 pid_dead "$pid"
	# Point the state at a live host process that is not the VM's init:
	# the start time recorded next to the pid must unmask it.
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local impostor=$!
	bg_track "$impostor"
	local state=$FVM_HOME/vms/web/run/state.json
	jq -e . "$state" >/dev/null || { echo "no JSON state left at $state" >&2; false; }
	jq --argjson p "$impostor" --argjson old "$pid" \
		'walk(if . == $old then $p else . end)' "$state" >"$state.new"
	mv "$state.new" "$state"
	assert_contains "$(cat "$state")" "$impostor" "state.json now names the impostor"
	assert_eq "$(vm_state web)" stopped "ls must not trust a recycled pid"
	run -0 --separate-stderr fvm run web -- hostname
	assert_eq "$output" web
	pid_alive "$impostor" || { echo "fvm killed an unrelated host process" >&2; false; }
}

@test "corrupt config.json: commands refuse naming the file; the VM dir stays" {
	fvm create web
	fvm run web -- sh -c "echo precious > '$SCRATCH/x'"
	local cfg=$FVM_HOME/vms/web/config.json
	printf '{"name": "web", "created": ' >"$cfg"
	local sum
	sum=$(sha256sum <"$cfg")

	local cmd
	for cmd in "run web -- true" "start web" "inspect web" "exec web -- true"; do
		# shellcheck disable=SC2086 # the words of $cmd are the arguments
		run -125 --separate-stderr fvm $cmd
		assert_fvm_error
		assert_contains "$stderr" "$cfg" "fvm $cmd names the file"
	done
	assert_exists "$FVM_HOME/vms/web/layers"
	assert_eq "$(sha256sum <"$cfg")" "$sum" "config.json left as it was"
	assert_eq "$(cat "$(find "$FVM_HOME/vms/web/layers" -path '*/upper*' -name x | head -1)")" precious \
		"the VM's changes are kept"
}

@test "corrupt config.json: an empty file is refused too" {
	fvm create web
	local cfg=$FVM_HOME/vms/web/config.json
	: >"$cfg"
	run -125 --separate-stderr fvm run web -- true
	assert_contains "$stderr" "$cfg"
	assert_exists "$cfg"
	assert_eq "$(stat -c %s "$cfg")" 0 "left as it was"
}

@test "corrupt config.json: ls still lists the other VMs" {
	fvm create web
	fvm create db
	echo garbage >"$FVM_HOME/vms/web/config.json"
	run --separate-stderr fvm ls -q
	assert_contains "$output" db "the healthy VM is listed"
	assert_exists "$FVM_HOME/vms/web/config.json"
}
