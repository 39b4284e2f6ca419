#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# services.bats - fvm start NAME -- COMMAND: a command kept running as the
# VM's service by a supervisor on the host, its output in a log in the
# store (fvm logs), its state in fvm ls and fvm inspect, --restart
# on-failure bounded, and fvm stop ending it for good. Each test tries to
# break it: a service that exits at once, one that floods its log, a VM
# that plants a symlink where it guesses the log is.

load helpers

# svc_field NAME FIELD: one field of the service in `fvm inspect NAME`
svc_field() {
	vm_field "$1" ".service$2"
}

svc_state_is() {
	[[ $(svc_field "$1" .state) == "$2" ]]
}

log_has() {  # NAME TEXT
	fvm logs "$1" 2>/dev/null | grep -qF -- "$2"
}

@test "service: fvm start NAME -- CMD runs CMD in the VM, logs its stdout and stderr, shows it in ls and inspect" {
	fvm create web 2>/dev/null
	fvm start web -- sh -c 'echo out-$(hostname); echo err >&2; exec sleep 300' </dev/null >"$TEST_ROOT/start.out" 2>&1 ||
		{ cat "$TEST_ROOT/start.out" >&2; return 1; }
	wait_for 10 log_has web out-web
	run -0 --separate-stderr fvm logs web
	assert_contains "$output" "out-web"
	assert_contains "$output" "err"
	assert_eq "$(svc_field web .state)" running
	assert_eq "$(svc_field web .command)" "sh -c echo out-\$(hostname); echo err >&2; exec sleep 300"
	assert_eq "$(vm_field web .state)" running
	run -0 fvm ls
	assert_match "$(grep '^web ' <<<"$output")" "running: sh -c echo out"
	run -0 fvm ls --json
	assert_eq "$(jq -r '.[] | select(.name == "web") | .service.state' <<<"$output")" running
	# the command runs in the VM, as its root
	run -0 fvm ps web
	assert_contains "$output" "sleep 300"
	# a second service while one runs is refused
	run -125 --separate-stderr fvm start web -- true
	assert_contains "$stderr" "already runs a service"
	# -t: timestamps; --since in the future: nothing
	run -0 fvm logs -t web
	assert_match "$(head -1 <<<"$output")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6} '
	run -0 fvm logs --since @4000000000 web
	assert_eq "$output" ""
	run -0 fvm logs --since 1h web
	assert_contains "$output" out-web
	run -125 --separate-stderr fvm logs --since yesterday web
	assert_contains "$stderr" "bad --since"
}

@test "service: fvm stop ends it and its supervisor, it is not restarted, and its log stays" {
	fvm create web 2>/dev/null
	fvm start --restart on-failure web -- sh -c 'echo up; exec sleep 300' </dev/null >/dev/null 2>&1
	wait_for 10 log_has web up
	local sup
	sup=$(svc_field web .supervisor_pid)
	[[ $sup =~ ^[0-9]+$ ]] && pid_alive "$sup"
	fvm stop web
	wait_for 10 pid_dead "$sup" || { echo "the supervisor $sup outlived fvm stop" >&2; return 1; }
	assert_eq "$(svc_field web .state)" stopped
	assert_eq "$(svc_field web .supervisor_pid)" null
	assert_eq "$(vm_field web .state)" stopped "not started again by the restart policy"
	run -0 fvm logs web
	assert_contains "$output" up
	# start it again: a new run, the old lines kept
	fvm start web -- sh -c 'echo again; exec sleep 300' </dev/null >/dev/null 2>&1
	wait_for 10 log_has web again
	run -0 fvm logs web
	assert_contains "$output" up
	fvm stop web
}

