#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run.bats - `fvm run`: exit status pass-through (and 126/127), auto-create,
# --rm, environment (-e, HOME), working directory (-w), --user, stdin (-i).

load helpers

@test "run: the program's exit status passes through" {
	fvm create web
	run -0 fvm run web -- true
	run -1 fvm run web -- false
	run -7 fvm run web -- sh -c 'exit 7'
	run -124 fvm run web -- sh -c 'exit 124'
	run -0 --separate-stderr fvm run web -- echo hello
	assert_eq "$output" hello "stdout passes through"
	run -3 --separate-stderr fvm run web -- sh -c 'echo oops >&2; exit 3'
	assert_eq "$stderr" oops "stderr passes through"
}

@test "run: a program killed by a signal exits 128+SIG" {
	fvm create web
	run -137 fvm run web -- sh -c 'kill -KILL $$'
	run -143 fvm run web -- sh -c 'kill -TERM $$'
}

@test "run: a missing program exits 127" {
	fvm create web
	run -127 --separate-stderr fvm run web -- /nonexistent/program
	assert_contains "$stderr" "/nonexistent/program"
	run -127 --separate-stderr fvm run web -- no-such-command-fvm
	assert_contains "$stderr" "no-such-command-fvm"
}

@test "run: a file that cannot be executed exits 126" {
	fvm create web
	printf '#!/bin/sh\necho should-not-run\n' >"$SCRATCH/notexec"
	chmod 644 "$SCRATCH/notexec"
	run -126 --separate-stderr fvm run web -- "$SCRATCH/notexec"
	assert_not_contains "$output" should-not-run
	run -126 --separate-stderr fvm run web -- "$SCRATCH"
}

@test "run: an unknown VM is created with defaults, and fvm says so once" {
	run -0 --separate-stderr fvm run web -- hostname
	# the announcement; fvm may add notes (rootless mode does), as "fvm: " lines
	assert_eq "$(head -1 <<<"$stderr")" "fvm: created VM 'web'" "announcement on stderr"
	assert_eq "$(grep -cv '^fvm: ' <<<"$stderr")" 0 "only fvm's own lines on stderr"
	assert_eq "$output" web "hostname of the new VM"
	assert_exists "$FVM_HOME/vms/web/config.json"
	run -0 --separate-stderr fvm run web -- true
	assert_eq "$stderr" "" "second run creates nothing"
}

@test "run: --net and --hostname apply when run creates the VM" {
	run -0 --separate-stderr fvm run --net host --hostname h1.example web -- hostname
	assert_eq "$output" h1.example
	assert_eq "$(vm_field web .net)" host
}

@test "run --rm: the VM is removed after the command, status kept" {
	run -5 --separate-stderr fvm run --rm web -- sh -c 'echo in-vm; exit 5'
	assert_eq "$output" in-vm
	assert_not_exists "$FVM_HOME/vms/web"
	run -0 fvm ls -q
	assert_eq "$output" "" "no VM left"
}

@test "run --rm: refused for a VM that already exists, which is kept" {
	fvm create web
	fvm run web -- sh -c "echo keep > $SCRATCH/keepme"
	run -125 --separate-stderr fvm run --rm web -- true
	assert_fvm_error
	assert_exists "$FVM_HOME/vms/web/config.json"
	run -0 fvm run web -- cat "$SCRATCH/keepme"
	assert_eq "$output" keep "the VM's changes survive"
}

@test "run --rm without a name: a throwaway VM named tmp-XXXXXX" {
	run -0 --separate-stderr fvm run --rm -- hostname
	assert_match "$output" '^tmp-[A-Za-z0-9]{6}$' "generated name"
	run -0 fvm ls -q
	assert_eq "$output" "" "no VM left"
	assert_eq "$(ls -A "$FVM_HOME/vms" 2>/dev/null)" "" "nothing left in the store"
}

@test "run -e: sets variables; the caller's environment passes through" {
	fvm create web
	FVM_TEST_CALLER=from-caller run -0 --separate-stderr \
		fvm run -e FOO=bar -e 'SPACED=a b' -e FVM_TEST_CALLER=overridden web -- \
		sh -c 'echo "$FOO|$SPACED|$FVM_TEST_CALLER"'
	assert_eq "$output" "bar|a b|overridden"
	FVM_TEST_CALLER=from-caller run -0 --separate-stderr fvm run web -- sh -c 'echo "$FVM_TEST_CALLER"'
	assert_eq "$output" from-caller
}

@test "run: HOME is root's in root mode, the caller's in rootless mode" {
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c 'echo "$HOME"'
	if is_root; then
		assert_eq "$output" /root
	else
		assert_eq "$output" "$HOME"
	fi
}

