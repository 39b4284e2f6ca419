#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# changes-escape.bats - what a VM wrote cannot make fvm commit write
# anywhere else than where the change belongs, nor bring in what the host
# must refuse: symlinks are committed as symlinks and never followed (not
# even when the host swaps a directory for one during the commit), odd
# names land under their own name, device nodes, sockets, set-id files and
# file capabilities are refused unless allowed, a commit that does not fit
# fails cleanly, and so does a path longer than PATH_MAX; `fvm diff`'s
# listing cannot be forged by file names.
#
# Every commit here is of a scratch directory; the only host files outside
# it that a test looks at (/etc/shadow) are only stat'ed.

load helpers

# stat_of PATH: what must not change about a host file we only look at.
stat_of() {
	stat -c '%i %s %Y %Z %a %u:%g' "$1"
}

@test "escape: a symlink to /etc/shadow is committed as a symlink; nothing is written through it" {
	local before
	before=$(stat_of /etc/shadow)
	mkdir -p "$SCRATCH/d"
	echo host >"$SCRATCH/d/victim"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "
		cd '$SCRATCH' && ln -s /etc/shadow shadow && ln -s ../../../../../../../../etc/shadow rel &&
		ln -s '$SCRATCH/d/victim' tovictim && ln -s /etc d/etc"
	run -0 --separate-stderr fvm diff e "$SCRATCH"
	assert_contains "$output" "A  $SCRATCH/shadow -> /etc/shadow"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH"
	assert_eq "$(readlink "$SCRATCH/shadow")" /etc/shadow "the symlink itself"
	assert_eq "$(readlink "$SCRATCH/rel")" ../../../../../../../../etc/shadow
	assert_eq "$(readlink "$SCRATCH/tovictim")" "$SCRATCH/d/victim"
	assert_eq "$(readlink "$SCRATCH/d/etc")" /etc
	assert_eq "$(stat_of /etc/shadow)" "$before" "/etc/shadow is untouched"
	assert_eq "$(cat "$SCRATCH/d/victim")" host

	# the VM now writes "through" its symlinks: in the VM that writes the
	# targets (copies in its layer); committing the scratch dir commits only
	# what is in it, and never follows the links on the host
	run --separate-stderr fvm run e -- sh -c "echo vm > '$SCRATCH/tovictim'"
	assert_status 0
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/shadow" "$SCRATCH/rel" "$SCRATCH/tovictim"
	assert_eq "$(stat_of /etc/shadow)" "$before" "/etc/shadow is untouched"
	assert_eq "$(readlink "$SCRATCH/tovictim")" "$SCRATCH/d/victim" "still a symlink"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d"
	assert_eq "$(cat "$SCRATCH/d/victim")" vm "the victim itself is a change of the scratch dir"
	assert_eq "$(readlink "$SCRATCH/d/etc")" /etc
	assert_eq "$(stat_of /etc/shadow)" "$before"
}

@test "escape: a host directory replaced by a symlink after the VM wrote in it: nothing lands in the link's target" {
	mkdir -p "$SCRATCH/d" "$SCRATCH/other"
	echo host >"$SCRATCH/d/old"
	echo sentinel >"$SCRATCH/other/sentinel"
	local other_before
	other_before=$(tree_snapshot "$SCRATCH/other")
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "echo vm > '$SCRATCH/d/x' && echo vm > '$SCRATCH/d/old'"
	sleep 0.05
	mv "$SCRATCH/d" "$SCRATCH/d.moved"
	ln -s "$SCRATCH/other" "$SCRATCH/d"
	local moved_before
	moved_before=$(tree_snapshot "$SCRATCH/d.moved")

	run --separate-stderr fvm diff e "$SCRATCH"
	assert_status 0
	run --separate-stderr fvm commit -y e "$SCRATCH"
	((status == 0 || status == 125)) || { echo "commit exited $status: $stderr" >&2; false; }
	assert_eq "$(tree_snapshot "$SCRATCH/other")" "$other_before" "the symlink's target after commit"
	assert_eq "$(tree_snapshot "$SCRATCH/d.moved")" "$moved_before" "the moved directory"
	if ((status == 125)); then
		assert_eq "$(readlink "$SCRATCH/d")" "$SCRATCH/other" "a refused commit leaves the symlink"
		run -0 --separate-stderr fvm commit -y --force e "$SCRATCH"
		assert_eq "$(tree_snapshot "$SCRATCH/other")" "$other_before" "the symlink's target after commit --force"
	fi
	# the VM's directory replaced the symlink (the link itself, not its target)
	[[ -d $SCRATCH/d && ! -L $SCRATCH/d ]] || { echo "d is not a real directory: $(ls -ld "$SCRATCH/d")" >&2; false; }
	assert_eq "$(cat "$SCRATCH/d/x")" vm
	assert_eq "$(cat "$SCRATCH/d/old")" vm
	assert_eq "$(tree_snapshot "$SCRATCH/d.moved")" "$moved_before"
	assert_eq "$(commit_temps "$SCRATCH")" ""
}

