#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# changes-crash.bats - fvm commit is crash-safe: cut at any point by
# SIGKILL, every host file is its old or its new self (never torn, never
# missing), and the next `fvm commit` finishes the job, leaving no
# temporary and no journal behind.
#
#  - random kills: commits of FILES small files (old content on the host,
#    new in the VM), killed after a random delay, again and again, in two
#    VMs side by side (at least KILLS cuts in all; each completed commit
#    starts a new round with the next generation of content, written by
#    the VM every 15th round and straight into its layer otherwise);
#  - every crash point: a small commit of every kind of change, killed
#    (by strace's fault injection) just before its 1st, 2nd, ... Nth call
#    of each kind that changes a file system, then finished by a rerun;
#  - the same for file names containing "..", and for the journal itself.
#
# Environment: FVM_TEST_COMMIT_KILLS (default 200) and
# FVM_TEST_COMMIT_FILES (default 1000) size the random-kill test;
# FVM_TEST_CRASH_STRIDE=K cuts only every Kth call of each kind (default 1).

load helpers

# gen_check DIR N G: every DIR/f1..fN holds "G-i" or "G+1-i" exactly.
gen_check() {
	awk -v g="$3" -v n="$2" '
		FNR == 1 {
			i = substr(FILENAME, match(FILENAME, /\/f[0-9]+$/) + 2)
			if ($0 != g "-" i && $0 != (g + 1) "-" i) { print FILENAME ": torn or foreign content: " $0; bad = 1 }
			seen++
		}
		FNR == 2 { print FILENAME ": more than one line"; bad = 1 }
		END {
			if (ARGC - 1 != n) { print ARGC - 1 " files f*, expected " n " (a file is missing or extra)"; bad = 1 }
			if (seen != ARGC - 1) { print "only " seen " of " ARGC - 1 " files have content"; bad = 1 }
			exit bad
		}
	' "$1"/f*
}

# all_gen DIR N G: every DIR/fi holds exactly "G-i".
all_gen() {
	awk -v g="$3" '
		FNR == 1 { i = substr(FILENAME, match(FILENAME, /\/f[0-9]+$/) + 2); if ($0 != g "-" i) { print FILENAME ": " $0; bad = 1 } }
		END { exit bad }
	' "$1"/f*
}

# vm_write_gen VM DIR N G: the VM writes "G-i" into DIR/f1..fN.
vm_write_gen() {
	fvm run "$1" -- sh -c 'cd "$1" && i=1 && while [ $i -le "$2" ]; do echo "$3-$i" >"f$i" || exit 1; i=$((i + 1)); done' \
		_ "$2" "$3" "$4"
}

