#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# policies.bats - what a VM sees at a path: --hide (absent, by whiteout,
# not listed), --ro, --share (writes reach the host, on purpose),
# --private (an empty directory only the VM has), /run private by default,
# the untrusted profile, fvm config; and attempts to get around them.

load helpers

setup_tree() {
	mkdir -p "$SCRATCH"/{hid,ro,sh,pv}
	echo secret >"$SCRATCH/hid/key"
	echo original >"$SCRATCH/ro/f"
	echo host >"$SCRATCH/sh/f"
	echo host-only >"$SCRATCH/pv/f"
}

@test "policies: --hide makes a path absent, not listed in its parent, unreadable by any name" {
	setup_tree
	fvm create --hide "$SCRATCH/hid" web
	run -0 --separate-stderr fvm run web -- ls -a "$SCRATCH"
	assert_not_contains "$output" hid "the hidden dir is listed"
	assert_contains "$output" ro "its siblings are"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/hid/key" r
	assert_eq "$output" errno=ENOENT "open the hidden file"
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$SCRATCH/hid"
	assert_eq "$output" errno=ENOENT "stat the hidden dir"
	# the VM may make its own thing there; the host's content stays out of reach
	run -0 --separate-stderr fvm run web -- sh -c "mkdir '$SCRATCH/hid' && ls -A '$SCRATCH/hid' >/dev/null && ls -A '$SCRATCH/hid' | wc -l"
	assert_eq "$output" 0 "a directory the VM makes at the hidden path is empty"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/hid/key" r
	assert_eq "$output" errno=ENOENT "after a reboot too"
}

@test "policies: a hidden path cannot be uncovered by mounting, even with every capability" {
	setup_tree
	fvm create --hide "$SCRATCH/hid" --caps all --seccomp off web
	# a fresh tmpfs over the parent shows nothing of the host; a bind of the
	# parent from inside the VM shows the VM's view, without the hidden dir
	run -0 --separate-stderr fvm run web -- sh -c "mkdir -p /tmp/m && '$PROBE' mount-tmpfs /tmp/m && ls -A /tmp/m >/dev/null && ls -A /tmp/m | wc -l"
	assert_eq "${lines[-1]}" 0
	# as root the bind works and must show the VM's view; rootless the
	# kernel refuses it (mount(8) fails: 32), which uncovers nothing either
	run --separate-stderr fvm run web -- sh -c "mkdir -p /tmp/b && mount --bind '$SCRATCH' /tmp/b && ls -A /tmp/b"
	if is_root || ((status == 0)); then
		assert_status 0
		assert_contains "$output" ro "the bind shows the VM's view of $SCRATCH"
		assert_not_contains "$output" hid "the hidden dir seen through a bind mount"
	else
		assert_status 32
		assert_eq "$output" "" "nothing listed after a failed bind"
	fi
}

@test "policies: --ro makes a path read-only; the host file is untouched" {
	setup_tree
	fvm create --ro "$SCRATCH/ro" web
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/ro/f" w
	assert_eq "$output" errno=EROFS "write a read-only file"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/ro/new" create
	assert_eq "$output" errno=EROFS "create in a read-only dir"
	run -0 --separate-stderr fvm run web -- cat "$SCRATCH/ro/f"
	assert_eq "$output" original "still readable"
	assert_eq "$(cat "$SCRATCH/ro/f")" original
}

@test "policies: --ro cannot be remounted read-write from inside" {
	setup_tree
	fvm create --ro "$SCRATCH/ro" --caps all --seccomp off web
	run --separate-stderr fvm run web -- sh -c "mount -o remount,rw '$SCRATCH/ro'; '$PROBE' open '$SCRATCH/ro/f' w"
	assert_eq "${lines[-1]}" errno=EROFS "write after a remount attempt"
	assert_eq "$(cat "$SCRATCH/ro/f")" original
}

@test "policies: --share writes reach the host, and only there" {
	setup_tree
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" web
	run -0 --separate-stderr fvm run web -- sh -c "echo from-vm > '$SCRATCH/sh/f2'; echo changed > '$SCRATCH/sh/f'"
	assert_eq "$(cat "$SCRATCH/sh/f2")" from-vm "new file on the host"
	assert_eq "$(cat "$SCRATCH/sh/f")" changed "changed file on the host"
	run -0 --separate-stderr fvm diff web
	assert_not_contains "$output" "$SCRATCH/sh" "a shared path is not a change of the VM"
}

