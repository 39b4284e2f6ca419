#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# try-picker.bats - fvm try's question on a terminal (script(1) gives it
# a pty): 'v N' shows a unified diff of change N, host against VM
# (cli/try-diff.c, fvm_vm_open_file()), before deciding. The VM's file
# is hostile: an escape sequence in it or in its name reaches the
# terminal escaped; a symlink the VM made is not followed to a host file;
# a file over 1 MiB is not shown.

load helpers

setup_file() {
	command -v script >/dev/null || skip "script(1) from util-linux is missing"
	command -v diff >/dev/null || skip "diff(1) is missing"
}

# ask_try ANSWERS CMD: fvm try -- sh -c CMD on a pty; once the question is
# on the terminal, ANSWERS (lines) are typed. The terminal's text in $output.
ask_try() {
	local ts=$TEST_ROOT/typescript answers=$1
	rm -f "$ts"
	{
		wait_for 60 grep -q 'diff of change N?' "$ts" 2>/dev/null
		printf '%s' "$answers"
		# keep the terminal open until try is done
		wait_for 60 grep -q 'fvm: discarded\|fvm: kept VM' "$ts" 2>/dev/null
	} | script -qfec "exec 3>&-; \"$FVM\" try -- sh -c '$2'" "$ts" >/dev/null 2>&1 || true
	output=$(tr -d '\r' <"$ts")
}

@test "try: 'v N' shows the diff of change N, host against VM, then asks again" {
	mkdir -p "$SCRATCH/d"
	printf 'one\ntwo\nthree\n' >"$SCRATCH/d/a-mod"
	ask_try $'v 1\nv 9\nd\n' "printf \"one\\nTWO\\nthree\\n\" >$SCRATCH/d/a-mod; echo new >$SCRATCH/d/b-new"
	assert_contains "$output" "--- host:$SCRATCH/d/a-mod"
	assert_contains "$output" "+++ vm:$SCRATCH/d/a-mod"
	assert_contains "$output" "-two"
	assert_contains "$output" "+TWO"
	assert_contains "$output" " one"
	# a number not in the list is said so; the question comes again
	assert_contains "$output" "'v N' shows the diff of change N, a number from 1 to 2"
	(( $(grep -c 'diff of change N?' <<<"$output") == 3 )) || { echo "asked $(grep -c 'diff of change N?' <<<"$output") times: $output"; return 1; }
	assert_contains "$output" "fvm: discarded 2 changes"
	assert_eq "$(cat "$SCRATCH/d/a-mod")" $'one\ntwo\nthree' "the host's file is untouched"
}

@test "try: a new file is shown against an empty one; the VM's escape sequences reach the terminal escaped" {
	mkdir -p "$SCRATCH/d"
	# the VM's file: a line that would retitle the terminal and clear it
	ask_try $'v 1\nd\n' "printf \"ok\\033]0;pwned\\007\\033[2J\\n\" >$SCRATCH/d/new"
	assert_contains "$output" "--- host:$SCRATCH/d/new"
	assert_contains "$output" '+ok\x1b]0;pwned\x07\x1b[2J'
	assert_not_contains "$output" $'\033]0;pwned'
	assert_not_contains "$output" $'\033[2J'
}

@test "try: a symlink the VM made is not followed, a file over 1 MiB is not shown" {
	mkdir -p "$SCRATCH/d"
	echo host-secret >"$SCRATCH/secret"
	echo host >"$SCRATCH/d/a-link"
	ask_try $'v 1\nv 2\nd\n' "rm $SCRATCH/d/a-link; ln -s $SCRATCH/secret $SCRATCH/d/a-link; head -c 2000000 /dev/zero >$SCRATCH/d/b-big"
	assert_contains "$output" "is no regular file"
	assert_not_contains "$output" "host-secret"
	assert_contains "$output" "b-big is over 1 MiB: not shown"
	assert_contains "$output" "fvm: discarded 2 changes"
}
