#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cli-edges.bats - the rough edges a new user hits (issue 12): settings
# given to `fvm run` for an existing VM, typos that would create a VM,
# commit/discard without a terminal, dry runs that must agree with the
# real commit, and hints that must be right. Each test tries the mistake.

load helpers

@test "run: settings given for an existing VM are refused, naming fvm config, and nothing runs" {
	fvm create web 2>/dev/null
	local opt
	for opt in "--memory 10M" "--net host" "--hide /etc" "--profile untrusted" "-p 8080:80" "--seccomp off"; do
		# shellcheck disable=SC2086 # an option and its value
		run -125 --separate-stderr fvm run $opt web -- touch "$SCRATCH/ran"
		assert_fvm_error
		assert_contains "$stderr" "VM 'web' exists" "$opt"
		assert_contains "$stderr" "fvm config web" "$opt: the fix"
		assert_not_exists "$SCRATCH/ran"
	done
	assert_eq "$(vm_field web .net)" none "the VM's settings are unchanged"
	# the options that are the run's own still work
	run -0 --separate-stderr fvm run -e X=1 web -- sh -c 'echo $X'
	assert_eq "$output" 1
}

@test "run: a name one typo away from an existing VM's is refused with 'did you mean', and no VM is made" {
	fvm create web 2>/dev/null
	fvm create database 2>/dev/null
	run -125 --separate-stderr fvm run wbe -- touch "$SCRATCH/ran"
	assert_fvm_error
	assert_contains "$stderr" "did you mean 'web'?"
	assert_contains "$stderr" "fvm create wbe"
	assert_not_exists "$FVM_HOME/vms/wbe"
	assert_not_exists "$SCRATCH/ran"
	run -125 --separate-stderr fvm run databsae -- true
	assert_contains "$stderr" "did you mean 'database'?"
	run -0 --separate-stderr fvm run wb -- true    # one edit, but too short to guess: made
	assert_contains "$stderr" "created VM 'wb'"
	# numbered siblings and far names are deliberate: created
	run -0 --separate-stderr fvm run web2 -- true
	assert_contains "$stderr" "created VM 'web2'"
	run -0 --separate-stderr fvm run mail -- true
	assert_contains "$stderr" "created VM 'mail'"
	# create makes the near name on purpose, and then run uses it
	fvm create wbe 2>/dev/null
	run -0 --separate-stderr fvm run wbe -- true
	assert_eq "$stderr" ""
}

@test "unknown commands and mistyped VM names get 'did you mean'" {
	run -125 --separate-stderr fvm strat web
	assert_eq "$stderr" "fvm: unknown command 'strat': did you mean 'start'? See 'fvm --help'"
	run -125 --separate-stderr fvm help comit
	assert_contains "$stderr" "did you mean 'commit'?"
	run -125 --separate-stderr fvm frobnicate
	assert_eq "$stderr" "fvm: unknown command 'frobnicate': see 'fvm --help'"
	fvm create web 2>/dev/null
	local cmd
	for cmd in rm stop start inspect diff ps; do
		run -125 --separate-stderr fvm $cmd wbe
		assert_fvm_error
		assert_contains "$stderr" "no VM named 'wbe': did you mean 'web'?" "fvm $cmd wbe"
		assert_not_contains "$stderr" "fvm create" "fvm $cmd wbe"
	done
	run -125 --separate-stderr fvm exec wbe -- true
	assert_contains "$stderr" "did you mean 'web'?"
}

