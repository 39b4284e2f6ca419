#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-changes.bats - a VM that changes its layer while fvm reads it,
# or makes it deep: what `fvm commit` applies is exactly what its plan
# checked (a set-uid bit or a FIFO swapped in meanwhile never lands, nor
# blocks it), and diff, commit, discard, try and rm finish on a tree
# thousands of levels deep, with a clear status and nothing left behind.
#
# Every commit here is of the test's scratch dirs.

load helpers

# no_setid DIR: no set-uid or set-gid file under DIR on the host.
no_setid() {
	local found
	found=$(find "$1" -perm /6000 -printf '%M %u %p\n' 2>&1)
	[[ -z $found ]] || { echo "set-id entries on the host: $found" >&2; return 1; }
}

@test "attack: a running VM toggles a file 0750/04755 during commit --force: no set-uid file lands, only the planned mode" {
	local r=$SCRATCH/r round landed=0 m
	mkdir -p "$r"
	fvm create e 2>/dev/null
	fvm_start e
	run -0 --separate-stderr fvm exec e -- sh -c "echo vm > '$r/f' && chmod 0750 '$r/f'"
	"$FVM" exec e -- "$PROBE" chmod-loop "$r/f" 0750 4755 25 </dev/null >"$TEST_ROOT/loop" 2>&1 3>&- &
	bg_track $!
	wait_for 10 test -u "$(layer_upper e "$r/f")" || { cat "$TEST_ROOT/loop" >&2; false; }

	SECONDS=0
	for ((round = 1; round <= 30 && SECONDS < 20; round++)); do
		run --separate-stderr fvm commit -y --force e "$r"
		((status == 0 || status == 125)) || { echo "round $round: commit exited $status: $stderr" >&2; false; }
		no_setid "$r"
		if [[ -e $r/f ]]; then
			m=$(stat -c %a "$r/f")
			assert_eq "$m" 750 "the mode that landed (round $round)"
			landed=$((landed + 1))
		fi
	done
	echo "# $((round - 1)) commits raced by the chmod loop, the file was on the host after $landed" >&3

	# without the race, it commits, with the mode the plan saw (--force: the
	# VM changed the file again after a commit above, a conflict by design)
	FVM_CMD_TIMEOUT=30 fvm stop e
	run -0 --separate-stderr fvm run e -- chmod 0750 "$r/f"   # the loop may have stopped on 04755
	run -0 --separate-stderr fvm diff e "$r"
	run --separate-stderr fvm commit -y --force e "$r"
	assert_status 0
	assert_eq "$(stat -c %a "$r/f")" 750
	assert_eq "$(cat "$r/f")" vm
	no_setid "$r"
	assert_eq "$(commit_temps "$SCRATCH")" ""
}

@test "attack: a set-uid file inside a new directory, toggled during commit: never lands set-uid" {
	local r=$SCRATCH/r round
	mkdir -p "$r"
	fvm create e 2>/dev/null
	fvm_start e
	run -0 --separate-stderr fvm exec e -- sh -c "mkdir -p '$r/new/sub' && echo vm > '$r/new/sub/f' && chmod 0750 '$r/new/sub/f'"
	"$FVM" exec e -- "$PROBE" chmod-loop "$r/new/sub/f" 0750 4755 25 </dev/null >"$TEST_ROOT/loop" 2>&1 3>&- &
	bg_track $!
	wait_for 10 test -u "$(layer_upper e "$r/new/sub/f")" || { cat "$TEST_ROOT/loop" >&2; false; }

	SECONDS=0
	for ((round = 1; round <= 30 && SECONDS < 20; round++)); do
		run --separate-stderr fvm commit -y --force e "$r"
		((status == 0 || status == 125)) || { echo "round $round: commit exited $status: $stderr" >&2; false; }
		no_setid "$r"
		if [[ -e $r/new/sub/f ]]; then
			assert_eq "$(stat -c %a "$r/new/sub/f")" 750 "the mode that landed (round $round)"
		fi
	done
	assert_eq "$(commit_temps "$SCRATCH")" ""
}

