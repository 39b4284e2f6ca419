#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# snapshot.bats - fvm snapshot / snapshots / restore / clone / rename: a
# VM's changes as a stack of frozen layers (lib/snapshot.c, stackview.c,
# clone.c). Each change kind across layers shows in diff and commits as
# the VM sees it; restore gives back exactly the old state; a clone is
# independent of its source; hostile tags and a running VM's rename are refused;
# the stack is bounded (at the bound the lowest two layers are merged); a kill before any file system call of each
# operation leaves the old or the new state.

load helpers

# The host's side of the cell.
host_cell() {
	rm -rf "$1"
	mkdir -p "$1/keep" "$1/opaq" "$1/d2f"
	echo host >"$1/mod"
	echo host >"$1/del"
	echo host >"$1/del2"
	echo host >"$1/f2d"
	echo host >"$1/opaq/gone"
	echo host >"$1/keep/child"
	echo host >"$1/d2f/inner"
}

# In layer 1 (then frozen): new, modified, deleted, replaced, opaque dir.
LAYER1='cd "$1" && echo l1 >new1 && echo l1 >mod && rm del && rm -rf d2f && echo l1 >d2f &&
	rm -rf opaq && mkdir opaq && echo l1 >opaq/fresh && echo l1 >gone-later && mkdir -p nd/sub && echo l1 >nd/sub/x'
# In layer 2 (the live one): changed again, deleted what layer 1 added,
# deleted a host file, re-created a deleted one, a dir over a deleted file.
LAYER2='cd "$1" && echo l2 >mod && rm gone-later && rm del2 && echo l2 >del && rm f2d && mkdir f2d &&
	echo l2 >f2d/z && echo l2 >opaq/more && echo l2 >keep/added && rm nd/sub/x'

@test "snapshot: every kind of change across two layers shows in diff and commits as the VM sees it" {
	local cell=$SCRATCH/cell view
	host_cell "$cell"
	fvm create v
	fvm run v -- sh -c "$LAYER1" _ "$cell"
	run fvm snapshot v s1
	assert_status 0
	assert_eq "$output" s1
	fvm run v -- sh -c "$LAYER2" _ "$cell"
	view=$(vm_snapshot v "$cell")
	run diff_short v "$cell"
	assert_status 0
	# the merged changes of both layers against the host
	assert_eq "$output" "$(printf '%s\n' 'M del' 'D del2' 'R d2f' 'R f2d/' 'A f2d/z' \
		'A keep/added' 'M mod' 'A nd/' 'A nd/sub/' 'A new1' 'R opaq/' 'A opaq/fresh' 'D opaq/gone' \
		'A opaq/more' | LC_ALL=C sort -k2,2)"
	# what gone-later was (added in layer 1, deleted in 2) is no change at all
	assert_not_contains "$output" gone-later
	# a commit of some paths applies the merged result there
	run fvm commit -y v "$cell/mod" "$cell/new1"
	assert_status 0
	assert_eq "$(cat "$cell/mod") $(cat "$cell/new1")" "l2 l1"
	run -0 diff_short v "$cell"
	assert_not_contains "$output" "mod"
	assert_not_contains "$output" "new1"
	run fvm commit -y v
	assert_status 0
	# the host is what the VM saw; the VM then stands on the host again
	assert_eq "$(tree_snapshot "$cell" | awk '{ print $1, $2 }')" "$(awk '{ print $1, $2 }' <<<"$view")"
	assert_eq "$(cat "$cell/mod") $(cat "$cell/del") $(cat "$cell/opaq/fresh")" "l2 l2 l1"
	assert_not_exists "$cell/del2"
	assert_not_exists "$cell/opaq/gone"
	run diff_short v "$cell"
	assert_eq "$output" ""
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/v/stack.json")" 0
	# the snapshot stays, and still holds layer 1
	run fvm snapshots --json v
	assert_eq "$(jq -r '.[].tag' <<<"$output")" s1
}

