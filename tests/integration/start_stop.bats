#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# start_stop.bats - start / exec / ps / stop, the VM's running state, and
# rm of a running VM (refused, or forced with -f).

load helpers

@test "start: the VM runs in the background; ls and inspect say running" {
	fvm create web
	fvm_start web
	assert_eq "$(vm_state web)" running "ls state"
	assert_eq "$(vm_field web .state)" running "inspect state"
	local pid
	pid=$(init_pid web)
	assert_match "$pid" '^[0-9]+$' "inspect init_pid"
	pid_alive "$pid" || { echo "init $pid is not alive on the host" >&2; false; }
	assert_exists "$FVM_HOME/vms/web/run/state.json"
}

@test "start: returns at once and does not hold the caller's stdout" {
	fvm create web
	# If fvm's init kept the pipe open, cat would never see EOF.
	run -0 timeout 20 bash -c 'exec 3>&-; "$FVM" start web 2>&1 | cat'
	assert_eq "$(vm_state web)" running
}

@test "start: VM processes do not keep the caller's working directory busy" {
	fvm create web
	mkdir "$SCRATCH/cwd"
	(cd "$SCRATCH/cwd" && fvm start web </dev/null >/dev/null 2>&1)
	local pid
	pid=$(init_pid web)
	[[ -n $pid ]]
	run readlink -v "/proc/$pid/cwd"
	if is_root; then
		assert_eq "$status" 0 "the host's root reads init's cwd"
		assert_ne "$output" "$SCRATCH/cwd" "init's cwd on the host"
	elif ((status == 0)); then
		assert_ne "$output" "$SCRATCH/cwd" "init's cwd on the host"
	else
		# rootless, init is not dumpable: even its owner cannot read its
		# cwd; it holds no reference to the caller's directory either way
		assert_contains "$output" "Permission denied" "why init's cwd is unreadable"
	fi
}

@test "exec: runs in the started VM, exit status passes through" {
	fvm create web
	fvm_start web
	run -0 --separate-stderr fvm exec web -- hostname
	assert_eq "$output" web
	run -9 fvm exec web -- sh -c 'exit 9'
	run -127 --separate-stderr fvm exec web -- /nonexistent/program
	run -0 --separate-stderr fvm exec -e FOO=bar -w /usr web -- sh -c 'echo "$FOO $PWD"'
	assert_eq "$output" "bar /usr"
	run -0 --separate-stderr bash -c 'exec 3>&-; echo in | "$FVM" exec -i web -- cat'
	assert_eq "$output" in
}

# init_ns VM PID NS: init's namespace NS, as readlink shows it. Rootless,
# init is not dumpable (attacks-harden.bats) and its ns links are root's:
# the pid namespace fvm recorded at boot, and the others of a first exec.
init_ns() {
	if is_root; then
		readlink "/proc/$2/ns/$3"
	elif [[ $3 == pid ]]; then
		echo "pid:[$(jq -r .pidns "$FVM_HOME/vms/$1/run/state.json")]"
	else
		fvm exec "$1" -- readlink "/proc/self/ns/$3"
	fi
}

@test "exec: joins the running VM: same namespaces as init" {
	fvm create web
	fvm_start web
	local pid
	pid=$(init_pid web)
	local ns
	for ns in pid ipc uts net mnt user; do
		run -0 --separate-stderr fvm exec web -- readlink "/proc/self/ns/$ns"
		assert_eq "$output" "$(init_ns web "$pid" "$ns")" "$ns namespace of exec vs init"
		assert_ne "$output" "$(readlink "/proc/self/ns/$ns")" "$ns namespace of exec vs host" ||
			[[ $ns == net && $(vm_field web .net) == host ]]
	done
}

@test "run: joins a started VM and leaves it running" {
	fvm create web
	fvm_start web
	local pid
	pid=$(init_pid web)
	run -0 --separate-stderr fvm run web -- readlink /proc/self/ns/pid
	assert_eq "$output" "$(init_ns web "$pid" pid)" "run joined init's PID namespace"
	assert_eq "$(vm_state web)" running "still running after run"
	assert_eq "$(init_pid web)" "$pid" "same init"
}

@test "run: without start the VM stops when the command exits" {
	fvm create web
	run -0 fvm run web -- true
	assert_state web stopped
	assert_eq "$(init_pid web)" "" "no init pid"
	assert_eq "$(vm_field web .state)" stopped
}

@test "run: once fvm run returns, the VM it stopped is stopped for every command at once (ls, rm without -f), and the next run sees its writes" {
	# fvm returns before the kernel has torn the VM's mounts down: whatever
	# comes next must see it stopped, and wait for the rest where it acts
	local round   # not i: bats' run sets that one
	fvm create web
	for round in 1 2 3 4 5; do
		run -0 --separate-stderr fvm run web -- sh -c "echo $round > /tmp/n-$TEST_ID"
		assert_eq "$(vm_state web)" stopped "fvm ls right after run $round"
		run -0 --separate-stderr fvm run web -- cat "/tmp/n-$TEST_ID"
		assert_eq "$output" "$round" "the next run reads what run $round wrote"
	done
	run -0 --separate-stderr fvm rm web
	assert_eq "$(vm_state web)" "" "removed"
}