# race_check RACE N K: after a commit raced by swaps of RACE/d and
# RACE/link: wherever the host's directory ended up (d, link, or a name
# fvm gave it), each of its f1..fN is old or new and every k1..kK the VM
# never touched is still there, intact.
race_check() {
	local r=$1 n=$2 k=$3 dir found=() i c bad=
	for dir in "$r"/* "$r"/.[!.]*; do
		[[ -d $dir && ! -L $dir && -e $dir/k1 ]] && found+=("$dir")
	done
	if ((${#found[@]} != 1)); then
		echo "the host's directory (holding k1) is in ${#found[@]} places: ${found[*]}; $(ls -la "$r")" >&2
		return 1
	fi
	dir=${found[0]}
	for ((i = 1; i <= k; i++)); do
		[[ $(cat "$dir/k$i" 2>/dev/null) == "keep-$i" ]] || bad+=" k$i"
	done
	for ((i = 1; i <= n; i++)); do
		c=$(cat "$dir/f$i" 2>/dev/null) || c=missing
		[[ $c == "old-$i" || $c == "new-$i" ]] || bad+=" f$i=$c"
	done
	if [[ -n $bad ]]; then
		echo "in ${dir##*/}: files lost or torn:$bad" >&2
		return 1
	fi
	echo "${dir##*/}"
}

@test "escape: a directory swapped for a symlink again and again during the commit: nothing lands in the link's target, nothing is lost" {
	local r=$SCRATCH/race round i n=200 k=100 rc where
	mkdir -p "$SCRATCH/target"
	fvm create e 2>/dev/null

	for round in 1 2 3 4; do
		rm -rf "$r"
		fvm discard -y e "$r"
		mkdir -p "$r/d"
		for ((i = 1; i <= n; i++)); do
			echo "old-$i" >"$r/d/f$i"
		done
		for ((i = 1; i <= k; i++)); do
			echo "keep-$i" >"$r/d/k$i"
		done
		ln -s "$SCRATCH/target" "$r/link"
		run -0 --separate-stderr fvm run e -- sh -c '
			cd "$1" && i=1 && while [ $i -le "$2" ]; do echo "new-$i" >"f$i"; echo "add-$i" >"n$i"; i=$((i + 1)); done' \
			_ "$r/d" "$n"
		# d and link trade places atomically, thousands of times a second,
		# from before the commit looks at the host until after it is done
		"$PROBE" swap-loop "$r/d" "$r/link" 30 </dev/null >"$TEST_ROOT/swaps" 2>&1 3>&- &
		local swapper=$!
		bg_track "$swapper"
		sleep 0.05
		run --separate-stderr fvm commit -y e "$r"
		rc=$status
		kill -TERM "$swapper" 2>/dev/null || true
		wait "$swapper" 2>/dev/null || true
		echo "# round $round: commit exited $rc during the swaps: ${stderr:0:160}" >&3

		((rc < 126)) || { echo "commit crashed (status $rc): $stderr" >&2; false; }
		assert_eq "$(find "$SCRATCH/target" -mindepth 1 -printf '%P\n')" "" "entries in the symlink's target (round $round)"
		where=$(race_check "$r" "$n" "$k")
		# with the names back in place, a rerun finishes the commit
		if [[ $where == link && -L $r/d ]]; then
			mv -T "$r/d" "$r/tmp" && mv -T "$r/link" "$r/d" && mv -T "$r/tmp" "$r/link"
			where=d
		fi
		[[ $where == d && -L $r/link ]] || continue   # the VM's d replaced the link: checked above
		run --separate-stderr fvm commit -y e "$r"
		if ((status != 0)); then
			run --separate-stderr fvm commit -y e "$r"
		fi
		assert_status 0
		local bad=
		for ((i = 1; i <= n; i++)); do
			[[ $(cat "$r/d/f$i") == "new-$i" && $(cat "$r/d/n$i") == "add-$i" ]] || bad+=" $i"
		done
		assert_eq "$bad" "" "files not committed after the race (round $round)"
		race_check "$r" "$n" "$k" >/dev/null
		assert_eq "$(commit_temps "$r")" "" "temporaries left (round $round)"
		assert_not_exists "$FVM_HOME/vms/e/commit.journal"
		assert_eq "$(find "$SCRATCH/target" -mindepth 1 -printf '%P\n')" "" "entries in the symlink's target (round $round)"
	done
}

