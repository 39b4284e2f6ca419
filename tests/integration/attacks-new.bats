#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-new.bats - a hostile VM and a hostile archive against fvm cp,
# fvm import and --gui: a VM that swaps what cp reads for symlinks and
# FIFOs while it runs, deleted and opaque paths, names too long to hold,
# modes asking for world-writable host files; archive members whose data
# is never written yet must still be read, overlay's own xattrs, sizes
# that lie; the nested X server's cookie, socket and process from inside
# the VM. Each test is an attempt that must fail; where one broke
# isolation, the fix in the library is named in its comment.

load helpers

setup() {
	fvm_setup
	D=$SCRATCH/d
	mkdir -p "$D"
	echo host >"$D/f"
	echo secret >"$SCRATCH/secret"
	fvm create c 2>/dev/null
}

# ---- fvm cp -------------------------------------------------------------

@test "attack cp: a running VM swaps the file cp reads for a symlink to a host secret, a FIFO and a dir for a symlink: never followed, never hangs" {
	mkdir -p "$SCRATCH/sub" && echo secret >"$SCRATCH/sub/g"
	run -0 fvm run c -- sh -c 'mkdir "$1/sub"; echo data >"$1/sub/g"; echo data >"$1/f"' _ "$D"
	fvm_start c
	# the loop ends by itself (25 s at most), teardown kills it anyway
	"$FVM" exec c -- sh -c '
		d=$1 s=$2 end=$(($(date +%s) + 25))
		while [ "$(date +%s)" -lt "$end" ]; do
			echo data >"$d/t" && mv -f "$d/t" "$d/f"
			ln -sfn "$s/secret" "$d/t" && mv -fT "$d/t" "$d/f"
			rm -f "$d/t"; mkfifo "$d/t" && mv -fT "$d/t" "$d/f"
			mv "$d/sub" "$d/sub.old" && ln -s "$s/sub" "$d/sub"
			rm -f "$d/sub" && mv "$d/sub.old" "$d/sub"
		done' _ "$D" "$SCRATCH" </dev/null >"$TEST_ROOT/loop" 2>&1 3>&- &
	bg_track $!
	local up
	up=$(layer_upper c "$D/f")
	wait_for 10 test -L "$up" -o -p "$up" || { cat "$TEST_ROOT/loop" >&2; false; }

	local round got=0
	for ((round = 1; round <= 40; round++)); do
		rm -rf "$TEST_ROOT/o" "$TEST_ROOT/o2" "$TEST_ROOT/o3"
		run --separate-stderr fvm cp "c:$D/f" "$TEST_ROOT/o"
		((status == 0 || status == 125)) || { echo "round $round: cp exited $status: $stderr" >&2; false; }
		if [[ -L $TEST_ROOT/o ]]; then
			assert_eq "$(readlink "$TEST_ROOT/o")" "$SCRATCH/secret" "the symlink itself"
		elif [[ -e $TEST_ROOT/o ]]; then
			[[ -f $TEST_ROOT/o ]] || { echo "round $round: cp made a $(stat -c %F "$TEST_ROOT/o")" >&2; false; }
			assert_eq "$(cat "$TEST_ROOT/o")" data "what cp out read (round $round)"
			got=$((got + 1))
		fi
		run --separate-stderr fvm cp "c:$D/sub/g" "$TEST_ROOT/o2"
		((status == 0 || status == 125)) || { echo "round $round: cp exited $status: $stderr" >&2; false; }
		[[ ! -e $TEST_ROOT/o2 ]] || assert_eq "$(cat "$TEST_ROOT/o2")" data "through the swapped directory (round $round)"
		run --separate-stderr fvm cp "c:$D" "$TEST_ROOT/o3"
		((status == 0 || status == 125)) || { echo "round $round: cp -R exited $status: $stderr" >&2; false; }
		if [[ -d $TEST_ROOT/o3 ]]; then
			run -0 find "$TEST_ROOT/o3" -type p
			assert_eq "$output" "" "FIFOs in the copied tree (round $round)"
			run grep -rl secret "$TEST_ROOT/o3"     # -r: symlinks are not followed
			assert_eq "$output" "" "the host's secret in the copied tree (round $round)"
		fi
	done
	echo "rounds that copied the file: $got of 40" >&2
	assert_eq "$(cat "$SCRATCH/secret")" secret
}

