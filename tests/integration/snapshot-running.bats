#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# snapshot-running.bats - fvm snapshot and fvm clone of a running VM
# (lib/vm/snapshot-running.c, freeze.c, store/layer-copy.c): the VM's
# processes are stopped while its live layer is copied, so a snapshot
# taken while a program writes holds the state of one instant (never a
# torn pair of writes); the VM runs on afterwards, on its own stack; a
# clone gets the files; a SIGKILL of fvm in the middle of the copy leaves
# the VM running (not stopped) and no half snapshot.

load helpers

# The writer: for i = 0, 1, ...: a.i, then b.i, then the counter c (via
# a rename, so c is always whole). In any instant's state: every b.i has
# its a.i, at most one a.i lacks its b.i, the a's are 0..N, every file is
# whole but the newest a and the newest b (the shell may have created one
# and not yet written it: empty), and c is N or N-1 (c is written after b.N).
WRITER='i=0; while :; do echo $i >"$1/a.$i"; echo $i >"$1/b.$i"; echo $i >"$1/c.tmp"; mv "$1/c.tmp" "$1/c"; i=$((i+1)); done'

# check_pairs DIR: the writer's files in DIR (seen in a VM) are one instant's.
CHECK='cd "$1" || exit 9
na=$(ls | grep -c "^a\.") nb=$(ls | grep -c "^b\.")
for f in b.*; do [ -e "a.${f#b.}" ] || { echo "torn: $f without a.${f#b.}"; exit 1; }; done
whole() {  # FILE I N: FILE holds I, or is the newest (N - 1) and empty
	[ "$(cat "$1")" = "$2" ] || { [ "$2" -eq $(($3 - 1)) ] && [ ! -s "$1" ]; } || { echo "$1 not whole"; exit 1; }
}
i=0; while [ $i -lt "$na" ]; do [ -e "a.$i" ] || { echo "a.$i missing below a.$na"; exit 1; }
	whole "a.$i" $i "$na"; [ $i -ge "$nb" ] || whole "b.$i" $i "$nb"; i=$((i+1)); done
[ $((na - nb)) -le 1 ] && [ $((na - nb)) -ge 0 ] || { echo "a: $na b: $nb"; exit 1; }
c=$(cat c 2>/dev/null || echo -1)
[ "$c" -ge $((nb - 2)) ] && [ "$c" -le $((nb - 1)) ] || { echo "c $c with $nb pairs"; exit 1; }
echo "$nb"'

count_b() {
	fvm run "$1" -- sh -c 'ls "$1" | grep -c "^b\."' _ "$2"
}

more_than() {  # VM DIR N: the VM shows more than N pairs in DIR
	(($(count_b "$1" "$2") > $3))
}

# no_process_stopped VM: none of the VM's processes is stopped (T).
no_process_stopped() {
	local p
	for p in $(vm_hostpids "$1"); do
		[[ $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) != T ]] || return 1
	done
}

start_writer() {  # VM DIR
	mkdir -p "$2"
	fvm exec "$1" -- sh -c "$WRITER" _ "$2" </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 30 more_than "$1" "$2" 20
}

@test "snapshot of a running VM while it writes: each snapshot holds one instant's state, and the VM writes on" {
	local w=$SCRATCH/w n tag
	fvm create v
	fvm_start v
	start_writer v "$w"
	for tag in r1 r2 r3; do
		run --separate-stderr fvm snapshot v "$tag"
		assert_status 0
		assert_eq "$output" "$tag"
	done
	# the VM runs on, unstopped, on its own stack; the writer goes on
	no_process_stopped v
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/v/stack.json" 2>/dev/null || echo 0)" 0
	n=$(count_b v "$w")
	wait_for 30 more_than v "$w" "$n"
	assert_not_exists "$FVM_HOME/vms/v/.live-copy"
	run fvm snapshots --json v
	assert_eq "$(jq -r 'map(.tag) | join(" ")' <<<"$output")" "r1 r2 r3"
	assert_eq "$(jq -r 'map(.depth) | join(" ")' <<<"$output")" "1 1 1"
	fvm stop v
	# each snapshot, restored, is one instant of the writer
	local last=0
	for tag in r1 r2 r3; do
		fvm restore v "$tag"
		run fvm run v -- sh -c "$CHECK" _ "$w"
		assert_status 0
		((output > 20)) || { echo "snapshot $tag holds only $output pairs"; return 1; }
		((output >= last)) || { echo "snapshot $tag ($output) is older than the one before ($last)"; return 1; }
		last=$output
	done
}

@test "clone of a running VM: the clone has the source's files as of one instant; the source runs on, unchanged" {
	local w=$SCRATCH/w
	fvm create v
	fvm_start v
	fvm exec v -- sh -c 'echo kept >"$1/kept" && mkdir "$1/d" && echo x >"$1/d/x" && ln "$1/kept" "$1/hard" && ln -s kept "$1/sym"' _ "$SCRATCH"
	echo host >"$SCRATCH/gone"
	fvm exec v -- rm "$SCRATCH/gone"
	start_writer v "$w"
	run --separate-stderr fvm clone v c1
	assert_status 0
	no_process_stopped v
	assert_eq "$(vm_state v)" running
	assert_eq "$(vm_state c1)" stopped
	# the clone: the files, the deletion, the hard link, the symlink; the writer's state whole
	assert_eq "$(fvm run c1 -- cat "$SCRATCH/kept" "$SCRATCH/d/x" "$SCRATCH/sym")" "kept
x
kept"
	fvm run c1 -- sh -c '[ ! -e "$1/gone" ] && [ "$(stat -c %i "$1/kept")" = "$(stat -c %i "$1/hard")" ]' _ "$SCRATCH"
	run fvm run c1 -- sh -c "$CHECK" _ "$w"
	assert_status 0
	# the source's own stack did not change; what the clone writes stays its own
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/v/stack.json" 2>/dev/null || echo 0)" 0
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/c1/stack.json")" 1
	fvm run c1 -- sh -c 'echo clone >"$1/kept"' _ "$SCRATCH"
	assert_eq "$(fvm exec v -- cat "$SCRATCH/kept")" kept
	fvm stop v
	assert_eq "$(fvm run v -- cat "$SCRATCH/kept")" kept
	# removing the source keeps what the clone stands on
	fvm rm -f v
	assert_eq "$(fvm run c1 -- cat "$SCRATCH/d/x")" x
}

