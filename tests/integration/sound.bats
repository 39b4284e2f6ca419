#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# sound.bats - --sound pulse: the VM gets the sound server's native socket
# (and its cookie) and nothing else. The server is the test's own
# PulseAudio with a null sink "t", in a runtime directory and home of the
# test's; a client in the VM plays a tone it made (sox, paplay) and the
# host records the sink's monitor (parec): the server really got it.
# Without --sound the VM has no socket, and neither the runtime
# directory's socket by path (the VM's copy-on-write /tmp), nor an
# abstract socket relaying to it, nor the host's PULSE_SERVER reach the
# server.

load helpers

setup() {
	fvm_setup
	local t
	for t in pulseaudio pactl paplay parec sox socat; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/deps)"
	done
	export XDG_RUNTIME_DIR=$SCRATCH/xdg HOME=$SCRATCH/home
	export XDG_CONFIG_HOME=$HOME/.config
	mkdir -m 0700 "$XDG_RUNTIME_DIR" "$HOME"
	mkdir -p "$XDG_CONFIG_HOME/pulse"
	# the cookie before the server starts, so that it uses this one
	head -c 256 /dev/urandom >"$XDG_CONFIG_HOME/pulse/cookie"
	chmod 0600 "$XDG_CONFIG_HOME/pulse/cookie"
	unset PULSE_SERVER PULSE_COOKIE
	pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no --log-target=stderr \
		-L module-native-protocol-unix -L "module-null-sink sink_name=t" \
		</dev/null >"$TEST_ROOT/pulse.log" 2>&1 3>&- &
	bg_track $!
	SOCK=$XDG_RUNTIME_DIR/pulse/native
	wait_for 20 pactl info >/dev/null 2>&1 || { cat "$TEST_ROOT/pulse.log" >&2; return 1; }
}

net_ok() {
	[[ $1 != private ]] || { command -v pasta >/dev/null &&
		{ is_root || (exec 9<>/dev/net/tun) 2>/dev/null; }; }
}

# record_start: the null sink's monitor, recorded on the host into rec.raw
# (44100 two-byte samples a second, delivered every 20 ms)
record_start() {
	: >"$TEST_ROOT/rec.raw"
	parec -d t.monitor --raw --format=s16le --rate=44100 --channels=1 --latency-msec=20 \
		</dev/null >"$TEST_ROOT/rec.raw" 2>"$TEST_ROOT/parec.log" 3>&- &
	REC=$!
	bg_track $REC
	wait_for 10 sh -c 'pactl list short source-outputs | grep -q .'
}

# size_at_least N: the recording has N bytes
size_at_least() {
	(($(stat -c %s "$TEST_ROOT/rec.raw") >= $1))
}

# record_stop: once the recording has gone on for a second more (what was
# played before this call is in it), how many of its bytes are not silence
record_stop() {
	wait_for 20 size_at_least $(($(stat -c %s "$TEST_ROOT/rec.raw") + 88200)) ||
		echo "record_stop: the recording did not grow" >&2
	kill "$REC"
	wait "$REC" 2>/dev/null || true
	tr -d '\000' <"$TEST_ROOT/rec.raw" | wc -c
}

# the tone a VM's client plays: made in the VM, played to the sink "t"
PLAY='sox -n -r 44100 -c 1 -b 16 /tmp/tone.wav synth 1.5 sine 440 && paplay -d t /tmp/tone.wav'

@test "sound pulse: a VM's client plays to the host's server, every net mode, as the VM's root and another user" {
	local net n
	for net in none host private; do
		net_ok "$net" || continue
		record_start
		run -0 --separate-stderr fvm run --rm --sound pulse --net "$net" -- sh -c \
			'echo "S=$PULSE_SERVER C=$PULSE_COOKIE"; ls -A /tmp/.fvm-pulse; '"$PLAY"
		assert_eq "${lines[0]}" "S=unix:/tmp/.fvm-pulse/native C=/tmp/.fvm-pulse/cookie" "the VM's environment, --net $net"
		assert_eq "${lines[1]} ${lines[2]}" "cookie native" "what the VM's /tmp/.fvm-pulse holds"
		n=$(record_stop)
		((n > 20000)) || { echo "--net $net: the sink got $n bytes of sound" >&2; cat "$TEST_ROOT/parec.log" >&2; return 1; }
	done
	# as root, a user of the VM other than its root (rootless, the VM's root
	# is the server's own uid; as root, no user of a VM is): the cookie only
	is_root || return 0
	record_start
	run -0 --separate-stderr fvm run --rm --sound pulse -u nobody -- sh -c "$PLAY"
	n=$(record_stop)
	((n > 20000)) || { echo "as nobody: the sink got $n bytes of sound" >&2; return 1; }
	# without that cookie (none where libpulse looks for one) the server
	# turns the VM's users away
	run --separate-stderr fvm run --rm --sound pulse -u nobody -- env -u PULSE_COOKIE \
		HOME=/nonexistent XDG_CONFIG_HOME=/nonexistent pactl info
	assert_ne "$status" 0 "pactl info without the cookie: $output"
	assert_contains "$stderr" "Access denied"
}