@test "attack cp: a FIFO or a socket the VM made: refused at the end, left out below, never opened" {
	run -0 fvm run c -- sh -c 'mkfifo "$1/p"; python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$1/s" 2>/dev/null || true; echo n >"$1/n"' _ "$D"
	run -125 --separate-stderr fvm cp "c:$D/p" "$TEST_ROOT/p"
	assert_contains "$stderr" "copies files, directories and symlinks"
	assert_not_exists "$TEST_ROOT/p"
	run -0 fvm cp "c:$D" "$TEST_ROOT/t"
	run -0 bash -c 'cd "$1" && find . | sort' _ "$TEST_ROOT/t"
	assert_eq "$output" ".
./f
./n"
}

@test "attack cp: a directory the VM deleted and made again (opaque) shows none of the host's old entries" {
	echo old >"$D/old"
	run -0 fvm run c -- sh -c 'rm -rf "$1"; mkdir "$1"; echo n >"$1/n"' _ "$D"
	run -125 --separate-stderr fvm cp "c:$D/old" "$TEST_ROOT/x"
	assert_not_exists "$TEST_ROOT/x"
	run -0 fvm cp "c:$D" "$TEST_ROOT/t"
	run -0 ls -A "$TEST_ROOT/t"
	assert_eq "$output" "n" "the copy of the VM's new directory"
	# and a file the VM deleted in a directory it kept
	run -0 fvm run c -- rm "$D/n"
	run -125 --separate-stderr fvm cp "c:$D/n" "$TEST_ROOT/y"
	assert_not_exists "$TEST_ROOT/y"
}

@test "attack cp: a tree with symlink loops and links up and out is copied with its links as links" {
	run -0 fvm run c -- sh -c 'mkdir -p "$1/t/a"; ln -s . "$1/t/a/loop"; ln -s ../.. "$1/t/a/up"; ln -s / "$1/t/root"; ln -s "$2" "$1/t/a/out"' _ "$D" "$SCRATCH"
	run -0 fvm cp "c:$D/t" "$TEST_ROOT/t"
	run -0 bash -c 'cd "$1" && find . -printf "%y %p %l\n" | sort' _ "$TEST_ROOT/t"
	assert_eq "$output" "d . 
d ./a 
l ./a/loop .
l ./a/out $SCRATCH
l ./a/up ../..
l ./root /"
}

@test "attack cp: a name longer than NAME_MAX is refused, never cut to another name" {
	# lib/changes/cp.c cut a longer last component to 255 bytes, the VM's
	# path and the host's: it copied another file than named, and wrote
	# the copy under another name than asked
	local a255 a256
	a255=$(printf 'a%.0s' {1..255})
	a256=${a255}b
	run -0 fvm run c -- sh -c 'echo other >"$1/$2"' _ "$D" "$a255"
	run -125 --separate-stderr fvm cp "c:$D/$a256" "$TEST_ROOT/x"
	assert_contains "$stderr" "File name too long"
	assert_not_exists "$TEST_ROOT/x"
	run -125 --separate-stderr fvm cp "c:$D/f" "$TEST_ROOT/$a256"
	assert_contains "$stderr" "File name too long"
	run -0 ls -A "$TEST_ROOT"
	assert_not_contains "$output" "$a255"
	echo in >"$TEST_ROOT/in"
	run -125 --separate-stderr fvm cp "$TEST_ROOT/in" "c:$D/$a256"
	assert_contains "$stderr" "File name too long"
	run -0 fvm diff c "$D"
	assert_eq "$output" "A  $D/$a255" "only the VM's own file"
}

