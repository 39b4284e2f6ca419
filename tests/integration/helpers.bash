# SPDX-License-Identifier: LGPL-2.1-or-later
#
# helpers.bash - shared setup, teardown and assertions for fvm's bats
# integration tests. Every test file does `load helpers`.
#
# Environment:
#   FVM            the fvm binary to test (default: build/cli/fvm of this tree)
#   PROBE          the static probe run inside VMs (default: build/tests/probe)
#   FVM_TEST_TMP   where per-test directories are made (default: $TMPDIR or /tmp)
#   FVM_CMD_TIMEOUT  seconds before one fvm command is killed (default 60)
#
# Each test gets, from setup():
#   TEST_ROOT   a fresh mktemp -d directory (mode 755), removed by teardown
#   FVM_HOME    $TEST_ROOT/store, exported: the test's own store
#   SCRATCH     $TEST_ROOT/scratch, host files the test plays with
#   TEST_ID     a short random word, for names that must be unique on the host
# teardown() stops and force-removes every VM of FVM_HOME, kills background
# processes the test registered with bg_track, checks that no VM process and
# no mount is left behind (a leftover fails the test), and removes TEST_ROOT.

bats_require_minimum_version 1.5.0

_repo=$(cd "$BATS_TEST_DIRNAME/../.." 2>/dev/null && pwd)
FVM=${FVM:-$_repo/build/cli/fvm}
PROBE=${PROBE:-$_repo/build/tests/probe}
export FVM PROBE

# The first uid of the ranges root-mode VMs get on the host.
FVM_UID_FLOOR=1073741824

# ---- running fvm --------------------------------------------------------

# fvm ARGS...: the binary under test, killed if it hangs. Bats' own
# output fd 3 is closed for it: a VM process that kept it would hang the
# whole run instead of failing one test (run.bats checks fd leaks itself).
fvm() {
	timeout -k 5 "${FVM_CMD_TIMEOUT:-60}" "$FVM" "$@" 3>&-
}

# fvm_start NAME: `fvm start NAME` with stdio away from bats' pipes (a
# daemon holding them would hang the test run rather than fail it).
fvm_start() {
	local rc=0
	fvm start "$1" </dev/null >"$TEST_ROOT/start.out" 2>&1 || rc=$?
	if ((rc != 0)); then
		echo "fvm start $1 failed with $rc:" >&2
		cat "$TEST_ROOT/start.out" >&2
		return 1
	fi
}

# vm_field NAME FIELD: one field of `fvm inspect NAME` (jq syntax, e.g. .init_pid).
vm_field() {
	fvm inspect "$1" | jq -r ".[0]$2"
}

# init_pid NAME: host pid of the VM's init, or nothing when stopped.
init_pid() {
	local p
	p=$(vm_field "$1" .init_pid) || return 1
	[[ $p =~ ^[1-9][0-9]*$ ]] && echo "$p"
	return 0
}

# vm_hostpids NAME: host pids of every process of a running VM (`fvm ps`).
vm_hostpids() {
	fvm ps "$1" 2>/dev/null | awk 'NR == 1 && $1 == "VM" { next } $3 ~ /^[0-9]+$/ { print $3 }'
}

# vm_state NAME: the STATE column of `fvm ls` for NAME.
vm_state() {
	fvm ls | awk -v n="$1" '$1 == n { print $2 }'
}

# state_is NAME STATE: `fvm ls` shows NAME in STATE.
state_is() {
	[[ $(vm_state "$1") == "$2" ]]
}

# assert_state NAME STATE: NAME reaches STATE within 5 seconds (a VM
# stops when its last process exits; init may need a moment to go).
assert_state() {
	if ! wait_for 5 state_is "$1" "$2"; then
		echo "VM $1: expected state $2, ls says '$(vm_state "$1")'" >&2
		return 1
	fi
}

# layer_upper NAME PATH: host path of PATH in VM NAME's layers, i.e. the
# upper dir of the layer whose mount is the longest prefix of PATH, plus the
# rest of PATH (from `fvm inspect` .layers).
layer_upper() {
	local path=$2
	fvm inspect "$1" | jq -r --arg p "$path" '
		.[0].layers
		| map(.mount as $m | select($m == "/" or $p == $m or ($p | startswith($m + "/"))))
		| max_by(.mount | length)
		| (.mount | length) as $n
		| .upper + (if .mount == "/" then $p else $p[$n:] end)'
}

