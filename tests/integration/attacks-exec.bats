#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-exec.bats - attacks from inside a VM, with default settings, on
# the process that joins it (fvm run, fvm exec): the VM's NSS modules
# (fvm resolves -u by parsing the VM's /etc/passwd and /etc/group), host
# fds reachable while the program's working directory is looked up (runc
# CVE-2024-21626), host directories as stdio, and the caller's terminal
# (without -t the program gets pipes, never the terminal).

load helpers

# The program's check of its working directory: "inside" when it is
# reachable from the VM's root (getcwd works and names this directory),
# "outside" otherwise. It first writes cwdprobe-$1 into it, which must not
# land anywhere on the host (see no_probe_on_host).
CWD_PROBE='echo x >"cwdprobe-$1" 2>/dev/null
d=$(/bin/pwd 2>/dev/null) && [ "$(stat -c %d:%i .)" = "$(stat -c %d:%i "$d/")" ] && echo inside || echo outside'

# no_probe_on_host: no cwdprobe file outside the VMs' layers (a file the
# program wrote from a cwd inside the VM lands in its layer's upper dir).
no_probe_on_host() {
	local found
	# (overlayfs work dirs are unreadable: find's status says nothing)
	found=$(find "$TEST_ROOT" -xdev -name "cwdprobe-$TEST_ID-*" ! -path '*/layers/*/upper/*' 2>/dev/null || true)
	assert_eq "$found" "" "files the program wrote from its cwd, on the host"
}

# nss_evil_vm NAME: in VM NAME, an NSS module 'evil' first for passwd and
# group (its constructor prints "EVIL-NSS comm=COMMAND" on stderr), a user
# fvmuser (4321) and a group fvmgrp (5555) that lists it. Skips when the
# VM cannot write its /etc and /lib (rootless without full copy-on-write).
nss_evil_vm() {
	local libdir
	command -v gcc >/dev/null || skip "gcc is missing (scripts/deps installs it)"
	cat >"$SCRATCH/evil.c" <<-'EOF'
		#include <stdio.h>
		#include <sys/prctl.h>
		__attribute__((constructor)) static void evil(void)
		{
			char comm[17] = "";

			prctl(PR_GET_NAME, comm);
			dprintf(2, "EVIL-NSS comm=%s\n", comm);
		}
	EOF
	gcc -shared -fPIC -o "$SCRATCH/libnss_evil.so.2" "$SCRATCH/evil.c"
	libdir=$(dirname "$(readlink -f "$(ldd /bin/true | awk '/libc\.so/ { print $3 }')")")
	fvm create "$1"
	if ! fvm run "$1" -- sh -c "cp '$SCRATCH/libnss_evil.so.2' '$libdir/' &&
		sed -i -e 's/^passwd:.*/passwd: evil files/' -e 's/^group:.*/group: evil files/' /etc/nsswitch.conf &&
		echo 'fvmuser:x:4321:4321:VM user:/home/fvmuser:/bin/sh' >>/etc/passwd &&
		echo 'fvmgrp:x:5555:other,fvmuser' >>/etc/group" 2>"$SCRATCH/nss.err"; then
		is_root && { cat "$SCRATCH/nss.err" >&2; return 1; }
		skip "this rootless VM cannot write its /etc and $libdir (no full copy-on-write backend)"
	fi
	# positive control: the VM's own programs do load the module
	run -0 --separate-stderr fvm run "$1" -- getent passwd fvmuser
	assert_contains "$stderr" "EVIL-NSS comm=getent" "the module works inside the VM"
}

# term_run COMMAND: COMMAND (a shell string) with a terminal as stdin,
# stdout and stderr (script(1)); $output without CRs and without the ^@
# script(1) echoes for the end of its own stdin.
term_run() {
	command -v script >/dev/null || skip "script(1) from util-linux is missing"
	run script -qec "exec 3>&-; $1" /dev/null
	output=$(tr -d '\r' <<<"$output" | sed 's/\^@//g; s/\^D//g')
}

# ---- 1. no NSS: the VM's code never runs in fvm ----------------------------

@test "attack-exec: the VM's NSS module is never loaded by fvm (root: -u USER, USER:GROUP)" {
	is_root || skip "rootless VMs have one user; see the next test"
	nss_evil_vm web
	run -0 --separate-stderr fvm run -u fvmuser web -- "$PROBE" uid
	assert_not_contains "$stderr" EVIL-NSS "fvm resolving -u fvmuser"
	assert_eq "$output" "uid=4321 euid=4321 gid=4321" "-u resolves from the VM's /etc/passwd"
	run -0 --separate-stderr fvm run -u fvmuser:fvmgrp web -- "$PROBE" uid
	assert_not_contains "$stderr" EVIL-NSS "fvm resolving -u fvmuser:fvmgrp"
	assert_eq "$output" "uid=4321 euid=4321 gid=5555" "the group from the VM's /etc/group"
	run -0 --separate-stderr fvm run web -- "$PROBE" uid
	assert_not_contains "$stderr" EVIL-NSS "fvm resolving the default user"
	# the program itself may use the VM's NSS: that is the VM's business
	run -0 --separate-stderr fvm run -u fvmuser web -- id -un
	assert_not_contains "$stderr" "EVIL-NSS comm=fvm"
	assert_eq "$output" fvmuser
}