@test "snapshot: restore gives back exactly the state at the snapshot, and forgets later changes" {
	local cell=$SCRATCH/cell before
	host_cell "$cell"
	fvm create v
	fvm run v -- sh -c "$LAYER1" _ "$cell"
	before=$(vm_snapshot v "$cell")
	fvm snapshot v s1 >/dev/null
	fvm run v -- sh -c "$LAYER2" _ "$cell"
	fvm snapshot v s2 >/dev/null
	fvm run v -- sh -c 'cd "$1" && echo l3 >mod && rm -rf keep' _ "$cell"
	assert_ne "$(vm_snapshot v "$cell")" "$before"
	run --separate-stderr fvm restore v s1
	assert_status 0
	assert_eq "$(vm_snapshot v "$cell")" "$before" "the VM as it was at s1"
	# the live changes after s1 are gone; s2 is kept and can be restored too
	fvm restore v s2
	assert_eq "$(fvm run v -- cat "$cell/mod")" l2
	assert_exists "$cell/keep/child"
	# a restore of the host side: nothing reached the host
	assert_eq "$(cat "$cell/mod")" host
}

@test "snapshot: list with tag, time, size and depth; --json; --rm frees the layer once unused" {
	fvm create v
	fvm run v -- sh -c 'head -c 300000 /dev/zero >"$1/big"' _ "$SCRATCH"
	fvm snapshot v a >/dev/null
	fvm run v -- sh -c 'echo x >"$1/small"' _ "$SCRATCH"
	run fvm snapshot v
	assert_status 0
	assert_eq "$output" snap1 "the next free snapN"
	run fvm snapshots --json v
	assert_status 0
	assert_eq "$(jq -r 'map(.tag) | join(" ")' <<<"$output")" "a snap1"
	assert_eq "$(jq -r 'map(.depth) | join(" ")' <<<"$output")" "1 2"
	(($(jq '.[0].size_bytes' <<<"$output") >= 300000)) || { echo "size of a: $output"; false; }
	(($(jq '.[1].size_bytes' <<<"$output") < 300000)) || { echo "size of snap1: $output"; false; }
	(($(jq '.[0].created' <<<"$output") > $(date +%s) - 600))
	run fvm snapshots v
	assert_match "${lines[0]}" '^TAG +CREATED +SIZE +DEPTH'
	assert_match "${lines[1]}" '^a +[0-9-]+ [0-9:]+ +[0-9.]+K +1$'
	# two frozen layers in the store; the VM stands on both
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 2
	fvm snapshot --rm v a
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 2 "the VM still stands on a's layer"
	fvm restore v snap1
	fvm snapshot --rm v snap1
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 2 "restore made the VM stand on them again"
	fvm discard -y v
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 0 "nothing stands on them: freed"
	assert_eq "$(fvm run v -- sh -c 'ls "$1"' _ "$SCRATCH")" ""
	run --separate-stderr fvm restore v snap1
	assert_status 125
	assert_contains "$stderr" "no snapshot 'snap1'"
}

@test "snapshot: layers are kept while any VM's records cannot be read whole (a torn stack.json), freed once they can" {
	fvm create v
	fvm create w
	fvm run v -- sh -c 'echo x >"$1/f"' _ "$SCRATCH"
	fvm snapshot v a >/dev/null
	fvm run w -- true
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 1
	# another VM's stack.json, torn (as a crash of an older fvm, or a full
	# disk, could leave it): what it names is not known, so nothing goes
	printf '{"layers": [' >"$FVM_HOME/vms/w/stack.json"
	fvm snapshot --rm v a
	fvm discard -y v
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 1 "a layer w may stand on is kept"
	rm "$FVM_HOME/vms/w/stack.json"   # w stood on nothing
	fvm snapshot v b >/dev/null       # any store cleanup collects
	fvm snapshot --rm v b
	assert_eq "$(ls "$FVM_HOME/layers" | wc -l)" 0 "freed once every record reads"
}

