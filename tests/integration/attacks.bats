#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks.bats - host objects a VM can name but must not reach: a host
# UNIX socket, FIFO or device node in a copy-on-write directory, and what
# a nested user namespace might regain.

load helpers

@test "attack: a host UNIX socket in a copy-on-write directory cannot be connected to" {
	"$PROBE" listen-unix "$SCRATCH/sock" 20 </dev/null >"$SCRATCH/listen.out" 2>&1 3>&- &
	bg_track $!
	wait_for 5 test -S "$SCRATCH/sock"
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-unix "$SCRATCH/sock"
	assert_ne "$output" ok "connect from the VM"
	run -0 "$PROBE" connect-unix "$SCRATCH/sock"
	assert_eq "$output" ok "the host can connect: the socket is live"
}

@test "attack: a host FIFO in a copy-on-write directory is another pipe in the VM" {
	mkfifo "$SCRATCH/fifo"
	fvm create web
	assert_fifo_private "$SCRATCH/fifo" web
}

@test "attack: a device node planted in a copy-on-write directory cannot be opened" {
	is_root || skip "only root can plant a device node on the host"
	mknod "$SCRATCH/mem" c 1 1   # /dev/mem
	chmod 666 "$SCRATCH/mem"
	mknod "$SCRATCH/null" c 1 3
	chmod 666 "$SCRATCH/null"
	fvm create --caps all --seccomp off web
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/mem" r
	assert_eq "$output" errno=EACCES "open a planted /dev/mem (nodev)"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/null" w
	assert_eq "$output" errno=EACCES "open a planted /dev/null (nodev)"
}

@test "attack: a nested user namespace regains nothing over the host's files" {
	command -v unshare >/dev/null || skip "no unshare(1)"
	echo original >"$SCRATCH/f"
	# the default filter refuses user namespaces (attacks-harden.bats): allow them
	fvm create --seccomp allow-userns web
	run -0 --separate-stderr fvm run web -- unshare -Ur id -u
	assert_eq "$output" 0 "root in a nested user namespace"
	run --separate-stderr fvm run web -- unshare -Ur sh -c "echo pwned > '$SCRATCH/f'; id -u"
	assert_eq "$(cat "$SCRATCH/f")" original "the host's file after a write from a nested user namespace"
	run --separate-stderr fvm run web -- unshare -Urm sh -c "mount -t tmpfs x '$SCRATCH' && echo mounted"
	assert_eq "$(cat "$SCRATCH/f")" original "the host's file after a mount in a nested namespace"
	assert_eq "$(mounts_under "$SCRATCH")" 0 "host mounts under the scratch dir"
}