@test "attack cp: the VM's modes give no world-writable or set-id file on the host (the caller's umask applies)" {
	# lib/changes/cp.c gave a copied-out file or directory the VM's mode
	# as it was: a VM's 0777 became a world-writable file of the host's
	# caller (root's, in root mode) that any local user could change
	run -0 fvm run c -- sh -c 'echo x >"$1/w"; chmod 4777 "$1/w"; mkdir "$1/wd"; echo y >"$1/wd/y"; chmod 0666 "$1/wd/y"; chmod 2777 "$1/wd"' _ "$D"
	run -0 bash -c 'umask 022 && "$FVM" cp "c:$1/w" "$2/w" && "$FVM" cp "c:$1/wd" "$2/wd"' _ "$D" "$TEST_ROOT"
	assert_eq "$(stat -c %a "$TEST_ROOT/w")" 755 "the copied file's mode"
	assert_eq "$(stat -c %a "$TEST_ROOT/wd")" 755 "the copied directory's mode"
	assert_eq "$(stat -c %a "$TEST_ROOT/wd/y")" 644 "a file below it"
	# an existing host directory the copy goes into keeps its own mode
	mkdir -m 0700 "$TEST_ROOT/keep" && mkdir -m 0700 "$TEST_ROOT/keep/wd"
	run -0 fvm cp "c:$D/wd" "$TEST_ROOT/keep"
	assert_eq "$(stat -c %a "$TEST_ROOT/keep/wd")" 700 "the host's existing directory"
	assert_eq "$(cat "$TEST_ROOT/keep/wd/y")" y
}

@test "attack cp: host destinations: a dangling symlink, a symlink inside the target directory, another mount" {
	run -0 fvm run c -- sh -c 'echo vm >"$1/f"; mkdir "$1/t"; echo a >"$1/t/a"' _ "$D"
	ln -s "$SCRATCH/nothere" "$TEST_ROOT/dangling"
	run -125 --separate-stderr fvm cp "c:$D/f" "$TEST_ROOT/dangling"
	assert_contains "$stderr" "is a symlink"
	assert_not_exists "$SCRATCH/nothere"
	# a symlink where the tree's directory or file would land: replaced or refused, never written through
	mkdir -p "$TEST_ROOT/o/t"
	ln -s "$SCRATCH/secret" "$TEST_ROOT/o/t/a"
	run -0 fvm cp "c:$D/t" "$TEST_ROOT/o"
	[[ ! -L $TEST_ROOT/o/t/a ]] || { echo "the symlink is still there" >&2; false; }
	assert_eq "$(cat "$TEST_ROOT/o/t/a")" a
	assert_eq "$(cat "$SCRATCH/secret")" secret
	mkdir -p "$TEST_ROOT/p"
	ln -s "$SCRATCH" "$TEST_ROOT/p/t"
	run -125 --separate-stderr fvm cp "c:$D/t" "$TEST_ROOT/p"
	assert_not_exists "$SCRATCH/a"
	# another mount (/dev/shm is a tmpfs) is fine: the copy is by file, never by rename across
	[[ -d /dev/shm && -w /dev/shm ]] || skip "no writable /dev/shm on this host"
	local out
	out=$(mktemp -d /dev/shm/fvm-cp.XXXXXX)
	run fvm cp "c:$D/t" "$out/t"
	local st=$status got
	got=$(cat "$out/t/a" 2>/dev/null || true)
	rm -rf "$out"
	assert_eq "$st" 0 "cp to another mount"
	assert_eq "$got" a
}

@test "attack cp: into a VM, a host symlink stays a symlink; set-id bits and the host's owner never travel" {
	ln -s "$SCRATCH/secret" "$TEST_ROOT/link"
	run -0 fvm cp "$TEST_ROOT/link" "c:$D/link"
	run -0 fvm run c -- sh -c 'readlink "$1/link"' _ "$D"
	assert_eq "$output" "$SCRATCH/secret"
	[[ -L $(layer_upper c "$D")/link ]] || { echo "the layer holds no symlink, but the target's bytes" >&2; false; }
	mkdir -p "$TEST_ROOT/tree" && echo s >"$TEST_ROOT/tree/s" && chmod 6755 "$TEST_ROOT/tree/s" && chmod 2775 "$TEST_ROOT/tree"
	run -0 fvm cp "$TEST_ROOT/tree" "c:$D/tree"
	run -0 find "$(layer_upper c "$D")" -perm /6000
	assert_eq "$output" "" "set-id entries in the layer"
	if is_root; then
		run -0 stat -c %u "$(layer_upper c "$D")/tree/s"
		assert_ne "$output" 0 "the host's root owning a file in the layer"
	fi
	run -0 fvm run c -- stat -c "%u %a" "$D/tree/s"
	assert_eq "$output" "0 755" "the VM's root, no set-id"
}