# layer_write_gen VM DIR N G: the same, written straight into the stopped
# VM's layer, as the VM would have (ten times faster than copy-ups).
layer_write_gen() {
	local up i
	up=$(layer_upper "$1" "$2")
	[[ -d $up ]] || return 1
	for ((i = 1; i <= $3; i++)); do
		echo "$4-$i" >"$up/f$i"
	done
}

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# kill_lane VM DIR FILES KILLS: commits of FILES files in DIR by VM, cut
# by SIGKILL after a random delay until KILLS cuts were made; after each
# cut the invariant is checked, and each round ends with a commit that
# completes. Prints "KILLS ROUNDS MS" (MS: the last whole commit); on a
# broken invariant, prints what is wrong and fails.
kill_lane() {
	local vm=$1 d=$2 files=$3 kills=$4 journal=$FVM_HOME/vms/$1/commit.journal err=$TEST_ROOT/$1.err
	local g=0 done_kills=0 rounds=0 i pid rc delay max_ms=0 in_round ts

	mkdir -p "$d"
	for ((i = 1; i <= files; i++)); do
		echo "0-$i" >"$d/f$i"
	done
	fvm create "$vm" >/dev/null 2>&1 || { echo "cannot create $vm"; return 1; }

	while ((done_kills < kills)); do
		if ((rounds % 15 == 0)); then
			# every 15th round the VM writes the next generation and the
			# commit runs whole: how long one takes now (the machine's load
			# varies) sets the range of the kill delays
			vm_write_gen "$vm" "$d" "$files" $((g + 1)) >/dev/null 2>"$err" ||
				{ echo "the VM could not write generation $((g + 1)): $(cat "$err")"; return 1; }
			ts=$(now_ms)
			fvm commit -y "$vm" "$d" >/dev/null 2>"$err" || { echo "whole commit failed: $(cat "$err")"; return 1; }
			ts=$(($(now_ms) - ts))
			max_ms=$((ts + ts / 5 + 20))
			g=$((g + 1))
			all_gen "$d" "$files" "$g" || return 1
			rounds=$((rounds + 1))
			continue
		fi
		# the other rounds: the same change written straight into the layer
		layer_write_gen "$vm" "$d" "$files" $((g + 1)) || { echo "cannot write into the layer"; return 1; }
		rounds=$((rounds + 1))
		in_round=0
		# kill and rerun the same commit until one run completes
		while :; do
			delay=$(((RANDOM * 32768 + RANDOM) % (max_ms + 1)))
			"$FVM" commit -y "$vm" "$d" </dev/null >/dev/null 2>"$err" 3>&- &
			pid=$!
			if ((in_round < 10)); then
				sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
				kill -KILL "$pid" 2>/dev/null || true
			fi   # else: let this one finish
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			if ((rc == 137)); then
				done_kills=$((done_kills + 1))
				in_round=$((in_round + 1))
			elif ((rc != 0)); then
				echo "commit (after $done_kills kills) exited $rc: $(cat "$err")"
				return 1
			fi
			# the invariant, after every cut
			gen_check "$d" "$files" "$g" || { echo "after kill $done_kills (delay $delay ms)"; return 1; }
			if [[ -n $(commit_temps "$d") && ! -e $journal ]]; then
				echo "after kill $done_kills: temporaries on the host but no journal to remove them:" \
					"$(commit_temps "$d" | head -5)"
				return 1
			fi
			((rc != 0)) || break
		done
		g=$((g + 1))
		[[ ! -e $journal ]] || { echo "journal left by a completed commit"; return 1; }
		all_gen "$d" "$files" "$g" || return 1
		[[ -z $(commit_temps "$d") ]] || { echo "temporaries after a completed commit: $(commit_temps "$d" | head -5)"; return 1; }
	done

	# a last rerun has nothing to do; nothing is left anywhere
	fvm commit -y "$vm" "$d" >/dev/null 2>"$err" || { echo "last commit failed: $(cat "$err")"; return 1; }
	all_gen "$d" "$files" "$g" || return 1
	[[ -z $(commit_temps "$d") ]] || { echo "commit temporaries on the host: $(commit_temps "$d" | head -5)"; return 1; }
	[[ ! -e $journal ]] || { echo "journal left"; return 1; }
	[[ -z $(layer_leftovers "$vm" "$d") ]] || { echo "committed files left in the layer: $(layer_leftovers "$vm" "$d" | head -5)"; return 1; }
	[[ -z $(fvm diff "$vm" "$d") ]] || { echo "diff after the last commit: $(fvm diff "$vm" "$d" | head -5)"; return 1; }
	[[ $(fvm run "$vm" -- cat "$d/f1" "$d/f$files") == "$g-1"$'\n'"$g-$files" ]] ||
		{ echo "the VM does not see the host's files"; return 1; }
	echo "$done_kills $rounds $((max_ms * 5 / 6))"
}