@test "snapshot: hostile or taken tags are refused, naming the rule" {
	fvm create v
	for t in ../x x/y .hidden -opt '' "$(printf 'a%.0s' {1..65})" "$(printf 'a\tb')" 'é'; do
		run --separate-stderr fvm snapshot v -- "$t"
		assert_status 125
		assert_fvm_error
		assert_contains "$stderr" "bad snapshot tag"
		run --separate-stderr fvm restore v -- "$t"
		assert_status 125
	done
	fvm snapshot v ok-1.2_x >/dev/null
	run --separate-stderr fvm snapshot v ok-1.2_x
	assert_status 125
	assert_contains "$stderr" "has a snapshot 'ok-1.2_x' already"
	assert_eq "$(find "$FVM_HOME" -name '*x*' -path '*snapshots*' | wc -l)" 1
	assert_not_exists "$FVM_HOME/vms/x"
	assert_not_exists "$FVM_HOME/x"
}

has_diff() {
	[[ -n $(fvm diff "$1" "$2" 2>/dev/null) ]]
}

@test "rename of a running VM is refused; the VM goes on unchanged (snapshot and clone of one: snapshot-running.bats)" {
	fvm create v
	fvm_start v
	# the VM writes all the time meanwhile
	fvm exec v -- sh -c 'i=0; while :; do echo $i >"$1/w.tmp" && mv "$1/w.tmp" "$1/w"; i=$((i+1)); done' _ "$SCRATCH" \
		</dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 has_diff v "$SCRATCH"
	run --separate-stderr fvm rename v v2
	assert_status 125
	assert_contains "$stderr" "is running: stop it with 'fvm stop v'"
	assert_not_exists "$FVM_HOME/vms/v2"
	assert_not_exists "$FVM_HOME/layers"
	fvm stop v
	run fvm snapshot v s
	assert_status 0
	# taken of the stopped VM: what it had written last, whole
	assert_match "$(fvm run v -- cat "$SCRATCH/w")" '^[0-9]+$'
}

@test "clone: the clone has the source's changes and settings, its own name and ids, and neither sees the other's writes" {
	local cell=$SCRATCH/cell
	host_cell "$cell"
	fvm create --hide "$SCRATCH/secret" --net none src
	fvm run src -- sh -c "$LAYER1" _ "$cell"
	fvm run src -- sh -c 'echo mine >"$1/owned" && chown 1234:1234 "$1/owned" 2>/dev/null; true' _ "$cell"
	run --separate-stderr fvm clone src dst
	assert_status 0
	assert_eq "$(vm_snapshot dst "$cell")" "$(vm_snapshot src "$cell")" "the same changes"
	assert_eq "$(vm_field dst .hostname)" dst
	assert_eq "$(vm_field dst '.policies | map(.path) | index("'"$SCRATCH/secret"'") != null')" true
	assert_ne "$(vm_field dst .created)" null
	if is_root; then
		local sb db
		sb=$(vm_field src .uid_base) db=$(vm_field dst .uid_base)
		assert_ne "$sb" "$db" "a uid range of its own"
		# its root owns the source's files, as its own ids
		assert_eq "$(fvm run dst -- stat -c %u:%g "$cell/owned")" "1234:1234"
		assert_eq "$(fvm run dst -- stat -c %u "$cell/new1")" 0
		# and a file it makes is in its range on the host
		fvm run dst -- sh -c 'echo d >"$1/dfile"' _ "$cell"
		assert_eq "$(stat -c %u "$(layer_upper dst "$cell/dfile")")" "$db"
	fi
	# independent both ways
	fvm run dst -- sh -c 'echo dst >"$1/mod" && echo dst >"$1/only-dst" && rm "$1/new1"' _ "$cell"
	fvm run src -- sh -c 'echo src >"$1/only-src"' _ "$cell"
	assert_eq "$(fvm run src -- cat "$cell/mod")" l1
	assert_eq "$(fvm run src -- cat "$cell/new1")" l1
	run fvm run src -- test -e "$cell/only-dst"
	assert_status 1
	run fvm run dst -- test -e "$cell/only-src"
	assert_status 1
	# removing the source keeps what the clone stands on
	fvm rm src
	assert_eq "$(fvm run dst -- cat "$cell/d2f")" l1
	assert_contains "$(diff_short dst "$cell")" "R opaq/"
	run --separate-stderr fvm clone dst dst
	assert_status 125
	assert_contains "$stderr" "already exists"
	run --separate-stderr fvm clone nosuch x
	assert_status 125
	assert_not_exists "$FVM_HOME/vms/x"
}