@test "attack-exec: the VM's NSS module is never loaded by fvm (default user, -u root)" {
	nss_evil_vm web
	run -0 --separate-stderr fvm run web -- "$PROBE" uid
	assert_not_contains "$stderr" EVIL-NSS "fvm resolving the default user"
	assert_eq "$output" "uid=0 euid=0 gid=0"
	run -0 --separate-stderr fvm run -u root web -- "$PROBE" uid
	assert_not_contains "$stderr" EVIL-NSS "fvm resolving -u root"
	assert_eq "$output" "uid=0 euid=0 gid=0"
}

@test "attack-exec: -u gets the supplementary groups of the VM's /etc/group" {
	is_root || skip "rootless VMs map one uid and cannot set groups"
	nss_evil_vm web
	run -0 --separate-stderr fvm run -u fvmuser web -- grep '^Groups:' /proc/self/status
	assert_eq "$(tr -s ' \t' ' ' <<<"$output")" "Groups: 4321 5555 "
	run -0 --separate-stderr fvm run -u 1234 web -- grep '^Groups:' /proc/self/status
	assert_eq "$(tr -s ' \t' ' ' <<<"$output")" "Groups: 1234 " "a uid without entry: its gid only"
}

@test "attack-exec: a FIFO or symlink for the VM's /etc/passwd or /etc/group fails fast, unread" {
	fvm create web
	fvm create web2
	if ! fvm run web -- sh -c 'rm /etc/passwd && mkfifo /etc/passwd' 2>"$SCRATCH/err" ||
		! fvm run web2 -- sh -c 'mv /etc/group /etc/group.real && ln -s group.real /etc/group' 2>>"$SCRATCH/err"; then
		is_root && { cat "$SCRATCH/err" >&2; return 1; }
		skip "this rootless VM cannot write its /etc (no full copy-on-write backend)"
	fi
	FVM_CMD_TIMEOUT=20 run -125 --separate-stderr fvm run web -- true
	assert_fvm_error
	assert_contains "$stderr" "VM 'web': cannot read its /etc/passwd: not a regular file"
	FVM_CMD_TIMEOUT=20 run -125 --separate-stderr fvm run web2 -- true
	assert_contains "$stderr" "VM 'web2': cannot read its /etc/group: it is a symlink"
}

# ---- 2. no host fd while the cwd is looked up ---------------------------------

@test "attack-exec: -w /proc/self/fd/N fails cleanly or stays inside the VM, for N = 3..20" {
	fvm create web
	local n
	for n in $(seq 3 20); do
		run --separate-stderr fvm run -w "/proc/self/fd/$n" web -- sh -c "$CWD_PROBE" sh "$TEST_ID-$n"
		if ((status == 125)); then
			assert_contains "$stderr" "VM 'web'" "the message for fd $n"
			assert_contains "$stderr" "'/proc/self/fd/$n'" "the message for fd $n"
			assert_eq "$output" "" "no program ran for fd $n"
		else
			assert_eq "$status" 0 "fvm run -w /proc/self/fd/$n"
			assert_eq "$output" inside "cwd of -w /proc/self/fd/$n"
		fi
	done
	no_probe_on_host
}

@test "attack-exec: a program path through /proc/self/fd/N never runs a host file, for N = 3..20" {
	fvm create web
	# a host file the VM cannot see: the store is hidden in every VM
	printf '#!/bin/sh\necho HOST-FILE-RAN\n' >"$FVM_HOME/probe-exec.sh"
	chmod 755 "$FVM_HOME/probe-exec.sh"
	local n up
	for n in $(seq 3 20); do
		for up in "" ../ ../../; do
			run ! --separate-stderr fvm run web -- "/proc/self/fd/$n/${up}probe-exec.sh"
			assert_not_contains "$output" HOST-FILE-RAN "exec of /proc/self/fd/$n/${up}probe-exec.sh"
			assert_match "$status" '^12[567]$' "status of exec /proc/self/fd/$n/${up}probe-exec.sh"
		done
	done
}

@test "attack-exec: a caller's directory that the VM made a /proc/self/fd symlink is not entered" {
	fvm create web
	local n d plant=""
	for n in $(seq 3 20); do
		mkdir "$SCRATCH/p$n" "$SCRATCH/q$n"
		plant+="rm -r '$SCRATCH/p$n' '$SCRATCH/q$n' && ln -s /proc/self/fd/$n '$SCRATCH/p$n' && "
		plant+="ln -s /proc/self/fd/$n/.. '$SCRATCH/q$n' && "
	done
	run -0 --separate-stderr fvm run web -- sh -c "${plant}readlink '$SCRATCH/q7'"
	assert_eq "$output" /proc/self/fd/7/.. "the symlinks are planted in the VM"
	for n in $(seq 3 20); do
		for d in p q; do
			cd "$SCRATCH/$d$n"
			run -0 --separate-stderr fvm run web -- sh -c "$CWD_PROBE" sh "$TEST_ID-$d$n"
			assert_eq "$output" inside "cwd when run from $SCRATCH/$d$n"
		done
	done
	cd /
	no_probe_on_host
}

