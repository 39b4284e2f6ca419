#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# changes-more.bats - regressions found in review: opaqueness below an
# emptied directory, and a running VM's later edits inside a directory it
# had committed.

load helpers

@test "changes: below a directory the VM emptied and remade, host entries are deletions too" {
	mkdir -p "$SCRATCH/d/sub"
	echo host >"$SCRATCH/d/sub/x"
	fvm create e
	run -0 fvm run e -- sh -c "rm -rf '$SCRATCH/d' && mkdir -p '$SCRATCH/d/sub' && echo vm > '$SCRATCH/d/sub/y' && ls '$SCRATCH/d/sub'"
	assert_eq "$output" y "the VM sees only its own entries"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_contains "$output" "D  $SCRATCH/d/sub/x" "the host's entry the VM no longer sees"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d"
	assert_not_exists "$SCRATCH/d/sub/x"
	assert_eq "$(cat "$SCRATCH/d/sub/y")" vm
}

@test "changes: a running VM's later edit inside a directory it committed survives its next boot" {
	fvm create e
	fvm_start e
	run -0 fvm exec e -- sh -c "mkdir '$SCRATCH/n' && echo one > '$SCRATCH/n/a' && echo b > '$SCRATCH/n/b'"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/n"
	assert_eq "$(cat "$SCRATCH/n/a")" one
	sleep 0.05   # a later ctime than the commit's record
	run -0 fvm exec e -- sh -c "echo two > '$SCRATCH/n/a'"
	fvm stop e
	run -0 --separate-stderr fvm run e -- cat "$SCRATCH/n/a" "$SCRATCH/n/b"
	assert_eq "$output" $'two\nb' "the edit after the commit is kept; the untouched file is the host's"
	assert_eq "$(cat "$SCRATCH/n/a")" one "the host keeps the committed version"
}