@test "rename: a stopped VM keeps its changes and snapshots under its new name; hostile names refused" {
	fvm create a
	fvm run a -- sh -c 'echo a >"$1/f"' _ "$SCRATCH"
	fvm snapshot a t >/dev/null
	fvm create b
	run --separate-stderr fvm rename a b
	assert_status 125
	assert_contains "$stderr" "already exists"
	for n in ../x x/y .x ''; do
		run --separate-stderr fvm rename a "$n"
		assert_status 125
	done
	run --separate-stderr fvm rename a c
	assert_status 0
	assert_not_exists "$FVM_HOME/vms/a"
	assert_eq "$(fvm run c -- cat "$SCRATCH/f")" a
	assert_eq "$(fvm run c -- hostname)" c
	assert_eq "$(fvm snapshots --json c | jq -r '.[0].tag')" t
	fvm restore c t
	if is_root; then
		# the uid range registry follows the name
		assert_eq "$(awk -F '\t' -v s="$FVM_HOME" '$2 == s { print $3 }' ${FVM_UID_REGISTRY:-/var/lib/fvm-idmap/ranges} | LC_ALL=C sort | tr '\n' ' ')" "b c "
		assert_eq "$(awk -F '\t' -v s="$FVM_HOME" '$2 == s && $3 == "c" { print $1 }' "${FVM_UID_REGISTRY:-/var/lib/fvm-idmap/ranges}")" \
			"$(vm_field c .uid_base)"
	fi
	run --separate-stderr fvm ls -q
	assert_eq "$output" "$(printf 'b\nc')"
}

# no_links: a view (tree_snapshot) without files' link counts: the merged
# layer's files are hard links to the old layers' while those exist
no_links() {
	awk '$2 == "f" { $5 = "-" } { print }'
}

