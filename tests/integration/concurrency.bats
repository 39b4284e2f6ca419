#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# concurrency.bats - several fvm commands on one VM at the same time: all
# succeed, none loses another's writes, and the VM ends up stopped.

load helpers

# parallel_runs N NAME: start N `fvm run NAME` appending their PID to a
# file inside the VM; wait for all; statuses in $SCRATCH/status.*.
parallel_runs() {
	local n=$1 name=$2 k pids=()
	for ((k = 1; k <= n; k++)); do
		(
			rc=0
			timeout -k 5 60 "$FVM" run "$name" -- sh -c "echo \$\$ >> '$VMFILE'" \
				</dev/null >"$SCRATCH/out.$k" 2>"$SCRATCH/err.$k" || rc=$?
			echo "$rc" >"$SCRATCH/status.$k"
		) 3>&- &
		pids+=($!)
	done
	wait "${pids[@]}"
}

setup() {
	fvm_setup
	# a path inside the VM's /tmp that must never appear on the host
	VMFILE=/tmp/fvm-conc-$TEST_ID
	host_cleanup_add "rm -f '$VMFILE'"
	[[ ! -e $VMFILE ]]
}

check_parallel_result() {
	local name=$1 k
	for k in 1 2 3 4; do
		assert_eq "$(cat "$SCRATCH/status.$k")" 0 "run $k: $(cat "$SCRATCH/err.$k")"
	done
	run -0 --separate-stderr fvm run "$name" -- cat "$VMFILE"
	assert_eq "$(grep -c . <<<"$output")" 4 "four lines in $VMFILE: $output"
	assert_eq "$(grep -cvE '^[0-9]+$' <<<"$output")" 0 "every line is a pid: $output"
	assert_not_exists "$VMFILE"
	assert_state "$name" stopped
}

@test "concurrency: 4 parallel runs of an existing VM all succeed" {
	fvm create web
	parallel_runs 4 web
	check_parallel_result web
}

@test "concurrency: 4 parallel runs of a new VM create it exactly once" {
	parallel_runs 4 web
	check_parallel_result web
	local created
	created=$(cat "$SCRATCH"/err.* | grep -c "fvm: created VM 'web'" || true)
	assert_eq "$created" 1 "'created VM' announcements"
	run -0 fvm ls -q
	assert_eq "$output" web
}

@test "concurrency: parallel runs of different VMs get their own uid ranges and layers" {
	local k pids=()
	for k in 1 2 3 4; do
		timeout -k 5 60 "$FVM" run "vm$k" -- sh -c "echo $k > '$VMFILE'" \
			</dev/null >/dev/null 2>"$SCRATCH/err.$k" 3>&- &
		pids+=($!)
	done
	for k in 1 2 3 4; do
		wait "${pids[k - 1]}" || { echo "vm$k: $(cat "$SCRATCH/err.$k")" >&2; false; }
	done
	for k in 1 2 3 4; do
		run -0 fvm run "vm$k" -- cat "$VMFILE"
		assert_eq "$output" "$k" "vm$k sees its own file"
	done
	if is_root; then
		local bases
		bases=$(fvm inspect vm1 vm2 vm3 vm4 | jq -r '.[].uid_base' | sort -u | wc -l)
		assert_eq "$bases" 4 "four distinct uid_base"
	fi
	assert_not_exists "$VMFILE"
}

@test "concurrency: start while runs are going on" {
	fvm create web
	"$FVM" run web -- sleep 10 </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 bash -c 'exec 3>&-; [[ $("$FVM" ls | awk "\$1 == \"web\" { print \$2 }") == running ]]'
	run --separate-stderr fvm start web
	# starting a VM that a run keeps up: either fine, or a clear error
	if ((status != 0)); then
		assert_eq "$status" 125
		assert_fvm_error
	fi
	run -0 --separate-stderr fvm exec web -- hostname
	assert_eq "$output" web
}

