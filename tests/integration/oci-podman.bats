#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# oci-podman.bats - podman 4 with fvm-oci as its runtime (--runtime
# through containers.conf), offline: the image is a busybox-static tree
# imported with `podman import`. podman's storage, run root, tmpdir and
# events are in the test's directory, fvm-oci's state in its default root
# (/run/fvm-oci: podman's cleanup process passes no --runtime-flag) on the
# test namespace's /run, containers.conf
# is the test's own (CONTAINERS_CONF): default_ulimits that fit this
# host's hard limits (podman's nofile=1048576 fails with every runtime
# where root lacks CAP_SYS_RESOURCE), runtime_supports_json naming fvm so
# that podman passes --log-format json. podman runs in the test's mount
# namespace (oci-helpers.bash) so that its lock in /dev/shm and its cache
# in /var/lib/containers stay there. Rootless, podman runs unprivileged
# with HOME and XDG_RUNTIME_DIR in the test's directory (one uid mapped,
# no /etc/subuid ranges); limits and pause need a cgroup it does not have
# on this cgroup v1 host, and are skipped saying so.

load oci-helpers

setup() {
	oci_setup
	oci_skip_unless podman conmon runc jq
	PM=$TEST_ROOT/pm
	# podman refuses a run root of more than 50 characters
	PM_RUN=$(mktemp -d /tmp/fvm-pm.XXXXXX)
	mkdir -p "$PM/tmp" "$PM/home" "$PM/xdg"
	chmod 700 "$PM/xdg"
	# Rootless, podman runs fvm-oci as root of a user namespace of its own
	# (one uid without /etc/subuid ranges); its lock is then
	# /dev/shm/libpod_rootless_lock_UID and it leaves a pause process
	# holding that namespace: teardown removes both. Root, podman runs in
	# the test's mount namespace (oci-helpers.bash).
	if is_root; then
		oci_ns_start
	else
		PM_LOCK=/dev/shm/libpod_rootless_lock_$(id -u)
		[[ -e $PM_LOCK ]] && PM_LOCK=   # not the test's
	fi
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[[ $nproc == unlimited || $nproc -gt 4096 ]] && nproc=4096
	cat >"$PM/containers.conf" <<-EOF2
	[containers]
	default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
	netns = "none"
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	events_logfile_path = "$PM/events.log"
	image_copy_tmp_dir = "$PM/tmp"
	runtime = "fvm"
	runtime_supports_json = ["fvm"]
	[engine.runtimes]
	fvm = ["$FVM_OCI"]
	EOF2
	export CONTAINERS_CONF=$PM/containers.conf
	oci_cgroup_parent libpod_parent conmon
	mkdir -p "$SCRATCH/secret"
	oci_rootfs "$TEST_ROOT/image"
	tar -C "$TEST_ROOT/image" -c . | pm import - localhost/fvm-test:1 >/dev/null
	IMG=localhost/fvm-test:1
}

pm() {
	if is_root; then
		in_ns podman --root "$PM/root" --runroot "$PM_RUN" --storage-driver vfs \
			--tmpdir "$PM/tmp" "$@"
	else
		HOME=$PM/home XDG_RUNTIME_DIR=$PM/xdg timeout -k 5 "${FVM_CMD_TIMEOUT:-60}" \
			podman --root "$PM/root" --runroot "$PM_RUN" --storage-driver vfs \
			--tmpdir "$PM/tmp" "$@" 3>&-
	fi
}

# the state root fvm-oci uses under podman (rootless: root of a user namespace)
pm_state() {
	if is_root; then
		in_ns ls -A /run/fvm-oci 2>/dev/null
	else
		ls -A "$PM/xdg/fvm-oci" 2>/dev/null
	fi
	return 0
}

pm_state_empty() {
	[[ -z $(pm_state) ]]
}

# skip_rootless WHY: this test needs root podman
skip_rootless() {
	is_root || skip "rootless podman on this host: $1"
}