is_root() {
	((EUID == 0))
}

# ---- background processes -----------------------------------------------

BG_PIDS=()

# bg_track PID: kill PID (and wait for it) in teardown. Start background
# commands with `</dev/null >FILE 2>&1 3>&- &` so bats does not wait on them.
bg_track() {
	BG_PIDS+=("$1")
}

# wait_for TIMEOUT_SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# A user and group of no one on the host: what a root-mode test's --share
# directories belong to (fvm refuses to share a tree of the host's root).
SHARE_UID=4242
SHARE_GID=4343

# share_owned DIR...: DIR (made if missing) and all in it given to
# SHARE_UID:SHARE_GID as root, the owner the VM's root maps to in a share;
# rootless, DIR is the user's own already.
share_owned() {
	mkdir -p "$@"
	if is_root; then
		chown -R "$SHARE_UID:$SHARE_GID" "$@"
	fi
}

pid_alive() {
	kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

pid_dead() {
	! pid_alive "$1"
}

# ---- assertions (each prints what it saw, then fails) ---------------------

# assert_fifo_private FIFO VM: a host FIFO that VM sees (copy-on-write) is
# another pipe inside: the VM's writer meets a reader of its own, and a
# reader on the host (bounded in time) gets only the host's own write.
assert_fifo_private() {
	local fifo=$1 vm=$2 got=$TEST_ROOT/fifo-got.$RANDOM
	timeout 10 cat "$fifo" >"$got" </dev/null 3>&- &
	bg_track $!
	run -0 --separate-stderr fvm run "$vm" -- sh -c "cat '$fifo' >/dev/null & echo from-vm >'$fifo'; wait; echo done"
	assert_eq "$output" done "the VM's writer and reader"
	# unblock and end the host's reader, then check it got nothing of the VM's
	echo from-host >"$fifo"
	wait_for 5 test -s "$got"
	assert_eq "$(cat "$got")" from-host "what the host's reader of the FIFO got"
}

assert_eq() {  # ACTUAL EXPECTED [WHAT]
	if [[ "$1" != "$2" ]]; then
		printf '%s\n  expected: %q\n  actual:   %q\n' "${3:-values differ}" "$2" "$1" >&2
		return 1
	fi
}

# Counters for "none of these" checks. Each prints nothing and fails when
# it cannot look (a failed findmnt, a directory that is not there), so that
# `assert_eq "$(count...)" 0` cannot pass because the count was never made.

mounts_under() {  # DIR [FINDMNT-OPTION...]: host mounts at or below DIR
	local dir=$1 out
	shift
	out=$(findmnt -rn "$@" -o TARGET) || { echo "mounts_under: findmnt failed" >&2; return 1; }
	grep -c -e "^$dir\$" -e "^$dir/" <<<"$out" || true
}

mounts_using() {  # TEXT: host mounts whose options name TEXT (e.g. a store's path)
	local out
	out=$(findmnt -rn -o OPTIONS) || { echo "mounts_using: findmnt failed" >&2; return 1; }
	grep -cF -e "$1" <<<"$out" || true
}

entries_below() {  # DIR [FIND-TEST...]: entries below DIR, which must exist
	local dir=$1
	shift
	[[ -d $dir && ! -L $dir ]] || { echo "entries_below: $dir is not a directory" >&2; return 1; }
	find "$dir" -mindepth 1 "$@" | wc -l
}

assert_ne() {  # ACTUAL UNEXPECTED [WHAT]
	if [[ "$1" == "$2" ]]; then
		printf '%s\n  got %q, which it must not be\n' "${3:-values equal}" "$1" >&2
		return 1
	fi
}

assert_contains() {  # HAYSTACK NEEDLE [WHAT]
	if [[ "$1" != *"$2"* ]]; then
		printf '%s\n  expected to contain: %q\n  actual: %q\n' "${3:-missing text}" "$2" "$1" >&2
		return 1
	fi
}

assert_not_contains() {  # HAYSTACK NEEDLE [WHAT]
	if [[ "$1" == *"$2"* ]]; then
		printf '%s\n  must not contain: %q\n  actual: %q\n' "${3:-unexpected text}" "$2" "$1" >&2
		return 1
	fi
}

assert_match() {  # STRING REGEX [WHAT]
	if ! [[ "$1" =~ $2 ]]; then
		printf '%s\n  expected to match: %s\n  actual: %q\n' "${3:-no match}" "$2" "$1" >&2
		return 1
	fi
}

assert_status() {  # EXPECTED (after `run`)
	if [[ "$status" != "$1" ]]; then
		printf 'exit status: expected %s, got %s\n  stdout: %q\n  stderr: %q\n' \
			"$1" "$status" "$output" "${stderr-}" >&2
		return 1
	fi
}

assert_exists() {
	[[ -e "$1" || -L "$1" ]] || { echo "expected to exist: $1" >&2; return 1; }
}

assert_not_exists() {
	if [[ -e "$1" || -L "$1" ]]; then
		echo "must not exist: $1" >&2
		return 1
	fi
}

# assert_fvm_error: stderr of the last `run --separate-stderr` is one line
# starting "fvm: ".
assert_fvm_error() {
	local n
	n=$(printf '%s' "$stderr" | grep -c '^' || true)
	assert_match "$stderr" '^fvm: ' "fvm errors start with 'fvm: '"
	assert_eq "$n" 1 "fvm errors are one line"
}

# assert_fvm_usage_error: a usage error (bad option, missing argument):
# the first line on stderr is fvm's own "fvm: ..." (a hint may follow).
assert_fvm_usage_error() {
	assert_match "$stderr" '^fvm: ' "usage errors start with 'fvm: ', not getopt's message"
}

# ---- setup / teardown ------------------------------------------------------

fvm_setup() {
	[[ -x $FVM ]] || { echo "FVM=$FVM is not an executable" >&2; return 1; }
	[[ -x $PROBE ]] || { echo "PROBE=$PROBE is not an executable" >&2; return 1; }
	command -v jq >/dev/null || { echo "jq is missing: run scripts/deps" >&2; return 1; }

	TEST_ROOT=$(mktemp -d "${FVM_TEST_TMP:-${TMPDIR:-/tmp}}/fvmt.XXXXXX")
	chmod 755 "$TEST_ROOT"
	TEST_ID=${TEST_ROOT##*.}
	export FVM_HOME=$TEST_ROOT/store TEST_ROOT SCRATCH=$TEST_ROOT/scratch
	mkdir -p "$FVM_HOME" "$SCRATCH"
	chmod 755 "$SCRATCH"
	unset XDG_DATA_HOME
	BG_PIDS=()
	HOST_CLEANUP=()
}

# host_cleanup_add CMD...: a command run in teardown to undo something a
# failed isolation check may have leaked onto the host (e.g. unlinking an
# IPC object); it must be harmless when there is nothing to undo.
host_cleanup_add() {
	HOST_CLEANUP+=("$*")
}

# collect_sanitizer_reports NAME: in a sanitizer run (scripts/test sets
# FVM_SANITIZER_LOG_DIR), fvm code running inside a VM writes its reports
# into the VM's copy of that dir, i.e. into the VM's layer: copy them out
# before the VM is removed.
collect_sanitizer_reports() {
	local d=${FVM_SANITIZER_LOG_DIR-} f
	[[ -n $d && -d $FVM_HOME/vms/$1/layers ]] || return 0
	while IFS= read -r -d '' f; do
		cp "$f" "$d/vm-$1-${f##*/}" 2>/dev/null || true
	done < <(find "$FVM_HOME/vms/$1/layers" -path "*/upper/*/${d##*/}/*" -type f -print0 2>/dev/null)
}

fvm_teardown() {
	local fail=0 p n names=() pids=()

	[[ -n ${TEST_ROOT-} && -d $TEST_ROOT ]] || return 0

	for p in "${BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done

	if [[ -d $FVM_HOME/vms ]]; then
		mapfile -t names < <(ls -A "$FVM_HOME/vms")
		for n in "${names[@]}"; do
			# Remember every host pid of the VM to check they are gone.
			p=$(init_pid "$n" 2>/dev/null) && [[ -n $p ]] && pids+=("$p")
			mapfile -t -O "${#pids[@]}" pids < <(vm_hostpids "$n")
			FVM_CMD_TIMEOUT=30 fvm stop -t 2 "$n" >/dev/null 2>&1 || true
			collect_sanitizer_reports "$n"
			FVM_CMD_TIMEOUT=30 fvm rm -f "$n" >/dev/null 2>&1 || true
		done
	fi

	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done

	for p in "${pids[@]}"; do
		if ! wait_for 10 pid_dead "$p"; then
			echo "LEFTOVER: VM process $p still runs after fvm stop/rm -f: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)" >&2
			kill -KILL "$p" 2>/dev/null || true
			fail=1
		fi
	done

	for c in "${HOST_CLEANUP[@]}"; do
		eval "$c" >/dev/null 2>&1 || true
	done

	# Mounts left in the host's namespace under the test dir, or overlays
	# whose layers live in the test store, are leaks.
	local mounts
	mounts=$(findmnt -rn -o TARGET,OPTIONS | awk -v r="$TEST_ROOT" 'index($1, r) == 1 || index($2, r) > 0')
	if [[ -n $mounts ]]; then
		echo "LEFTOVER mounts in the host namespace:" >&2
		echo "$mounts" >&2
		fail=1
	else
		# Never rm -rf through a mount.
		rm -rf --one-file-system "$TEST_ROOT" 2>/dev/null ||
			{ chmod -R u+rwX "$TEST_ROOT" 2>/dev/null; rm -rf --one-file-system "$TEST_ROOT"; } ||
			{ echo "LEFTOVER: cannot remove $TEST_ROOT" >&2; fail=1; }
	fi
	return "$fail"
}

setup() {
	fvm_setup
}

teardown() {
	fvm_teardown
}

# ---- diff, commit, discard (changes-*.bats) ------------------------------------

# tree_snapshot DIR: one sorted line per entry below DIR: relative path,
# type, mode, and for non-directories size, link count, mtime, symlink
# target and content checksum. Owners are left out (a VM shows its own
# uids), and so are directory sizes and times (they follow their entries).
# Self-contained, so that it can run inside a VM too:
#   fvm run NAME -- bash -c "$(declare -f tree_snapshot); tree_snapshot DIR"
tree_snapshot() {
	(cd "$1" && find . -mindepth 1 \
		\( -type d -printf '%P d %m\n' \) -o \
		\( -type f -printf '%P f %m %s %n %T@ ' -exec sh -c 'md5sum <"$1" | cut -d" " -f1' _ {} \; \) -o \
		-printf '%P %y %m %s %n %T@ %l\n') | LC_ALL=C sort
}

# vm_snapshot NAME DIR: tree_snapshot of DIR as VM NAME sees it.
vm_snapshot() {
	fvm run "$1" -- bash -c "$(declare -f tree_snapshot); tree_snapshot \"\$1\"" _ "$2"
}

# diff_short NAME DIR: `fvm diff NAME DIR`, one "X[!] RELPATH[/]" per line
# (paths relative to DIR, extras dropped), sorted; fails if diff fails.
diff_short() {
	local out
	out=$(fvm diff "$1" "$2") || return 1
	[[ -z $out ]] && return 0
	awk -v d="$2/" '{ p = $2; if (index(p, d) == 1) p = substr(p, length(d) + 1); print $1, p }' <<<"$out" |
		LC_ALL=C sort -k2,2
}

# layer_leftovers NAME DIR: non-directory entries still in VM NAME's layer
# below DIR. Whiteouts (of paths the host does not have either) and
# directories (copied up on the way to a change; an opaque one left behind
# shows in `fvm diff`) are left out.
layer_leftovers() {
	local up
	up=$(layer_upper "$1" "$2")
	[[ -d $up ]] || return 0
	(cd "$up" && find . -mindepth 1 ! -type c ! -type d -printf '%P\n' | LC_ALL=C sort)
}

# commit_temps DIR: temporaries of fvm commit left anywhere below DIR.
commit_temps() {
	find "$1" -name '.fvm-commit-*' -printf '%P\n' 2>/dev/null
}

# host_abstract_listener NAME: a host process listening on the abstract UNIX
# socket NAME for 20 s (tracked, killed in teardown), ready on return.
host_abstract_listener() {
	"$PROBE" listen-abstract "$1" 20 </dev/null >"$SCRATCH/listen.out" 2>&1 3>&- &
	bg_track $!
	wait_for 5 grep -q listening "$SCRATCH/listen.out"
}
