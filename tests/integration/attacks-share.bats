#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-share.bats - who the VM is in a --share. A share's writes reach
# the host, so as root it must not be the host's root there: the share is
# idmapped so that the VM's root is the shared directory's owner and group
# and nothing else is mapped (other owners' files show as nobody), and a
# tree of the host's root (uid or gid 0) is not shared at all. Rootless,
# the VM's root is the user, as before. Root-mode directories belong to
# SHARE_UID:SHARE_GID (helpers.bash), distinct ids so a swapped uid and gid
# shows.

load helpers

NOBODY=65534

# owner: the uid:gid the VM's root writes as in a share of $SCRATCH/sh
share_owner() {
	if is_root; then
		echo "$SHARE_UID:$SHARE_GID"
	else
		echo "$(id -u):$(id -g)"
	fi
}

@test "share: what the VM's root makes in a share belongs to the directory's owner and group on the host" {
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" web
	run -0 --separate-stderr fvm run web -- sh -c "echo vm >'$SCRATCH/sh/f' && mkdir '$SCRATCH/sh/d' && stat -c %u:%g '$SCRATCH/sh/f'"
	# before (as root): 0:0 on the host, the VM's root was the host's root
	assert_eq "$(stat -c %u:%g "$SCRATCH/sh/f")" "$(share_owner)" "the new file's owner on the host"
	assert_eq "$(stat -c %u:%g "$SCRATCH/sh/d")" "$(share_owner)" "the new directory's owner on the host"
	assert_eq "$output" 0:0 "the file is the VM's root's inside"
}

@test "share: a set-uid binary the VM makes in a share is never the host root's" {
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" web
	run --separate-stderr fvm run web -- sh -c "cp /bin/true '$SCRATCH/sh/t' && chmod 4755 '$SCRATCH/sh/t'"
	assert_exists "$SCRATCH/sh/t"
	# before (as root): -rwsr-xr-x 0 0, a set-uid root binary on the host
	assert_ne "$(stat -c %u "$SCRATCH/sh/t")" 0 "the binary's owner on the host"
	assert_ne "$(stat -c %g "$SCRATCH/sh/t")" 0 "the binary's group on the host"
	if [[ $(stat -c %A "$SCRATCH/sh/t") == *s* ]]; then
		assert_eq "$(stat -c %u:%g "$SCRATCH/sh/t")" "$(share_owner)" "a set-id bit kept is the owner's"
	fi
}

@test "share: chown inside a share cannot give a file to the host's root or another uid" {
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" web
	run -0 --separate-stderr fvm run web -- sh -c "echo vm >'$SCRATCH/sh/f'; chown 0:0 '$SCRATCH/sh/f'; echo \$?; chown 5:5 '$SCRATCH/sh/f' 2>/dev/null; echo \$?; chown 1000 '$SCRATCH/sh/f' 2>/dev/null; echo \$?"
	# VM root is the owner: chown 0:0 is a no-op, every other id unmapped
	assert_eq "$(stat -c %u:%g "$SCRATCH/sh/f")" "$(share_owner)" "the host's owner after chown 0:0, 5:5 and 1000"
	assert_ne "${lines[1]}" 0 "chown 5:5 in the VM"
	assert_ne "${lines[2]}" 0 "chown 1000 in the VM"
}

@test "share: as root, a file of the host's root in a share is nobody's in the VM and not writable" {
	is_root || skip "root mode: a rootless test cannot make a root-owned file"
	share_owned "$SCRATCH/sh"
	echo host >"$SCRATCH/sh/rootfile"
	chmod 644 "$SCRATCH/sh/rootfile"
	fvm create --share "$SCRATCH/sh" web
	run -0 --separate-stderr fvm run web -- stat -c %u:%g "$SCRATCH/sh/rootfile"
	# before: 0:0, the VM's root owned the host root's files
	assert_eq "$output" "$NOBODY:$NOBODY" "the root-owned file's owner inside"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$SCRATCH/sh/rootfile" w
	assert_eq "$output" errno=EACCES "opening it for writing"
	run -0 --separate-stderr fvm run web -- sh -c "chmod 666 '$SCRATCH/sh/rootfile' 2>/dev/null; chown 0 '$SCRATCH/sh/rootfile' 2>/dev/null; rm -f '$SCRATCH/sh/rootfile' 2>/dev/null; true"
	assert_eq "$(cat "$SCRATCH/sh/rootfile")" host "the root-owned file's content"
	assert_eq "$(stat -c %u:%g:%a "$SCRATCH/sh/rootfile")" 0:0:644 "its owner and mode"
}

@test "share: as root, a non-root user of the VM cannot create files in a share" {
	is_root || skip "root mode: rootless VMs have no other user"
	share_owned "$SCRATCH/sh"
	chmod 777 "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" web
	run --separate-stderr fvm run -u 1000 web -- sh -c "echo vm >'$SCRATCH/sh/u'"
	assert_ne "$status" 0 "a write as VM uid 1000 (only the VM's root is mapped)"
	# before: the file landed as host uid 1000, a login user's on many hosts
	assert_not_exists "$SCRATCH/sh/u"
}

@test "share: as root, a directory of the host's root is refused at create, naming the path and the fix" {
	is_root || skip "root mode: rootless shares are the user's own files"
	mkdir "$SCRATCH/sh"
	# before: created, and the VM's root wrote there as the host's root
	run -125 --separate-stderr fvm create --share "$SCRATCH/sh" web
	assert_contains "$stderr" "--share $SCRATCH/sh: owned by user root (uid 0) on the host"
	assert_contains "$stderr" "chown USER:GROUP $SCRATCH/sh"
	assert_fvm_error
	chown "$SHARE_UID:0" "$SCRATCH/sh"
	run -125 --separate-stderr fvm create --share "$SCRATCH/sh" web
	assert_contains "$stderr" "owned by group root (gid 0) on the host"
	fvm create web
	run -125 --separate-stderr fvm config web --share "$SCRATCH/sh"
	assert_contains "$stderr" "--share $SCRATCH/sh: owned by group root"
}

@test "share: as root, a shared directory given to the host's root since create stops the boot, nothing written" {
	is_root || skip "root mode: rootless shares are the user's own files"
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" web
	chown 0:0 "$SCRATCH/sh"
	# before: the VM's root wrote there as the host's root
	run --separate-stderr fvm run web -- sh -c "cp /bin/true '$SCRATCH/sh/t'; chmod 4755 '$SCRATCH/sh/t'"
	assert_status 125
	assert_contains "$stderr" "VM 'web': cannot share $SCRATCH/sh: owned by user root (uid 0) on the host now"
	assert_contains "$stderr" "fvm config web --cow $SCRATCH/sh"
	assert_fvm_error
	assert_not_exists "$SCRATCH/sh/t"
	run -0 --separate-stderr find "$SCRATCH" -user 0 -perm -4000
	assert_eq "$output" "" "set-uid root files anywhere in the scratch dir"
}