@test "service: --restart on-failure:2 with a command that fails at once is bounded: 3 runs, then 'failed'; -f ends" {
	fvm create fl 2>/dev/null
	fvm start --restart on-failure:2 fl -- sh -c 'echo run; exit 3' </dev/null >/dev/null 2>&1
	# -f follows until the service is over (it gives up after 1 + 2 s of backoff)
	run -0 --separate-stderr fvm logs -f fl
	assert_eq "$(grep -c '^run$' <<<"$output")" 3 "the first run and 2 restarts"
	assert_contains "$output" "after 2 restarts in a row: not restarted again"
	assert_eq "$(svc_field fl .state)" failed
	assert_eq "$(svc_field fl .last_status)" 3
	assert_eq "$(svc_field fl .restarts)" 2
	assert_eq "$(vm_field fl .state)" running "the VM stays up, for 'fvm exec' and 'fvm logs'"
	# a command that succeeds is not restarted; --restart no never
	fvm stop fl
	fvm start --restart on-failure fl -- sh -c 'echo ok-run' </dev/null >/dev/null 2>&1
	wait_for 10 svc_state_is fl exited
	assert_eq "$(svc_field fl .last_status)" 0
	fvm stop fl
	fvm start fl -- sh -c 'exit 7' </dev/null >/dev/null 2>&1
	wait_for 10 svc_state_is fl exited
	assert_eq "$(svc_field fl .last_status)" 7
	assert_eq "$(svc_field fl .restarts)" 0
	run -125 --separate-stderr fvm start --restart sometimes fl -- true
	assert_contains "$stderr" "bad --restart"
	run -125 --separate-stderr fvm start --restart on-failure:0 fl -- true
	assert_contains "$stderr" "bad --restart"
}

@test "service: a command that is not there is logged (127) and bounded too" {
	fvm create nf 2>/dev/null
	fvm start --restart on-failure:1 nf -- /no/such/program </dev/null >/dev/null 2>&1
	run -0 fvm logs -f nf
	assert_contains "$output" "/no/such/program"
	assert_eq "$(svc_field nf .state)" failed
	assert_eq "$(svc_field nf .last_status)" 127
}

@test "service: its log is out of the VM's reach; a symlink planted at the log's name is not followed" {
	fvm create web 2>/dev/null
	echo keep >"$SCRATCH/victim"
	fvm start web -- sh -c 'echo first; exec sleep 300' </dev/null >/dev/null 2>&1
	wait_for 10 log_has web first
	local log=$FVM_HOME/vms/web/logs/service.log
	assert_exists "$log"
	# the VM cannot name the log: the store is hidden from it
	run fvm exec web -- sh -c "ls -la '$FVM_HOME/vms/web/logs' 2>&1; echo x >>'$log'"
	assert_ne "$status" 0
	assert_not_contains "$(cat "$log")" "x"
	run -0 fvm exec web -- "$PROBE" open "$log" r
	[[ $output != ok* ]] || { echo "the VM opened its log: $output" >&2; return 1; }
	fvm stop web
	# the logger never follows a symlink at its file's name (the store is
	# ours, but be strict): a new service's lines do not land in the victim
	rm -f "$log" "$log.1"
	ln -s "$SCRATCH/victim" "$log"
	run -125 --separate-stderr fvm start web -- sh -c 'echo planted; exec sleep 300' </dev/null
	assert_contains "$stderr" "service.log is not a regular file"
	assert_eq "$(cat "$SCRATCH/victim")" keep "the symlink's target is untouched"
	assert_eq "$(vm_field web .state)" stopped "refused before the VM started"
}

@test "service: a service that floods its log keeps it bounded (two files of at most 1 MiB)" {
	fvm create fl 2>/dev/null
	# 5 MiB of lines, then a marker
	fvm start fl -- sh -c 'head -c 5000000 /dev/zero | tr "\0" "a" | fold -w 1000; echo; echo done-marker; exec sleep 300' </dev/null >/dev/null 2>&1
	wait_for 30 log_has fl done-marker
	local d=$FVM_HOME/vms/fl/logs
	assert_exists "$d/service.log.1"
	(( $(stat -c %s "$d/service.log") <= 1048576 )) || { echo "service.log: $(stat -c %s "$d/service.log") bytes" >&2; return 1; }
	(( $(stat -c %s "$d/service.log.1") <= 1048576 )) || { echo "service.log.1 too big" >&2; return 1; }
	assert_eq "$(ls "$d" | wc -l)" 2 "two files, no more"
	run -0 fvm logs fl
	assert_eq "$(tail -1 <<<"$output")" done-marker
	fvm stop fl
}