# many_runs N NAME PREFIX: N concurrent `fvm run NAME` that each append
# PREFIX.K to $VMFILE in the VM; statuses in $SCRATCH/status.PREFIX.K,
# their pids added to JOBS (a bare `wait` would wait for bats' own timer).
JOBS=()
many_runs() {
	local n=$1 name=$2 pre=$3 k
	for ((k = 1; k <= n; k++)); do
		(
			rc=0
			timeout -k 5 120 "$FVM" run "$name" -- sh -c "echo $pre.$k >> '$VMFILE'" \
				</dev/null >/dev/null 2>"$SCRATCH/err.$pre.$k" || rc=$?
			echo "$rc" >"$SCRATCH/status.$pre.$k"
		) 3>&- &
		JOBS+=($!)
	done
}

@test "concurrency: 3 rounds of 100 concurrent runs on one VM all succeed and keep every write" {
	fvm create web
	local round k bad
	for round in 1 2 3; do
		JOBS=()
		many_runs 100 web "r$round"
		wait "${JOBS[@]}"
		bad=$(grep -Lx 0 "$SCRATCH"/status.r"$round".* || true)
		for k in $bad; do
			echo "${k##*/} = $(cat "$k"): $(cat "${k/status/err}")" >&2
		done
		[[ -z $bad ]]
		run -0 --separate-stderr fvm run web -- cat "$VMFILE"
		for ((k = 1; k <= 100; k++)); do
			grep -qx "r$round.$k" <<<"$output" || { echo "round $round: run $k's line is lost" >&2; false; }
		done
	done
	assert_eq "$(grep -c . <<<"$output")" 300 "lines after three rounds"
	assert_not_exists "$VMFILE"
	assert_state web stopped
}

@test "concurrency: runs and execs with fvm stop mixed in never fail with fvm's own error" {
	fvm create web
	fvm_start web
	local k f rc
	JOBS=()
	many_runs 120 web run
	for ((k = 1; k <= 60; k++)); do
		(
			rc=0
			timeout -k 5 120 "$FVM" exec web -- true </dev/null >/dev/null 2>"$SCRATCH/err.exec.$k" || rc=$?
			echo "$rc" >"$SCRATCH/status.exec.$k"
		) 3>&- &
		JOBS+=($!)
	done
	# stops while the runs come and go (each waits for the VM to be down)
	for k in 1 2 3 4 5; do
		timeout -k 5 120 "$FVM" stop -t 5 web </dev/null >/dev/null 2>"$SCRATCH/err.stop.$k" 3>&- ||
			{ echo "fvm stop $k: $(cat "$SCRATCH/err.stop.$k")" >&2; false; }
	done
	wait "${JOBS[@]}"
	for f in "$SCRATCH"/status.run.*; do
		rc=$(cat "$f")
		# 0, or the program was ended by a stop (SIGTERM, or SIGKILL after -t)
		case $rc in
		0 | 143 | 137) ;;
		*) echo "${f##*/} = $rc: $(cat "${f/status/err}")" >&2; false ;;
		esac
	done
	for f in "$SCRATCH"/status.exec.*; do
		rc=$(cat "$f")
		# exec joins only: a VM that a stop left down is "not running"
		if ((rc != 0 && rc != 143 && rc != 137)); then
			assert_eq "$rc" 125 "${f##*/}: $(cat "${f/status/err}")"
			assert_contains "$(cat "${f/status/err}")" "VM 'web' is not running" "${f##*/}"
		fi
	done
	# every run that succeeded kept its write
	run -0 --separate-stderr fvm run web -- cat "$VMFILE"
	for f in "$SCRATCH"/status.run.*; do
		[[ $(cat "$f") == 0 ]] || continue
		k=${f##*.}
		grep -qx "run.$k" <<<"$output" || { echo "run $k succeeded but its line is lost" >&2; false; }
	done
	run -0 cat "$SCRATCH"/err.run.* "$SCRATCH"/err.exec.*
	assert_not_contains "$output" "cannot enter its namespaces" "no joiner failed on a dying VM"
	assert_not_contains "$output" "keeps stopping" "no joiner gave up"
}
