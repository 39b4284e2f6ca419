#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# oci-containerd.bats - containerd 1.6 and ctr with fvm-oci as the runc
# shim's binary (ctr run --runc-binary), offline (ctr run --rootfs over a
# busybox-static tree). containerd runs with the test's own config, root,
# state and sockets, the CRI plugin off, in the test's mount namespace
# (its shims put sockets in /run/containerd/s whatever the config says).

load oci-helpers

setup() {
	oci_setup
	oci_skip_unless containerd ctr containerd-shim-runc-v2 jq
	is_root || skip "rootless containerd needs rootlesskit (not installed); fvm-oci rootless is covered by oci-vs-runc.bats"
	oci_ns_start
	CD=$TEST_ROOT/cd
	mkdir -p "$CD/fifo"
	cat >"$CD/config.toml" <<-EOF2
	version = 2
	root = "$CD/root"
	state = "$CD/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri"]
	[grpc]
	  address = "$CD/sock"
	[ttrpc]
	  address = "$CD/sock.ttrpc"
	[debug]
	  address = ""
	[metrics]
	  address = ""
	EOF2
	nsenter -t "$OCI_NS_PID" -m -- containerd --config "$CD/config.toml" \
		</dev/null >"$CD/containerd.log" 2>&1 3>&- &
	CD_PID=$!
	bg_track "$CD_PID"
	wait_for 20 test -S "$CD/sock" || { cat "$CD/containerd.log" >&2; return 1; }
	oci_cgroup_parent default
	oci_rootfs "$TEST_ROOT/rootfs"
	RUN=(--runc-binary "$FVM_OCI" --runc-root "$CD/oci" --fifo-dir "$CD/fifo" --rootfs "$TEST_ROOT/rootfs")
}

c() {
	in_ns ctr --address "$CD/sock" "$@"
}

teardown() {
	local fail=0 left t
	if [[ -n ${CD_PID-} ]]; then
		for t in $(c task ls -q 2>/dev/null); do
			c task kill -s KILL "$t" >/dev/null 2>&1 || true
			wait_for 10 task_stopped "$t" || true
			c task rm -f "$t" >/dev/null 2>&1 || true
		done
		for t in $(c container ls -q 2>/dev/null); do
			c container rm "$t" >/dev/null 2>&1 || true
		done
		left=$(c task ls -q; c container ls -q)
		[[ -z $left ]] || { echo "LEFTOVER containerd tasks/containers: $left" >&2; fail=1; }
		kill -TERM "$CD_PID" 2>/dev/null || true
		wait_for 10 pid_dead "$CD_PID" || true
	fi
	oci_teardown ${CD:+"$CD/oci/default"} || fail=1
	return "$fail"
}

task_status() {
	c task ls | awk -v t="$1" '$1 == t { print $3 }'
}

task_stopped() {
	[[ $(task_status "$1") == STOPPED ]]
}

@test "oci-containerd: ctr run --rm passes the exit status through" {
	run -7 c run --rm "${RUN[@]}" "r-$TEST_ID" sh -c 'echo hello from fvm-oci; exit 7'
	assert_eq "$output" "hello from fvm-oci"
	run -0 c run --rm "${RUN[@]}" "r-$TEST_ID" grep -E '^(CapEff|NoNewPrivs):' /proc/self/status
	assert_contains "$output" "NoNewPrivs:	1"
	assert_contains "$output" "CapEff:	00000000a80425fb"   # containerd's default set
}

@test "oci-containerd: run -d, task ls, exec, ps, kill, rm" {
	run -0 c run -d "${RUN[@]}" "d-$TEST_ID" sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	assert_eq "$(task_status "d-$TEST_ID")" RUNNING
	local pid
	pid=$(c task ls | awk -v t="d-$TEST_ID" '$1 == t { print $2 }')
	[[ $(cat "$CD/oci/default/d-$TEST_ID/state.json" | jq .pid) == "$pid" ]]
	run -5 c task exec --exec-id e1 "d-$TEST_ID" sh -c 'echo in-$((6 * 7)); exit 5'
	assert_eq "$output" in-42
	run -0 c task exec --exec-id e2 --detach "d-$TEST_ID" sleep 30
	run -0 c task ps "d-$TEST_ID"
	assert_contains "$output" "$pid"
	assert_eq "$(grep -c '^[0-9]' <<<"$output")" 3 "init, the shell's sleep and the exec'd sleep"
	run -0 c task pause "d-$TEST_ID"
	assert_eq "$(task_status "d-$TEST_ID")" PAUSED
	run -0 c task resume "d-$TEST_ID"
	run -0 c task kill "d-$TEST_ID"
	wait_for 10 task_stopped "d-$TEST_ID"
	run -0 c task rm "d-$TEST_ID"
	run -0 c container rm "d-$TEST_ID"
	assert_eq "$(oci_state_left "$CD/oci/default")" "" "fvm-oci's state after task rm"
}

@test "oci-containerd: kill -s KILL of a program that ignores TERM, exit status 137" {
	run -0 c run -d "${RUN[@]}" "k-$TEST_ID" sleep 1000
	run -0 c task kill -s KILL "k-$TEST_ID"
	wait_for 10 task_stopped "k-$TEST_ID"
	run -0 c task rm "k-$TEST_ID"
	assert_contains "$output" "137"
	run -0 c container rm "k-$TEST_ID"
}