@test "escape: odd names ('...', '..x', 'x..', '-rf', spaces, backslash, 255 bytes) land under their own name" {
	local long
	long=$(printf 'L%.0s' $(seq 255))
	mkdir -p "$SCRATCH/d"
	fvm create e 2>/dev/null
	# the VM makes some; the rest are put in its layer by hand, as a VM
	# with any tool could have
	run -0 --separate-stderr fvm run e -- sh -c 'cd "$1" && echo 1 >"..." && echo 2 >"..x" && echo 3 >"x.." && echo 4 >"-rf"' _ "$SCRATCH/d"
	local up
	up=$(layer_upper e "$SCRATCH/d")
	[[ -d $up ]]
	echo 5 >"$up/a b"
	echo 6 >"$up/back\\slash"
	echo 7 >"$up/$long"
	mkdir "$up/....d"
	echo 8 >"$up/....d/.."'.'
	local around
	around=$(ls -la "$SCRATCH" "$TEST_ROOT" | grep -v ' \.$' | awk '{ print $1, $NF }')

	run -0 --separate-stderr fvm diff --json e "$SCRATCH/d"
	local paths
	paths=$(jq -r '.[].path' <<<"$output" | LC_ALL=C sort)
	assert_eq "$paths" "$(printf '%s\n' "$SCRATCH/d/-rf" "$SCRATCH/d/..." "$SCRATCH/d/....d" "$SCRATCH/d/....d/..." \
		"$SCRATCH/d/..x" "$SCRATCH/d/$long" "$SCRATCH/d/a b" "$SCRATCH/d/back\\slash" "$SCRATCH/d/x.." | LC_ALL=C sort)"

	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d"
	assert_eq "$(cat "$SCRATCH/d/...")" 1
	assert_eq "$(cat "$SCRATCH/d/..x")" 2
	assert_eq "$(cat "$SCRATCH/d/x..")" 3
	assert_eq "$(cat "$SCRATCH/d/-rf")" 4
	assert_eq "$(cat "$SCRATCH/d/a b")" 5
	assert_eq "$(cat "$SCRATCH/d/back\\slash")" 6
	assert_eq "$(cat "$SCRATCH/d/$long")" 7
	assert_eq "$(cat "$SCRATCH/d/....d/...")" 8
	assert_eq "$(ls -A "$SCRATCH/d" | wc -l)" 8 "nothing else in d"
	assert_eq "$(ls -la "$SCRATCH" "$TEST_ROOT" | grep -v ' \.$' | awk '{ print $1, $NF }')" "$around" \
		"the directories above d"
	assert_eq "$(layer_leftovers e "$SCRATCH/d")" "" "committed entries left the layer"
}

@test "escape: '.' and '..' in path arguments: '.' is dropped, '..' refused or taken as written, never through a host symlink" {
	mkdir -p "$SCRATCH/d/sub" "$SCRATCH/victim"
	ln -s "$SCRATCH/victim" "$SCRATCH/d/sym"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "echo vm > '$SCRATCH/d/f' && echo decoy > '$SCRATCH/f' && echo vm > '$SCRATCH/d/sub/g'"
	# '.' components name the same path
	run -0 --separate-stderr fvm diff e "$SCRATCH/./d/./sub/."
	assert_eq "$output" "A  $SCRATCH/d/sub/g"
	cd "$SCRATCH/d/sub"
	run -0 --separate-stderr fvm diff e ./g
	assert_eq "$output" "A  $SCRATCH/d/sub/g"

	# '..': a clean refusal, or the path as written (d/sym/../f is d/f);
	# never the path through the host's symlink (sym/.. is SCRATCH, f the decoy)
	local p
	for p in "$SCRATCH/d/sym/../f" "$SCRATCH/d/sub/../f" ../f ../sym/../f; do
		run --separate-stderr fvm diff e "$p"
		if ((status == 125)); then
			assert_fvm_error
		else
			assert_status 0
			assert_eq "$output" "A  $SCRATCH/d/f" "diff of $p"
		fi
	done
	run --separate-stderr fvm commit -y e "$SCRATCH/d/sym/../f"
	if ((status == 125)); then
		assert_fvm_error
		assert_not_exists "$SCRATCH/d/f"
	else
		assert_status 0
		assert_eq "$(cat "$SCRATCH/d/f")" vm
	fi
	assert_not_exists "$SCRATCH/f"
	assert_eq "$(find "$SCRATCH/victim" -mindepth 1)" "" "the symlink's target"
	run --separate-stderr fvm discard -y e "$SCRATCH/d/sym/.."
	((status == 125 || status == 0))
	run -0 --separate-stderr fvm diff e "$SCRATCH/f"
	assert_eq "$output" "A  $SCRATCH/f" "the decoy is still a change of the VM"
}

