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

@test "dbus --dbus-talk: the named service is callable from the VM, no other name is, every net mode" {
	local net users=root
	is_root && users="root nobody"
	run -0 fvm create --dbus-talk org.example.Allowed dt
	run -0 fvm inspect dt
	assert_eq "$(jq -c '.[0].dbus_talk' <<<"$output")" '["org.example.Allowed"]'
	for net in none host private; do
		net_ok "$net" || continue
		run -0 fvm config dt --net "$net"
		run -0 fvm start dt
		for u in $users; do
			run -0 --separate-stderr fvm run -u "$u" dt -- sh -c '
				echo "A=$DBUS_SESSION_BUS_ADDRESS"
				dbus-send --session --print-reply --dest=org.example.Allowed / org.example.Echo.Ping >/dev/null && echo ALLOWED-SEND
				gdbus call --session --dest org.example.Allowed --object-path / --method org.example.Echo.Ping >/dev/null && echo ALLOWED-GDBUS
				dbus-send --session --print-reply --dest=org.example.Other / org.example.Echo.Ping && echo OTHER
				gdbus call --session --dest org.freedesktop.DBus --object-path / --method org.freedesktop.DBus.NameHasOwner org.example.Other
				dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames; true'
			assert_eq "${lines[0]}" "A=unix:path=/tmp/.fvm-dbus/bus" "--net $net, as $u"
			assert_contains "$output" ALLOWED-SEND "libdbus's client, --net $net, as $u: $stderr"
			assert_contains "$output" ALLOWED-GDBUS "GDBus's client, --net $net, as $u: $stderr"
			assert_not_contains "$output" OTHER "a name not let through, --net $net, as $u"
			assert_contains "$output" "(false,)" "NameHasOwner of the other name"
			assert_contains "$output" '"org.example.Allowed"' "ListNames"
			assert_not_contains "$output" org.example.Other "ListNames, --net $net, as $u"
		done
		# the proxy runs while the VM does (on the host, outside it), and goes with it
		run -0 pgrep -f "^xdg-dbus-proxy --fd=3 unix:path=$BUS_PATH "
		run -0 fvm stop dt
		run -1 pgrep -f "^xdg-dbus-proxy --fd=3 unix:path=$BUS_PATH "
	done
}

@test "dbus --dbus-talk: a hostile handshake is cut off, the relay goes on serving; errors name the fix" {
	command -v socat >/dev/null || skip "socat is not installed (scripts/deps)"
	run -0 fvm create --dbus-talk org.example.Allowed dh
	run -0 --separate-stderr fvm run dh -- sh -c '
		head -c 40000 /dev/zero | tr "\0" A | timeout 10 socat -t 5 - UNIX-CONNECT:/tmp/.fvm-dbus/bus >/dev/null; echo "long=$?"
		# (the connection stays open until the answer is there)
		(printf "\0AUTH DBUS_COOKIE_SHA1 30\r\n"; timeout 20 sh -c "until [ -s /tmp/r ]; do sleep 0.1; done") |
			timeout 30 socat - UNIX-CONNECT:/tmp/.fvm-dbus/bus >/tmp/r
		cat /tmp/r
		dbus-send --session --print-reply --dest=org.example.Allowed / org.example.Echo.Ping >/dev/null && echo STILL-SERVED'
	# another mechanism than EXTERNAL is refused (the bus says which it takes)
	assert_contains "$output" "REJECTED EXTERNAL"
	assert_contains "$output" STILL-SERVED
	run -0 fvm stop dh
	DBUS_SESSION_BUS_ADDRESS=unix:abstract=$BUS_ABSTRACT run -125 --separate-stderr fvm run dh -- true
	assert_fvm_error
	assert_contains "$stderr" "needs DBUS_SESSION_BUS_ADDRESS=unix:path="
	ln -s "$BUS_PATH" "$SCRATCH/buslink"
	DBUS_SESSION_BUS_ADDRESS=unix:path=$SCRATCH/buslink run -125 --separate-stderr fvm run dh -- true
	assert_contains "$stderr" "a symlink, which fvm does not follow"
	run -125 --separate-stderr fvm config dh --dbus-talk 'org.example.*.bad'
	assert_contains "$stderr" "bad --dbus-talk"
	run -0 fvm config dh --dbus-talk none
	run -0 fvm inspect dh
	assert_eq "$(jq -c '.[0].dbus_talk' <<<"$output")" '[]'
}

@test "dbus --dbus-talk as root: a bus of another user (sudo from a desktop session) is that user's to the proxy" {
	is_root || skip "root mode: fvm runs as root, the bus is a user's"
	local d=$SCRATCH/user
	mkdir -m 0700 "$d"
	chown nobody:nogroup "$d"   # (dbus-daemon wants a user of the passwd database)
	sed -e "s|$BUS_PATH|$d/bus|" -e "/abstract/d" "$SCRATCH/session.conf" >"$d/session.conf"
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- dbus-daemon \
		--config-file="$d/session.conf" --nofork --nopidfile </dev/null >"$TEST_ROOT/ubus.log" 2>&1 3>&- &
	bg_track $!
	wait_for 10 test -S "$d/bus" || { cat "$TEST_ROOT/ubus.log" >&2; return 1; }
	DBUS_SESSION_BUS_ADDRESS=unix:path=$d/bus setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		dbus-test-tool echo --name=org.example.Users </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 env DBUS_SESSION_BUS_ADDRESS="unix:path=$d/bus" setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		dbus-send --session --print-reply --dest=org.example.Users / org.example.Echo.Ping >/dev/null 2>&1
	DBUS_SESSION_BUS_ADDRESS=unix:path=$d/bus run -0 --separate-stderr fvm run --rm --dbus-talk org.example.Users -- \
		dbus-send --session --print-reply --dest=org.example.Users / org.example.Echo.Ping
	assert_contains "$output" "method return"
}
