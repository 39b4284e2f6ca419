#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# oci-vs-runc.bats - the same bundle run by runc (the reference) and by
# fvm-oci: what the program sees inside, exit statuses and `state` must
# agree. Bundles start from `runc spec` (--rootless when not root).

load oci-helpers

setup() {
	oci_setup
	oci_skip_unless runc jq
	B=$TEST_ROOT/bundle
	RR=$TEST_ROOT/runc-state
	FR=$TEST_ROOT/fvm-state
}

teardown() {
	local id
	for id in "r-$TEST_ID" "f-$TEST_ID"; do
		runc --root "$RR" delete --force "$id" >/dev/null 2>&1 || true
		"$FVM_OCI" --root "$FR" delete --force "$id" >/dev/null 2>&1 || true
	done
	oci_teardown "$FR"
}

# bundle [JQ-FILTER]: $B from `runc spec` (rootless as a user), then JQ-FILTER
bundle() {
	local f=${1:-.}
	oci_rootfs "$B/rootfs"
	rm -f "$B/config.json"
	if is_root; then
		(cd "$B" && runc spec)
	else
		(cd "$B" && runc spec --rootless)
	fi
	jq '.process.terminal = false | del(.process.capabilities.ambient)' "$B/config.json" |
		jq "$f" >"$B/c.new" && mv "$B/c.new" "$B/config.json"
}

# args CMD: the bundle runs `sh -c CMD`
args() {
	jq --arg c "$1" '.process.args = ["sh", "-c", $c]' "$B/config.json" >"$B/c.new" &&
		mv "$B/c.new" "$B/config.json"
}

# both CMD: run CMD in the bundle under runc, then fvm-oci; their stdout
# and exit statuses in R_OUT R_RC F_OUT F_RC
both() {
	args "$1"
	R_RC=0 F_RC=0
	R_OUT=$(timeout 60 runc --root "$RR" run -b "$B" "r-$TEST_ID" </dev/null 2>"$TEST_ROOT/r.err" 3>&-) || R_RC=$?
	F_OUT=$(timeout 60 "$FVM_OCI" --root "$FR" run -b "$B" "f-$TEST_ID" </dev/null 2>"$TEST_ROOT/f.err" 3>&-) || F_RC=$?
	echo "runc ($R_RC): $R_OUT" >&2
	cat "$TEST_ROOT/r.err" >&2
	echo "fvm-oci ($F_RC): $F_OUT" >&2
	cat "$TEST_ROOT/f.err" >&2
}

assert_same() {
	assert_eq "$F_RC" "$R_RC" "exit status (fvm-oci vs runc)"
	assert_eq "$F_OUT" "$R_OUT" "output (fvm-oci vs runc)"
}

@test "oci-vs-runc: exit statuses pass through, and a killed child's" {
	bundle
	both 'exit 7'
	assert_same
	assert_eq "$F_RC" 7
	both 'sh -c "kill -KILL \$\$"; exit $?'
	assert_same
	assert_eq "$F_RC" 137
	both 'exec /nonexistent'
	assert_eq "$F_RC" "$R_RC" "a program that is not there"
}

@test "oci-vs-runc: capabilities, NoNewPrivs and Seccomp in /proc/self/status" {
	bundle '.process.noNewPrivileges = true |
		.process.capabilities.bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"] |
		.process.capabilities.effective = ["CAP_CHOWN", "CAP_KILL"] |
		.process.capabilities.permitted = ["CAP_CHOWN", "CAP_KILL"] |
		.process.capabilities.inheritable = ["CAP_KILL"] |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
			syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	both 'grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?'
	assert_same
	assert_contains "$F_OUT" "CapBnd:	0000000000000421"
	assert_contains "$F_OUT" "NoNewPrivs:	1"
	assert_contains "$F_OUT" "Seccomp:	2"
	assert_contains "$F_OUT" "mkdir=1"
	# without noNewPrivileges neither sets it (the filter is loaded while privileged)
	bundle '.process.noNewPrivileges = false |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: []}'
	both 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
	assert_same
	if is_root; then
		assert_contains "$F_OUT" "NoNewPrivs:	0"
	fi
}

