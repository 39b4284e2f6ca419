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

@test "harden: no VM process can ptrace init or reach its fds, memory or environment, even with --caps all --seccomp off" {
	fvm create --caps all --seccomp off open
	fvm_start open
	run -0 --separate-stderr fvm exec open -- "$PROBE" ptrace 1
	assert_eq "$output" errno=EPERM "PTRACE_ATTACH to init"
	run -0 --separate-stderr fvm exec open -- "$PROBE" open /proc/1/mem r
	assert_eq "$output" errno=EACCES "open init's /proc/1/mem"
	run -0 --separate-stderr fvm exec open -- "$PROBE" open /proc/1/environ r
	assert_eq "$output" errno=EACCES "open init's /proc/1/environ"
	run -0 --separate-stderr fvm exec open -- "$PROBE" open /proc/1/exe r
	assert_eq "$output" errno=EACCES "open init's /proc/1/exe (as root, the static init's memfd)"
	run --separate-stderr fvm exec open -- ls /proc/1/fd
	assert_ne "$status" 0 "ls init's /proc/1/fd (output: $output)"
	# init keeps CAP_KILL only, so a rootless VM has no process with CAP_SYS_ADMIN
	run -0 --separate-stderr fvm exec open -- sh -c 'grep "^Cap[EP][fr][fm]:" /proc/1/status'
	assert_eq "$output" "CapPrm:	0000000000000020
CapEff:	0000000000000020" "init's capabilities"
	# and the host still joins it (rootless: with the namespace fds init hands out)
	run -0 --separate-stderr fvm exec open -- "$PROBE" getpid
	assert_ne "$output" 1 "a joined program's pid"
	run -0 --separate-stderr fvm ps open
	grep -qE '^open +1 ' <<<"$output" || { echo "fvm ps shows no init: $output" >&2; return 1; }
}

