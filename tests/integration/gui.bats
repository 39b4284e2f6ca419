#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gui.bats - --gui: windows of a VM's programs on a display of the host.
# Each test starts its own "host" display (Xvfb, with a cookie, on a free
# display number the server picks itself) and real X clients. --gui x11
# gives the VM a nested X server (Xephyr) in one window of that display:
# its window is drawn there (a screenshot, xwd + ImageMagick), and from
# inside the VM the host's other windows, its clipboard and keys typed
# into a host window are out of reach; --gui x11-host (unsafe, on
# purpose) reaches all of them, which shows that the checks can fail.
# The nested server is gone when the VM stops; it is not in the VM.
# FVM_GUI_SCREENSHOT=FILE: the screenshot of the first test goes there
# (doc/gui-screenshot.png was made so).

load helpers

setup() {
	fvm_setup
	local t
	for t in Xvfb Xephyr xauth xwd xwininfo xdotool xmessage xclip xinput; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/deps)"
	done
	[[ -x /usr/bin/convert ]] || skip "ImageMagick's convert is not installed (scripts/deps)"
	chmod -R a+rX "$SCRATCH"
	host_display
}

# host_display: an Xvfb of this test's own; DISPLAY and XAUTHORITY
# exported for it (a wildcard cookie, made before the server picks its
# number with -displayfd).
host_display() {
	local cookie i
	export XAUTHORITY=$SCRATCH/host.xauth
	cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "ffff 0000  0000  0012 4d49542d4d414749432d434f4f4b49452d31 0010 $cookie" |
		xauth -q -f "$XAUTHORITY" nmerge - 2>/dev/null
	Xvfb -displayfd 4 -nolisten tcp -wr -auth "$XAUTHORITY" -screen 0 1280x900x24 \
		</dev/null >"$TEST_ROOT/xvfb.log" 2>&1 4>"$TEST_ROOT/xvfb.display" 3>&- &
	bg_track $!
	XVFB_PID=$!
	wait_for 10 test -s "$TEST_ROOT/xvfb.display" || { cat "$TEST_ROOT/xvfb.log" >&2; return 1; }
	export DISPLAY=:$(head -1 "$TEST_ROOT/xvfb.display")
	wait_for 10 xwininfo -root >/dev/null 2>&1
}

# host_window TITLE: an xmessage on the host display, titled TITLE
host_window() {
	xmessage -title "$1" -geometry 330x80+940+10 "$1" </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 xdotool search --name "^$1\$" >/dev/null
}

# magenta_pixels FILE: how many pixels of the PNG FILE are #ff00ff
magenta_pixels() {
	/usr/bin/convert "$1" -alpha off -fill black +opaque '#ff00ff' -fill white -opaque '#ff00ff' \
		-format '%[fx:round(mean*w*h)]' info:
}

# screenshot FILE: the host display's screen, as PNG
screenshot() {
	set -o pipefail
	xwd -root -silent | /usr/bin/convert xwd:- "png:$1"
}

has_magenta() {
	screenshot "$TEST_ROOT/shot.png" && (($(magenta_pixels "$TEST_ROOT/shot.png") > 20000))
}

# xephyr_of NAME: pid of the nested X server of VM NAME (its window title)
xephyr_of() {
	pgrep -f "^Xephyr .*-title fvm: $1\$"
}

no_xephyr_of() {
	! xephyr_of "$1" >/dev/null
}

