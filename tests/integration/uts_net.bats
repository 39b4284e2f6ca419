#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# uts_net.bats - UTS and network namespaces: the hostname is the VM's name
# (or --hostname) and changing it does not touch the host; --net none has
# only loopback and cannot reach the host's abstract sockets; --net host
# sees the host's interfaces. Everything stays on loopback.

load helpers

# interfaces: sorted interface names from /proc/net/dev on stdin.
interfaces() {
	awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | LC_ALL=C sort | tr '\n' ' '
}

@test "uts: the hostname inside is the VM's name" {
	fvm create web
	run -0 --separate-stderr fvm run web -- hostname
	assert_eq "$output" web
	run -0 --separate-stderr fvm run web -- "$PROBE" hostname
	assert_eq "$output" web
	run -0 --separate-stderr fvm run web -- cat /proc/sys/kernel/hostname
	assert_eq "$output" web
}

@test "uts: --hostname at create sets the hostname inside" {
	fvm create --hostname box.example web
	run -0 --separate-stderr fvm run web -- hostname
	assert_eq "$output" box.example
}

@test "uts: sethostname inside changes neither the host nor another VM" {
	local host_name
	host_name=$(hostname)
	# sethostname needs CAP_SYS_ADMIN, not in the default bounding set, and
	# never granted rootless
	is_root || skip "rootless VMs never get CAP_SYS_ADMIN"
	fvm create --caps all web
	fvm create web2
	run -0 --separate-stderr fvm run web2 -- "$PROBE" sethostname renamed-in-vm
	assert_eq "$output" errno=EPERM "sethostname under the default capabilities"
	fvm create db
	fvm_start web
	run -0 --separate-stderr fvm exec web -- "$PROBE" sethostname renamed-in-vm
	assert_eq "$output" ok
	run -0 --separate-stderr fvm exec web -- hostname
	assert_eq "$output" renamed-in-vm "a second exec shares the VM's UTS namespace"
	assert_eq "$(hostname)" "$host_name" "host hostname"
	run -0 fvm run db -- hostname
	assert_eq "$output" db
}

@test "net none: only the loopback interface exists" {
	fvm create --net none web
	run -0 --separate-stderr fvm run web -- cat /proc/net/dev
	assert_eq "$(interfaces <<<"$output")" "lo " "/proc/net/dev"
	run -0 --separate-stderr fvm run web -- ip -o link
	assert_eq "$(awk -F': ' '{ print $2 }' <<<"$output" | tr '\n' ' ')" "lo " "ip -o link"
}

@test "net none: loopback is up (127.0.0.1) and usable" {
	fvm create --net none web
	run -0 --separate-stderr fvm run web -- ip -o addr show dev lo
	assert_contains "$output" "127.0.0.1" "lo has 127.0.0.1"
	run -0 --separate-stderr fvm run web -- sh -c "'$PROBE' listen-abstract fvm-lo-$TEST_ID 5 & sleep 0.5; '$PROBE' connect-abstract fvm-lo-$TEST_ID; wait"
	assert_eq "$output" "listening
ok
ok" "listen, connect and accept inside one VM"
}

@test "net none: a host abstract socket is unreachable from the VM" {
	fvm create --net none web
	local name=fvm-test-$TEST_ID
	host_abstract_listener "$name"
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-abstract "$name"
	assert_eq "$output" errno=ECONNREFUSED "connect from the VM"
	# the socket really is there: the host can connect
	run -0 "$PROBE" connect-abstract "$name"
	assert_eq "$output" ok "connect from the host"
}

@test "net host: a host abstract socket is out of reach where Landlock scopes them (ABI >= 6)" {
	local abi
	abi=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))')
	((abi >= 6)) || skip "Landlock ABI $abi: no abstract socket scoping in this kernel"
	fvm create --net host web
	local name=fvm-test-$TEST_ID
	host_abstract_listener "$name"
	# same network namespace, so the name resolves: Landlock says no
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-abstract "$name"
	assert_eq "$output" errno=EPERM "connect from a --net host VM"
	run -0 "$PROBE" connect-abstract "$name"
	assert_eq "$output" ok "connect from the host"
	# inside one session the VM's own abstract sockets still work
	run -0 --separate-stderr fvm run web -- sh -c "'$PROBE' listen-abstract fvm-in-$TEST_ID 5 & sleep 0.5; '$PROBE' connect-abstract fvm-in-$TEST_ID; wait"
	assert_contains "$output" "listening
ok" "listen and connect inside one session"
}

@test "net host: the VM sees the host's interfaces" {
	local host_ifs
	host_ifs=$(interfaces </proc/net/dev)
	[[ $host_ifs != "lo " ]] || skip "the host has only lo: cannot tell host from none"
	fvm create --net host web
	run -0 --separate-stderr fvm run web -- cat /proc/net/dev
	assert_eq "$(interfaces <<<"$output")" "$host_ifs" "interfaces"
	run -0 --separate-stderr fvm run web -- readlink /proc/self/ns/net
	assert_eq "$output" "$(readlink /proc/self/ns/net)" "the host's net namespace"
}

@test "net: two --net none VMs have separate network namespaces" {
	fvm create --net none web
	fvm create --net none db
	fvm_start web
	run -0 --separate-stderr fvm exec web -- readlink /proc/self/ns/net
	local web_ns=$output
	run -0 --separate-stderr fvm run db -- readlink /proc/self/ns/net
	assert_ne "$output" "$web_ns" "db's net namespace"
	assert_ne "$output" "$(readlink /proc/self/ns/net)" "host's net namespace"
}