@test "sound: without --sound the VM reaches no sound server, by path, abstract name or PULSE_SERVER" {
	local net n
	# an abstract socket on the host that relays to the server: the host
	# reaches it (a relay passes no fds: clients that send none)
	printf 'enable-shm = no\nenable-memfd = no\n' >"$SCRATCH/client.conf"
	chmod a+r "$SCRATCH/client.conf"
	export PULSE_CLIENTCONFIG=$SCRATCH/client.conf
	socat ABSTRACT-LISTEN:"fvm-pulse-$TEST_ID",fork UNIX-CONNECT:"$SOCK" </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 sh -c "grep -q '@fvm-pulse-$TEST_ID' /proc/net/unix"
	socat UNIX-LISTEN:"$SCRATCH/relay.sock",fork ABSTRACT-CONNECT:"fvm-pulse-$TEST_ID" </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 test -S "$SCRATCH/relay.sock"
	run -0 pactl -s "unix:$SCRATCH/relay.sock" info
	assert_contains "$output" "Server Name: pulseaudio" "the host, through the abstract relay"
	run -0 socat -u /dev/null UNIX-CONNECT:"$SOCK"
	for net in none host private; do
		net_ok "$net" || continue
		record_start
		# the host's PULSE_SERVER (its runtime directory's socket, by path) is passed on
		run --separate-stderr fvm run --rm --net "$net" -e PULSE_SERVER="unix:$SOCK" -e PULSE_COOKIE="$XDG_CONFIG_HOME/pulse/cookie" -e PULSE_CLIENTCONFIG -- sh -c \
			'test ! -e /tmp/.fvm-pulse && echo NO-FVM-DIR
			 socat -u /dev/null UNIX-CONNECT:'"$SOCK"' && echo CONNECTED
			 '"$PLAY"' && echo PLAYED
			 socat UNIX-LISTEN:/tmp/r.sock,fork ABSTRACT-CONNECT:fvm-pulse-'"$TEST_ID"' & sleep 1
			 pactl -s unix:/tmp/r.sock info && echo ABSTRACT
			 pactl -s unix:'"$SCRATCH"'/relay.sock info && echo RELAY-PATH
			 true'
		assert_eq "$status" 0 "--net $net: $stderr"
		assert_contains "$output" NO-FVM-DIR
		assert_not_contains "$output" CONNECTED "--net $net: a connection to the host's socket by path"
		assert_not_contains "$output" PLAYED "--net $net: the host's socket by path"
		assert_not_contains "$output" ABSTRACT "--net $net: the host's abstract relay"
		assert_not_contains "$output" RELAY-PATH "--net $net: a relay's socket by path"
		n=$(record_stop)
		assert_eq "$n" 0 "--net $net: sound the sink got from a VM without --sound"
	done
	run -0 fvm create ns
	run -0 fvm inspect ns
	assert_eq "$(jq -r '.[0].sound' <<<"$output")" none "the default"
}

@test "sound: a symlink in place of the server's socket, no server, or a remote PULSE_SERVER are refused with the fix" {
	run -0 fvm create --sound pulse sn
	run -0 fvm inspect sn
	assert_eq "$(jq -r '.[0].sound' <<<"$output")" pulse
	ln -s "$SOCK" "$SCRATCH/link"
	PULSE_SERVER=unix:$SCRATCH/link run -125 --separate-stderr fvm run sn -- true
	assert_fvm_error
	assert_contains "$stderr" "a symlink, which fvm does not follow"
	PULSE_SERVER=tcp:localhost:4713 run -125 --separate-stderr fvm run sn -- true
	assert_contains "$stderr" "is not a local socket"
	XDG_RUNTIME_DIR=$SCRATCH run -125 --separate-stderr fvm run sn -- true
	assert_contains "$stderr" "is PulseAudio or PipeWire-pulse running?"
	XDG_RUNTIME_DIR= run -125 --separate-stderr fvm run sn -- true
	assert_contains "$stderr" "needs XDG_RUNTIME_DIR"
	run -0 fvm config sn --sound none
	XDG_RUNTIME_DIR= run -0 fvm run sn -- sh -c 'test ! -e /tmp/.fvm-pulse'
	run -125 --separate-stderr fvm create --sound alsa sa
	assert_contains "$stderr" "bad --sound 'alsa'"
}