@test "ps: one row per VM process, init is PID 1, host pids are real" {
	fvm create web
	fvm_start web
	"$FVM" exec web -- sh -c 'exec sleep 1000' </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 bash -c 'exec 3>&-; "$FVM" ps web | grep -q "sleep 1000"'
	run -0 --separate-stderr fvm ps web
	local header rows
	header=$(head -1 <<<"$output")
	assert_match "$header" '^VM +PID +HOSTPID +COMMAND' "header"
	rows=$(tail -n +2 <<<"$output")
	assert_match "$(awk '$2 == 1 { print $1 }' <<<"$rows")" '^web$' "a row for PID 1"
	local sleeper
	sleeper=$(awk '$4 == "sleep" && $5 == "1000" { print $3 }' <<<"$rows")
	assert_match "$sleeper" '^[0-9]+$' "host pid of sleep"
	assert_contains "$(tr '\0' ' ' <"/proc/$sleeper/cmdline")" "sleep 1000" "host pid is the sleep"
	assert_eq "$(awk '$2 == 1 { print $3 }' <<<"$rows")" "$(init_pid web)" "PID 1's host pid is init_pid"
	run -0 --separate-stderr fvm ps --json web
	jq -e . <<<"$output" >/dev/null || { echo "not JSON: $output" >&2; false; }
	assert_contains "$output" "$sleeper"
}

@test "ps: without names lists every running VM, nothing for stopped ones" {
	fvm create web
	fvm create db
	fvm create off
	fvm_start web
	fvm_start db
	run -0 --separate-stderr fvm ps
	assert_contains "$output" web
	assert_contains "$output" db
	assert_not_contains "$output" off
	run -0 --separate-stderr fvm ps off
	assert_eq "$(tail -n +2 <<<"$output")" "" "no rows for a stopped VM"
}

@test "stop: kills every VM process; the VM shows stopped; stopping again is fine" {
	fvm create web
	fvm_start web
	"$FVM" exec web -- sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	local exec_pid=$!
	bg_track "$exec_pid"
	wait_for 10 bash -c 'exec 3>&-; "$FVM" ps web | grep -q "sleep 1000"'
	local pids
	pids=$(vm_hostpids web)
	run -0 --separate-stderr fvm stop web
	assert_eq "$(vm_state web)" stopped
	local p
	for p in $pids; do
		wait_for 5 pid_dead "$p" || { echo "VM process $p survived stop" >&2; false; }
	done
	# the exec waiting on the killed sleep returns
	wait_for 5 pid_dead "$exec_pid"
	run -0 --separate-stderr fvm stop web
	run -0 --separate-stderr fvm stop web
}

@test "stop -t: a process ignoring SIGTERM is killed after the timeout" {
	fvm create web
	fvm_start web
	"$FVM" exec web -- sh -c "trap '' TERM; exec sleep 1000" </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 bash -c 'exec 3>&-; "$FVM" ps web | grep -q "sleep 1000"'
	local t0=$SECONDS
	run -0 --separate-stderr fvm stop -t 1 web
	((SECONDS - t0 <= 6)) || { echo "stop -t 1 took $((SECONDS - t0)) s" >&2; false; }
	assert_eq "$(vm_state web)" stopped
}

@test "stop: several VMs at once" {
	fvm create web
	fvm create db
	fvm_start web
	fvm_start db
	run -0 --separate-stderr fvm stop web db
	assert_eq "$(vm_state web)" stopped
	assert_eq "$(vm_state db)" stopped
}

@test "rm: refused while running with the contract's message; the VM is kept" {
	fvm create web
	fvm_start web
	run -125 --separate-stderr fvm rm web
	assert_eq "$stderr" "fvm: VM 'web' is running: stop it with 'fvm stop web' or use 'fvm rm -f web'"
	assert_exists "$FVM_HOME/vms/web/config.json"
	assert_eq "$(vm_state web)" running
}

@test "rm -f: stops a running VM and removes it" {
	fvm create web
	fvm_start web
	local pid
	pid=$(init_pid web)
	run -0 --separate-stderr fvm rm -f web
	assert_not_exists "$FVM_HOME/vms/web"
	wait_for 5 pid_dead "$pid" || { echo "init $pid survived rm -f" >&2; false; }
	run -0 fvm ls -q
	assert_eq "$output" ""
}

@test "rm: after stop the VM can be removed" {
	fvm create web
	fvm_start web
	fvm stop web
	run -0 --separate-stderr fvm rm web
	assert_not_exists "$FVM_HOME/vms/web"
}
