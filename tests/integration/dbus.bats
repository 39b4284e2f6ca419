#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dbus.bats - a VM and the host's session bus. The bus is the test's own
# dbus-daemon --session, listening on a path in a directory of the test's
# and on an abstract name, with a service owning a well-known name
# (dbus-test-tool echo). By default a VM has no session bus: the host's
# DBUS_SESSION_BUS_ADDRESS, by path (the VM's copy-on-write /tmp) or by
# abstract name, reaches nothing, with every --net.

load helpers

setup() {
	fvm_setup
	local t
	for t in dbus-daemon dbus-send dbus-test-tool; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/deps)"
	done
	BUS_PATH=$SCRATCH/bus
	BUS_ABSTRACT=fvm-test-bus-$TEST_ID
	cat >"$SCRATCH/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$BUS_PATH</listen>
  <listen>unix:abstract=$BUS_ABSTRACT</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
	dbus-daemon --config-file="$SCRATCH/session.conf" --nofork --nopidfile --print-address=3 \
		3>"$SCRATCH/bus.address" </dev/null >"$TEST_ROOT/bus.log" 2>&1 &
	bg_track $!
	wait_for 10 test -S "$BUS_PATH" || { cat "$TEST_ROOT/bus.log" >&2; return 1; }
	export DBUS_SESSION_BUS_ADDRESS=unix:path=$BUS_PATH
	service org.example.Allowed
	service org.example.Other
}

# service NAME: a service owning NAME on the test's bus, answering every call
service() {
	dbus-test-tool echo --name="$1" </dev/null >"$TEST_ROOT/svc-$1.log" 2>&1 3>&- &
	bg_track $!
	wait_for 10 call "$1" >/dev/null 2>&1
}

# call NAME: a method call to NAME, as dbus-send makes it
call() {
	dbus-send --session --print-reply --dest="$1" / org.example.Echo.Ping
}

net_ok() {
	[[ $1 != private ]] || { command -v pasta >/dev/null &&
		{ is_root || (exec 9<>/dev/net/tun) 2>/dev/null; }; }
}

@test "dbus: by default the VM reaches no session bus of the host, by path or abstract name, every net mode" {
	local net
	# the host reaches the bus both ways: the checks below can fail
	run -0 call org.example.Allowed
	run -0 env DBUS_SESSION_BUS_ADDRESS="unix:abstract=$BUS_ABSTRACT" dbus-send --session --print-reply \
		--dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames
	assert_contains "$output" org.example.Other
	for net in none host private; do
		net_ok "$net" || continue
		run -0 --separate-stderr fvm run --rm --net "$net" -e DBUS_SESSION_BUS_ADDRESS -- sh -c '
			for a in "unix:path='"$BUS_PATH"'" "unix:abstract='"$BUS_ABSTRACT"'"; do
				DBUS_SESSION_BUS_ADDRESS=$a dbus-send --session --print-reply --dest=org.example.Allowed / org.example.Echo.Ping && echo "REACHED $a"
			done
			test ! -e /tmp/.fvm-dbus && echo NO-FVM-DIR; true'
		assert_not_contains "$output" REACHED "--net $net"
		assert_contains "$output" NO-FVM-DIR
	done
}