teardown() {
	local fail=0 left
	if [[ -n ${PM-} && -d $PM/root ]]; then
		pm rm -a -f -t 0 >/dev/null 2>&1 || true
		left=$(pm ps -a -q 2>/dev/null)
		[[ -z $left ]] || { echo "LEFTOVER podman containers: $left" >&2; fail=1; }
		# podman's cleanup process (`podman container cleanup`, run by
		# conmon when the program ends) deletes the runtime's container
		wait_for 10 pm_state_empty ||
			{ echo "LEFTOVER fvm-oci containers: $(pm_state)" >&2; fail=1; }
	fi
	if ! is_root && [[ -n ${PM-} ]]; then
		# podman's storage belongs to its user namespace's ids: remove it there
		[[ -d $PM/root ]] && pm unshare rm -rf "$PM/root" "$PM_RUN" 2>/dev/null
		# podman's pause processes (they hold its user namespace by
		# design): ours are those with the test's XDG_RUNTIME_DIR
		local p
		for p in /proc/[0-9]*; do
			[[ -O $p ]] || continue
			{ tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "XDG_RUNTIME_DIR=$PM/xdg" &&
				kill -KILL "${p#/proc/}" 2>/dev/null
		done
		[[ -z ${PM_LOCK-} ]] || rm -f "$PM_LOCK"
	fi
	if [[ -n ${PM_RUN-} ]]; then
		if findmnt -rn -o TARGET | grep -qF "$PM_RUN"; then
			echo "LEFTOVER mounts under $PM_RUN" >&2
			fail=1
		else
			rm -rf --one-file-system "$PM_RUN" 2>/dev/null || chmod -R u+rwX "$PM_RUN"
			rm -rf --one-file-system "$PM_RUN"
		fi
	fi
	oci_teardown || fail=1
	return "$fail"
}

@test "oci-podman: run --rm passes the exit status through, fvm-oci is the runtime" {
	run -7 pm run --rm "$IMG" sh -c 'echo hello from fvm-oci; exit 7'
	assert_eq "$output" "hello from fvm-oci"
	run -0 pm run --rm "$IMG" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	assert_contains "$output" "Seccomp:	2"   # podman's default profile, compiled by fvm-oci
	run -0 pm info --format '{{.Host.OCIRuntime.Path}}'
	assert_eq "$output" "$FVM_OCI"
}

@test "oci-podman: run -d, exec, logs, stop -t 2, rm" {
	run -0 pm run -d --name "d-$TEST_ID" "$IMG" sh -c 'echo started; trap "echo got-term; exit 3" TERM; while :; do sleep 0.1; done'
	run -0 pm exec "d-$TEST_ID" sh -c 'echo in-$((6 * 7)); id -u'
	assert_eq "$output" $'in-42\n0'
	run -5 pm exec "d-$TEST_ID" sh -c 'exit 5'
	run -0 pm exec -d "d-$TEST_ID" sleep 30
	run -0 pm top "d-$TEST_ID" comm
	assert_contains "$output" sleep
	run -0 pm logs "d-$TEST_ID"
	assert_contains "$output" started
	run -0 pm stop -t 2 "d-$TEST_ID"
	run -0 pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "d-$TEST_ID"
	assert_eq "$output" "exited 3" "the program's own answer to SIGTERM"
	run -0 pm logs "d-$TEST_ID"
	assert_contains "$output" got-term
	run -0 pm rm "d-$TEST_ID"
	wait_for 10 pm_state_empty
}

# on_tty SCRIPT-BODY: run it under `script`, which gives it a terminal
on_tty() {
	{
		echo '#!/bin/sh'
		if is_root; then
			printf 'exec timeout --foreground -k 5 60 nsenter -t %s -m -- ' "$OCI_NS_PID"
		else
			printf 'export HOME=%q XDG_RUNTIME_DIR=%q; exec timeout --foreground -k 5 60 ' \
				"$PM/home" "$PM/xdg"
		fi
		printf 'podman --root %q --runroot %q --storage-driver vfs --tmpdir %q ' \
			"$PM/root" "$PM_RUN" "$PM/tmp"
		echo "$1"
	} >"$TEST_ROOT/tty.sh"
	chmod +x "$TEST_ROOT/tty.sh"
	script -qec "$TEST_ROOT/tty.sh" /dev/null </dev/null 3>&-
}

@test "oci-podman: run -t and exec -t get a pty through --console-socket" {
	run -4 on_tty "run --rm -t $IMG sh -c 'tty; test -t 0 && echo stdin-tty; exit 4'"
	assert_contains "$output" "/dev/pts/0"
	assert_contains "$output" "stdin-tty"
	run -0 pm run -d --name "t-$TEST_ID" "$IMG" sleep 100
	run -6 on_tty "exec -t t-$TEST_ID sh -c 'tty; exit 6'"
	assert_contains "$output" "/dev/pts/"
	run -0 pm rm -f -t 0 "t-$TEST_ID"
}

@test "oci-podman: --network none has loopback only" {
	run -0 pm run --rm --network none "$IMG" cat /proc/net/dev
	assert_contains "$output" "lo:"
	assert_eq "$(grep -c ':' <<<"$output")" 1 "interfaces besides lo"
}

@test "oci-podman: --memory and --pids-limit are the container's cgroup limits, and hold" {
	skip_rootless "cgroup v1 gives an unprivileged podman no cgroup for --memory and --pids-limit"
	run -0 pm run -d --name "m-$TEST_ID" --memory 64m --pids-limit 20 "$IMG" sleep 100
	local id
	id=$(pm inspect --format '{{.Id}}' "m-$TEST_ID")
	assert_eq "$(cat /sys/fs/cgroup/memory/libpod_parent/libpod-$id/memory.limit_in_bytes)" 67108864
	assert_eq "$(cat /sys/fs/cgroup/pids/libpod_parent/libpod-$id/pids.max)" 20
	run -0 pm exec "m-$TEST_ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
	assert_eq "$output" $'67108864\n20'
	run pm exec "m-$TEST_ID" sh -c 'for i in $(seq 30); do sleep 5 & done; echo all-forked'
	assert_not_contains "$output" all-forked "30 processes under pids.max 20"
	run pm exec "m-$TEST_ID" sh -c 'head -c 200m /dev/zero | tail -c 1 >/dev/null; echo survived'
	assert_not_contains "$output" survived "200 MiB held in memory under a 64 MiB limit"
	run -0 pm rm -f -t 0 "m-$TEST_ID"
	[[ ! -d /sys/fs/cgroup/memory/libpod_parent/libpod-$id ]] || { echo "cgroup left" >&2; return 1; }
}

@test "oci-podman: pause and unpause freeze the container's cgroup" {
	skip_rootless "cgroup v1 gives an unprivileged podman no freezer cgroup to pause"
	run -0 pm run -d --name "p-$TEST_ID" "$IMG" sleep 100
	local id
	id=$(pm inspect --format '{{.Id}}' "p-$TEST_ID")
	run -0 pm pause "p-$TEST_ID"
	assert_eq "$(pm inspect --format '{{.State.Status}}' "p-$TEST_ID")" paused
	assert_eq "$(cat /sys/fs/cgroup/freezer/libpod_parent/libpod-$id/freezer.state)" FROZEN
	run -0 pm unpause "p-$TEST_ID"
	assert_eq "$(cat /sys/fs/cgroup/freezer/libpod_parent/libpod-$id/freezer.state)" THAWED
	run -0 pm exec "p-$TEST_ID" echo thawed
	run -0 pm rm -f -t 0 "p-$TEST_ID"
}

@test "oci-podman: a container writes to its image's /etc; the image keeps its own" {
	run -0 pm run --name "w-$TEST_ID" "$IMG" sh -c 'echo changed >/etc/issue; echo new >/etc/added; cat /etc/issue'
	assert_eq "$output" changed
	run -0 pm diff "w-$TEST_ID"
	assert_contains "$output" "A /etc/added"
	assert_contains "$output" "C /etc/issue"
	run -0 pm run --rm "$IMG" sh -c 'cat /etc/issue; test -e /etc/added || echo no-added'
	assert_eq "$output" $'fvm-test image\nno-added'
	run -0 pm rm "w-$TEST_ID"
}

@test "oci-podman: annotation org.fvm.vm runs the container over the host's files, copy-on-write, as a VM fvm diff sees" {
	local vm=h-$TEST_ID
	if ! is_root; then   # podman runs fvm-oci in a user namespace: refused, saying why
		run -126 pm run --rm --annotation "org.fvm.vm=$vm" --annotation "org.fvm.store=$FVM_HOME" "$IMG" true
		assert_contains "$output" "org.fvm.vm: fvm-oci runs in a user namespace"
		return 0
	fi
	run -3 --separate-stderr pm run --rm --annotation "org.fvm.vm=$vm" --annotation "org.fvm.store=$FVM_HOME" \
		--annotation "org.fvm.policy=hide=$SCRATCH/secret" "$IMG" \
		sh -c "cat /etc/debian_version; echo was-here >/etc/fvm-oci-$TEST_ID; test -e $SCRATCH/secret || echo hidden; exit 3"
	assert_eq "$output" "$(cat /etc/debian_version)"$'\nhidden'
	[[ ! -e /etc/fvm-oci-$TEST_ID ]] || { rm -f "/etc/fvm-oci-$TEST_ID"; echo "the write reached the host" >&2; return 1; }
	run -0 fvm diff "$vm"
	assert_contains "$output" "/etc/fvm-oci-$TEST_ID"
	assert_state "$vm" stopped
	run -0 fvm inspect "$vm"
	assert_contains "$output" "$SCRATCH/secret"
	# a bad annotation is refused, naming it
	run -126 pm run --rm --annotation "org.fvm.vm=../x" "$IMG" true
	assert_contains "$output" "org.fvm.vm"
}