@test "attack: a file swapped for a FIFO or a symlink (or deleted) during commits: commit never hangs, never follows, lands only what it checked" {
	local r=$SCRATCH/s round before
	# the symlink's target: a file of the test's own (the host's /etc/shadow
	# changes whenever another program adds a user)
	echo secret >"$SCRATCH/secret"
	chmod 0600 "$SCRATCH/secret"
	before=$(stat -c '%i %s %Y %Z %a %u:%g' "$SCRATCH/secret")
	mkdir -p "$r"
	fvm create e 2>/dev/null
	fvm_start e
	run -0 --separate-stderr fvm exec e -- sh -c "
		cd '$r' && echo file > g && mkfifo g.alt && echo file > h && ln -s '$SCRATCH/secret' h.alt &&
		echo file > k && chmod 0755 k"
	"$FVM" exec e -- "$PROBE" swap-loop "$r/g" "$r/g.alt" 25 </dev/null >"$TEST_ROOT/swap-g" 2>&1 3>&- &
	bg_track $!
	"$FVM" exec e -- "$PROBE" swap-loop "$r/h" "$r/h.alt" 25 </dev/null >"$TEST_ROOT/swap-h" 2>&1 3>&- &
	bg_track $!
	"$FVM" exec e -- sh -c "i=0; while [ \$i -lt 4000 ]; do rm -f '$r/k'; echo file > '$r/k'; i=\$((i + 1)); done" \
		</dev/null >"$TEST_ROOT/del-k" 2>&1 3>&- &
	bg_track $!
	wait_for 10 test -p "$(layer_upper e "$r/g")"

	SECONDS=0
	for ((round = 1; round <= 30 && SECONDS < 20; round++)); do
		FVM_CMD_TIMEOUT=20 run --separate-stderr fvm commit -y --force e "$r"
		((status != 124 && status != 137)) || { echo "round $round: commit hung (killed by timeout)" >&2; false; }
		((status == 0 || status == 125)) || { echo "round $round: commit exited $status: $stderr" >&2; false; }
		no_setid "$r"
		local f
		for f in g g.alt; do
			[[ ! -e $r/$f || -f $r/$f || -p $r/$f ]] || { echo "round $round: $f is $(ls -ld "$r/$f")" >&2; false; }
		done
		for f in h h.alt; do
			[[ ! -e $r/$f || -L $r/$f || -f $r/$f ]] || { echo "round $round: $f is $(ls -ld "$r/$f")" >&2; false; }
			if [[ -f $r/$f && ! -L $r/$f ]]; then
				assert_eq "$(cat "$r/$f")" file "the regular file that landed as $f"
			fi
		done
	done
	assert_eq "$(stat -c '%i %s %Y %Z %a %u:%g' "$SCRATCH/secret")" "$before" "the symlink's target is untouched"
	assert_eq "$(cat "$SCRATCH/secret")" secret "the symlink's target's content"
	# the VM's lock was never held for good: exec and stop go through
	run -0 --separate-stderr fvm exec e -- true
	FVM_CMD_TIMEOUT=30 fvm stop e
	run -0 --separate-stderr fvm commit -y e "$r"
	assert_eq "$(commit_temps "$SCRATCH")" ""
}

# deep_dirs DIR LEVELS: the VM script making LEVELS nested directories "d"
# below DIR (mkdir -p goes down one at a time: the whole may be longer
# than PATH_MAX), with a file at the bottom.
deep_dirs() {
	echo "mkdir -p '$1' && cd '$1' && p=\$(printf 'd/%.0s' \$(seq $2)) && mkdir -p \"\$p\" && { cd \"\$p\" 2>/dev/null && echo deep > leaf || true; }"
}

# assert_clean_status: the last `run` ended with 0 or fvm's own error (125),
# never a signal, and an error said what it was.
assert_clean_status() {
	((status == 0 || status == 125)) || { echo "exit status $status: ${stderr:0:300}" >&2; return 1; }
	((status == 0)) || assert_match "$stderr" '^fvm: ' "a clear error"
}

@test "attack: a directory 1,500 levels deep (below PATH_MAX): diff, commit and discard walk it whole, with a fixed number of fds" {
	local d=$SCRATCH/deep
	mkdir -p "$d"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_dirs "$d" 1500)"
	run -0 --separate-stderr fvm diff e "$d"
	[[ $(grep -c '^A ' <<<"$output") == 1501 ]] ||
		{ echo "not 1,500 directories and the leaf in the diff: ${output:0:300} ... ${output: -300}" >&2; false; }
	run -0 --separate-stderr fvm diff --stat e "$d"
	run -0 --separate-stderr fvm commit -n e "$d"
	run --separate-stderr fvm commit -y e "$d"
	assert_status 0
	assert_eq "$(find "$d" -name leaf -exec cat {} \;)" deep "the whole tree landed"
	assert_eq "$(find "$d" -type d | wc -l)" 1501
	assert_eq "$(commit_temps "$SCRATCH")" ""
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_dirs "$d/again" 1400)"
	run -0 --separate-stderr fvm discard -y e "$d"
	run -0 --separate-stderr fvm diff e "$d"
	assert_eq "$output" ""
}

