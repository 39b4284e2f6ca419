#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# devices.bats - --device / --device-any: a host device node in the VM's
# /dev. --device takes a GPU render node only (/dev/dri/renderD*); anything
# else needs --device-any, a block device never, nor a path outside /dev
# or through a symlink. The node the VM gets is the host's (same device
# number), at the same path, and the VM cannot remove or replace it.
# This machine may have no GPU: the render node itself is tried only where
# one exists; /dev/net/tun (a character device every test host has for
# --net private) stands for "any" device.

load helpers

@test "devices: --device takes a render node only; others need --device-any, block devices never" {
	run -125 --separate-stderr fvm create --device /dev/null d1
	assert_fvm_error
	assert_contains "$stderr" "not a GPU render node"
	assert_contains "$stderr" "--device-any /dev/null"
	run -125 --separate-stderr fvm create --device /tmp d2
	assert_contains "$stderr" "a device node under /dev"
	run -125 --separate-stderr fvm create --device-any /dev/../etc/passwd d3
	assert_contains "$stderr" "bad --device-any"
	run -125 --separate-stderr fvm create --device-any /dev/stdin d4
	assert_contains "$stderr" "symlink"
	local blk
	blk=$(find /dev -maxdepth 1 -type b -print -quit)
	if [[ -n $blk ]]; then
		run -125 --separate-stderr fvm create --device-any "$blk" d5
		assert_contains "$stderr" "a block device"
	fi
	run -0 fvm ls
	assert_not_contains "$output" "d1"
}

@test "devices: --device-any puts the host's node in the VM's /dev, and only there" {
	[[ -c /dev/net/tun ]] || skip "no /dev/net/tun on this host"
	local want
	want=$(stat -c '%t:%T' /dev/net/tun)
	run -0 fvm create --device-any /dev/net/tun dv
	run -0 vm_field dv '.devices[0].path'
	assert_eq "$output" /dev/net/tun
	run -0 fvm run dv -- stat -c '%F %t:%T' /dev/net/tun
	assert_eq "$output" "character special file $want" "the VM's /dev/net/tun"
	# the VM's root cannot take it away or put another node there
	run -0 fvm run dv -- sh -c 'rm -f /dev/net/tun 2>/dev/null; mv /dev/net/tun /dev/x 2>/dev/null; mknod /dev/net/y c 1 3 2>/dev/null; stat -c "%t:%T" /dev/net/tun; ls /dev/net'
	assert_eq "${lines[0]}" "$want"
	assert_eq "${lines[1]}" tun
	# without the setting, no such node
	run -0 fvm config dv --device none
	run -0 fvm run dv -- sh -c 'ls /dev/net 2>&1 || true'
	assert_contains "$output" "No such file"
	run -0 --separate-stderr fvm run --rm -- sh -c "test -e /dev/net/tun && echo present || echo absent"
	assert_eq "$output" absent
}

@test "devices: a render node, where this machine has one" {
	local node
	node=$(find /dev/dri -maxdepth 1 -name 'renderD*' -type c -print -quit 2>/dev/null || true)
	[[ -n $node ]] || skip "no GPU render node (/dev/dri/renderD*) on this machine"
	[[ -r $node && -w $node ]] || skip "$node is not this user's to open"
	is_root && skip "root mode: the VM's users are uids of their own, not the node's group"
	run -0 fvm run --rm --device "$node" -- sh -c "exec 3<>'$node' && echo opened"
	assert_eq "$output" opened
}