@test "escape: file names cannot forge lines of the diff listing (newline, escape sequences)" {
	mkdir -p "$SCRATCH/d"
	fvm create e 2>/dev/null
	# a directory named "x<newline>D  " holding etc/shadow prints, unescaped,
	# as a line "D  /etc/shadow"; the same with a terminal escape sequence
	run -0 --separate-stderr fvm run e -- sh -c '
		cd "$1" && a=$(printf "x\nD  ") && b=$(printf "y\033[2K\rD  ") &&
		mkdir -p "$a/etc" "$b/etc" && echo x >"$a/etc/shadow" && echo y >"$b/etc/passwd"' _ "$SCRATCH/d"
	run -0 --separate-stderr fvm diff --json e "$SCRATCH/d"
	local n
	n=$(jq length <<<"$output")
	assert_eq "$(jq -r '.[].path' <<<"$output" | grep -c '/etc/shadow$')" 1 "JSON carries the exact name"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_eq "$(grep -c '' <<<"$output")" "$n" "one line per change (of $n): $output"
	assert_eq "$(grep -c '^D  /etc/' <<<"$output")" 0 "forged deletion lines: $output"
	assert_not_contains "$output" $'\033' "a raw escape sequence"
	run -0 --separate-stderr fvm commit -n e "$SCRATCH/d"
	assert_eq "$(grep -c '^D  /etc/' <<<"$output")" 0 "forged lines in the dry run: $output"
}

@test "escape: a device node is refused without --allow-devices (root)" {
	is_root || skip "root mode: only root can make a device node in the layer"
	mkdir -p "$SCRATCH/d"
	fvm create e 2>/dev/null
	# mknod inside the VM: refused by the kernel in a user namespace, or in
	# the layer; either way it must not reach the host without the option
	run --separate-stderr fvm run e -- sh -c "echo vm > '$SCRATCH/d/plain'; mknod '$SCRATCH/d/vmdev' c 1 3"
	# a device made in the layer by hand, as a VM with more rights could, and
	# one inside a new directory (committed whole)
	local up
	up=$(layer_upper e "$SCRATCH/d")
	mknod "$up/null" c 1 3
	mkdir "$up/newdir"
	echo inner >"$up/newdir/inner"
	mknod "$up/newdir/blk" b 7 0
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_contains "$output" "A  $SCRATCH/d/null (device)"

	local before
	before=$(tree_snapshot "$SCRATCH/d")
	run --separate-stderr fvm commit -y e "$SCRATCH/d"
	assert_status 125
	assert_contains "$stderr" device
	assert_eq "$(tree_snapshot "$SCRATCH/d")" "$before" "nothing committed"
	run --separate-stderr fvm commit -y e "$SCRATCH/d/newdir"
	assert_status 125
	assert_contains "$stderr" blk
	assert_not_exists "$SCRATCH/d/newdir"
	# the other changes can be committed alone
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d/plain"
	assert_eq "$(cat "$SCRATCH/d/plain")" vm

	run -0 --separate-stderr fvm commit -y --allow-devices e "$SCRATCH/d"
	assert_eq "$(stat -c '%F %t,%T %u' "$SCRATCH/d/null")" "character special file 1,3 0" "the device, owned by root"
	assert_eq "$(stat -c '%F %t,%T' "$SCRATCH/d/newdir/blk")" "block special file 7,0"
	assert_eq "$(cat "$SCRATCH/d/newdir/inner")" inner
}