@test "crash safety: random SIGKILLs during big commits; each host file old or new; a rerun finishes" {
	local kills=${FVM_TEST_COMMIT_KILLS:-200} files=${FVM_TEST_COMMIT_FILES:-1000} lanes=2 l t0=$SECONDS
	local pids=() failed=0 out k r ms total=0

	# two lanes (VMs, directories) side by side: twice the kills per second
	for ((l = 1; l <= lanes; l++)); do
		kill_lane "crash$l" "$SCRATCH/big$l" "$files" $(((kills + lanes - l) / lanes)) \
			</dev/null >"$TEST_ROOT/lane$l.log" 2>&1 3>&- &
		pids+=($!)
		bg_track "$!"
	done
	for ((l = 1; l <= lanes; l++)); do
		wait "${pids[l - 1]}" || failed=1
	done
	for ((l = 1; l <= lanes; l++)); do
		out=$(tail -1 "$TEST_ROOT/lane$l.log")
		if [[ $out =~ ^([0-9]+)\ ([0-9]+)\ ([0-9]+)$ ]]; then
			read -r k r ms <<<"$out"
			total=$((total + k))
			echo "# lane $l: $k kills of commits of $files files in $r rounds (a whole commit: ~$ms ms)" >&3
		else
			echo "lane $l:" >&2
			cat "$TEST_ROOT/lane$l.log" >&2
		fi
	done
	echo "# $total kills in $((SECONDS - t0)) s" >&3
	((failed == 0))
	((total >= kills))
}

# ---- every crash point --------------------------------------------------------

# The calls that change a file system: a crash can fall before any of them.
# (strace counts each call on its own: "when=N" is the Nth call of that one.)
MUTATING=(rename renameat renameat2 unlink unlinkat rmdir mkdir mkdirat symlink symlinkat link linkat
	mknodat fchownat fchmodat chmod fchmod utimensat fsync syncfs fsetxattr copy_file_range)

# host_state CELL: the host's side, before the VM runs.
host_state() {
	rm -rf "$1"
	mkdir -p "$1/dir2file" "$1/keep" "$1/opaq"
	echo old >"$1/mod"
	echo old >"$1/del"
	echo old >"$1/chm"
	echo old >"$1/file2dir"
	echo old >"$1/dir2file/inner"
	echo old >"$1/keep/child"
	echo old >"$1/opaq/gone"
	chmod 644 "$1/chm"
}

# What the VM does to the cell (run with the cell as $1).
VM_CHANGES='cd "$1" &&
	echo new >mod && echo new >add && rm del && chmod 600 chm &&
	ln -s target sym && mkfifo fifo && mkdir -p newdir/sub && echo new >newdir/sub/x && echo new >newdir/y &&
	rm -rf dir2file && echo new >dir2file && rm file2dir && mkdir file2dir && echo new >file2dir/z &&
	echo new >keep/child && echo new >keep/added && echo new >hl1 && ln hl1 hl2 &&
	rm -rf opaq && mkdir opaq && echo new >opaq/fresh'

# Each of these is old or new as a whole at any cut (the children of opaq
# and keep are changes of their own, each checked on its own).
ENTRIES=(mod add del chm sym fifo newdir dir2file file2dir keep/child keep/added hl1 hl2 opaq/gone opaq/fresh)

# untimed: a tree_snapshot without the times of non-directories (the
# situation is made again for every cut, with new times).
untimed() {
	awk '$2 != "d" { $6 = "-" } { print }'
}

# entry_lines SNAPSHOT NAME: the lines of NAME and below it in a tree_snapshot.
entry_lines() {
	awk -v n="$2" '{ p = $1 } p == n || index(p, n "/") == 1' <<<"$1"
}

# LeakSanitizer cannot work under ptrace (it stops the world with it): in
# the sanitizer run, fvm under strace runs without leak checking; the rest
# of the suite keeps it.
NO_LSAN="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# cut_commit VM CELL SYSCALL N: run `fvm commit VM CELL`, killed just
# before its Nth call of SYSCALL; prints the exit status.
cut_commit() {
	local rc=0
	# in a shell of its own, whose "Killed" report goes nowhere
	env "$NO_LSAN" bash -c 'strace -f -o /dev/null -e trace="$1" -e inject="$1":signal=KILL:when="$2" \
		"$FVM" commit -y "$3" "$4" </dev/null >/dev/null 2>"$5"' _ \
		"$3" "$4" "$1" "$2" "$TEST_ROOT/commit.err" 2>/dev/null 3>&- || rc=$?
	echo "$rc"
}

