#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gui-wayland.bats - --gui wayland: the VM gets the compositor's socket and
# nothing else of the runtime directory. The compositor is the test's own
# weston on its headless backend, in a runtime directory of the test's;
# the clients are weston's (weston-info lists the compositor's globals,
# weston-simple-shm draws until it is stopped). A second compositor in
# the same directory stays out of the VM's reach.

load helpers

setup() {
	fvm_setup
	local t
	for t in weston weston-info weston-simple-shm; do
		command -v "$t" >/dev/null || skip "$t is not installed (Debian package weston: scripts/deps)"
	done
	export XDG_RUNTIME_DIR=$SCRATCH/xdg
	mkdir -m 0700 "$XDG_RUNTIME_DIR"
	compositor "wl-$TEST_ID"
	export WAYLAND_DISPLAY=wl-$TEST_ID
}

# compositor NAME: a headless weston listening on $XDG_RUNTIME_DIR/NAME
compositor() {
	weston --backend=headless-backend.so --socket="$1" --idle-time=0 \
		</dev/null >"$TEST_ROOT/weston-$1.log" 2>&1 3>&- &
	bg_track $!
	wait_for 10 test -S "$XDG_RUNTIME_DIR/$1" || { cat "$TEST_ROOT/weston-$1.log" >&2; return 1; }
	# as root, a VM's users are uids of their own: they connect as others
	if is_root; then
		chmod 0777 "$XDG_RUNTIME_DIR/$1"
	fi
}

@test "gui wayland: a VM's client reaches the compositor, with every net mode" {
	local net
	for net in none host private; do
		if [[ $net == private ]] && { ! command -v pasta >/dev/null ||
			{ ! is_root && ! (exec 9<>/dev/net/tun) 2>/dev/null; }; }; then
			continue
		fi
		run -0 --separate-stderr fvm run --rm --gui wayland --net "$net" -- sh -c \
			'echo "W=$WAYLAND_DISPLAY D=${DISPLAY-unset}"; ls -A /tmp/.X11-unix; weston-info'
		assert_eq "${lines[0]}" "W=/tmp/.X11-unix/wayland-0 D=unset" "the VM's environment, --net $net"
		assert_eq "${lines[1]}" "wayland-0" "what the VM's /tmp/.X11-unix holds"
		assert_contains "$output" "interface: 'wl_compositor'" "weston-info in the VM, --net $net"
		# a client that draws: runs until stopped (124), where a client
		# without a compositor fails at once
		run -124 fvm run --rm --gui wayland --net "$net" -- timeout 2 weston-simple-shm
	done
	# (a client with no compositor fails at once, it does not wait)
	run --separate-stderr env -u WAYLAND_DISPLAY XDG_RUNTIME_DIR="$TEST_ROOT" timeout 2 weston-simple-shm
	assert_ne "$status" 0
	assert_ne "$status" 124
}

@test "gui wayland: the rest of the runtime directory, another compositor included, is out of reach" {
	compositor "other-$TEST_ID"
	echo secret >"$XDG_RUNTIME_DIR/secret"
	run -0 fvm create --gui wayland wl
	# the other compositor's socket, named by path: not connectable
	run --separate-stderr fvm run -e WAYLAND_DISPLAY="$XDG_RUNTIME_DIR/other-$TEST_ID" wl -- weston-info
	assert_not_contains "$output" "wl_compositor" "the other compositor, from the VM"
	# the host can: the test's check is not vacuous
	run -0 env WAYLAND_DISPLAY="other-$TEST_ID" weston-info
	assert_contains "$output" "wl_compositor"
	# and the VM's own is fvm's path, in a directory of fvm's
	run -0 --separate-stderr fvm run wl -- sh -c 'ls -A /tmp/.X11-unix; (: >/tmp/.X11-unix/x) 2>/dev/null && echo WROTE; true'
	assert_eq "$output" wayland-0
}

@test "gui wayland: errors name the fix" {
	run -0 fvm create --gui wayland we
	WAYLAND_DISPLAY=nosuch run -125 --separate-stderr fvm run we -- true
	assert_fvm_error
	assert_contains "$stderr" "is WAYLAND_DISPLAY right?"
	XDG_RUNTIME_DIR= run -125 --separate-stderr fvm run we -- true
	assert_contains "$stderr" "needs XDG_RUNTIME_DIR"
	if is_root; then
		chmod 0755 "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY"
		run -125 --separate-stderr fvm run we -- true
		assert_contains "$stderr" "run the VM rootless"
	fi
}