@test "snapshot: at the bound the two lowest layers are merged into one (whiteouts, opaque dirs applied); the VM, its snapshots and a kill see no difference" {
	local cell=$SCRATCH/cell at_s2 before l0 l1 l2 rc n
	host_cell "$cell"
	fvm create v
	# the two lowest layers hold every kind of change, the second over the first
	fvm run v -- sh -c "$LAYER1" _ "$cell"
	fvm snapshot v s1 >/dev/null
	fvm run v -- sh -c "$LAYER2" _ "$cell"
	fvm snapshot v s2 >/dev/null
	at_s2=$(vm_snapshot v "$cell" | no_links)
	for i in $(seq 3 16); do
		fvm run v -- sh -c 'echo $2 >"$1/f$2"' _ "$cell" "$i"
		fvm snapshot v "s$i" >/dev/null
	done
	fvm run v -- sh -c 'echo 17 >"$1/f17"' _ "$cell"
	before=$(vm_snapshot v "$cell" | no_links)
	local diff_before
	diff_before=$(diff_short v "$cell")
	l0=$(jq -r '.layers[0].id' "$FVM_HOME/vms/v/stack.json")
	l1=$(jq -r '.layers[1].id' "$FVM_HOME/vms/v/stack.json")
	l2=$(jq -r '.layers[2].id' "$FVM_HOME/vms/v/stack.json")
	# a kill at each rename of the flattening and the snapshot: the VM sees the same
	if command -v strace >/dev/null; then
		for n in 1 2 3; do
			rc=$(cut renameat "$n" snapshot v "cut$n")
			assert_eq "$(vm_snapshot v "$cell" | no_links)" "$before" "the view after a cut before renameat #$n (exit $rc)"
			assert_not_exists "$FVM_HOME/vms/v/.flatten"
			[[ $rc == 137 ]] || break
		done
		for n in 1 2 3; do fvm snapshot --rm v "cut$n" >/dev/null 2>&1 || true; done
		fvm restore v s16
		fvm run v -- sh -c 'echo 17 >"$1/f17"' _ "$cell"
		before=$(vm_snapshot v "$cell" | no_links)
		diff_before=$(diff_short v "$cell")
	fi
	run --separate-stderr fvm snapshot v s17
	assert_status 0
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/v/stack.json")" 16
	assert_ne "$(jq -r '.layers[0].id' "$FVM_HOME/vms/v/stack.json")" "$l0" "the bottom layer is a new one"
	[[ $(jq -r '.layers[0].id' "$FVM_HOME/vms/v/stack.json") != "$l1" ]]
	assert_eq "$(jq -r '.layers[1].id' "$FVM_HOME/vms/v/stack.json")" "$l2" "the third layer moved down"
	# the VM sees exactly what it saw; diff (and so commit) the same changes
	assert_eq "$(vm_snapshot v "$cell" | no_links)" "$before" "the view after flattening"
	assert_eq "$(diff_short v "$cell")" "$diff_before" "the diff after flattening"
	# the older snapshots still stand on the old layers
	fvm restore v s2
	assert_eq "$(vm_snapshot v "$cell" | no_links)" "$at_s2" "s2 after flattening"
	fvm restore v s17
	assert_eq "$(vm_snapshot v "$cell" | no_links)" "$before" "s17"
	# once nothing names them (s1 to s16 all stand on them), the old layers
	# go; s17 stands on the merged one
	for i in $(seq 1 16); do fvm snapshot --rm v "s$i" 2>/dev/null; done
	assert_not_exists "$FVM_HOME/layers/$l0"
	assert_not_exists "$FVM_HOME/layers/$l1"
	fvm restore v s17
	assert_eq "$(vm_snapshot v "$cell" | awk '$2 == "f" { print $5 }' | sort -u)" 1 "no inode shared with a removed layer"
	assert_eq "$(vm_snapshot v "$cell" | no_links)" "$before" "s17 on the merged layer alone"
	# a clone at the bound flattens the same way
	fvm run v -- sh -c 'echo 18 >"$1/f18"' _ "$cell"
	run --separate-stderr fvm clone v w
	assert_status 0
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/w/stack.json")" 16
	assert_eq "$(fvm run w -- cat "$cell/f18" "$cell/mod" "$cell/d2f")" $'18\nl2\nl1'
}

@test "discard: a path held by a frozen layer is refused, naming the ways that work" {
	fvm create v
	fvm run v -- sh -c 'echo a >"$1/f"' _ "$SCRATCH"
	fvm snapshot v s >/dev/null
	fvm run v -- sh -c 'echo b >"$1/g"' _ "$SCRATCH"
	run --separate-stderr fvm discard -y v "$SCRATCH/f"
	assert_status 125
	assert_contains "$stderr" "frozen layers"
	fvm discard -y v "$SCRATCH/g"
	assert_eq "$(diff_short v "$SCRATCH")" "A f"
}

# ---- crash safety ------------------------------------------------------------

# The calls that change a file system (and fsync, which orders them): a
# crash can fall before any of them. Writes go to temporaries, renamed.
# FVM_TEST_SNAPSHOT_CALLS="renameat fsync" cuts before those only (quicker).
# shellcheck disable=SC2206  # a word list on purpose
MUTATING=(${FVM_TEST_SNAPSHOT_CALLS:-rename renameat renameat2 unlink unlinkat rmdir mkdir mkdirat linkat fsync fdatasync fsetxattr})

NO_LSAN="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# cut CALL N CMD...: run fvm CMD killed just before its Nth call of CALL; prints the exit status
cut() {
	local rc=0
	env "$NO_LSAN" bash -c 'c=$1 n=$2; shift 2; strace -f -o /dev/null -e trace="$c" -e inject="$c":signal=KILL:when="$n" \
		"$FVM" "$@" </dev/null >/dev/null 2>/dev/null' _ "$@" 2>/dev/null 3>&- || rc=$?
	echo "$rc"
}

