#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pid.bats - PID isolation: fvm's init is PID 1 and reaps orphans, a VM
# sees only its own processes, and cannot signal or ptrace host processes
# or another VM's processes.

load helpers

# host_sleeper: start `sleep 1000` on the host; its pid in HOST_SLEEP.
host_sleeper() {
	sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	HOST_SLEEP=$!
	bg_track "$HOST_SLEEP"
}

@test "pid: PID 1 inside is fvm's init, in a PID namespace of its own" {
	fvm create web
	run -0 --separate-stderr fvm run web -- cat /proc/1/cmdline
	assert_contains "$output" fvm "PID 1's command line"
	run -0 --separate-stderr fvm run web -- "$PROBE" pidns
	assert_ne "$output" "$(readlink /proc/self/ns/pid)" "PID namespace"
	run -0 --separate-stderr fvm run web -- "$PROBE" getpid
	assert_match "$output" '^[0-9]+$'
	((output > 1 && output < 100)) || { echo "pid in VM: $output" >&2; false; }
}

@test "pid: ps inside lists only the VM's processes" {
	host_sleeper
	fvm create web
	run -0 --separate-stderr fvm run web -- ps -e -o pid=,args=
	assert_not_contains "$output" "sleep 1000" "a host process is visible"
	local n
	n=$(grep -c . <<<"$output")
	((n >= 2 && n <= 4)) || { echo "expected init + ps (+ sh), got $n processes:" >&2; echo "$output" >&2; false; }
	assert_match "$(head -1 <<<"$output")" '^ *1 ' "PID 1 listed first"
	# /proc is the VM's own: no host pid directory
	run -0 fvm run web -- "$PROBE" stat "/proc/$HOST_SLEEP"
	if ((HOST_SLEEP > 100)); then
		assert_eq "$output" errno=ENOENT "/proc/$HOST_SLEEP inside"
	fi
}

@test "pid: a VM cannot signal a host process (ESRCH) and the process survives" {
	host_sleeper
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" kill "$HOST_SLEEP" 0
	assert_eq "$output" errno=ESRCH "kill -0 host pid"
	run -0 --separate-stderr fvm run web -- "$PROBE" kill "$HOST_SLEEP" KILL
	assert_eq "$output" errno=ESRCH "kill -KILL host pid"
	pid_alive "$HOST_SLEEP" || { echo "host sleep was killed" >&2; false; }
}

@test "pid: a VM cannot ptrace a host process (ESRCH)" {
	host_sleeper
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" ptrace "$HOST_SLEEP"
	assert_eq "$output" errno=ESRCH
	pid_alive "$HOST_SLEEP"
	assert_eq "$(awk '/^TracerPid:/ {print $2}' "/proc/$HOST_SLEEP/status")" 0 "host sleep not traced"
}

@test "pid: a VM cannot signal or ptrace another VM's processes" {
	fvm create web
	fvm create db
	fvm_start db
	local db_init
	db_init=$(init_pid db)
	assert_match "$db_init" '^[0-9]+$' "db's init pid"
	run -0 --separate-stderr fvm run web -- "$PROBE" kill "$db_init" 0
	assert_eq "$output" errno=ESRCH "kill db's init from web"
	run -0 --separate-stderr fvm run web -- "$PROBE" ptrace "$db_init"
	assert_eq "$output" errno=ESRCH "ptrace db's init from web"
	assert_eq "$(vm_state db)" running "db still runs"
}

@test "pid: init reaps orphaned zombies" {
	fvm create web
	# The inner sh exits at once; its child sleep is reparented to PID 1
	# and exits 0.2 s later; init must reap it.
	# ps's own status must count: a missing ps must not pass as "no zombie"
	run -0 --separate-stderr fvm run web -- sh -c \
		'sh -c "sleep 0.2 &"; sleep 1.5; out=$(ps -e -o stat=,pid=,args=) || exit 9
		 printf "%s\n" "$out" | awk "{ n++ } \$1 ~ /^Z/ { print } END { print n \" processes\" }"'
	assert_match "$output" '^[0-9]+ processes$' "zombies left in the VM (only the count may show)"
	((${output%% *} >= 2)) || { echo "ps saw ${output%% *} processes: it did not list the VM" >&2; false; }
}

# does fvm ps VM list the "sleep 1000" left behind?
daemon_shown() {
	fvm ps "$1" | awk '$4 == "sleep" && $5 == "1000" { f = 1 } END { exit !f }'
}

@test "pid: a daemon left by run keeps the VM running until fvm stop kills it" {
	fvm create web
	# The contract: the VM stops when its last process exits. A daemonized
	# grandchild outlives the command, so the VM must still run, and
	# fvm stop must kill it.
	run -0 --separate-stderr fvm run web -- sh -c 'setsid sleep 1000 </dev/null >/dev/null 2>&1 &'
	assert_eq "$(vm_state web)" running "VM with a daemon left"
	local daemon
	# setsid forks and then execs sleep: wait until ps shows it as sleep
	wait_for 10 daemon_shown web
	daemon=$(fvm ps web | awk '$4 == "sleep" && $5 == "1000" { print $3 }')
	assert_match "$daemon" '^[0-9]+$' "fvm ps shows the daemon with its host pid"
	pid_alive "$daemon"
	run -0 fvm stop -t 2 web
	assert_eq "$(vm_state web)" stopped
	wait_for 5 pid_dead "$daemon" || { echo "daemon $daemon survived fvm stop" >&2; false; }
}
