#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# limits.bats - resource limits (--memory, --cpus, --pids, --io-weight) and
# fvm stats. Root mode: every VM has a cgroup (fvm/HASH-NAME under each v1
# controller, the pids one alone for a VM limited in its process count
# only, or under the v2 root) holding its limits, and none is left
# once it stops. Rootless: limits are refused with a clear message, and a
# VM without them runs and has stats from /proc. No test times anything:
# the limits are checked in the cgroup files and by what the kernel does
# at them (OOM kill, EAGAIN).

load helpers

setup() {
	fvm_setup
}

# Every VM of a test is named NAME-$TEST_ID, so teardown can tell its
# cgroups from anyone else's: a leftover fails the test.
teardown() {
	local left=""
	fvm_teardown || return 1
	[[ -n ${TEST_ID-} ]] || return 0
	left=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*/fvm/*' -name "*-$TEST_ID" 2>/dev/null)
	if [[ -n $left ]]; then
		echo "LEFTOVER cgroups: $left" >&2
		xargs -r rmdir <<<"$left" 2>/dev/null || true
		return 1
	fi
}

root_only() {
	is_root || skip "root mode: cgroups are root's to write"
}

# cgroup_v2: the host's /sys/fs/cgroup is a pure cgroup v2 tree.
cgroup_v2() {
	[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]]
}

# cg_dir PID CONTROLLER: the directory of PID's cgroup for CONTROLLER
# (memory, cpu, pids, ...): on v2 the one tree, on v1 that hierarchy's.
cg_dir() {
	local pid=$1 ctrl=$2 rel
	if cgroup_v2; then
		rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$rel"
	else
		rel=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup/$ctrl$rel"
	fi
}

# pids_below NAME N: `fvm stats` counts fewer than N processes in NAME.
pids_below() {
	(($(stat_field "$1" pids) < $2))
}

# stat_field NAME FIELD: one field of `fvm stats --json NAME`.
stat_field() {
	fvm stats --json "$1" | jq -r ".[0].$2"
}

@test "limits: as root, a VM runs in its own cgroup fvm/HASH-NAME, limits written, joined processes inside" {
	root_only
	local vm=lim-$TEST_ID pid d
	fvm create --memory 64M --cpus 0.5 --pids 100 --io-weight 500 "$vm"
	fvm_start "$vm"
	pid=$(init_pid "$vm")
	d=$(cg_dir "$pid" memory)
	assert_match "$d" "/fvm/[0-9a-f]{16}-$vm\$" "init's cgroup"
	if cgroup_v2; then
		assert_eq "$(cat "$d/memory.max")" 67108864 "memory.max"
		assert_eq "$(cat "$d/cpu.max")" "50000 100000" "cpu.max"
		assert_eq "$(cat "$d/pids.max")" 100 "pids.max"
	else
		assert_eq "$(cat "$d/memory.limit_in_bytes")" 67108864 "memory.limit_in_bytes"
		d=$(cg_dir "$pid" cpu)
		assert_eq "$(cat "$d/cpu.cfs_quota_us")" 50000 "cpu.cfs_quota_us"
		assert_eq "$(cat "$d/cpu.cfs_period_us")" 100000 "cpu.cfs_period_us"
		d=$(cg_dir "$pid" pids)
		assert_eq "$(cat "$d/pids.max")" 100 "pids.max"
		d=$(cg_dir "$pid" blkio)
		if [[ -e $d/blkio.weight ]]; then
			assert_eq "$(cat "$d/blkio.weight")" 59 "blkio.weight (500 of 1..10000 scaled to 10..1000)"
		elif [[ -e $d/blkio.bfq.weight ]]; then
			assert_eq "$(cat "$d/blkio.bfq.weight")" 59 "blkio.bfq.weight (500 of 1..10000 scaled to 10..1000)"
		fi
	fi
	# a program joining the VM is in the same cgroup, in every hierarchy
	run -0 --separate-stderr fvm exec "$vm" -- cat /proc/self/cgroup
	assert_eq "$(grep -v -e '::/$' -e 'name=' <<<"$output" | sort)" \
		"$(grep -v -e '::/$' -e 'name=' "/proc/$pid/cgroup" | sort)" "the joined program's cgroups"
}

@test "limits: --memory 32M: a 200M allocation is OOM-killed (137), the VM stays usable, another VM and the host are fine" {
	root_only
	local small=small-$TEST_ID big=big-$TEST_ID
	fvm create --memory 32M "$small"
	fvm create "$big"
	run --separate-stderr fvm run "$small" -- sh -c 'head -c 200M /dev/zero | tail >/dev/null'
	assert_status 137
	run -0 --separate-stderr fvm run "$small" -- echo alive
	assert_eq "$output" alive
	run -0 --separate-stderr fvm run "$big" -- sh -c 'head -c 200M /dev/zero | tail >/dev/null; echo ok'
	assert_eq "$output" ok "the same program in a VM without a limit"
	run -0 sh -c 'head -c 64M /dev/zero | tail >/dev/null; echo ok'
	assert_eq "$output" ok "the host"
}

@test "limits: --pids 20: forks beyond it fail with EAGAIN and the VM stays usable" {
	root_only
	local vm=pids-$TEST_ID
	fvm create --pids 20 "$vm"
	fvm_start "$vm"
	# 40 short sleepers: the shell's fork fails at the limit, and it gives up
	run --separate-stderr fvm exec "$vm" -- sh -c 'for i in $(seq 40); do sleep 2 & done; wait'
	assert_ne "$status" 0 "a fork loop past --pids"
	assert_match "$stderr" "Cannot fork|Resource temporarily unavailable" "the shell's fork error (EAGAIN)"
	# once the sleepers are gone, the VM is as usable as before
	wait_for 10 pids_below "$vm" 3
	run -0 --separate-stderr fvm exec "$vm" -- echo alive
	assert_eq "$output" alive
	assert_eq "$(stat_field "$vm" pids_limit)" 20
	local n
	n=$(stat_field "$vm" pids)
	((n >= 1 && n < 20)) || { echo "pids after the loop: $n" >&2; return 1; }
}

@test "stats --json: fields present and sane for a running VM; --cpus shows as its quota" {
	root_only
	local vm=st-$TEST_ID out
	fvm create --cpus 0.5 --memory 128M "$vm"
	fvm_start "$vm"
	fvm exec "$vm" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
	out=$(fvm stats --json "$vm")
	assert_eq "$(jq -r '.[0] | keys | sort | join(",")' <<<"$out")" \
		"cpu_usec,cpus_limit,io_read_bytes,io_write_bytes,memory_bytes,memory_limit,pids,pids_limit,running,source,vm"
	assert_eq "$(jq -r '.[0].vm' <<<"$out")" "$vm"
	assert_eq "$(jq -r '.[0].running' <<<"$out")" true
	assert_eq "$(jq -r '.[0].source' <<<"$out")" cgroup
	assert_eq "$(jq -r '.[0].cpus_limit' <<<"$out")" 0.5 "cpus_limit, read back from the cgroup"
	assert_eq "$(jq -r '.[0].memory_limit' <<<"$out")" 134217728
	assert_eq "$(jq -r '.[0].pids_limit' <<<"$out")" 2048 "no --pids: the default limit"
	jq -e '.[0] | .memory_bytes > 0 and .memory_bytes <= .memory_limit and .cpu_usec > 0 and .pids >= 1
		and .io_read_bytes >= 0 and .io_write_bytes >= 0' <<<"$out" >/dev/null ||
		{ echo "insane stats: $out" >&2; return 1; }
	# the table: a header and one row
	run -0 --separate-stderr fvm stats "$vm"
	assert_match "${lines[0]}" '^VM +STATE +MEM +MEMLIMIT'
	assert_match "${lines[1]}" "^$vm +running +[0-9.]+[BKMG] +128\\.0M +[0-9.]+ +0\\.50 "
}

@test "stats: a stopped VM has no use and its configured limits; all VMs without names; unknown VM fails" {
	local vm=off-$TEST_ID out
	fvm create "$vm"
	is_root && fvm config "$vm" --pids 50 --memory 1G
	out=$(fvm stats --json "$vm")
	jq -e '.[0] | .running == false and .source == "none" and .memory_bytes == 0 and .pids == 0' <<<"$out" >/dev/null ||
		{ echo "stopped: $out" >&2; return 1; }
	if is_root; then
		assert_eq "$(jq -r '.[0].pids_limit' <<<"$out")" 50
		assert_eq "$(jq -r '.[0].memory_limit' <<<"$out")" 1073741824
	fi
	run -0 --separate-stderr fvm stats
	assert_contains "$output" "$vm"
	run --separate-stderr fvm stats "nope-$TEST_ID"
	assert_status 125
	assert_fvm_error
}

@test "limits: no cgroup is left after fvm stop, after a run's VM stops by itself (and is renamed at once), or after rm -f" {
	root_only
	local vm=gone-$TEST_ID pid dirs=() d
	fvm create --memory 64M "$vm"
	fvm_start "$vm"
	pid=$(init_pid "$vm")
	for c in memory cpu pids; do
		dirs+=("$(cg_dir "$pid" "$c")")
	done
	for d in "${dirs[@]}"; do assert_exists "$d"; done
	fvm stop "$vm"
	for d in "${dirs[@]}"; do assert_not_exists "$d"; done
	# fvm run boots it, and it stops when the program exits; fvm returns
	# before the kernel's teardown of the VM, at whose end init leaves the
	# cgroup, which a helper of fvm's then removes
	run -0 --separate-stderr fvm run "$vm" -- true
	assert_state "$vm" stopped
	for d in "${dirs[@]}"; do wait_for 10 test ! -e "$d" || { echo "cgroup $d left after the run" >&2; return 1; }; done
	# renamed right after such a run: the cgroup named by its old name goes
	# (the helper leaves a renamed VM's alone, rename removes it)
	run -0 --separate-stderr fvm run "$vm" -- true
	fvm rename "$vm" "renamed-$TEST_ID"
	for d in "${dirs[@]}"; do wait_for 10 test ! -e "$d" || { echo "cgroup $d left after the rename" >&2; return 1; }; done
	fvm rename "renamed-$TEST_ID" "$vm"
	# rm -f of a running VM
	fvm_start "$vm"
	fvm rm -f "$vm"
	for d in "${dirs[@]}"; do assert_not_exists "$d"; done
}

@test "limits: as root, a VM without any limit (--pids max) has no cgroup; its stats are sums from /proc" {
	root_only
	local vm=free-$TEST_ID pid out
	fvm create --pids max "$vm"
	fvm_start "$vm"
	pid=$(init_pid "$vm")
	for c in memory cpu pids; do
		assert_not_contains "$(cg_dir "$pid" "$c")" "/fvm/" "init's $c cgroup"
	done
	assert_eq "$(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/fvm/*' -name "*-$vm" 2>/dev/null)" "" "cgroups of the VM"
	out=$(fvm stats --json "$vm")
	jq -e '.[0] | .running and .source == "proc" and .pids >= 1 and .memory_bytes > 0 and .pids_limit == 0' <<<"$out" >/dev/null ||
		{ echo "stats: $out" >&2; return 1; }
	# a program joining it runs, in no cgroup of fvm's either
	run -0 --separate-stderr fvm exec "$vm" -- cat /proc/self/cgroup
	assert_not_contains "$output" "/fvm/"
}

@test "limits: as root on v1, a VM whose only limit is its process count has a pids cgroup alone; joiners go there, stats from /proc" {
	root_only
	cgroup_v2 && skip "v1 hierarchies only: on v2 a VM's cgroup is one directory"
	local vm=pidsonly-$TEST_ID pid out c
	fvm create "$vm"
	fvm_start "$vm"
	pid=$(init_pid "$vm")
	assert_match "$(cg_dir "$pid" pids)" "/fvm/[0-9a-f]{16}-$vm\$" "init's pids cgroup"
	assert_eq "$(cat "$(cg_dir "$pid" pids)/pids.max")" 2048 "the default pids.max"
	for c in memory cpu cpuacct blkio; do
		assert_not_contains "$(cg_dir "$pid" "$c")" "/fvm/" "init's $c cgroup"
	done
	assert_eq "$(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/fvm/*' -name "*-$vm" 2>/dev/null)" \
		"$(cg_dir "$pid" pids)" "the VM's cgroups"
	run -0 --separate-stderr fvm exec "$vm" -- cat /proc/self/cgroup
	assert_eq "$(grep -v -e '::/$' -e 'name=' <<<"$output" | sort)" \
		"$(grep -v -e '::/$' -e 'name=' "/proc/$pid/cgroup" | sort)" "the joined program's cgroups"
	out=$(fvm stats --json "$vm")
	jq -e '.[0] | .running and .source == "proc" and .pids >= 1 and .memory_bytes > 0 and .pids_limit == 2048' <<<"$out" >/dev/null ||
		{ echo "stats: $out" >&2; return 1; }
	fvm stop "$vm"
	assert_eq "$(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/fvm/*' -name "*-$vm" 2>/dev/null)" "" "cgroups after stop"
}

@test "limits: a VM killed behind fvm's back leaves a stale cgroup that the next boot replaces" {
	root_only
	local vm=stale-$TEST_ID pid d
	fvm create --pids 30 "$vm"
	fvm_start "$vm"
	pid=$(init_pid "$vm")
	d=$(cg_dir "$pid" pids)
	kill -KILL "$pid"
	wait_for 5 pid_dead "$pid"
	run -0 --separate-stderr fvm run "$vm" -- cat /proc/self/cgroup
	assert_contains "$output" "$(basename "$d")"
	wait_for 10 test ! -e "$d" || { echo "cgroup $d left after the run" >&2; return 1; }   # removed again once the run's VM stopped (see above)
}

# fvm_opener FILE: HELPER= the pid of a process named fvm with FILE open
fvm_opener() {
	local f p
	HELPER=
	for f in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "$1" 2>/dev/null); do
		p=${f#/proc/}
		p=${p%%/*}
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == fvm ]] && HELPER=$p && return 0
	done
	return 1
}

proc_stopped() {
	[[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]]
}

# fvm run returns before its VM's teardown ends; a helper it leaves waits
# for init's end, then removes the VM's cgroup under the VM's lock. If the
# VM was removed meanwhile and another of the same name made and booted,
# the cgroup of that name is the new VM's: removed between its making and
# its first process, the new boot fails. The helper is held here where it
# waits for the lock (the test holds it, then stops the helper), while the
# VM is removed and made again; the new VM's cgroup without a process in
# it (its init killed behind fvm's back: the cgroup stays, as above)
# stands for that instant. The helper must leave it alone.
@test "limits: a run's cgroup helper leaves alone the cgroup of a new VM of the same name" {
	root_only
	local vm=again-$TEST_ID lockf pid d run_pid l w
	fvm create --memory 64M "$vm"
	mkfifo "$TEST_ROOT/in"
	fvm run -i "$vm" -- cat <"$TEST_ROOT/in" >/dev/null 2>"$TEST_ROOT/run.err" 3>&- &
	run_pid=$!
	bg_track "$run_pid"
	exec {w}>"$TEST_ROOT/in"
	assert_state "$vm" running
	lockf=$(realpath "$FVM_HOME/vms/$vm/lock")
	exec {l}<>"$lockf"
	flock -x "$l"
	exec {w}>&-   # cat ends: the VM stops, fvm run returns, its helper waits for our lock
	wait "$run_pid" || { cat "$TEST_ROOT/run.err" >&2; return 1; }
	wait_for 10 fvm_opener "$lockf" || { echo "no helper of fvm run waits for $lockf" >&2; return 1; }
	kill -STOP "$HELPER"
	host_cleanup_add "kill -CONT $HELPER"
	wait_for 5 proc_stopped "$HELPER"
	exec {l}>&-
	fvm rm "$vm"
	fvm create --memory 64M "$vm"
	fvm_start "$vm"
	pid=$(init_pid "$vm")
	d=$(cg_dir "$pid" memory)
	kill -KILL "$pid"
	wait_for 5 pid_dead "$pid"
	assert_exists "$d"
	kill -CONT "$HELPER"
	wait_for 10 pid_dead "$HELPER"
	[[ -e $d ]] || { echo "the helper of the removed VM removed the new VM's cgroup $d" >&2; return 1; }
	run -0 --separate-stderr fvm run "$vm" -- true   # the next boot replaces it
	wait_for 10 test ! -e "$d" || { echo "cgroup $d left after the run" >&2; return 1; }
}

# The same race as it happens: no step waits for the last one's helper.
# rm must not fail either: a helper that made the VM's lock file anew in
# the directory rm was deleting made it fail (Directory not empty).
@test "limits: rm, create and run of one name in a tight loop: every boot has its cgroup" {
	root_only
	local vm=loop-$TEST_ID round
	for round in {1..20}; do   # a list: bats' run leaves a global i (bats_version_lt)
		fvm create --memory 64M "$vm"
		run -0 --separate-stderr fvm run "$vm" -- sh -c 'grep -q "/fvm/" /proc/self/cgroup'
		fvm rm "$vm"
	done
}

@test "limits: rootless, --memory is refused with a clear message (create, run, config); without limits a VM runs and has stats" {
	is_root && skip "rootless mode: run the suite as an unprivileged user"
	local vm=rl-$TEST_ID
	run --separate-stderr fvm create --memory 64M "$vm"
	assert_status 125
	assert_fvm_error
	assert_contains "$stderr" "resource limits need cgroups this user can write: run fvm as root"
	run -0 fvm ls -q
	assert_eq "$(grep -c "^$vm\$" <<<"$output" || true)" 0 "no VM made"
	run --separate-stderr fvm run --pids 10 "$vm" -- true
	assert_status 125
	assert_contains "$stderr" "resource limits need cgroups this user can write"
	fvm create "$vm"
	run --separate-stderr fvm config "$vm" --cpus 1
	assert_status 125
	assert_contains "$stderr" "run fvm as root"
	run -0 --separate-stderr fvm run "$vm" -- echo fine
	assert_eq "$output" fine
	fvm_start "$vm"
	run -0 --separate-stderr fvm stats --json "$vm"
	jq -e '.[0] | .running and .source == "proc" and .memory_bytes > 0 and .pids >= 1 and .memory_limit == 0' <<<"$output" >/dev/null ||
		{ echo "rootless stats: $output" >&2; return 1; }
}