@test "oci-vs-runc: user, groups, uid map, hostname, cwd, env, rlimits, umask" {
	bundle '.hostname = "oci-box" | .process.cwd = "/tmp" |
		.process.env = ["PATH=/bin", "ONE=1", "TWO=two words"] |
		.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 900},
				    {type: "RLIMIT_CORE", soft: 0, hard: 0}] |
		.process.user.umask = 23'
	both 'hostname; pwd; env | sort; ulimit -n; ulimit -Hn; ulimit -c; umask; cat /proc/self/uid_map /proc/self/gid_map; id'
	assert_same
	assert_contains "$F_OUT" "oci-box"
	assert_contains "$F_OUT" "TWO=two words"
	assert_contains "$F_OUT" "0027"
	if is_root; then
		bundle '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
		both 'id; grep -E "^(Uid|Gid|Groups|CapEff)" /proc/self/status'
		assert_same
		assert_contains "$F_OUT" "Groups:	10 20"
		assert_contains "$F_OUT" "CapEff:	0000000000000000"
	fi
}

@test "oci-vs-runc: maskedPaths, readonlyPaths, root.readonly, mounts" {
	bundle '.root.readonly = true |
		.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs",
			     options: ["nosuid", "size=1m", "mode=700"]}]'
	both 'wc -c </proc/kcore; ls /proc/acpi | wc -l; echo 1 >/proc/sys/kernel/domainname 2>/dev/null; echo sys=$?; touch /newfile 2>/dev/null; echo root=$?; touch /data/f && echo data=ok; stat -c %a /data'
	assert_same
	assert_contains "$F_OUT" "root=1"
	assert_contains "$F_OUT" "data=ok"
	# the mount table's shape: mount points and types, cgroup hierarchies aside
	# (runc binds every v1 hierarchy, fvm-oci the seven it manages)
	both "awk '{ for (i = 7; \$i != \"-\"; i++); print \$5, \$(i + 1) }' /proc/self/mountinfo | grep -v '^/sys/fs/cgroup/' | sort"
	assert_same
}

@test "oci-vs-runc: state JSON, pid file, create/start/kill/delete" {
	bundle
	args 'trap "exit 3" TERM; while :; do sleep 0.1; done'
	local rt out id pid
	for rt in runc fvm; do
		if [[ $rt == runc ]]; then
			id=r-$TEST_ID
			R() { timeout 30 runc --root "$RR" "$@" 3>&-; }
		else
			id=f-$TEST_ID
			R() { timeout 30 "$FVM_OCI" --root "$FR" "$@" 3>&-; }
		fi
		R create -b "$B" --pid-file "$TEST_ROOT/$rt.pid" "$id" </dev/null >"$TEST_ROOT/$rt.out" 2>&1
		pid=$(cat "$TEST_ROOT/$rt.pid")
		[[ $(tail -c 1 "$TEST_ROOT/$rt.pid" | od -An -c) != *'\n'* ]] || { echo "$rt: pid file ends in a newline" >&2; return 1; }
		out=$(R state "$id")
		echo "$rt created: $out" >&2
		eval "${rt}_created=\$(jq -c '{ociVersion: (.ociVersion | length > 0), id, status, pid: (.pid == $pid), bundle, rootfs: (.rootfs | endswith(\"rootfs\")), created: (.created | length > 0)}' <<<\"\$out\")"
		R start "$id"
		eval "${rt}_running=\$(R state "$id" | jq -c '{status, pid: (.pid == $pid)}')"
		R kill "$id" TERM
		wait_for 10 pid_dead "$pid"
		eval "${rt}_stopped=\$(R state "$id" | jq -c '{status, pid}')"
		R delete "$id"
		run R state "$id"
		[[ $status -ne 0 ]] || { echo "$rt: state after delete succeeded" >&2; return 1; }
	done
	assert_eq "${fvm_created//f-/r-}" "$runc_created" "state of a created container"
	assert_contains "$fvm_created" '"status":"created"'
	assert_eq "$fvm_running" "$runc_running" "state of a started one"
	assert_eq "$fvm_running" '{"status":"running","pid":true}'
	assert_eq "$fvm_stopped" "$runc_stopped" "state of one whose program ended"
	assert_eq "$fvm_stopped" '{"status":"stopped","pid":0}'
}