NO_LSAN="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

@test "a SIGKILL of fvm while it copies a running VM's layer leaves the VM running and no half snapshot" {
	command -v strace >/dev/null || skip "strace is not installed (it kills fvm at a chosen call)"
	local w=$SCRATCH/w rc=0 n
	fvm create v
	fvm_start v
	start_writer v "$w"
	# killed at its 5th copy_file_range: the VM's processes are stopped then
	env "$NO_LSAN" strace -f -o /dev/null -e trace=copy_file_range -e inject=copy_file_range:signal=KILL:when=5 \
		"$FVM" snapshot v cut </dev/null >/dev/null 2>&1 3>&- || rc=$?
	assert_eq "$rc" 137 "fvm was killed"
	# the helper continued them: the writer writes on
	wait_for 10 no_process_stopped v
	n=$(count_b v "$w")
	wait_for 30 more_than v "$w" "$n"
	run fvm snapshots --json v
	assert_eq "$(jq length <<<"$output")" 0
	# the next snapshot clears what the kill left, and works
	run --separate-stderr fvm snapshot v after
	assert_status 0
	assert_not_exists "$FVM_HOME/vms/v/.live-copy"
	fvm stop v
	fvm restore v after
	run fvm run v -- sh -c "$CHECK" _ "$w"
	assert_status 0
}

@test "a stopped process of a running VM stays stopped after a snapshot; the others run on" {
	fvm create v
	fvm_start v
	fvm exec v -- sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	fvm exec v -- sh -c 'kill -STOP $$; echo never' </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 has_stopped v
	fvm exec v -- sh -c 'echo x >"$1/f"' _ "$SCRATCH"
	run --separate-stderr fvm snapshot v s
	assert_status 0
	# the one stopped before is still stopped, sleep runs (S) again
	has_stopped v
	local p st
	for p in $(vm_hostpids v); do
		st=$(awk '{ print $2, $3 }' "/proc/$p/stat" 2>/dev/null) || continue
		[[ $st != "(sleep) T" ]] || { echo "sleep left stopped"; return 1; }
	done
}

has_stopped() {
	local p
	for p in $(vm_hostpids "$1"); do
		[[ $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) == T ]] && return 0
	done
	return 1
}

# progress_lines FILE WHAT: the distinct progress lines "fvm: WHAT: N entries..." in a typescript
progress_lines() {
	tr '\r' '\n' <"$1" | grep -a "fvm: $2: [0-9]* entries" | sort -u || true
}

@test "progress: a snapshot and a clone of a running VM show a moving line on a terminal (entries, bytes); none with TERM=dumb or on a pipe" {
	local lines
	fvm create v
	fvm_start v
	# files of a line each: bytes are counted from the first one on (with
	# empty files the lines drawn could all come, in the directory's
	# order, before the one big file)
	fvm exec v -- sh -c 'mkdir "$1/many" && cd "$1/many" && seq 1 20000 | split -l 1 -a 5 - f && head -c 32M /dev/zero >big' _ "$SCRATCH"
	run -0 script -qec "NO_COLOR=1 $FVM snapshot v s1 >/dev/null" "$TEST_ROOT/typescript"
	lines=$(progress_lines "$TEST_ROOT/typescript" "taking a snapshot")
	[[ -n $lines ]] || { echo "no progress line: $(tr '\r' '\n' <"$TEST_ROOT/typescript" | head -5)" >&2; return 1; }
	(($(wc -l <<<"$lines") >= 2)) || { echo "the line did not move: $lines" >&2; return 1; }
	assert_match "$lines" "entries, [0-9.]+ (B|KiB|MiB)" "the bytes copied"
	assert_not_contains "$(cat "$TEST_ROOT/typescript")" $'\033[32m' "NO_COLOR: no colour"
	assert_eq "$(vm_state v)" running
	run -0 script -qec "$FVM clone v c1" "$TEST_ROOT/typescript2"
	lines=$(progress_lines "$TEST_ROOT/typescript2" cloning)
	(($(wc -l <<<"$lines") >= 2)) || { echo "no moving clone line: $lines" >&2; return 1; }
	assert_contains "$(cat "$TEST_ROOT/typescript2")" "fvm: cloned VM 'v' as 'c1'"
	assert_eq "$(fvm run c1 -- sh -c 'ls "$1/many" | wc -l' _ "$SCRATCH")" 20001
	# TERM=dumb: no line to redraw; a pipe: nothing but the tag
	run -0 script -qec "TERM=dumb $FVM snapshot v s2" "$TEST_ROOT/typescript3"
	assert_not_contains "$(cat "$TEST_ROOT/typescript3")" "entries"
	assert_contains "$(cat "$TEST_ROOT/typescript3")" "s2"
	run -0 --separate-stderr fvm snapshot v s3
	assert_eq "$output" s3
	assert_eq "$stderr" ""
}