@test "escape: a socket is never committed" {
	mkdir -p "$SCRATCH/d"
	fvm create e 2>/dev/null
	# a listening probe killed before it can unlink its socket leaves the file
	run -0 --separate-stderr fvm run e -- sh -c "
		'$PROBE' listen-unix '$SCRATCH/d/sock' 30 >/dev/null & p=\$!
		i=0; while [ ! -S '$SCRATCH/d/sock' ] && [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done
		kill -KILL \$p; echo vm > '$SCRATCH/d/plain'"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_contains "$output" "A  $SCRATCH/d/sock (socket)"
	run --separate-stderr fvm commit -y --allow-devices --allow-setid --force e "$SCRATCH/d"
	assert_status 125
	assert_contains "$stderr" socket
	assert_not_exists "$SCRATCH/d/sock"
	assert_not_exists "$SCRATCH/d/plain"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d/plain"
	assert_eq "$(cat "$SCRATCH/d/plain")" vm
	assert_not_exists "$SCRATCH/d/sock"
}

@test "escape: set-uid and set-gid files are refused without --allow-setid" {
	mkdir -p "$SCRATCH/d"
	cp /bin/true "$SCRATCH/d/tool"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "
		cd '$SCRATCH/d' && cp /bin/true suid && chmod 4755 suid && cp /bin/true sgid && chmod 2755 sgid && chmod u+s tool"
	run -0 --separate-stderr fvm diff e "$SCRATCH/d"
	assert_contains "$output" "A  $SCRATCH/d/suid  set-id"
	assert_contains "$output" "$SCRATCH/d/tool"
	local p
	for p in suid sgid tool; do
		run --separate-stderr fvm commit -y --allow-devices --force e "$SCRATCH/d/$p"
		assert_status 125
		assert_contains "$stderr" set-
	done
	assert_not_exists "$SCRATCH/d/suid"
	assert_not_exists "$SCRATCH/d/sgid"
	assert_eq "$(stat -c %a "$SCRATCH/d/tool")" 755 "the host's tool keeps its mode"

	run -0 --separate-stderr fvm commit -y --allow-setid e "$SCRATCH/d"
	local me
	me=$(id -u):$(id -g)
	assert_eq "$(stat -c '%a %u:%g' "$SCRATCH/d/suid")" "4755 $me"
	assert_eq "$(stat -c '%a %u:%g' "$SCRATCH/d/sgid")" "2755 $me"
	assert_eq "$(stat -c '%a %u:%g' "$SCRATCH/d/tool")" "4755 $me"
}

@test "escape: file capabilities are refused without --allow-setid (root)" {
	is_root || skip "root mode: setcap needs root in the VM over a file it may change"
	command -v setcap >/dev/null || skip "setcap is not installed"
	mkdir -p "$SCRATCH/d"
	fvm create e 2>/dev/null
	run -0 --separate-stderr fvm run e -- sh -c "cp /bin/true '$SCRATCH/d/cap' && setcap cap_net_raw+ep '$SCRATCH/d/cap'"
	run --separate-stderr fvm commit -y --allow-devices --force e "$SCRATCH/d"
	assert_status 125
	assert_contains "$stderr" capabilit
	assert_not_exists "$SCRATCH/d/cap"
	run -0 --separate-stderr fvm commit -y --allow-setid e "$SCRATCH/d"
	assert_exists "$SCRATCH/d/cap"
	if command -v getcap >/dev/null; then
		run -0 getcap "$SCRATCH/d/cap"
		assert_contains "$output" cap_net_raw "the capability came along, as allowed"
	fi
}

# in_small_fs SCRIPT: run SCRIPT (bash) in a private mount namespace where
# $SMALL is a tmpfs of TMPFS_OPTS, with FVM and everything else as here.
in_small_fs() {
	unshare -m --propagation private bash -c '
		set -e
		mount -t tmpfs -o "$TMPFS_OPTS" tmpfs "$SMALL"
		eval "$1"' _ "$1"
}

@test "escape: a commit bigger than the free space fails cleanly; nothing is left (root)" {
	is_root || skip "root mode: the test mounts a small tmpfs"
	export SMALL=$SCRATCH/small TMPFS_OPTS=size=1m
	mkdir -p "$SMALL"
	run --separate-stderr in_small_fs '
		echo host >"$SMALL/keep"
		"$FVM" create sp 2>/dev/null
		"$FVM" run sp -- sh -c "head -c 2097152 /dev/zero >\"\$1/big\" && echo small >\"\$1/small\" && echo vm >\"\$1/keep\"" _ "$SMALL"
		"$FVM" diff sp "$SMALL"
		rc=0; "$FVM" commit -y sp "$SMALL" || rc=$?
		echo "rc=$rc"
		ls -A "$SMALL"
		cat "$SMALL/keep"
		ls -A "$FVM_HOME/vms/sp" | grep journal || echo "no journal"
		"$FVM" diff sp "$SMALL"'
	assert_status 0
	assert_eq "$output" "A  $SMALL/big
M  $SMALL/keep
A  $SMALL/small
rc=125
keep
host
no journal
A  $SMALL/big
M  $SMALL/keep
A  $SMALL/small" "diff, commit refused, only the host's file, no journal, changes kept"
	assert_contains "$stderr" "nothing was committed"
}

@test "escape: a commit that runs out of inodes half way is rolled back; nothing is left (root)" {
	is_root || skip "root mode: the test mounts a small tmpfs"
	export SMALL=$SCRATCH/small TMPFS_OPTS=size=1m,nr_inodes=8
	mkdir -p "$SMALL"
	run --separate-stderr in_small_fs '
		echo host >"$SMALL/keep"
		"$FVM" create sp 2>/dev/null
		"$FVM" run sp -- sh -c "i=1; while [ \$i -le 12 ]; do echo \$i >\"\$1/f\$i\"; i=\$((i + 1)); done; echo vm >\"\$1/keep\"" _ "$SMALL"
		rc=0; "$FVM" commit -y sp "$SMALL" || rc=$?
		echo "rc=$rc"
		ls -A "$SMALL"
		cat "$SMALL/keep"
		ls -A "$FVM_HOME/vms/sp" | grep journal || echo "no journal"
		"$FVM" diff sp "$SMALL" | wc -l'
	assert_status 0
	assert_eq "$output" "rc=125
keep
host
no journal
13" "commit refused, no temporaries, the host's file, no journal, changes kept"
	assert_fvm_error
}

# deep_tree DIR LEVELS: the VM script making LEVELS nested directories of
# 200 bytes each below DIR (mkdir -p goes down one directory at a time, so
# the whole may be longer than PATH_MAX), with a file "leaf" at the bottom
# when the path allows one.
deep_tree() {
	echo "cd '$1' && n=\$(printf 'n%.0s' \$(seq 200)) && p=\$(printf \"\$n/%.0s\" \$(seq $2)) &&
		mkdir -p \"\$p\" && { echo deep > \"\$p/leaf\" 2>/dev/null || true; }"
}

@test "escape: a path longer than PATH_MAX is marked by diff and refused by commit; one just below it commits" {
	local prefix=${#SCRATCH}
	mkdir -p "$SCRATCH/ok" "$SCRATCH/long" "$SCRATCH/near"
	fvm create e 2>/dev/null
	# near: prefix + 18 * 201 + "/leaf" < 4096; long: prefix + 21 * 201 > 4096
	run -0 --separate-stderr fvm run e -- sh -c "$(deep_tree "$SCRATCH/near" 18) && echo vm > '$SCRATCH/ok/f'"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/near"
	assert_eq "$(find "$SCRATCH/near" -name leaf -exec cat {} \;)" deep "the near-limit tree landed whole"

	run -0 --separate-stderr fvm run e -- sh -c "$(deep_tree "$SCRATCH/long" 21)"
	local t
	# diff shows what it can, and marks the directory it cannot walk below
	for t in "diff e $SCRATCH" "diff --json e $SCRATCH/long"; do
		run -0 --separate-stderr fvm $t
		assert_contains "$output" "longer than PATH_MAX" "fvm $t"
	done
	for t in "commit -y e $SCRATCH" "commit -y --force e $SCRATCH/long" "commit -n e $SCRATCH/long"; do
		run --separate-stderr fvm $t
		# a dry run that would be refused exits 1, the refused commit 125
		assert_status "$([[ $t == "commit -n"* ]] && echo 1 || echo 125)"
		assert_fvm_error
	done
	assert_eq "$(entries_below "$SCRATCH/long")" 0 "nothing of the long tree on the host"
	assert_not_exists "$SCRATCH/ok/f"
	# what is elsewhere can still be seen and committed
	run -0 --separate-stderr fvm diff e "$SCRATCH/ok"
	assert_eq "$output" "A  $SCRATCH/ok/f"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/ok"
	assert_eq "$(cat "$SCRATCH/ok/f")" vm
	assert_eq "$(commit_temps "$SCRATCH")" ""
	(( prefix + 18 * 201 + 5 < 4096 && prefix + 21 * 201 > 4096 )) || { echo "scratch path of $prefix bytes: the sizes above do not straddle PATH_MAX" >&2; false; }
}