@test "oci-vs-runc: exec into a running container, its status; delete refuses a running one" {
	bundle
	args 'sleep 1000'
	local rt id
	for rt in runc fvm; do
		if [[ $rt == runc ]]; then
			id=r-$TEST_ID
			R() { timeout 30 runc --root "$RR" "$@" 3>&-; }
		else
			id=f-$TEST_ID
			R() { timeout 30 "$FVM_OCI" --root "$FR" "$@" 3>&-; }
		fi
		R create -b "$B" "$id" </dev/null >/dev/null 2>&1
		R start "$id"
		run R exec "$id" sh -c 'echo in-$((6*7)); exit 5'
		assert_status 5
		assert_eq "$output" "in-42"
		jq '.args = ["sh", "-c", "cat /proc/self/status | grep ^NoNewPrivs; exit 4"] | .noNewPrivileges = true' \
			"$B/config.json" >/dev/null
		jq '.process | .args = ["sh", "-c", "grep ^NoNewPrivs /proc/self/status; exit 4"] | .noNewPrivileges = true' \
			"$B/config.json" >"$TEST_ROOT/proc.json"
		run R exec --process "$TEST_ROOT/proc.json" "$id"
		assert_status 4
		assert_eq "$output" "NoNewPrivs:	1"
		run R delete "$id"
		[[ $status -ne 0 ]] || { echo "$rt: deleted a running container without --force" >&2; return 1; }
		R delete --force "$id"
	done
}

@test "oci-vs-runc: cgroup limits seen inside (root), refused alike rootless" {
	bundle '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20}'
	if ! is_root; then
		both 'true'
		[[ $R_RC -ne 0 && $F_RC -ne 0 ]] || { echo "a rootless container with limits ran" >&2; return 1; }
		grep -q "linux.resources" "$TEST_ROOT/f.err"
		return 0
	fi
	both 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; sh -c "for i in \$(seq 30); do sleep 5 & done; echo all-forked" 2>/dev/null; echo inner=$?; kill -KILL -1'
	assert_same
	assert_contains "$F_OUT" "67108864"
	assert_contains "$F_OUT" $'\n20\n'
	assert_not_contains "$F_OUT" "all-forked" "30 processes under pids.max 20"
	assert_contains "$F_OUT" "inner=2"
}

@test "oci-vs-runc: what fvm-oci cannot honour it refuses, naming the field" {
	bundle '.linux.intelRdt = {closID: "x"}'
	args 'true'
	run "$FVM_OCI" --root "$FR" run -b "$B" "f-$TEST_ID"
	assert_status 1
	assert_contains "$output" "linux.intelRdt is not supported"
	bundle '.process.apparmorProfile = "unconfined"'
	run "$FVM_OCI" --root "$FR" run -b "$B" "f-$TEST_ID"
	assert_contains "$output" "process.apparmorProfile is not supported"
	bundle '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 1}]'
	run "$FVM_OCI" --root "$FR" run -b "$B" "f-$TEST_ID"
	assert_contains "$output" "linux.resources.hugepageLimits is not supported"
	bundle '.mounts += [{destination: "/x", type: "bind", source: "/tmp", options: ["bind", "idmap"]}]'
	run "$FVM_OCI" --root "$FR" run -b "$B" "f-$TEST_ID"
	assert_contains "$output" '"idmap" is not supported'
	# empty values mean nothing and are accepted
	bundle '.linux.intelRdt = null | .process.apparmorProfile = "" | .linux.resources.hugepageLimits = []'
	both 'echo ok'
	assert_same
	# --systemd-cgroup is refused, saying why
	run "$FVM_OCI" --systemd-cgroup --root "$FR" state x
	assert_status 1
	assert_contains "$output" "--systemd-cgroup"
	# and the --log lines are runc's JSON
	run "$FVM_OCI" --root "$FR" --log "$TEST_ROOT/log" --log-format json state nosuch
	assert_status 1
	jq -e 'select(.level == "error") | .msg | test("nosuch")' "$TEST_ROOT/log"
	jq -e '.time | test("^[0-9-]+T[0-9:.]+Z$")' "$TEST_ROOT/log"
	# features and --version, as engines probe them
	run -0 "$FVM_OCI" features
	jq -e '.ociVersionMax == "1.0.2" and .linux.seccomp.enabled and
		(.linux.namespaces | index("user")) and .linux.cgroup.systemd == false' <<<"$output"
	run -0 "$FVM_OCI" --version
	assert_contains "$output" "fvm-oci version"
	run -0 "$FVM" oci --version
	assert_contains "$output" "fvm-oci version"
}