@test "attack-exec: a host directory as fvm's stdin or stdout does not reach the VM" {
	mkdir -m 777 "$SCRATCH/open"   # root mode: the VM's uids are "other" on the host
	fvm create web
	run --separate-stderr fvm run -i web -- sh -c 'echo pwned >/proc/self/fd/0/f' <"$SCRATCH/open"
	assert_status 125
	assert_contains "$stderr" "VM 'web': fvm's stdin is a directory"
	run --separate-stderr bash -c 'exec 3>&- 1<"$1"; "$FVM" run web -- sh -c "echo pwned >/proc/self/fd/1/g"' _ "$SCRATCH/open"
	assert_status 125
	assert_contains "$stderr" "fvm's stdout is a directory"
	assert_eq "$(ls -A "$SCRATCH/open")" "" "files written through stdio into the host's directory"
}

@test "attack-exec: fvm started with stdio closed gives the program /dev/null, no fd of its own" {
	fvm create web
	run -0 --separate-stderr bash -c 'exec 3>&- 0<&-; "$FVM" run -i web -- sh -c "readlink /proc/\$\$/fd/0; ls /proc/\$\$/fd"'
	assert_eq "$(tr '\n' ' ' <<<"$output")" "/dev/null 0 1 2 " "the program's stdin and open fds"
}

# ---- 3. the caller's terminal stays out of the VM -----------------------------

@test "attack-exec: without -t the program's stdio is not the caller's terminal, output still shows" {
	fvm create web
	term_run "'$FVM' run web -- sh -c '[ -t 0 ] && echo tty0; [ -t 1 ] && echo tty1; [ -t 2 ] && echo tty2; tty; echo out; echo err >&2; echo out2; ls /proc/\$\$/fd'"
	assert_status 0
	assert_not_contains "$output" tty0
	assert_not_contains "$output" tty1
	assert_not_contains "$output" tty2
	assert_contains "$output" "not a tty"
	assert_contains "$output" $'out\nerr\nout2\n0\n1\n2' "stdout and stderr in order on the terminal, fds 0 1 2 only"
}

@test "attack-exec: with -i the terminal's input reaches the program through a pipe" {
	fvm create web
	command -v script >/dev/null || skip "script(1) from util-linux is missing"
	run bash -c 'printf "hello\n" | script -qec "exec 3>&-; \"$FVM\" run -i web -- sh -c '"'"'$1'"'"'" /dev/null' \
		_ '[ -t 0 ] && echo tty0; read x; echo "got:$x"; cat; echo eof'
	output=$(tr -d '\r' <<<"$output")
	assert_status 0
	assert_not_contains "$output" tty0
	assert_contains "$output" "got:hello"
	assert_contains "$output" "eof" "the end of the terminal's input reaches the program"
}

@test "attack-exec: a process left in the VM holds no fd on the caller's terminal" {
	fvm create web
	fvm_start web
	term_run "stat -c '%d %t:%T' \"\$(tty)\" >'$SCRATCH/tty'; '$FVM' run web -- sh -c 'sleep 100 & echo started'"
	assert_status 0
	assert_contains "$output" started
	local tty p f bad=""
	tty=$(cat "$SCRATCH/tty")
	assert_match "$tty" '^[0-9]+ [0-9a-f]+:[0-9a-f]+$' "the terminal's device"
	wait_for 5 bash -c "'$FVM' ps web 3>&- | grep -q sleep"
	for p in $(vm_hostpids web); do
		for f in /proc/"$p"/fd/*; do
			[[ $(stat -L -c '%d %t:%T' "$f" 2>/dev/null) == "$tty" ]] && bad+="$p:$f -> $(readlink "$f") "
		done
	done
	assert_eq "$bad" "" "fds of VM processes on the caller's terminal after fvm run returned"
}

@test "attack-exec: a process left writing in the VM neither holds fvm nor keeps a pipe to the terminal" {
	fvm create web
	term_run "timeout -k 1 20 '$FVM' run web -- sh -c 'while :; do echo tick; sleep 0.01; done & echo started'"
	assert_status 0   # not 124: fvm drained and returned
	assert_contains "$output" started
	# its next write after fvm returned fails (SIGPIPE): the VM has no process left
	assert_state web stopped
}

@test "attack-exec: with -t, too, the program holds fds 0, 1, 2 only, all on the VM's own pty" {
	fvm create web
	term_run "'$FVM' run -t web -- sh -c 'ls -m /proc/\$\$/fd; tty'"
	assert_status 0
	assert_eq "$output" $'0, 1, 2\n/dev/pts/0' "the program's fds and terminal"
}