@test "harden: as root, init is the static one, from a sealed memfd of the host's root that the VM cannot read (mode 0111)" {
	is_root || skip "rootless, the forked fvm is init"
	[[ $(uname -m) == x86_64 ]] || skip "the static init is built for x86-64 only"
	local pid exe
	fvm create web
	fvm_start web
	pid=$(init_pid web)
	exe=$(readlink "/proc/$pid/exe")
	assert_eq "$exe" "/memfd:fvm-init (deleted)" "init's executable"
	assert_eq "$(stat -L -c '%a %u %g' "/proc/$pid/exe")" "111 0 0" "the memfd's mode and owner"
	assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "fvm-init p " "init's command line"
	# not writable while it runs, and sealed besides: not even by the host's root
	run "$PROBE" open "/proc/$pid/exe" w x
	assert_match "$output" "^errno=(ETXTBSY|EPERM)\$" "write init's memfd, as the host's root"
	# a few pages, not a copy of fvm: its whole resident set is under 100 KiB
	(($(awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup") < 100)) ||
		{ cat "/proc/$pid/smaps_rollup" >&2; return 1; }
	run -0 --separate-stderr fvm exec web -- "$PROBE" getpid
	assert_ne "$output" 1 "a joined program's pid"
	fvm stop web
	assert_state web stopped
}

@test "harden: a running VM is joined and listed by later fvm commands (init not dumpable)" {
	fvm create web
	fvm_start web
	run -0 --separate-stderr fvm exec web -- "$PROBE" pidns
	vm_ns=$output
	run -0 --separate-stderr fvm run web -- "$PROBE" pidns
	assert_eq "$output" "$vm_ns" "run joins the same pid namespace"
	assert_ne "$vm_ns" "$(readlink /proc/self/ns/pid)" "the host's pid namespace"
	fvm exec web -- sh -c 'sleep 30 >/dev/null 2>&1 &'
	run -0 --separate-stderr fvm ps web
	assert_contains "$output" "sleep 30" "a VM program in fvm ps"
	assert_ne "$(vm_field web .processes)" 0 "processes in fvm inspect"
}

# pids_max PID: pids.max of PID's cgroup, v1 (the pids hierarchy) or v2
pids_max() {
	local rel
	if [[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]; then
		rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup$rel/pids.max"
	else
		rel=$(awk -F: '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == "pids") print $3 }' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup/pids$rel/pids.max"
	fi
}

@test "harden: as root every VM has a process limit, 2048 by default; --pids 50 holds; --pids max lifts it" {
	is_root || skip "rootless VMs have no cgroup (next test)"
	fvm create web
	assert_eq "$(vm_field web .limits.pids)" 2048 "the default in inspect"
	assert_eq "$(vm_field web .limits.enforced)" true "enforced"
	fvm_start web
	assert_eq "$(pids_max "$(init_pid web)")" 2048 "pids.max of the VM's cgroup"
	fvm stop web
	fvm create --pids 50 small
	run -0 --separate-stderr fvm run small -- "$PROBE" forks 200
	local n=${output%% *}
	assert_eq "${output#* }" errno=EAGAIN "fork past the limit"
	((n >= 40 && n < 50)) || { echo "forked $n children under --pids 50" >&2; return 1; }
	fvm create --pids max free
	assert_eq "$(vm_field free .limits.pids)" max "--pids max in inspect"
	run -0 --separate-stderr fvm run free -- "$PROBE" forks 100
	assert_eq "$output" "100 ok" "no limit with --pids max"
	fvm config small --pids 0
	assert_eq "$(vm_field small .limits.pids)" max "--pids 0 is no limit too"
}

@test "harden: rootless, where fvm has no cgroup, the default process limit is not claimed" {
	is_root && skip "root-mode VMs have their cgroup"
	run -0 fvm create web
	assert_contains "$output" "no limit on the VM's processes" "fvm create's note"
	assert_eq "$(vm_field web .limits.pids)" max "inspect: no limit"
	assert_eq "$(vm_field web .limits.enforced)" false "inspect: limits not enforced"
	run -0 --separate-stderr fvm run web -- "$PROBE" forks 100
	assert_eq "$output" "100 ok" "the VM is not limited, as inspect says"
	run -125 --separate-stderr fvm create --pids 50 small
	assert_contains "$stderr" "run fvm as root" "an explicit limit rootless"
}

# ps_shows VM TEXT: `fvm ps VM` has TEXT in it
ps_shows() {
	"$FVM" ps "$1" 3>&- | grep -qF -- "$2"
}

@test "harden: fvm ps escapes the process names and command lines a VM writes (no raw ESC reaches the terminal)" {
	fvm create web
	fvm_start web
	# a zombie has no command line, so ps shows its comm, which a process may set itself
	fvm exec web -- sh -c '( (printf "\033]0;pwned\007" >/proc/self/comm) & exec sleep 60 ) >/dev/null 2>&1 </dev/null &'
	# and a command line with an escape sequence and a C1 control (U+009B, CSI) in it
	fvm exec web -- sh -c 'sleep 61; true' "$(printf 'x\033[2Jy\302\233z')" >/dev/null 2>&1 </dev/null &
	bg_track $!
	wait_for 10 ps_shows web 'pwned'
	wait_for 10 ps_shows web 'sleep 61'
	run -0 --separate-stderr fvm ps web
	assert_eq "$(grep -c $'\033' <<<"$output" || true)" 0 "lines of fvm ps with a raw ESC"
	assert_eq "$(grep -c $'\302\233' <<<"$output" || true)" 0 "lines of fvm ps with a raw CSI"
	assert_contains "$output" '[\x1b]0;pwned\x07]' "the zombie's comm, escaped"
	assert_contains "$output" 'x\x1b[2Jy\xc2\x9bz' "a command line, escaped"
	# JSON keeps the real string (json-c escapes it as \u001b)
	run -0 --separate-stderr fvm ps --json web
	assert_eq "$(jq -r '.[] | select(.command | startswith("[")) | .command' <<<"$output")" $'[\033]0;pwned\a]' "comm in --json"
}

@test "harden: a VM name that is too long is shown shortened with '...', and one with C1 bytes not at all" {
	local long
	long=$(printf 'a%.0s' {1..100})
	run -125 --separate-stderr fvm create "$long"
	assert_contains "$stderr" "bad VM name '$(printf 'a%.0s' {1..40})...'" "a 100-letter name"
	run -125 --separate-stderr fvm create "$(printf 'web\302\233')"
	assert_contains "$stderr" "contains control or non-ASCII characters" "a name with a C1 control"
	assert_eq "$(grep -c $'\302\233' <<<"$stderr" || true)" 0 "raw CSI in the message"
}