@test "wrong hints: grouped short options, --rm without a command, literal \\n in help" {
	run -125 --separate-stderr fvm rm -rf web2
	assert_contains "$stderr" "rm: unknown option '-r'"
	assert_not_contains "$stderr" "'rm'"
	run -125 --separate-stderr fvm stop -tx 1 web
	assert_contains "$stderr" "bad -t 'x'"
	run -125 --separate-stderr fvm run --rm
	assert_contains "$stderr" "no command given"
	assert_not_contains "$stderr" "no VM name given"
	run -125 --separate-stderr fvm rm --force=yes web
	assert_contains "$stderr" "option '--force' takes no argument"
	local c
	for c in $("$FVM" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'); do
		run -0 --separate-stderr fvm "$c" --help
		assert_not_contains "$output" '\n' "fvm $c --help prints a literal \\n"
		assert_match "$output" "^Usage: fvm $c" "fvm $c --help"
	done
}

@test "commit and discard: without a terminal and without -y, refused; what was done is listed" {
	mkdir -p "$SCRATCH/d"
	echo host >"$SCRATCH/d/a"
	run -0 --separate-stderr fvm run e -- sh -c "echo vm >'$SCRATCH/d/a'; echo new >'$SCRATCH/d/b'"
	run -125 --separate-stderr fvm commit e </dev/null
	assert_fvm_error
	assert_contains "$stderr" "stdin is not a terminal"
	assert_contains "$stderr" "-y"
	assert_eq "$(cat "$SCRATCH/d/a")" host "nothing committed"
	run -125 --separate-stderr fvm discard e </dev/null
	assert_contains "$stderr" "not discarding all"
	run -0 fvm diff e "$SCRATCH"
	assert_contains "$output" "$SCRATCH/d/b" "nothing discarded"
	# named paths need no confirmation; what was committed is printed
	run -0 --separate-stderr fvm commit e "$SCRATCH/d/a" </dev/null
	assert_eq "$output" "M  $SCRATCH/d/a"
	assert_contains "$stderr" "committed 1 change of VM 'e'"
	assert_eq "$(cat "$SCRATCH/d/a")" vm
	run -0 --separate-stderr fvm discard -y e </dev/null
	assert_contains "$output" "A  $SCRATCH/d/b"
	assert_contains "$stderr" "discarded"
	run -0 fvm diff e "$SCRATCH"
	assert_eq "$output" ""
	# nothing to do: no question, no refusal
	run -0 --separate-stderr fvm discard e </dev/null
	assert_contains "$stderr" "discarded 0 changes"
}

@test "commit --dry-run runs the real commit's checks: a new file in a new directory not included" {
	mkdir -p "$SCRATCH/d"
	run -0 --separate-stderr fvm run e -- sh -c "mkdir '$SCRATCH/d/new' && echo x >'$SCRATCH/d/new/f'"
	run -1 --separate-stderr fvm commit -n e "$SCRATCH/d/new/f"
	assert_contains "$stderr" "the host has no directory for $SCRATCH/d/new/f"
	assert_contains "$output" "would be refused"
	run -125 --separate-stderr fvm commit -y e "$SCRATCH/d/new/f"
	assert_contains "$stderr" "the host has no directory for $SCRATCH/d/new/f" "the real commit refuses the same"
	assert_not_exists "$SCRATCH/d/new"
	# with its directory, the dry run and the commit agree the other way
	run -0 --separate-stderr fvm commit -n e "$SCRATCH/d/new"
	assert_eq "$(tail -1 <<<"$output")" "2 changes would be committed"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d/new"
	assert_eq "$(cat "$SCRATCH/d/new/f")" x
}

@test "commit --dry-run: a device node or set-uid file (refused by the commit) is a non-zero dry run" {
	is_root || skip "a rootless VM cannot make device nodes or set-uid files of root"
	mkdir -p "$SCRATCH/d"
	run -0 --separate-stderr fvm run --caps all e -- sh -c "cp /bin/true '$SCRATCH/d/su' && chmod 4755 '$SCRATCH/d/su'"
	run -1 --separate-stderr fvm commit -n e "$SCRATCH/d/su"
	assert_contains "$output" "would be refused"
	run -125 --separate-stderr fvm commit -y e "$SCRATCH/d/su"
	run -0 --separate-stderr fvm commit -n --allow-setid e "$SCRATCH/d/su"
	assert_eq "$(tail -1 <<<"$output")" "1 change would be committed"
}

@test "limits speak plainly: an OOM kill says 'killed: out of memory (--memory 32M)'; a VM without a limit says nothing" {
	is_root || skip "rootless fvm has no cgroup: no memory limit to hit"
	fvm create --memory 32M small 2>/dev/null
	run --separate-stderr fvm run small -- sh -c 'head -c 200M /dev/zero | tail >/dev/null'
	# the shell's child (tail) was killed; the shell reports it in its status
	assert_contains "$stderr" "fvm: VM 'small': " 
	assert_contains "$stderr" "killed: out of memory (--memory 32M)"
	run -0 --separate-stderr fvm run small -- echo alive
	assert_eq "$stderr" "" "no OOM this time: nothing said"
	run --separate-stderr fvm run small -- sh -c 'exec tail </dev/zero'
	assert_status 137
	assert_eq "$stderr" "fvm: VM 'small': killed: out of memory (--memory 32M)"
	# a SIGKILL that is not the OOM killer's is not blamed on memory
	run --separate-stderr fvm run small -- sh -c 'kill -9 $$'
	assert_status 137
	assert_not_contains "$stderr" "out of memory"
}

@test "limits speak plainly: a VM at its pids limit says so (and at once), not 'cannot enter its namespaces'" {
	is_root || skip "rootless fvm has no cgroup: no pids limit to hit"
	fvm create --pids 6 p 2>/dev/null
	fvm_start p
	local i j n=0
	# sleepers one at a time (joiners racing for the last places would
	# take them from each other), until one no longer fits
	for i in 1 2 3 4 5 6 7; do
		fvm exec p -- sleep 300 </dev/null >/dev/null 2>&1 3>&- &
		j=$!
		bg_track $j
		wait_for 60 eval '[[ $(fvm ps p | grep -c "sleep 300") -ge $i ]] || ! kill -0 $j 2>/dev/null'
		n=$(fvm ps p | grep -c "sleep 300")
		((n >= i)) || break
	done
	# init and the sleepers fill the 6 places (as root a joiner forks the
	# program itself: init and 5; with a joining process between: 4)
	((n >= 4 && n <= 5)) || { echo "$n sleepers fit under --pids 6" >&2; return 1; }
	run -125 --separate-stderr fvm exec p -- true
	assert_fvm_error
	assert_contains "$stderr" "VM 'p' is at its limit of 6 processes and threads (--pids 6)"
	assert_contains "$stderr" "fvm config p --pids"
	assert_not_contains "$stderr" "namespaces"
	fvm stop -t 0 p
}

@test "--no-new-privs off: a set-uid program raises privileges in the VM (as sudo would); by default it does not; the filter stays" {
	fvm create --no-new-privs off np 2>/dev/null
	fvm create nn 2>/dev/null
	assert_eq "$(vm_field np .hardening.no_new_privs)" false
	assert_eq "$(vm_field nn .hardening.no_new_privs)" true
	run -0 fvm run np -- grep NoNewPrivs /proc/self/status
	assert_match "$output" 'NoNewPrivs:[[:space:]]+0'
	run -0 fvm run nn -- grep NoNewPrivs /proc/self/status
	assert_match "$output" 'NoNewPrivs:[[:space:]]+1'
	# the seccomp filter holds in both (keyctl is denied by it)
	run -0 fvm run np -- "$PROBE" sys keyctl
	assert_eq "$output" "errno=EPERM" "the filter is loaded without no_new_privs too"
	if ! is_root; then
		# rootless: the VM has one user (root), no set-uid program has anyone to raise
		return 0
	fi
	local v
	for v in np nn; do
		fvm run "$v" -- sh -c 'cp /usr/bin/id /usr/local/bin/idsu && chmod 4755 /usr/local/bin/idsu'
	done
	run -0 fvm run -u 1000 np -- /usr/local/bin/idsu -u
	assert_eq "$output" 0 "a set-uid root program runs as the VM's root"
	run -0 fvm run -u 1000 nn -- /usr/local/bin/idsu -u
	assert_eq "$output" 1000 "no_new_privs: the set-uid bit gives nothing"
	run -0 fvm run -u 1000 np -- "$PROBE" sys keyctl
	assert_eq "$output" "errno=EPERM" "a user's program is filtered too"
	# the VM's root is not the host's: what the raised program makes belongs
	# to the first uid of the VM's range on the host, never to the host's root
	fvm run np -- sh -c 'cp /usr/bin/touch /usr/local/bin/touchsu && chmod 4755 /usr/local/bin/touchsu'
	run -0 fvm run -u 1000 np -- /usr/local/bin/touchsu /usr/local/raised
	local up
	up=$(layer_upper np /)
	assert_eq "$(stat -c %u "$up/usr/local/raised")" "$(vm_field np .uid_base)"
}

@test "--no-new-privs off is refused with the untrusted profile, in either order, and a bad value is refused" {
	run -125 --separate-stderr fvm create --profile untrusted --no-new-privs off u1
	assert_contains "$stderr" "the untrusted profile keeps no_new_privs"
	assert_not_exists "$FVM_HOME/vms/u1"
	fvm create --profile untrusted u2 2>/dev/null
	run -125 --separate-stderr fvm config u2 --no-new-privs off
	assert_contains "$stderr" "the untrusted profile keeps no_new_privs"
	assert_eq "$(vm_field u2 .hardening.no_new_privs)" true
	fvm create --no-new-privs off u3 2>/dev/null
	run -125 --separate-stderr fvm config u3 --profile untrusted
	assert_contains "$stderr" "the untrusted profile keeps no_new_privs"
	assert_eq "$(vm_field u3 .profile)" default
	run -125 --separate-stderr fvm create --no-new-privs maybe u4
	assert_contains "$stderr" "bad --no-new-privs"
	# a config.json edited to say no_new_privs "no" (not false) fails closed: it stays set
	fvm create u5 2>/dev/null
	jq '.hardening.no_new_privs = "no"' "$FVM_HOME/vms/u5/config.json" >"$TEST_ROOT/c.json"
	cp "$TEST_ROOT/c.json" "$FVM_HOME/vms/u5/config.json"
	run -0 fvm run u5 -- grep NoNewPrivs /proc/self/status
	assert_match "$output" 'NoNewPrivs:[[:space:]]+1'
}

@test "host drift: run and ls say how many files the VM copied have changed on the host since; diff --conflicts lists them" {
	mkdir -p "$SCRATCH/d"
	echo host >"$SCRATCH/d/status"
	echo host >"$SCRATCH/d/other"
	run -0 --separate-stderr fvm run e -- sh -c "echo vm >>'$SCRATCH/d/status'; echo vm >'$SCRATCH/d/new'"
	run -0 --separate-stderr fvm run e -- true
	assert_not_contains "$stderr" "changed on the host" "no drift yet"
	run -0 --separate-stderr fvm ls
	assert_not_contains "$stderr" "changed on the host"
	sleep 0.05   # the host's change must come after the VM's copy (ctime against btime)
	echo host2 >>"$SCRATCH/d/status"
	run -0 --separate-stderr fvm run e -- cat "$SCRATCH/d/status"
	assert_eq "$output" "$(printf 'host\nvm')" "the VM still sees its own copy"
	assert_contains "$stderr" "1 file VM 'e' copied has changed on the host since"
	assert_contains "$stderr" "fvm diff --conflicts e"
	run -0 --separate-stderr fvm ls
	assert_contains "$stderr" "1 file VM 'e' copied has changed on the host since"
	run -0 fvm ls --json
	assert_eq "$(jq '.[] | select(.name == "e") | .host_changed' <<<"$output")" 1
	run -0 fvm diff --conflicts e
	assert_eq "$(wc -l <<<"$output")" 1
	assert_match "$output" "^M! $SCRATCH/d/status  conflict: the host changed it"
	assert_not_contains "$output" "$SCRATCH/d/new" "only the conflicts"
	# joining a running VM does not walk its layers again
	fvm_start e
	run -0 --separate-stderr fvm run e -- true
	assert_not_contains "$stderr" "changed on the host"
	fvm stop e
}

@test "rootless: a write in a root-owned world-writable directory under /tmp fails with EOVERFLOW, as documented; a failed run on a terminal says why" {
	is_root && skip "rootless only: root mode copies up every owner"
	local d
	d=$(find /tmp -mindepth 1 -maxdepth 1 -type d -user root -perm -0002 2>/dev/null | head -1)
	if [[ -n $d ]]; then
		run --separate-stderr fvm run e -- sh -c "mkdir '$d/fvm-edges-$TEST_ID'"
		assert_ne "$status" 0
		assert_contains "$stderr" "Value too large for defined data type" "the documented EOVERFLOW in $d"
		assert_not_exists "$d/fvm-edges-$TEST_ID"
		grep -q "fails with EOVERFLOW" "${FVM_TEST_DOC:-$BATS_TEST_DIRNAME/../../doc}/fvm-run.1.scd"
	fi
	# the note comes after a failed command on a terminal (script(1) gives one), not after a good one
	fvm create e2 2>/dev/null
	run -1 script -qec "$FVM run e2 -- false" /dev/null   # -e: the command's status
	assert_contains "$output" "EOVERFLOW"
	assert_contains "$output" "run fvm as root"
	run -0 script -qec "$FVM run e2 -- true" /dev/null
	assert_not_contains "$output" "EOVERFLOW"
	# not on a pipe: scripts get the program's own output only
	run -1 --separate-stderr fvm run e2 -- false
	assert_eq "$stderr" ""
}

@test "commit --json: one object, the same checks and exit status as the text; try --json reports and keeps stdout for itself" {
	mkdir -p "$SCRATCH/d"
	run -0 --separate-stderr fvm run e -- sh -c "mkdir '$SCRATCH/d/new' && echo x >'$SCRATCH/d/new/f' && echo y >'$SCRATCH/d/g'"
	run -1 --separate-stderr fvm commit --json -n e "$SCRATCH/d/new/f"
	assert_eq "$(jq -r '.result' <<<"$output")" would-refuse
	assert_contains "$(jq -r '.error' <<<"$output")" "the host has no directory"
	run -0 --separate-stderr fvm commit --json -n e "$SCRATCH/d/g"
	assert_eq "$(jq -r '.result + " " + (.changes | length | tostring) + " " + .changes[0].path' <<<"$output")" "would-commit 1 $SCRATCH/d/g"
	assert_not_exists "$SCRATCH/d/g"
	run -0 --separate-stderr fvm commit --json -y e "$SCRATCH/d/g"
	assert_eq "$(jq -r '.result' <<<"$output")" committed
	assert_eq "$(cat "$SCRATCH/d/g")" y
	run -125 --separate-stderr fvm commit --json -y e "$SCRATCH/d/new/f"
	assert_eq "$(jq -r '.result' <<<"$output")" refused
	# try --json: no question, discards; the command's stdout went to stderr
	run -0 --separate-stderr fvm try --json -- sh -c "echo from-cmd; echo t >'$SCRATCH/d/t'" </dev/null
	assert_eq "$(jq -r '.action + " " + (.kept | tostring) + " " + (.changes | length | tostring)' <<<"$output")" "discard false 1"
	assert_contains "$stderr" from-cmd
	assert_not_exists "$SCRATCH/d/t"
	run -0 --separate-stderr fvm try --json --commit -- sh -c "echo t >'$SCRATCH/d/t'" </dev/null
	assert_eq "$(jq -r '.commit.result' <<<"$output")" committed
	assert_eq "$(cat "$SCRATCH/d/t")" t
	run -0 fvm ls -q
	assert_eq "$output" e "no throwaway VM left behind"
}

@test "try: the isolation options of create (--hide, --profile, --net, limits), what was discarded, leftover processes said" {
	mkdir -p "$SCRATCH/d"
	echo secret >"$SCRATCH/d/secret"
	run --separate-stderr fvm try --hide "$SCRATCH/d/secret" -- cat "$SCRATCH/d/secret" </dev/null
	assert_ne "$status" 0 "--hide applies in the throwaway VM"
	assert_not_contains "$output" secret
	run -0 --separate-stderr fvm try --net host -- true </dev/null
	run -0 --separate-stderr fvm try --profile untrusted -- true </dev/null
	if is_root; then   # limits hold in the throwaway VM: forks past --pids fail
		run --separate-stderr fvm try --pids 8 -- sh -c 'for i in $(seq 20); do sleep 1 & done; wait' </dev/null
		assert_ne "$status" 0
		assert_match "$stderr" "Cannot fork|Resource temporarily unavailable"
	else
		run -125 --separate-stderr fvm try --memory 64M -- true </dev/null
		assert_contains "$stderr" "resource limits need cgroups"
	fi
	run -125 --separate-stderr fvm try --net sideways -- true </dev/null
	assert_contains "$stderr" "unknown network mode"
	# what was discarded is said
	run -0 --separate-stderr fvm try -- sh -c "echo a >'$SCRATCH/d/a'; echo b >'$SCRATCH/d/b'" </dev/null
	assert_contains "$stderr" "fvm: discarded 2 changes"
	assert_not_exists "$SCRATCH/d/a"
	# a process left behind is named, and stopped
	run -0 --separate-stderr fvm try -- sh -c 'sleep 300 >/dev/null 2>&1 & echo started' </dev/null
	assert_contains "$stderr" "the command left 1 process running in the VM (first: "
	assert_contains "$stderr" "sleep 300"
	assert_contains "$stderr" "stopping it: SIGTERM, SIGKILL after 10 s"
	run -0 fvm ls -q
	assert_eq "$output" "" "no throwaway VM left behind"
}

@test "progress: a long commit shows a moving line on a terminal (entries, bytes), none with TERM=dumb, no colour with NO_COLOR, none on a pipe" {
	mkdir -p "$SCRATCH/d"
	run -0 --separate-stderr fvm run e -- sh -c "mkdir '$SCRATCH/d/many' && cd '$SCRATCH/d/many' && seq 1 5000 | while read i; do echo \$i >f\$i; done"
	fvm commit -n e "$SCRATCH/d" >/dev/null
	# the line shows only for work past half a second: on a quiet machine a
	# commit of 5,000 small files ends sooner, so each of its openat() calls
	# is made 0.3 ms slower (strace's fault injection; no leak checks under
	# ptrace in the sanitizer run)
	command -v strace >/dev/null || skip "strace is not installed (it slows the commit down past the line's delay)"
	run -0 script -qec "NO_COLOR=1 ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 strace -f -o /dev/null -e trace=openat -e inject=openat:delay_exit=300 $FVM commit -y e '$SCRATCH/d/many' >/dev/null" "$TEST_ROOT/typescript"
	local lines
	lines=$(tr '\r' '\n' <"$TEST_ROOT/typescript" | grep -a 'fvm: committing: [0-9]*/5001 entries made' || true)
	[[ -n $lines ]] || { echo "no progress line: $(tr '\r' '\n' <"$TEST_ROOT/typescript" | head -5)" >&2; return 1; }
	(( $(sort -u <<<"$lines" | wc -l) >= 2 )) || { echo "the line did not move: $lines" >&2; return 1; }
	assert_not_contains "$(cat "$TEST_ROOT/typescript")" $'\033[32m' "NO_COLOR: no colour"
	assert_eq "$(cat "$SCRATCH/d/many/f5000")" 5000
	# TERM=dumb: no line to redraw
	run -0 --separate-stderr fvm run e -- sh -c "mkdir '$SCRATCH/d/more' && cd '$SCRATCH/d/more' && seq 1 5000 | while read i; do echo \$i >f\$i; done"
	run -0 script -qec "TERM=dumb $FVM commit -y e '$SCRATCH/d/more' >/dev/null" "$TEST_ROOT/typescript2"
	assert_not_contains "$(cat "$TEST_ROOT/typescript2")" "entries made"
	assert_contains "$(cat "$TEST_ROOT/typescript2")" "committed 5001 changes"
	# on a pipe: nothing but the summary
	run -0 --separate-stderr fvm run e -- sh -c "echo z >'$SCRATCH/d/z'"
	run -0 --separate-stderr fvm commit -y e "$SCRATCH/d/z"
	assert_eq "$stderr" "fvm: committed 1 change of VM 'e' (listed above)"
}