@test "oci-vs-runc: kill --all and delete of a container in the host's pid namespace spare the host" {
	# without a pid namespace of its own a user namespace may not mount a
	# new /proc: the host's is bound in
	bundle 'del(.linux.namespaces[] | select(.type == "pid")) |
		(.mounts[] | select(.destination == "/proc")) |=
			{destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]}'
	args 'sleep 1000'
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local bystander=$!
	bg_track "$bystander"
	"$FVM_OCI" --root "$FR" create -b "$B" "f-$TEST_ID" </dev/null >/dev/null 2>&1 3>&-
	"$FVM_OCI" --root "$FR" start "f-$TEST_ID"
	local pid
	pid=$("$FVM_OCI" --root "$FR" state "f-$TEST_ID" | jq .pid)
	run -0 "$FVM_OCI" --root "$FR" kill --all "f-$TEST_ID" KILL
	wait_for 10 pid_dead "$pid"
	pid_alive "$bystander" || { echo "kill --all killed a host process" >&2; return 1; }
	run -0 "$FVM_OCI" --root "$FR" delete --force "f-$TEST_ID"
	pid_alive "$bystander" || { echo "delete --force killed a host process" >&2; return 1; }
}

@test "oci-vs-runc: hooks get the state on stdin; sysctl and oomScoreAdj inside" {
	local h=$TEST_ROOT/hooks
	mkdir -p "$h"
	# each hook appends the state it got (one JSON document per run) to a file
	# net.* needs a network namespace of its own (runc spec --rootless has none)
	bundle ".process.oomScoreAdj = 500 | .linux.sysctl = {\"net.ipv4.ip_forward\": \"1\"} |
		.linux.namespaces = (.linux.namespaces | map(select(.type != \"network\")) + [{type: \"network\"}]) |
		.hooks = {prestart: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"cat >>$h/prestart; echo >>$h/prestart\"]}],
			  poststop: [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"cat >>$h/poststop; echo >>$h/poststop\"]}]}"
	both 'cat /proc/self/oom_score_adj /proc/sys/net/ipv4/ip_forward'
	assert_same
	assert_eq "$F_OUT" $'500\n1'
	local id
	for id in "r-$TEST_ID" "f-$TEST_ID"; do
		jq -s -e --arg id "$id" 'map(select(.id == $id and .pid > 0)) | length == 1' "$h/prestart"
		jq -s -e --arg id "$id" 'map(select(.id == $id)) | length == 1' "$h/poststop"
	done
}

@test "oci-vs-runc: a network namespace joined by path, as podman passes it" {
	is_root || skip "joining a network namespace of the host's user namespace needs root"
	unshare --net sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local holder=$!
	bg_track "$holder"
	# looked at anew each time (unshare may not have switched yet)
	wait_for 10 bash -c '[[ $(readlink "/proc/$1/ns/net") != "$(readlink /proc/self/ns/net)" ]]' _ "$holder"
	local want
	want=$(readlink "/proc/$holder/ns/net")
	bundle "(.linux.namespaces[] | select(.type == \"network\")) |= {type: \"network\", path: \"/proc/$holder/ns/net\"}"
	both 'readlink /proc/self/ns/net'
	assert_same
	assert_eq "$F_OUT" "$want"
	# a pid namespace by path is refused, naming it
	bundle "(.linux.namespaces[] | select(.type == \"pid\")) |= {type: \"pid\", path: \"/proc/$holder/ns/pid\"}"
	run "$FVM_OCI" --root "$FR" run -b "$B" "f-$TEST_ID"
	assert_status 1
	assert_contains "$output" "joining a pid namespace by path is not supported"
}