@test "crash safety: a commit cut before each of its file system calls is old or new, and a rerun finishes it" {
	command -v strace >/dev/null || skip "strace is not installed (it cuts the commit at chosen calls)"
	local cell=$SCRATCH/cell vm=cut journal=$FVM_HOME/vms/cut/commit.journal
	local old new now n rc e sc cuts=0 errs=() l stride=${FVM_TEST_CRASH_STRIDE:-1}
	declare -A count=()

	fvm create "$vm" 2>/dev/null
	# once whole: the counts of each call, and the old and new trees
	host_state "$cell"
	old=$(tree_snapshot "$cell" | untimed)
	run -0 --separate-stderr fvm run "$vm" -- sh -c "$VM_CHANGES" _ "$cell"
	new=$(vm_snapshot "$vm" "$cell")
	local IFS_=$IFS
	env "$NO_LSAN" strace -f -o "$TEST_ROOT/calls" -e trace="$(IFS=,; echo "${MUTATING[*]}")" \
		"$FVM" commit -y "$vm" "$cell" </dev/null >/dev/null 2>&1 3>&-
	[[ $(tree_snapshot "$cell") == "$new" ]] || {
		echo "the uncut commit does not give the VM's view:" >&2
		diff <(echo "$new") <(tree_snapshot "$cell") >&2
		return 1
	}
	new=$(untimed <<<"$new")
	for sc in "${MUTATING[@]}"; do
		count[$sc]=$(grep -cE "^[0-9]+ +$sc\(" "$TEST_ROOT/calls" || true)
	done

	for sc in "${MUTATING[@]}"; do
		for ((n = 1; n <= count[$sc]; n += stride)); do
			rm -f "$journal"   # one left by a failed rerun (reported) must not spoil the next cut
			fvm discard -y "$vm"
			host_state "$cell"
			run -0 --separate-stderr fvm run "$vm" -- sh -c "$VM_CHANGES" _ "$cell"
			rc=$(cut_commit "$vm" "$cell" "$sc" "$n")
			local at="cut before $sc #$n"
			if ((rc == 0)); then
				continue   # a call not made this time
			elif ((rc != 137)); then
				errs+=("$at: commit exited $rc: $(cat "$TEST_ROOT/commit.err")")
				continue
			fi
			cuts=$((cuts + 1))
			now=$(tree_snapshot "$cell" | grep -v '^\.fvm-commit-' | untimed)
			for e in "${ENTRIES[@]}"; do
				l=$(entry_lines "$now" "$e")
				[[ $l == "$(entry_lines "$old" "$e")" || $l == "$(entry_lines "$new" "$e")" ]] ||
					errs+=("$at: $e is neither old nor new: '${l//$'\n'/; }'")
			done
			[[ -z $(commit_temps "$cell") || -e $journal ]] ||
				errs+=("$at: temporaries without a journal: $(commit_temps "$cell" | paste -sd ' ' -)")
			run --separate-stderr fvm commit -y "$vm" "$cell"
			if ((status != 0)); then
				errs+=("$at: the rerun exited $status: $stderr")
				continue
			fi
			now=$(tree_snapshot "$cell" | untimed)
			[[ $now == "$new" ]] ||
				errs+=("$at: after the rerun the host is not the VM's view: $(diff <(echo "$new") <(echo "$now") | grep '^[<>]' | paste -sd ' ' -)")
			[[ -z $(commit_temps "$cell") ]] ||
				errs+=("$at: temporaries left after the rerun: $(commit_temps "$cell" | paste -sd ' ' -)")
			[[ ! -e $journal ]] || errs+=("$at: journal left after the rerun")
			[[ -z $(layer_leftovers "$vm" "$cell") ]] ||
				errs+=("$at: entries left in the layer after the rerun: $(layer_leftovers "$vm" "$cell" | paste -sd ' ' -)")
			[[ -z $(fvm diff "$vm" "$cell") ]] ||
				errs+=("$at: diff not empty after the rerun: $(fvm diff "$vm" "$cell" | paste -sd ' ' -)")
		done
	done
	echo "# $cuts cuts: $(for sc in "${MUTATING[@]}"; do ((count[$sc])) && printf '%s×%s ' "${count[$sc]}" "$sc"; done)" >&3
	((cuts > 20 / stride)) || errs+=("only $cuts cuts: strace's fault injection did not work as expected")
	if ((${#errs[@]})); then
		printf '%s\n' "${errs[@]}" >&2
		return 1
	fi
}

@test "crash safety: files named 'a..b' and '..x' in a commit cut short are finished (or rolled back) like any other" {
	command -v strace >/dev/null || skip "strace is not installed (it cuts the commit at chosen calls)"
	local cell=$SCRATCH/dots vm=dots journal=$FVM_HOME/vms/dots/commit.journal cut errs=()

	fvm create "$vm" 2>/dev/null
	# syncfs #1: every temporary made, the journal says "prepared" (rolled back);
	# renameat #3: the journal says "ready", the first file lands (rolled forward)
	for cut in "syncfs 1" "renameat 3"; do
		rm -rf "$cell" "$journal"
		fvm discard -y "$vm"
		mkdir -p "$cell"
		for f in plain 'a..b' '..x' 'x..'; do
			echo old >"$cell/$f"
		done
		run -0 --separate-stderr fvm run "$vm" -- sh -c 'cd "$1" && for f in plain a..b ..x x..; do echo new >"$f"; done' _ "$cell"
		run -0 cut_commit "$vm" "$cell" $cut
		assert_eq "$output" 137 "the commit cut before $cut"
		run --separate-stderr fvm commit -y "$vm" "$cell"
		((status == 0)) || errs+=("cut before $cut: the rerun exited $status: $stderr")
		local f
		for f in plain 'a..b' '..x' 'x..'; do
			[[ $(cat "$cell/$f") == new ]] || errs+=("cut before $cut: $f is '$(cat "$cell/$f")', not new")
		done
		[[ -z $(commit_temps "$cell") ]] ||
			errs+=("cut before $cut: temporaries left on the host: $(commit_temps "$cell" | paste -sd ' ' -)")
		[[ ! -e $journal ]] || errs+=("cut before $cut: journal left")
		[[ -z $(layer_leftovers "$vm" "$cell") ]] ||
			errs+=("cut before $cut: committed files left in the layer: $(layer_leftovers "$vm" "$cell" | paste -sd ' ' -)")
	done
	if ((${#errs[@]})); then
		printf '%s\n' "${errs[@]}" >&2
		return 1
	fi
}

@test "crash safety: a commit cut while writing its journal leaves no journal temporary behind after the rerun" {
	command -v strace >/dev/null || skip "strace is not installed (it cuts the commit at chosen calls)"
	local d=$SCRATCH/j vm=jrnl cut
	fvm create "$vm" 2>/dev/null
	# fsync #1: the journal's temporary written, not yet renamed into place;
	# renameat #1: about to be renamed
	for cut in "fsync 1" "renameat 1" "fsync 3"; do
		rm -rf "$d"
		mkdir -p "$d"
		echo old >"$d/f"
		fvm discard -y "$vm"
		run -0 --separate-stderr fvm run "$vm" -- sh -c "echo new >'$d/f'"
		run -0 cut_commit "$vm" "$d" $cut
		assert_eq "$output" 137 "the commit cut before $cut"
		run -0 --separate-stderr fvm commit -y "$vm" "$d"
		assert_eq "$(cat "$d/f")" new
		assert_eq "$(find "$FVM_HOME/vms/$vm" -maxdepth 1 -name '*journal*' -printf '%f ')" "" \
			"journal files left in the VM's directory (cut before $cut)"
		assert_eq "$(commit_temps "$d")" ""
	done
}
