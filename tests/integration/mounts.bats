#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# mounts.bats - the VM's mount namespace: mounts made inside stay inside;
# /proc is the VM's own, /sys read-only, /dev minimal with its own devpts.

load helpers

# Mounting inside a VM needs the hardening relaxed (CAP_SYS_ADMIN and no
# seccomp filter: see hardening.bats); isolation must hold even then.
# Rootless, CAP_SYS_ADMIN is never granted: there the mount itself fails.
@test "mounts: a tmpfs mounted inside the VM is invisible on the host" {
	mkdir "$SCRATCH/mnt"
	fvm create --caps all --seccomp off web
	if ! is_root; then
		run -0 --separate-stderr fvm run web -- "$PROBE" mount-tmpfs "$SCRATCH/mnt"
		assert_eq "$output" errno=EPERM "rootless: no mounts, even with --caps all"
		return
	fi
	run -0 --separate-stderr fvm run web -- sh -c \
		"'$PROBE' mount-tmpfs '$SCRATCH/mnt' && echo inside > '$SCRATCH/mnt/f' && cat '$SCRATCH/mnt/f' && '$PROBE' umount '$SCRATCH/mnt'"
	assert_eq "$output" "ok
inside
ok" "mount, write, umount inside"
	assert_eq "$(mounts_under "$SCRATCH")" 0 "host mounts under the scratch dir"
	assert_not_exists "$SCRATCH/mnt/f"
}

@test "mounts: a mount left inside the VM does not reach the host" {
	is_root || skip "rootless VMs cannot mount (no CAP_SYS_ADMIN): see the test above"
	mkdir "$SCRATCH/mnt"
	fvm create --caps all --seccomp off web
	fvm_start web
	run -0 --separate-stderr fvm exec web -- "$PROBE" mount-tmpfs "$SCRATCH/mnt"
	assert_eq "$output" ok
	run -0 --separate-stderr fvm exec web -- findmnt -rn -o FSTYPE "$SCRATCH/mnt"
	assert_eq "$output" tmpfs "a second exec sees the VM's mount"
	assert_eq "$(mounts_under "$SCRATCH")" 0 "host mounts under the scratch dir"
}

@test "mounts: the host's mount table shows no overlay of the VM" {
	fvm create web
	fvm_start web
	assert_eq "$(mounts_using "$FVM_HOME")" 0 \
		"overlays using the store in the host's namespace"
}

@test "mounts: /sys is read-only inside" {
	fvm create web
	run -0 --separate-stderr fvm run web -- findmnt -rn -o OPTIONS /sys
	assert_match "$output" '^ro(,|$)' "/sys mount options"
}

@test "mounts: /dev is minimal and has its own devpts" {
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c \
		'for n in null zero full random urandom tty pts/ptmx shm mqueue; do [ -e /dev/$n ] || echo "missing /dev/$n"; done'
	assert_eq "$output" "" "device nodes the contract lists"
	run -0 --separate-stderr fvm run web -- find /dev -type b
	assert_eq "$output" "" "block devices inside"
	run -0 --separate-stderr fvm run web -- sh -c 'for n in mem kmsg vda sda; do ! [ -e /dev/$n ] || echo /dev/$n; done'
	assert_eq "$output" "" "host-only device nodes inside"
	# (ls's status counts, and its ptmx shows it listed the VM's devpts)
	run -0 --separate-stderr fvm run web -- sh -c 'pts=$(ls /dev/pts) || exit 9; printf "%s\n" "$pts"'
	assert_eq "$output" ptmx "the VM's devpts holds its ptmx and no host pty"
	run -0 --separate-stderr fvm run web -- sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
	assert_eq "$output" 4 "null and zero work"
}

@test "mounts: /proc is the VM's own" {
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c 'pids=$(ls -d /proc/[0-9]*) || exit 9; printf "%s\n" "$pids" | wc -l'
	((output >= 1 && output <= 4)) || { echo "$output pids in the VM's /proc" >&2; false; }
	run -0 --separate-stderr fvm run web -- readlink /proc/self
	assert_match "$output" '^[0-9]+$'
	((output < 100)) || { echo "/proc/self is $output: the host's /proc?" >&2; false; }
}