# drawn NET: a VM with --gui x11 and --net NET draws a magenta window in
# its nested server, which shows on the host display; the server goes
# with the VM.
drawn() {
	local vm=d$1 pid before socks s host_ino
	run -0 fvm create --gui x11 --net "$1" "$vm"
	before=$(ls /tmp/.X11-unix)
	host_ino=$(stat -c %i "/tmp/.X11-unix/X${DISPLAY#:}")
	fvm run "$vm" -- sh -c 'xmessage -geometry 400x300+10+10 -bg "#ff00ff" -fg black -title vmwin "a window of VM '"$vm"', in its nested X server" & xeyes -geometry 200x150+420+10 & xclock -update 1 -geometry 200x200+420+170 & wait' \
		</dev/null >"$TEST_ROOT/run.out" 2>&1 3>&- &
	bg_track $!
	wait_for 20 xdotool search --name "^fvm: $vm\$" >/dev/null ||
		{ cat "$TEST_ROOT/run.out" >&2; return 1; }
	wait_for 20 has_magenta || { echo "no magenta window on the host display: $(magenta_pixels "$TEST_ROOT/shot.png") px" >&2; return 1; }
	if [[ -n ${FVM_GUI_SCREENSHOT-} ]]; then
		host_window "a host window, out of the VM's reach"
		sleep 1   # xeyes and xclock draw once mapped; the poll above saw xmessage
		screenshot "$FVM_GUI_SCREENSHOT"
	fi
	pid=$(xephyr_of "$vm")
	[[ -n $pid ]]
	# its socket on the host: new since the VM started, the server's own
	socks=$(comm -13 <(echo "$before") <(ls /tmp/.X11-unix | grep -vx Xauthority) |
		while read -r s; do [[ $(stat -c %u "/tmp/.X11-unix/$s") == $(ps -o uid= -p "$pid" | tr -d ' ') ]] && echo "$s"; done)
	[[ -n $socks ]] || { echo "no socket of Xephyr $pid in /tmp/.X11-unix: before=[$before] now=[$(ls -ln /tmp/.X11-unix)]" >&2; return 1; }
	# the host's display is still the host's (Xephyr of the same uid must
	# not take over its socket): its screen, not the nested one
	run -0 xwininfo -root
	assert_contains "$output" "Width: 1280" "the host display, with the VM's nested server up"
	assert_eq "$(stat -c %i "/tmp/.X11-unix/X${DISPLAY#:}")" "$host_ino" "the host display's socket"

	# outside the VM: not one of its processes, as the VM's root uid (root
	# mode: owns nothing on the host) or the user (rootless)
	run -0 fvm exec "$vm" -- sh -c 'ps -eo comm='
	assert_not_contains "$output" Xephyr "processes the VM sees"
	assert_not_contains "$output" fvm-gui "processes the VM sees"
	if is_root; then
		assert_eq "$(ps -o uid= -p "$pid" | tr -d ' ')" "$(vm_field "$vm" .uid_base)" "Xephyr's uid"
	else
		assert_eq "$(ps -o uid= -p "$pid" | tr -d ' ')" "$(id -u)" "Xephyr's uid"
	fi
	run -0 fvm stop "$vm"
	wait_for 10 no_xephyr_of "$vm" || { echo "Xephyr $pid outlived VM $vm" >&2; return 1; }
	# it went cleanly (SIGTERM): no socket or lock file left on the host
	for s in $socks; do
		assert_not_exists "/tmp/.X11-unix/$s"
		assert_not_exists "/tmp/.${s}-lock"
	done
}

@test "gui x11: a VM's window is drawn on the host display, --net none" {
	drawn none
}

@test "gui x11: a VM's window is drawn on the host display, --net host (no abstract socket)" {
	drawn host
}

@test "gui x11: a VM's window is drawn on the host display, --net private" {
	command -v pasta >/dev/null || skip "pasta is not installed"
	if ! is_root && ! (exec 9<>/dev/net/tun) 2>/dev/null; then
		skip "this user cannot open /dev/net/tun: rootless --net private needs it"
	fi
	drawn private
}

# what_vm_sees MODE NET: from a VM with --gui MODE, what its programs get
# of the host display's window "hostsecret-ID", its clipboard, and keys
# typed into that window, into $TEST_ROOT/seen.*
what_vm_sees() {
	local vm=s${1//-/}$2 secret=hostsecret-$TEST_ID
	host_window "$secret"
	# the host's clipboard holds a secret, served by xclip in the foreground
	printf 'clip-%s' "$TEST_ID" | xclip -quiet -selection clipboard </dev/stdin >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 sh -c '[ "$(xclip -o -selection clipboard 2>/dev/null)" = "clip-'"$TEST_ID"'" ]'
	run -0 fvm create --gui "$1" --net "$2" "$vm"
	fvm_start "$vm"   # one nested server for the whole test
	run -0 --separate-stderr fvm run "$vm" -- sh -c \
		'xwininfo -root -tree; echo "search: $(xdotool search --name hostsecret 2>&1)"'
	printf '%s\n' "$output" >"$TEST_ROOT/seen.windows"
	run fvm run "$vm" -- sh -c 'timeout 5 xclip -o -selection clipboard 2>&1'
	printf '%s\n' "$output" >"$TEST_ROOT/seen.clipboard"
	# keys typed into the host's window, while the VM listens on its display's root
	# (xinput says nothing until input comes: type until it has listened 5 s)
	fvm run "$vm" -- timeout 5 xinput test-xi2 --root </dev/null >"$TEST_ROOT/seen.keys" 2>&1 3>&- &
	kp=$!
	bg_track $kp
	# (xdotool's tree walk fails on a window that goes while it looks: retry)
	wait_for 10 xdotool search --name "^$secret\$" windowfocus --sync 2>/dev/null
	while kill -0 "$kp" 2>/dev/null; do
		xdotool type --delay 10 "typedsecret" || true
		sleep 0.2 || true
	done
	wait "$kp" || true
}

@test "gui x11: the VM cannot list the host's windows, read its clipboard or its keystrokes" {
	what_vm_sees x11 none
	run cat "$TEST_ROOT/seen.windows"
	assert_not_contains "$output" "hostsecret" "the host's windows in the VM's xwininfo -root -tree"
	assert_contains "$output" "search: " "xdotool ran"
	assert_contains "$output" "Root window id" "xwininfo ran"
	run cat "$TEST_ROOT/seen.clipboard"
	assert_not_contains "$output" "clip-$TEST_ID" "the host's clipboard read from the VM"
	run cat "$TEST_ROOT/seen.keys"
	assert_not_contains "$output" "RawKeyPress" "keys typed into a host window, seen from the VM"
}

@test "gui x11-host (unsafe): the same checks see the host's windows, clipboard and keys" {
	what_vm_sees x11-host host
	run cat "$TEST_ROOT/seen.windows"
	assert_contains "$output" "hostsecret-$TEST_ID" "the host's windows in the VM's xwininfo -root -tree"
	run cat "$TEST_ROOT/seen.clipboard"
	assert_contains "$output" "clip-$TEST_ID" "the host's clipboard read from the VM"
	run cat "$TEST_ROOT/seen.keys"
	assert_contains "$output" "RawKeyPress" "keys typed into a host window, seen from the VM"
}

@test "gui x11-host: the host's display by path with one cookie, every net mode" {
	local net
	for net in none host; do
		run -0 --separate-stderr fvm run --rm --gui x11-host --net "$net" -- sh -c \
			'echo "$DISPLAY $XAUTHORITY"; xauth -i -f "$XAUTHORITY" nlist 2>/dev/null | wc -l; xwininfo -root | grep Width:'
		assert_contains "$output" "Width: 1280" "the host's screen, --net $net"
		assert_match "${lines[0]}" '^:[0-9]+ /tmp/.X11-unix/Xauthority$'
		assert_eq "${lines[1]}" 1 "cookies the VM gets"
	done
}

@test "gui: the VM's X directory is fvm's: read-only, one socket, no host sockets" {
	run -0 --separate-stderr fvm run --rm --gui x11 -- sh -c \
		'ls -A /tmp/.X11-unix | tr "\n" " "; (: >/tmp/.X11-unix/new) 2>/dev/null && echo WROTE; rm /tmp/.X11-unix/X0 2>/dev/null && echo REMOVED; true'
	# exactly fvm's two entries: none of the host's sockets
	assert_eq "${lines[0]}" "X0 Xauthority " "the VM's /tmp/.X11-unix"
	assert_not_contains "$output" WROTE
	assert_not_contains "$output" REMOVED
}

@test "gui: no nested server's fd is in the VM's init" {
	is_root || skip "a rootless init is not dumpable: its fds are not the test's to read"
	run -0 fvm create --gui x11 fdvm
	fvm_start fdvm
	wait_for 10 xephyr_of fdvm >/dev/null
	run -0 ls -l /proc/"$(init_pid fdvm)"/fd
	assert_not_contains "$output" "memfd:" "init's fds"
	assert_not_contains "$output" "pipe:" "init's fds"
	run -0 fvm stop fdvm
	wait_for 10 no_xephyr_of fdvm
}

@test "gui x11-host: a symlink in place of the display's socket is refused" {
	local n=$((700 + RANDOM % 200))
	while [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]]; do n=$((n + 1)); done
	host_cleanup_add rm -f "/tmp/.X11-unix/X$n"
	ln -s "/tmp/.X11-unix/X${DISPLAY#:}" "/tmp/.X11-unix/X$n"
	run -0 fvm create --gui x11-host sym
	DISPLAY=:$n run -125 --separate-stderr fvm run sym -- true
	assert_fvm_error
	assert_contains "$stderr" "symlink"
	rm -f "/tmp/.X11-unix/X$n"
}

@test "gui: without a local display, --gui says what to do" {
	run -0 fvm create --gui x11 cfg
	DISPLAY= run -125 --separate-stderr fvm run cfg -- true
	assert_fvm_error
	assert_contains "$stderr" "needs a local X display in DISPLAY"
	DISPLAY=otherhost:0 run -125 --separate-stderr fvm run cfg -- true
	assert_fvm_error
	run -0 vm_field cfg .gui
	assert_eq "$output" x11
	run -0 fvm config cfg --gui none
	run -0 vm_field cfg .gui
	assert_eq "$output" none
	run -125 --separate-stderr fvm create --gui bogus w2
	assert_contains "$stderr" "bad --gui"
}

@test "gui: --profile browser is untrusted, --gui x11 and --net private, unless told otherwise" {
	run -0 fvm create --profile browser b1
	run -0 fvm inspect b1
	assert_eq "$(jq -r '.[0] | "\(.profile) \(.gui) \(.net)"' <<<"$output")" "untrusted x11 private"
	run -0 fvm create --net host --profile browser --gui x11-host b2
	run -0 fvm inspect b2
	assert_eq "$(jq -r '.[0] | "\(.profile) \(.gui) \(.net)"' <<<"$output")" "untrusted x11-host host"
}

# clip_is SEL TEXT [VM]: the selection SEL of the host display (or, with
# VM, of that VM's nested server) holds TEXT
clip_is() {
	if [[ -n ${3-} ]]; then
		[[ $(fvm run "$3" -- timeout 5 xclip -o -selection "$1" 2>/dev/null) == "$2" ]]
	else
		[[ $(timeout 5 xclip -o -selection "$1" 2>/dev/null) == "$2" ]]
	fi
}

@test "gui x11 --clipboard on: what the host copies the VM pastes, and the other way, every net mode" {
	local net vm sel
	run -0 fvm create --gui x11 cdef
	run -0 fvm inspect cdef
	assert_eq "$(jq -r '.[0].clipboard' <<<"$output")" false "the default"
	run -125 --separate-stderr fvm create --gui x11-host --clipboard on cbad
	assert_contains "$stderr" "--clipboard on is for --gui x11"
	for net in none host private; do
		if [[ $net == private ]] && { ! command -v pasta >/dev/null ||
			{ ! is_root && ! (exec 9<>/dev/net/tun) 2>/dev/null; }; }; then
			continue
		fi
		vm=c$net
		run -0 fvm create --gui x11 --clipboard on --net "$net" "$vm"
		fvm_start "$vm"
		for sel in clipboard primary; do
			# the host copies: the VM's programs paste it
			printf 'host-%s-%s-%s' "$TEST_ID" "$net" "$sel" | xclip -quiet -selection "$sel" >/dev/null 2>&1 3>&- &
			bg_track $!
			wait_for 30 clip_is "$sel" "host-$TEST_ID-$net-$sel" "$vm" ||
				{ echo "--net $net: the VM does not paste the host's $sel" >&2; cat "$FVM_HOME/vms/$vm/run/clip.log" >&2; return 1; }
			# a program of the VM copies: the host pastes it
			fvm run "$vm" -- sh -c "printf 'vm-%s-%s-%s' $TEST_ID $net $sel | xclip -quiet -selection $sel" \
				</dev/null >/dev/null 2>&1 3>&- &
			bg_track $!
			wait_for 30 clip_is "$sel" "vm-$TEST_ID-$net-$sel" ||
				{ echo "--net $net: the host does not paste the VM's $sel" >&2; return 1; }
		done
		# the bridge runs outside the VM, and goes with it
		run -0 fvm exec "$vm" -- sh -c 'ps -eo comm='
		assert_not_contains "$output" fvm-clip "processes the VM sees"
		read -r pid _ <"$FVM_HOME/vms/$vm/run/clip.pid"
		run -0 kill -0 "$pid"
		run -0 fvm stop "$vm"
		wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
	done
}

# Only the bridge loads libxcb (lib/launch/xcb-dl.h): hidden (an empty file
# bound over it in a mount namespace of the test's own), fvm still runs,
# and the VM with --clipboard on does not start, saying which package.
@test "gui x11 --clipboard on: without libxcb-xfixes the VM does not start, and names the package" {
	is_root || skip "hiding a host library takes a mount namespace of root's"
	local lib rc=0
	lib=$(ldconfig -p | awk '$1 == "libxcb-xfixes.so.0" { print $NF; exit }')
	assert_ne "$lib" "" "libxcb-xfixes.so.0 in ld.so's cache"
	: >"$TEST_ROOT/empty.so"
	run -0 fvm create --gui x11 --clipboard on cnolib
	timeout -k 5 60 unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && "$3" --version && exec "$3" start cnolib' sh \
		"$TEST_ROOT/empty.so" "$lib" "$FVM" </dev/null >"$TEST_ROOT/nolib.out" 2>"$TEST_ROOT/nolib.err" || rc=$?
	assert_ne "$rc" 0 "fvm start's status without libxcb-xfixes"
	run cat "$TEST_ROOT/nolib.out"
	assert_contains "$output" "fvm " "fvm --version runs without libxcb-xfixes"
	run cat "$TEST_ROOT/nolib.err"
	assert_contains "$output" "VM 'cnolib': --clipboard on: the clipboard bridge did not start"
	assert_contains "$output" "libxcb-xfixes.so.0"
	assert_contains "$output" "install Debian's libxcb1 and libxcb-xfixes0"
	assert_state cnolib stopped
	# the same VM, the library back: it starts
	fvm_start cnolib
	run -0 fvm stop cnolib
}
