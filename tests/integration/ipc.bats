#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ipc.bats - IPC isolation: a SysV shared memory key, a POSIX message queue
# and a /dev/shm object made in VM A are visible to A's other processes
# (two fvm exec, or a run joining a run) but neither in VM B nor on the host.

load helpers

# count_lines FILE REGEX N: FILE has exactly N lines matching REGEX.
count_lines() {
	[[ $(grep -c -- "$2" "$1" 2>/dev/null) == "$3" ]]
}

setup() {
	fvm_setup
	SYSV_KEY=$((0x46560000 + RANDOM))
	MQ=fvm-mq-$TEST_ID
	SHM=fvm-shm-$TEST_ID
	# If isolation fails the object appears on the host: remove it again.
	host_cleanup_add "'$PROBE' sysv-rm $SYSV_KEY"
	host_cleanup_add "'$PROBE' mq-unlink $MQ"
	host_cleanup_add "'$PROBE' shm-unlink $SHM"
	# Make sure the host does not have them to begin with.
	[[ $("$PROBE" sysv-get "$SYSV_KEY") == errno=ENOENT ]] || skip "SysV key $SYSV_KEY in use on the host"
	fvm create web
	fvm create db
	fvm_start web
}

@test "ipc: a SysV key made in VM A is seen by A's next exec, not by B or the host" {
	run -0 --separate-stderr fvm exec web -- "$PROBE" sysv-create "$SYSV_KEY"
	assert_eq "$output" ok "create in web"
	run -0 --separate-stderr fvm exec web -- "$PROBE" sysv-get "$SYSV_KEY"
	assert_eq "$output" ok "second exec of web"
	run -0 --separate-stderr fvm run db -- "$PROBE" sysv-get "$SYSV_KEY"
	assert_eq "$output" errno=ENOENT "db"
	run -0 "$PROBE" sysv-get "$SYSV_KEY"
	assert_eq "$output" errno=ENOENT "host"
}

@test "ipc: a POSIX message queue made in VM A is seen by A only" {
	run -0 --separate-stderr fvm exec web -- "$PROBE" mq-create "$MQ"
	assert_eq "$output" ok "create in web"
	run -0 --separate-stderr fvm exec web -- "$PROBE" mq-open "$MQ"
	assert_eq "$output" ok "second exec of web"
	run -0 --separate-stderr fvm run db -- "$PROBE" mq-open "$MQ"
	assert_eq "$output" errno=ENOENT "db"
	run -0 "$PROBE" mq-open "$MQ"
	assert_eq "$output" errno=ENOENT "host"
}

@test "ipc: a /dev/shm object made in VM A is seen by A only, not in the host's /dev/shm" {
	run -0 --separate-stderr fvm exec web -- "$PROBE" shm-create "$SHM" from-web
	assert_eq "$output" ok "create in web"
	run -0 --separate-stderr fvm exec web -- "$PROBE" shm-read "$SHM"
	assert_eq "$output" from-web "second exec of web"
	run -0 --separate-stderr fvm run db -- "$PROBE" shm-read "$SHM"
	assert_eq "$output" errno=ENOENT "db"
	run -0 "$PROBE" shm-read "$SHM"
	assert_eq "$output" errno=ENOENT "host"
	assert_not_exists "/dev/shm/$SHM"
}

@test "ipc: /dev/shm inside is a tmpfs of the VM's own" {
	run -0 --separate-stderr fvm exec web -- stat -f -c %T /dev/shm
	assert_eq "$output" tmpfs "file system type of /dev/shm"
	run -0 --separate-stderr fvm exec web -- stat -c %d /dev/shm
	local web_dev=$output
	assert_ne "$web_dev" "$(stat -c %d /dev/shm)" "device of /dev/shm: web vs host"
	run -0 --separate-stderr fvm run db -- stat -c %d /dev/shm
	assert_ne "$output" "$web_dev" "device of /dev/shm: db vs web"
}

@test "ipc: a second run joins a running run and shares its IPC" {
	fvm stop web
	# run 1 creates the objects and stays up; run 2 must join the same VM
	"$FVM" run web -- sh -c "'$PROBE' sysv-create $SYSV_KEY; '$PROBE' mq-create $MQ; '$PROBE' shm-create $SHM joined; sleep 30" \
		</dev/null >"$SCRATCH/run1.out" 2>&1 3>&- &
	bg_track $!
	wait_for 10 count_lines "$SCRATCH/run1.out" '^ok$' 3 ||
		{ echo "run 1 did not create the objects:" >&2; cat "$SCRATCH/run1.out" >&2; false; }
	run -0 --separate-stderr fvm run web -- sh -c "'$PROBE' sysv-get $SYSV_KEY; '$PROBE' mq-open $MQ; '$PROBE' shm-read $SHM"
	assert_eq "$output" "ok
ok
joined" "second run sees the first run's IPC objects"
	run -0 --separate-stderr fvm run web -- "$PROBE" pidns
	local ns2=$output
	run -0 --separate-stderr fvm exec web -- "$PROBE" pidns
	assert_eq "$output" "$ns2" "run and exec join the same PID namespace"
	run -0 --separate-stderr fvm run db -- "$PROBE" sysv-get "$SYSV_KEY"
	assert_eq "$output" errno=ENOENT "db"
}

@test "ipc: the IPC namespace differs from the host's and another VM's" {
	run -0 --separate-stderr fvm exec web -- readlink /proc/self/ns/ipc
	local web_ns=$output
	assert_ne "$web_ns" "$(readlink /proc/self/ns/ipc)" "host vs web"
	run -0 --separate-stderr fvm run db -- readlink /proc/self/ns/ipc
	assert_ne "$output" "$web_ns" "db vs web"
}
