#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-harden.bats - what a VM got by default and must not: new user
# namespaces and io_uring (the seccomp filter), an unbounded number of
# processes (the default pids limit), a ptraceable init, and a path to the
# admin's terminal through the strings fvm prints.

load helpers

@test "harden: unshare and clone with CLONE_NEWUSER fail with EPERM, clone3 with ENOSYS" {
	fvm create web
	fvm create --seccomp off open
	run -0 --separate-stderr fvm run web -- "$PROBE" sys unshare-user
	assert_eq "$output" errno=EPERM "unshare(CLONE_NEWUSER) with the filter"
	run -0 --separate-stderr fvm run web -- "$PROBE" sys clone-user
	assert_eq "$output" errno=EPERM "clone(CLONE_NEWUSER) with the filter"
	run -0 --separate-stderr fvm run web -- "$PROBE" sys clone3
	assert_eq "$output" errno=ENOSYS "clone3 with the filter"
	# without the filter the same calls work: the errors above are the filter's
	run -0 --separate-stderr fvm run open -- "$PROBE" sys unshare-user
	assert_eq "$output" ok "unshare(CLONE_NEWUSER) without the filter"
	run -0 --separate-stderr fvm run open -- "$PROBE" sys clone3
	assert_eq "$output" ok "clone3 without the filter"
	if command -v unshare >/dev/null; then
		run --separate-stderr fvm run web -- unshare -U true
		assert_ne "$status" 0 "unshare -U true in a default VM"
		assert_contains "$stderr" "Operation not permitted" "unshare(1)'s message"
	fi
}

@test "harden: fork, threads and posix_spawn still work under the filter (clone3 falls back)" {
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c 'true & wait; (echo sub) ; echo done'
	assert_eq "$output" "sub
done"
	if command -v python3 >/dev/null; then
		run -0 --separate-stderr fvm run web -- python3 -c '
import os, subprocess, threading
out = []
t = threading.Thread(target=lambda: out.append("thread"))
t.start(); t.join()
pid = os.posix_spawn("/bin/true", ["true"], {})
os.waitpid(pid, 0)
print(out[0], subprocess.run(["echo", "spawned"], capture_output=True, text=True).stdout.strip())'
		assert_eq "$output" "thread spawned"
	fi
}

@test "harden: io_uring_setup is denied by the filter" {
	fvm create web
	fvm create --seccomp off open
	run -0 --separate-stderr fvm run open -- "$PROBE" sys io_uring_setup
	[[ $output == errno=ENOSYS ]] && skip "this kernel has no io_uring"
	open_out=$output
	run -0 --separate-stderr fvm run web -- "$PROBE" sys io_uring_setup
	assert_eq "$output" errno=EPERM "io_uring_setup with the filter (without: $open_out)"
	assert_ne "$open_out" errno=EPERM "io_uring_setup without the filter"
}

@test "harden: --seccomp allow-userns allows nested user namespaces and nothing else" {
	fvm create --seccomp allow-userns nest
	assert_eq "$(vm_field nest .hardening.seccomp)" allow-userns "inspect"
	run -0 --separate-stderr fvm run nest -- "$PROBE" sys unshare-user
	assert_eq "$output" ok "unshare(CLONE_NEWUSER) with allow-userns"
	run -0 --separate-stderr fvm run nest -- "$PROBE" sys clone-user
	assert_eq "$output" ok "clone(CLONE_NEWUSER) with allow-userns"
	run -0 --separate-stderr fvm run nest -- "$PROBE" sys keyctl
	assert_eq "$output" errno=EPERM "keyctl with allow-userns"
	run -0 --separate-stderr fvm run nest -- "$PROBE" sys io_uring_setup
	assert_eq "$output" errno=EPERM "io_uring_setup with allow-userns"
	# and fvm config switches it back
	fvm config nest --seccomp default
	assert_eq "$(vm_field nest .hardening.seccomp)" default "inspect after config"
	run -0 --separate-stderr fvm run nest -- "$PROBE" sys unshare-user
	assert_eq "$output" errno=EPERM "unshare(CLONE_NEWUSER) after --seccomp default"
}
