#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# perf.bats - what the cold-start trims of issue 10 keep holding: a
# read-only host mount's overlay is read-only down to its superblock (no
# sync when it goes), and the runtime state reset in place leaves nothing
# of the last run behind.
load helpers

@test "perf: a read-only host mount gives a read-only overlay, superblock included; the VM cannot write there" {
	is_root || skip "needs root to make a host mount in a private mount namespace"
	fvm create web
	mkdir -p "$SCRATCH/ro"
	echo host >"$SCRATCH/ro-src"
	# a read-only tmpfs holding one file, in a mount namespace of this test only
	run -0 --separate-stderr unshare -m --propagation private sh -c '
		mount -t tmpfs none "$1/ro" && cp "$1/ro-src" "$1/ro/f" && mount -o remount,ro "$1/ro" &&
		"$2" run web -- sh -c "
			awk -v t=\"$1/ro\" '\''\$5 == t { for (i = 7; \$i != \"-\"; i++) ; print \$(i + 1), \$(i + 3) }'\'' /proc/self/mountinfo
			cat \"$1/ro/f\"
			echo vm >\"$1/ro/f\" 2>/dev/null && echo wrote || echo refused"' sh "$SCRATCH" "$FVM"
	assert_eq "${lines[0]%% *}" overlay "the read-only host mount is an overlay in the VM"
	assert_match "${lines[0]#* }" '^ro(,|$)' "its superblock is read-only"
	assert_eq "${lines[1]}" host "the VM reads the host's file"
	assert_eq "${lines[2]}" refused "the VM cannot write there"
}

@test "perf: a boot leaves nothing of the last run in run/ but the new state" {
	fvm create web
	run -0 --separate-stderr fvm run web -- true
	assert_state web stopped
	# what a crashed fvm or pasta could have left
	touch "$FVM_HOME/vms/web/run/net.pid" "$FVM_HOME/vms/web/run/.state.json.tmp.1" \
		"$FVM_HOME/vms/web/run/net.log"
	run -0 --separate-stderr fvm run web -- true
	assert_state web stopped
	run -0 ls -A "$FVM_HOME/vms/web/run"
	# besides them, a rootless boot under fuse-overlayfs writes its own
	# run/cow and run/fuse-overlayfs.log (lib/launch/fuseovl.c)
	assert_eq "$(echo $output | tr ' ' '\n' | grep -v -e '^ctl.sock$' -e '^state.json$' -e '^cow$' \
		-e '^fuse-overlayfs.log$' | tr '\n' ' ')" "" "only ctl.sock and state.json remain (and fuse's own)"
	run -0 --separate-stderr fvm run web -- echo again
	assert_eq "$output" again "the VM boots again"
}
