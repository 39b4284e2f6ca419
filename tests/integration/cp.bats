#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cp.bats - fvm cp in and out of a VM: files and directories land in the
# VM's layer as its own writes would (and show in fvm diff); out of the
# VM the merged view is read; a VM-made symlink is never followed (not on
# the way, not at the end), nor a host destination that is a symlink; a
# running VM can be read but not written.

load helpers

setup() {
	fvm_setup
	mkdir -p "$SCRATCH/d"
	echo host >"$SCRATCH/d/f"
	echo secret >"$SCRATCH/secret"
	fvm create c 2>/dev/null
}

@test "cp into a stopped VM: the file is in its layer, the VM root's, and fvm diff shows it" {
	echo new >"$TEST_ROOT/in"
	chmod 4755 "$TEST_ROOT/in"
	run -0 fvm cp "$TEST_ROOT/in" "c:$SCRATCH/d/in"
	run -0 fvm cp "$TEST_ROOT/in" "c:$SCRATCH/d/"     # into a directory: its name
	assert_not_exists "$SCRATCH/d/in"
	run -0 fvm run c -- sh -c 'cat "$1/in"; stat -c "%u %a" "$1/in"' _ "$SCRATCH/d"
	assert_eq "$output" "new
0 755" "content, owner in the VM, mode without set-uid"
	run -0 fvm diff c "$SCRATCH/d"
	assert_eq "$output" "A  $SCRATCH/d/in"
	# a directory, into a place the VM deleted: it comes back, the host's old entries stay deleted
	run -0 fvm run c -- rm -rf "$SCRATCH/d"
	mkdir -p "$TEST_ROOT/tree/sub" && echo t >"$TEST_ROOT/tree/sub/t"
	run -0 fvm cp "$TEST_ROOT/tree" "c:$SCRATCH/d"
	run -0 fvm run c -- sh -c 'ls -A "$1"; cat "$1/sub/t"' _ "$SCRATCH/d"
	assert_eq "$output" "sub
t"
	assert_eq "$(cat "$SCRATCH/d/f")" host "the host's file"
}

@test "cp out of a VM reads its view: its changes, not the host's, and without its deletions" {
	run -0 fvm run c -- sh -c 'echo vm >"$1/f"; echo n >"$1/n"; mkdir "$1/s"; echo s >"$1/s/x"' _ "$SCRATCH/d"
	echo hostonly >"$SCRATCH/d/h"
	run -0 fvm run c -- rm "$SCRATCH/d/h"
	run -0 fvm cp "c:$SCRATCH/d/f" "$TEST_ROOT/out"
	assert_eq "$(cat "$TEST_ROOT/out")" vm
	run -0 fvm cp "c:$SCRATCH/d" "$TEST_ROOT/tree"
	run -0 bash -c 'cd "$1" && find . | sort' _ "$TEST_ROOT/tree"
	assert_eq "$output" ".
./f
./n
./s
./s/x"
	# running VMs can be read, not written
	fvm_start c
	run -0 fvm cp "c:$SCRATCH/d/n" "$TEST_ROOT/n2"
	run -125 --separate-stderr fvm cp "$TEST_ROOT/n2" "c:$SCRATCH/d/n3"
	assert_contains "$stderr" "is running: stop it first"
}

@test "a VM-made symlink to a host path is never followed by cp out" {
	run -0 fvm run c -- sh -c 'ln -s "$1/secret" "$1/d/ln"; ln -s "$1" "$1/d/dirln"' _ "$SCRATCH"
	run -0 fvm cp "c:$SCRATCH/d/ln" "$TEST_ROOT/got"
	[[ -L $TEST_ROOT/got ]] || { echo "the symlink itself is copied" >&2; false; }
	run -125 --separate-stderr fvm cp "c:$SCRATCH/d/dirln/secret" "$TEST_ROOT/got2"
	assert_contains "$stderr" "goes through a symlink"
	assert_not_exists "$TEST_ROOT/got2"
	# the same into the VM: the symlink is not followed onto the host
	echo planted >"$TEST_ROOT/p"
	run -125 --separate-stderr fvm cp "$TEST_ROOT/p" "c:$SCRATCH/d/dirln/planted"
	assert_not_exists "$SCRATCH/planted"
	run -0 fvm cp "$TEST_ROOT/p" "c:$SCRATCH/d/ln"     # replaces the VM's symlink, never writes through it
	assert_eq "$(cat "$SCRATCH/secret")" secret
}

@test "cp out to a host path that is a symlink: refused, the target untouched" {
	run -0 fvm run c -- sh -c 'echo vm >"$1/f"' _ "$SCRATCH/d"
	ln -s "$SCRATCH/secret" "$TEST_ROOT/trap"
	run -125 --separate-stderr fvm cp "c:$SCRATCH/d/f" "$TEST_ROOT/trap"
	assert_contains "$stderr" "is a symlink: fvm cp does not follow it"
	assert_eq "$(cat "$SCRATCH/secret")" secret
	mkdir "$TEST_ROOT/dir" && ln -s "$SCRATCH/secret" "$TEST_ROOT/dir/f"
	run -125 --separate-stderr fvm cp "c:$SCRATCH/d/f" "$TEST_ROOT/dir"
	assert_contains "$stderr" "is a symlink"
	assert_eq "$(cat "$SCRATCH/secret")" secret
}

@test "cp: usage errors and paths without a layer" {
	run -125 --separate-stderr fvm cp a b
	assert_contains "$stderr" "must be NAME:/PATH"
	run -125 --separate-stderr fvm cp "c:$SCRATCH/x" "c:$SCRATCH/y"
	assert_contains "$stderr" "must be NAME:/PATH"
	run -125 --separate-stderr fvm cp "c:$SCRATCH/d/../secret" "$TEST_ROOT/x"
	assert_contains "$stderr" "must be absolute"
	run -125 --separate-stderr fvm cp "c:$FVM_HOME/vms" "$TEST_ROOT/x"
	assert_fvm_error
	assert_not_exists "$TEST_ROOT/x"
	# the host's /proc is not what the VM has there: never read through the layer's host side
	run -125 --separate-stderr fvm cp c:/proc/1/status "$TEST_ROOT/x"
	assert_fvm_error
	assert_not_exists "$TEST_ROOT/x"
	echo x >"$TEST_ROOT/in"
	run -125 --separate-stderr fvm cp "$TEST_ROOT/in" c:/proc/planted
	assert_fvm_error
	run -0 fvm diff c
	assert_not_contains "$output" planted
}
