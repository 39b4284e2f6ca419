#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# hardening.bats - the kernel attack surface of a VM: the seccomp
# deny-list, no_new_privs, the reduced capability bounding set, TIOCSTI;
# each switch (--seccomp off, --caps all) relaxes exactly its own layer.
# Every denial is checked against a VM without the filter, where the same
# call gets through or fails some other way, so a pass means the filter
# did it.

load helpers

# podman's default set: chown dac_override fowner fsetid kill setgid setuid
# setpcap net_bind_service sys_chroot setfcap
DEFAULT_CAPS=00000000800405fb

status_field() {  # VM FIELD
	fvm run "$1" -- sh -c "grep '^$2:' /proc/self/status" | awk '{print $2}'
}

@test "hardening: the seccomp filter denies what podman's profile denies, with EPERM" {
	fvm create web
	fvm create --seccomp off --caps all open
	fvm create --caps all capsonly
	for call in keyctl mount init_module kexec_load bpf clock_settime; do
		run -0 --separate-stderr fvm run web -- "$PROBE" sys "$call"
		assert_eq "$output" errno=EPERM "$call with the filter"
	done
	# without the filter keyctl and mount work in the VM's own namespaces,
	# and bpf fails on its bad arguments: the EPERMs above are the filter's
	run -0 --separate-stderr fvm run open -- "$PROBE" sys keyctl
	assert_eq "$output" ok "keyctl without the filter"
	if is_root; then   # rootless never has CAP_SYS_ADMIN in the VM
		run -0 --separate-stderr fvm run open -- "$PROBE" sys mount
		assert_eq "$output" ok "mount without the filter"
	fi
	run -0 --separate-stderr fvm run open -- "$PROBE" sys bpf
	assert_ne "$output" errno=EPERM "bpf without the filter"
	# with every capability but the filter on, mount and keyctl stay denied
	run -0 --separate-stderr fvm run capsonly -- "$PROBE" sys mount
	assert_eq "$output" errno=EPERM "mount with all capabilities, filter on"
	run -0 --separate-stderr fvm run capsonly -- "$PROBE" sys keyctl
	assert_eq "$output" errno=EPERM "keyctl with all capabilities, filter on"
}

@test "hardening: the filter covers the 32-bit system call table (int 0x80)" {
	[[ $(uname -m) == x86_64 ]] || skip "x86_64 only"
	is_root || skip "rootless VMs cannot mount at all (no CAP_SYS_ADMIN), so this says nothing of the filter"
	fvm create --caps all web
	fvm create --seccomp off --caps all open
	run -0 --separate-stderr fvm run open -- "$PROBE" sys mount32
	[[ $output == errno=ENOSYS ]] && skip "this kernel has no 32-bit system calls"
	assert_eq "$output" ok "i386 mount without the filter"
	run -0 --separate-stderr fvm run web -- "$PROBE" sys mount32
	assert_eq "$output" errno=EPERM "i386 mount with the filter"
}

@test "hardening: TIOCSTI cannot push input into the VM's own terminal" {
	command -v script >/dev/null || skip "no script(1) to give fvm a terminal"
	fvm create web
	fvm create --seccomp off open
	run -0 script -qec "$FVM run -t open -- $PROBE sys tiocsti" /dev/null
	assert_contains "$output" ok "TIOCSTI on its own pty without the filter"
	run -0 script -qec "$FVM run -t web -- $PROBE sys tiocsti" /dev/null
	assert_contains "$output" errno=EPERM "TIOCSTI with the filter"
}

@test "hardening: TIOCSTI cannot reach the caller's terminal without -t either" {
	command -v script >/dev/null || skip "no script(1) to give fvm a terminal"
	fvm create --seccomp off open
	# no filter at all: the program's stdin is a pipe fvm relays, not the
	# caller's tty (ENOTTY); were it the tty, the new session alone would
	# refuse (EPERM)
	run -0 script -qec "$FVM run -i open -- $PROBE sys tiocsti" /dev/null
	assert_match "$output" "errno=(ENOTTY|EPERM)" "TIOCSTI into the caller's terminal"
}

@test "hardening: no_new_privs and the reduced bounding set by default; --caps all keeps them all" {
	fvm create web
	fvm create --caps all --seccomp off open
	assert_eq "$(status_field web NoNewPrivs)" 1 "no_new_privs"
	assert_eq "$(status_field web Seccomp)" 2 "seccomp filter mode"
	assert_eq "$(status_field web CapBnd)" "$DEFAULT_CAPS" "bounding set"
	assert_eq "$(status_field open Seccomp)" 0 "--seccomp off"
	assert_ne "$(status_field open CapBnd)" "$DEFAULT_CAPS" "--caps all"
	assert_eq "$(status_field open NoNewPrivs)" 1 "no_new_privs stays with the switches"
}

@test "hardening: init (PID 1) is as limited as the VM's programs" {
	fvm create web
	fvm_start web
	run -0 --separate-stderr fvm exec web -- sh -c "grep -E '^(NoNewPrivs|Seccomp|CapBnd):' /proc/1/status | awk '{print \$2}' | tr '\n' ' '"
	assert_eq "$output" "$DEFAULT_CAPS 1 2 " "init's CapBnd, NoNewPrivs, Seccomp"
}

@test "hardening: rootless, --caps all never grants CAP_SYS_ADMIN" {
	is_root && skip "rootless only"
	# the kernel's overlay only: the host's system tree is read-only there
	fvm create --cow kernel --caps all --seccomp off web
	run -0 --separate-stderr fvm run web -- sh -c "grep '^CapBnd:' /proc/self/status | awk '{print \$2}'"
	# bit 21 is CAP_SYS_ADMIN
	assert_eq "$(( (16#$output >> 21) & 1 ))" 0 "CAP_SYS_ADMIN in the bounding set"
	run -0 --separate-stderr fvm run web -- sh -c "mount -o remount,rw / 2>/dev/null; '$PROBE' open /etc/fvm-test-$TEST_ID create"
	assert_eq "$output" errno=EROFS "the host's read-only view stays read-only"
	assert_not_exists "/etc/fvm-test-$TEST_ID"
}

@test "hardening: inspect shows the effective policy; bad values are refused" {
	fvm create --caps all web
	run -0 --separate-stderr fvm inspect web
	assert_eq "$(jq -r '.[0].hardening.capabilities' <<<"$output")" all
	assert_eq "$(jq -r '.[0].hardening.seccomp' <<<"$output")" default
	assert_eq "$(jq -r '.[0].hardening.no_new_privs' <<<"$output")" true
	run -125 --separate-stderr fvm create --seccomp maybe db
	assert_contains "$stderr" "--seccomp"
	assert_not_exists "$FVM_HOME/vms/db"
}

@test "hardening: package tools still work under the default hardening (root mode)" {
	is_root || skip "root mode: dpkg writes /var/lib/dpkg"
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c 'chown 1:1 /etc/hostname && chmod 600 /etc/hostname && su -s /bin/sh nobody -c "id -u"'
	assert_eq "$output" 65534 "chown, chmod and setuid to another user inside the VM"
}