@test "service: a killed supervisor shows as 'dead'; fvm start still starts plain VMs, several at once" {
	fvm create a 2>/dev/null
	fvm create b 2>/dev/null
	fvm start a -- sleep 300 </dev/null >/dev/null 2>&1
	local sup
	sup=$(svc_field a .supervisor_pid)
	kill -KILL "$sup"
	wait_for 10 pid_dead "$sup"
	assert_eq "$(svc_field a .state)" dead
	fvm stop a
	fvm start a b </dev/null >/dev/null 2>&1
	assert_eq "$(vm_field a .state)" running
	assert_eq "$(vm_field b .state)" running
	run -125 --separate-stderr fvm start a b -- true
	assert_contains "$stderr" "a service is for one VM"
	run -125 --separate-stderr fvm start --restart on-failure a
	assert_contains "$stderr" "--restart is for a service"
	run -125 --separate-stderr fvm logs b
	assert_contains "$stderr" "no service has run in it"
	fvm stop a b
}

@test "service: fvm rm -f of a VM whose service runs removes it whole, supervisor included" {
	fvm create gone 2>/dev/null
	fvm start --restart on-failure gone -- sleep 300 </dev/null >/dev/null 2>&1
	local sup
	sup=$(svc_field gone .supervisor_pid)
	[[ $sup =~ ^[0-9]+$ ]]
	fvm rm -f gone
	wait_for 10 pid_dead "$sup" || { echo "the supervisor $sup outlived fvm rm -f" >&2; return 1; }
	assert_not_exists "$FVM_HOME/vms/gone"
	assert_eq "$(ls -A "$FVM_HOME/vms")" "" "nothing left in the store's VMs"
}

@test "service: --user runs it as that VM user, shown by ls and inspect; an unknown user is refused, naming the VM and the user, and starts nothing" {
	fvm create web 2>/dev/null
	if is_root; then
		fvm start --user nobody web -- sh -c 'echo "who=$(id -un):$(id -gn)"; exec sleep 300' </dev/null >"$TEST_ROOT/start.out" 2>&1 ||
			{ cat "$TEST_ROOT/start.out" >&2; return 1; }
		wait_for 10 log_has web "who="
		run -0 fvm logs web
		assert_contains "$output" "who=nobody:nogroup"
		assert_eq "$(svc_field web .user)" nobody
		assert_eq "$(svc_field web .state)" running
		run -0 fvm ls
		assert_match "$(grep '^web ' <<<"$output")" "running as nobody: sh -c echo"
		run -0 fvm ls --json
		assert_eq "$(jq -r '.[] | select(.name == "web") | .service.user' <<<"$output")" nobody
		fvm stop web
		# USER:GROUP and numbers, as for fvm run --user
		fvm start -u 1234:2345 web -- sh -c 'echo "ids=$(id -u):$(id -g)"' </dev/null >/dev/null 2>&1
		wait_for 10 log_has web "ids="
		assert_contains "$(fvm logs web)" "ids=1234:2345"
		wait_for 10 svc_state_is web exited
		assert_eq "$(svc_field web .user)" 1234:2345
		fvm stop web
	else
		# a rootless VM has one user, root: another is refused up front
		run -125 --separate-stderr fvm start --user nobody web -- true
		assert_contains "$stderr" "VM 'web'"
		assert_contains "$stderr" "--user 'nobody'"
		assert_eq "$(vm_state web)" stopped "the VM the refused start booted is stopped again"
		fvm start --user root web -- sh -c 'echo "uid=$(id -u)"' </dev/null >/dev/null 2>&1
		wait_for 10 log_has web "uid=0"
		assert_eq "$(svc_field web .user)" root
		fvm stop web
	fi
	# the default is root, recorded as such
	fvm start web -- true </dev/null >/dev/null 2>&1
	wait_for 10 svc_state_is web exited
	assert_eq "$(svc_field web .user)" root
	fvm stop web
	# an unknown user: refused before any service starts, the VM not left running
	run -125 --separate-stderr fvm start --user no-such-user-fvm web -- sh -c 'echo ran'
	assert_contains "$stderr" "VM 'web'"
	assert_contains "$stderr" "no-such-user-fvm"
	assert_not_contains "$(fvm logs web)" "ran"
	assert_eq "$(vm_state web)" stopped
	assert_ne "$(svc_field web .state)" running
	# a hostile or empty spec, --user without a command
	run -125 --separate-stderr fvm start --user $'a\nb' web -- true
	assert_contains "$stderr" "bad service user"
	run -125 --separate-stderr fvm start --user '' web -- true
	assert_contains "$stderr" "bad service user"
	run -125 --separate-stderr fvm start --user nobody web
	assert_contains "$stderr" "--user is for a service"
}