@test "policies: --private is an empty directory that only the VM has, and keeps" {
	setup_tree
	fvm create --private "$SCRATCH/pv" web
	fvm create db
	run -0 --separate-stderr fvm run web -- sh -c "ls -A '$SCRATCH/pv' >/dev/null || exit 9; ls -A '$SCRATCH/pv' | wc -l; echo vm > '$SCRATCH/pv/g'"
	assert_eq "$output" 0 "the host's content is not there"
	run -0 --separate-stderr fvm run web -- cat "$SCRATCH/pv/g"
	assert_eq "$output" vm "kept across runs"
	assert_not_exists "$SCRATCH/pv/g"
	run -0 --separate-stderr fvm run db -- ls -A "$SCRATCH/pv"
	assert_eq "$output" f "another VM sees the host's"
}

@test "policies: /run is private by default; --cow /run gives the host's back" {
	is_root || skip "needs a scratch directory under the host's /run"
	local d=/run/fvm-test-$TEST_ID
	mkdir "$d"
	host_cleanup_add rm -rf "$d"
	"$PROBE" listen-unix "$d/sock" 30 </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 5 test -S "$d/sock"
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-unix "$d/sock"
	assert_eq "$output" errno=ENOENT "a host daemon's socket in /run"
	fvm create --cow /run db
	run -0 --separate-stderr fvm run db -- "$PROBE" stat "$d"
	assert_eq "$output" ok "/run copy-on-write again"
	rm -rf "$d"
}

@test "policies: the untrusted profile hides the owner's keys and keyrings" {
	mkdir -p "$SCRATCH/home/.ssh" "$SCRATCH/home/.gnupg" "$SCRATCH/home/docs"
	echo key >"$SCRATCH/home/.ssh/id_ed25519"
	HOME=$SCRATCH/home fvm create --profile untrusted web
	run -0 --separate-stderr env HOME="$SCRATCH/home" "$FVM" run web -- ls -A "$SCRATCH/home"
	assert_not_contains "$output" .ssh
	assert_not_contains "$output" .gnupg
	assert_contains "$output" docs
	run -0 --separate-stderr env HOME="$SCRATCH/home" "$FVM" run web -- "$PROBE" open "$SCRATCH/home/.ssh/id_ed25519" r
	assert_eq "$output" errno=ENOENT
}

@test "policies: the most specific path wins" {
	setup_tree
	share_owned "$SCRATCH/ro/inner"
	fvm create --ro "$SCRATCH/ro" --share "$SCRATCH/ro/inner" web
	run -0 --separate-stderr fvm run web -- sh -c "'$PROBE' open '$SCRATCH/ro/x' create; '$PROBE' open '$SCRATCH/ro/inner/x' create"
	assert_eq "${lines[0]}" errno=EROFS "the read-only parent"
	assert_eq "${lines[1]}" ok "the shared child inside it"
	assert_exists "$SCRATCH/ro/inner/x"
}

@test "policies: diff, commit and discard leave fvm's hide whiteouts alone" {
	setup_tree
	fvm create --hide "$SCRATCH/hid" web
	run -0 fvm run web -- sh -c "echo v > '$SCRATCH/new'"
	run -0 --separate-stderr fvm diff web
	assert_not_contains "$output" hid "the hide whiteout is not a change"
	run -0 --separate-stderr fvm commit -y web "$SCRATCH"
	assert_exists "$SCRATCH/hid/key"
	run -0 fvm discard -y web
	run -0 --separate-stderr fvm run web -- "$PROBE" stat "$SCRATCH/hid"
	assert_eq "$output" errno=ENOENT "still hidden after a discard of everything"
}

@test "policies: fvm config changes a stopped VM, refuses a running one and bad input" {
	setup_tree
	fvm create web
	run -0 fvm config web --ro "$SCRATCH/ro"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/ro/f" w
	assert_eq "$output" errno=EROFS
	run -0 fvm config web --cow "$SCRATCH/ro"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/ro/f" w
	assert_eq "$output" ok "back to copy-on-write"
	assert_eq "$(cat "$SCRATCH/ro/f")" original
	fvm_start web
	run -125 --separate-stderr fvm config web --hide "$SCRATCH/hid"
	assert_contains "$stderr" "is running"
	fvm stop web
	run -125 --separate-stderr fvm config web --share relative/path
	assert_contains "$stderr" "absolute"
	run -125 --separate-stderr fvm config web --share "$SCRATCH/../etc"
	run -125 --separate-stderr fvm config web --hide /proc/self
	run -125 --separate-stderr fvm config web --private "$SCRATCH/does-not-exist"
	run -0 --separate-stderr fvm inspect web
	assert_eq "$(jq '.[0].policies | length' <<<"$output")" 1 "only the --cow entry stayed"
}