@test "run -w: sets the working directory" {
	fvm create web
	run -0 --separate-stderr fvm run -w /usr/bin web -- pwd
	assert_eq "$output" /usr/bin
	run -0 --separate-stderr fvm run -w "$SCRATCH" web -- pwd
	assert_eq "$output" "$SCRATCH"
}

@test "run -w: a missing directory is an error, not a silent fallback" {
	fvm create web
	run --separate-stderr fvm run -w /nonexistent-fvm-dir web -- pwd
	assert_ne "$status" 0 "exit status"
	assert_eq "$output" "" "pwd must not have run"
	assert_contains "$stderr" "/nonexistent-fvm-dir"
}

@test "run: default working directory is the caller's when it exists in the VM" {
	fvm create web
	cd "$SCRATCH"
	run -0 --separate-stderr fvm run web -- pwd
	assert_eq "$output" "$SCRATCH"
}

@test "run: the default user is root (uid 0) inside the VM" {
	fvm create web
	run -0 --separate-stderr fvm run web -- id -u
	assert_eq "$output" 0
	run -0 --separate-stderr fvm run web -- "$PROBE" uid
	assert_eq "$output" "uid=0 euid=0 gid=0"
}

@test "run --user: runs as the given user and group" {
	is_root || skip "rootless VMs map only the caller's uid"
	fvm create web
	run -0 --separate-stderr fvm run --user nobody web -- id -un
	assert_eq "$output" nobody
	run -0 --separate-stderr fvm run -u 1234:2345 web -- "$PROBE" uid
	assert_eq "$output" "uid=1234 euid=1234 gid=2345"
	run -0 --separate-stderr fvm run --user 0 web -- id -u
	assert_eq "$output" 0
}

@test "run --user: an unknown user is an error (125)" {
	fvm create web
	run -125 --separate-stderr fvm run --user no-such-user-fvm web -- id -u
	assert_contains "$stderr" no-such-user-fvm
	assert_eq "$output" "" "the program must not run"
}

@test "run: stdin is /dev/null without -i, passed with -i" {
	fvm create web
	run -0 --separate-stderr bash -c 'exec 3>&-; echo secret | "$FVM" run web -- cat'
	assert_eq "$output" "" "stdin not passed"
	run -0 --separate-stderr bash -c 'exec 3>&-; echo secret | "$FVM" run -i web -- cat'
	assert_eq "$output" secret "stdin passed with -i"
}

@test "run: arguments reach the program unchanged" {
	fvm create web
	run -0 --separate-stderr fvm run web -- printf '<%s>' 'a b' '' '$HOME' '--' '-e'
	assert_eq "$output" '<a b><><$HOME><--><-e>'
}

@test "run: no file descriptor of the caller leaks into the VM" {
	fvm create web
	run -0 --separate-stderr bash -c \
		'exec 3>&- 7<"$FVM" 9>"$SCRATCH/fd9"; "$FVM" run web -- sh -c "ls /proc/\$\$/fd"'
	assert_eq "$(tr '\n' ' ' <<<"$output")" "0 1 2 " "open fds of the program"
}

@test "run: without a command runs the user's login shell" {
	fvm create web
	run -3 --separate-stderr bash -c 'exec 3>&-; echo "echo shell-ran; exit 3" | "$FVM" run -i web'
	assert_eq "$output" shell-ran
}

@test "run -t: the program gets a terminal of the VM's own devpts" {
	command -v script >/dev/null || skip "script(1) from util-linux is missing"
	fvm create web
	# script(1) gives fvm a terminal as stdin and stdout
	local check='tty; [ "$(stat -L -c %d /dev/stdin)" = "$(stat -c %d /dev/pts/ptmx)" ] && echo own-devpts || echo foreign-pty'
	run -0 script -qec "exec 3>&-; '$FVM' run -t web -- sh -c '$check'" /dev/null
	# script(1) turns its stdin's EOF into a VEOF byte for the terminal:
	# with no terminal on its stdin that is a NUL, echoed as ^@
	assert_eq "$(tr -d '\r' <<<"$output" | sed 's/\^@//g' | tr '\n' ' ')" "/dev/pts/0 own-devpts " "terminal inside"
	run -0 --separate-stderr fvm run web -- sh -c 'pts=$(ls /dev/pts) || exit 9; printf "%s\n" "$pts"'
	assert_eq "$output" ptmx "the host's ptys are not in the VM's devpts (its ptmx only)"
	run -1 script -qec "exec 3>&-; '$FVM' run web -- tty" /dev/null
	assert_contains "$(tr -d '\r' <<<"$output")" "not a tty" "without -t or -i, stdin is /dev/null"
}