# state NAME: what a user sees of VM NAME: its snapshots and its view of SCRATCH/c
state() {
	fvm snapshots --json "$1" | jq -c 'map(.tag)'
	vm_snapshot "$1" "$SCRATCH/c"
}

# crash_loop SETUP OP CHECK: for each call kind and N = 1, 2, ...: SETUP
# (a fresh VM v), OP killed before its Nth such call, CHECK must pass;
# until OP runs to its end.
crash_loop() {
	local setup=$1 op=$2 check=$3 call n rc cuts=0
	for call in "${MUTATING[@]}"; do
		for ((n = 1; ; n++)); do
			fvm rm -f v w >/dev/null 2>&1 || true
			$setup
			rc=$(cut "$call" "$n" $op)
			$check "$rc" || { echo "after a cut before $call #$n (exit $rc)"; return 1; }
			((rc == 137)) || break
			cuts=$((cuts + 1))
		done
	done
	echo "# $cuts cuts" >&3
	((cuts > 2))
}

setup_v() {
	rm -rf "$SCRATCH/c" && mkdir -p "$SCRATCH/c" && echo host >"$SCRATCH/c/f"
	fvm create v >/dev/null
	fvm run v -- sh -c 'cd "$1" && echo l1 >f && echo l1 >g && rm -f h' _ "$SCRATCH/c"
	fvm snapshot v t1 >/dev/null
	fvm run v -- sh -c 'cd "$1" && echo l2 >f && rm g' _ "$SCRATCH/c"
	OLD=$(state v)
}

check_snapshot() {
	local now
	now=$(state v) || return 1
	if [[ $now != "$OLD" ]]; then
		assert_eq "$(head -1 <<<"$now")" '["t1","t2"]' "old or new, never half" || return 1
		assert_eq "$(tail -n +2 <<<"$now")" "$(tail -n +2 <<<"$OLD")" "the same view" || return 1
	fi
	[[ $1 == 137 ]] || [[ $now != "$OLD" ]]
}

check_restore() {
	local now
	now=$(state v) || return 1
	[[ $now == "$OLD" ]] || assert_eq "$(fvm run v -- cat "$SCRATCH/c/f") $(fvm run v -- cat "$SCRATCH/c/g")" "l1 l1" || return 1
}

check_clone() {
	local now
	assert_eq "$(state v | tail -n +2)" "$(tail -n +2 <<<"$OLD")" "the source unchanged" || return 1
	if [[ -d $FVM_HOME/vms/w ]]; then
		assert_eq "$(vm_snapshot w "$SCRATCH/c")" "$(tail -n +2 <<<"$OLD")" "a whole clone" || return 1
	else
		[[ $1 == 137 ]] || { echo "clone finished, no w"; return 1; }
	fi
}

check_rename() {
	if [[ -d $FVM_HOME/vms/w ]]; then
		assert_not_exists "$FVM_HOME/vms/v" || return 1
		assert_eq "$(state w)" "$OLD" "renamed whole" || return 1
		assert_eq "$(fvm run w -- hostname)" w || return 1
	else
		assert_eq "$(state v)" "$OLD" "not renamed at all" || return 1
		[[ $1 == 137 ]]
	fi
}

require_strace() {
	command -v strace >/dev/null || skip "strace is not installed (it cuts the operation at chosen calls)"
}

@test "crash safety: a snapshot cut before any of its file system calls is the old or the new state" {
	require_strace
	crash_loop setup_v "snapshot v t2" check_snapshot
}

@test "crash safety: a restore cut before any of its file system calls is the old or the new state" {
	require_strace
	crash_loop setup_v "restore v t1" check_restore
}

@test "crash safety: a clone cut before any of its file system calls leaves no half VM" {
	require_strace
	crash_loop setup_v "clone v w" check_clone
}

@test "crash safety: a rename cut before any of its file system calls is the old or the new name" {
	require_strace
	crash_loop setup_v "rename v w" check_rename
}