@test "attack: a directory 3,000 levels deep: diff, diff --stat, commit -n, commit, discard, rm finish cleanly and leave nothing" {
	local d=$SCRATCH/deep
	mkdir -p "$d" "$SCRATCH/ok"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_dirs "$d" 3000) && echo vm > '$SCRATCH/ok/f'"
	run --separate-stderr fvm diff e
	assert_clean_status
	assert_status 0
	assert_contains "$output" "longer than PATH_MAX" "the directory diff cannot walk below is marked"
	assert_contains "$output" "A  $SCRATCH/ok/f"
	run --separate-stderr fvm diff --stat e
	assert_clean_status
	run --separate-stderr fvm diff --json e "$d"
	assert_clean_status
	run --separate-stderr fvm commit -n e
	# a dry run that would be refused says why and exits 1
	((status == 1)) && assert_match "$stderr" '^fvm: ' "a clear refusal" || assert_clean_status
	run --separate-stderr fvm commit -y --force e "$d"
	assert_clean_status
	assert_status 125
	assert_eq "$(entries_below "$d")" 0 "nothing of the deep tree on the host"
	# the rest can still be committed
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/ok"
	assert_eq "$(cat "$SCRATCH/ok/f")" vm
	run --separate-stderr fvm discard -y e "$d"
	assert_clean_status
	assert_status 0
	run -0 --separate-stderr fvm diff e "$d"
	assert_eq "$output" ""
}

@test "attack: discard, then rm, of a VM holding a directory 3,000 levels deep remove all of it" {
	local d=$SCRATCH/deep
	mkdir -p "$d"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_dirs "$d" 3000)"
	run --separate-stderr fvm discard -y e "$d"
	assert_clean_status
	assert_status 0
	assert_eq "$(entries_below "$FVM_HOME/vms/e/layers" -name d)" 0 "nothing of the tree left in the layer"
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_dirs "$d" 3000)"
	run --separate-stderr fvm rm e
	assert_clean_status
	assert_status 0
	assert_eq "$(ls -A "$FVM_HOME/vms")" "" "nothing left in the store (no .rm.* directory)"
}

@test "attack: fvm try of a command making a directory 3,000 levels deep: finishes, leaves no VM behind" {
	local d=$SCRATCH/deep
	mkdir -p "$d"
	run --separate-stderr fvm try -- sh -c "$(deep_dirs "$d" 3000)" </dev/null
	assert_clean_status
	assert_eq "$(ls -A "$FVM_HOME/vms" 2>/dev/null)" "" "no VM (nor .rm.* directory) left by try"
	assert_eq "$(entries_below "$d")" 0 "nothing landed on the host"
}

# with_stack KIB CMD...: CMD with a stack size limit of KIB KiB (the soft limit).
with_stack() {
	local n=$1
	shift
	ulimit -S -s "$n" && "$@"
}

# with_fds N CMD...: CMD with at most N open files (the soft limit).
with_fds() {
	local n=$1
	shift
	ulimit -S -n "$n" && "$@"
}

@test "attack: 1,200 hard-linked pairs are committed as hard links, with a fixed number of fds" {
	local r=$SCRATCH/links i
	mkdir -p "$r"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "cd '$r' && i=0; while [ \$i -lt 1200 ]; do echo \$i > f\$i && ln f\$i g\$i || exit 1; i=\$((i + 1)); done"
	run --separate-stderr with_fds 256 fvm commit -y e "$r"
	assert_status 0
	for i in 0 599 1199; do
		assert_eq "$(stat -c '%h' "$r/f$i")" 2 "f$i has two links"
		assert_eq "$(stat -c '%i' "$r/f$i")" "$(stat -c '%i' "$r/g$i")" "f$i and g$i are one file"
		assert_eq "$(cat "$r/g$i")" "$i"
	done
	assert_eq "$(commit_temps "$SCRATCH")" ""
}

@test "attack: a directory 1,500 levels deep under a 1 MiB stack limit: diff marks it, commit refuses it, nothing crashes" {
	local d=$SCRATCH/deep
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_dirs "$d" 1500)"
	run --separate-stderr with_stack 1024 fvm diff e "$d"
	assert_clean_status
	assert_status 0
	assert_contains "$output" "too deep for fvm to walk"
	run --separate-stderr with_stack 1024 fvm commit -y e "$d"
	assert_clean_status
	assert_status 125
	assert_not_exists "$d"
	run --separate-stderr with_stack 1024 fvm discard -y e "$d"
	assert_status 0
	run -0 --separate-stderr fvm diff e "$d"
	assert_eq "$output" ""
}