@test "progress: the merge at the stack's bound shows a moving line on a terminal (entries, bytes)" {
	local lines
	fvm create v
	fvm run v -- sh -c 'mkdir "$1/many" && cd "$1/many" && seq 1 4000 | xargs touch && head -c 1M /dev/zero >big' _ "$SCRATCH"
	for i in $(seq 1 16); do
		fvm snapshot v "s$i" >/dev/null
		fvm run v -- sh -c 'echo $2 >"$1/f$2"' _ "$SCRATCH" "$i"
	done
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/v/stack.json")" 16
	# the line shows only for work past half a second: the merge's links
	# (4,000 here) are each made 0.5 ms slower by strace's fault injection,
	# so that it takes that long on a quiet machine too (no leak checks
	# under ptrace in the sanitizer run)
	command -v strace >/dev/null || skip "strace is not installed (it slows the merge down past the line's delay)"
	run -0 script -qec "ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 strace -f -o /dev/null -e trace=linkat -e inject=linkat:delay_exit=500 $FVM snapshot v s17 >/dev/null" "$TEST_ROOT/typescript"
	lines=$(tr '\r' '\n' <"$TEST_ROOT/typescript" | grep -a "fvm: taking a snapshot: [0-9]* entries" | sort -u || true)
	(($(wc -l <<<"$lines") >= 2)) || { echo "no moving line: $lines | $(tr '\r' '\n' <"$TEST_ROOT/typescript" | head -3)" >&2; return 1; }
	# the bytes so far (when the 1 MiB file comes in the walk is the
	# directory's order: the lines drawn may all be before it)
	assert_match "$lines" "entries, [0-9.]+ (B|KiB|MiB)" "the bytes of the files linked"
	assert_eq "$(jq '.layers | length' "$FVM_HOME/vms/v/stack.json")" 16
	assert_eq "$(fvm run v -- sh -c 'ls "$1/many" | wc -l; cat "$1/f16"' _ "$SCRATCH")" $'4001\n16'
}

@test "clone: the removed source's uid range stays taken while its frozen layers back the clone, and is freed with them" {
	is_root || skip "uid ranges are root mode's"
	local cell=$SCRATCH/cell sb cb nb
	host_cell "$cell"
	fvm create src
	fvm run src -- sh -c 'echo src >"$1/mine"' _ "$cell"
	run -0 --separate-stderr fvm clone src dst
	sb=$(vm_field src .uid_base)
	assert_eq "$(jq -r '.layers[0].base' "$FVM_HOME/vms/dst/stack.json")" "$sb" "dst stands on a layer owned in src's range"
	assert_eq "$(stat -c %u "$(find "$FVM_HOME/layers" -name mine | head -1)")" "$sb"
	fvm rm src
	# the range is still in the machine's registry, held for the layers
	run -0 awk -F '\t' -v b="$sb" '$1 == b { print $3 }' "$FVM_UID_REGISTRY"
	assert_eq "$output" ".layers" "src's range is held, not released"
	# no new VM gets it: none may own the clone's lower files
	for v in n1 n2 n3; do
		fvm create "$v"
		nb=$(vm_field "$v" .uid_base)
		assert_ne "$nb" "$sb" "a new VM ($v) got the range of the clone's lower layer"
	done
	assert_eq "$(fvm run dst -- cat "$cell/mine")" src
	# a clone of the clone stands on it too; only when the last goes is the range free
	run -0 --separate-stderr fvm clone dst dst2
	fvm rm dst
	run -0 awk -F '\t' -v b="$sb" '$1 == b { print $3 }' "$FVM_UID_REGISTRY"
	assert_eq "$output" ".layers"
	cb=$(vm_field dst2 .uid_base)
	fvm rm dst2 n1 n2 n3
	run -0 awk -F '\t' -v b="$sb" '$1 == b' "$FVM_UID_REGISTRY"
	assert_eq "$output" "" "freed with the last layer of it"
	run -0 awk -F '\t' -v b="$cb" '$1 == b' "$FVM_UID_REGISTRY"
	assert_eq "$output" ""
	assert_eq "$(find "$FVM_HOME/layers" -mindepth 1 -maxdepth 1 | wc -l)" 0 "no layer left"
}
