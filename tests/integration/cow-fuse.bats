#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cow-fuse.bats - the whole host copy-on-write rootless, with fuse-overlayfs
# where the kernel's overlayfs refuses (--cow auto, the default; --cow fuse
# for every tree): /etc edits and package installs stay in the VM, diff and
# commit read the layer fuse-overlayfs writes as a kernel overlay's (the
# change matrix under --cow fuse), the daemon is out of the VM's reach and a
# dead daemon shows errors, never the host's files; the host refusing FUSE
# gives errors that name the file and the fix.
#
# The rootless run has a 0666 /dev/fuse (scripts/test, SUITE_NS). The root
# run checks what root mode does with --cow, and runs the rootless cases
# that need a host mount or another /dev/fuse as uid 65534 (as_user), in a
# private mount namespace where /dev/fuse is a node of the mode the test
# needs: the host's node is never touched.

load helpers

NOBODY=65534
TEST_MOUNTS=()

fuse_usable() {
	[[ -r /dev/fuse && -w /dev/fuse ]] || skip "/dev/fuse is not read-write for uid $(id -u) here (scripts/test gives the rootless run a 0666 node)"
	[[ -x /usr/bin/fuse-overlayfs ]] || skip "no /usr/bin/fuse-overlayfs (scripts/deps installs fuse-overlayfs)"
}

rootless_only() {
	is_root && skip "rootless: the rootless run tests it (as root every tree is the kernel's idmapped overlay)"
	fuse_usable
}

# the daemon pids of a running VM (run/cow: "PID MOUNTPOINT" lines)
daemon_pids() {
	awk '{ print $1 }' "$FVM_HOME/vms/$1/run/cow"
}

# user_setup: as root, a home and a store for uid 65534 (as attacks-mounts.bats)
user_setup() {
	is_root || skip "needs root (a host mount, a /dev/fuse node): the root run tests it as uid $NOBODY"
	[[ -x /usr/bin/fuse-overlayfs ]] || skip "no /usr/bin/fuse-overlayfs"
	UHOME=$SCRATCH/uhome
	USTORE=$TEST_ROOT/ustore
	mkdir -p "$UHOME" "$USTORE" "$TEST_ROOT/dev"
	chown "$NOBODY:$NOBODY" "$UHOME" "$USTORE"
	chmod 700 "$USTORE"
	chmod 755 "$TEST_ROOT/dev"
}

# ufvm MODE ARGS...: fvm as uid 65534, in a mount namespace of its own whose
# /dev/fuse is a node of the FUSE device with MODE (0666 or 0600)
ufvm() {
	local mode=$1 dev
	shift
	dev=$(stat -c '%t %T' /dev/fuse) || return 1
	unshare --mount --propagation private -- bash -c '
		set -e
		rm -f "$2/fuse"
		mknod -m "$1" "$2/fuse" c "$((0x$3))" "$((0x$4))"
		mount --bind "$2/fuse" /dev/fuse
		shift 4
		exec setpriv --reuid='$NOBODY' --regid='$NOBODY' --clear-groups "$@"' _ \
		"$mode" "$TEST_ROOT/dev" $dev env HOME="$UHOME" FVM_HOME="$USTORE" \
		timeout -k 5 60 "$FVM" "$@" 3>&-
}

teardown() {
	local n i
	if [[ -n ${USTORE-} && -d $USTORE/vms ]]; then
		for n in $(ls -A "$USTORE/vms"); do
			ufvm 0666 rm -f "$n" >/dev/null 2>&1 || true
		done
	fi
	for ((i = ${#TEST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${TEST_MOUNTS[i]}" || umount -l "${TEST_MOUNTS[i]}"
	done
	fvm_teardown
}

# ---- the setting -----------------------------------------------------------

@test "cow: inspect shows the backend asked for and, while running, what each tree got" {
	if is_root; then
		fvm create web
		assert_eq "$(vm_field web .cow)" auto "root's default"
		run --separate-stderr fvm create --cow fuse web2
		assert_status 125
		assert_contains "$stderr" "--cow fuse is for rootless VMs"
		fvm create --cow kernel web3
		assert_eq "$(vm_field web3 .cow)" kernel
		return
	fi
	fuse_usable
	fvm create web
	assert_eq "$(vm_field web .cow)" auto "the default"
	fvm_start web
	assert_eq "$(vm_field web '.layers[] | select(.mount == "/") | .backend')" fuse "the host's / under auto"
	assert_eq "$(vm_field web '.layers[] | select(.mount == "/tmp") | .backend')" kernel "/tmp under auto"
	fvm stop web
	fvm config web --cow fuse
	assert_eq "$(vm_field web .cow)" fuse
	fvm_start web
	assert_eq "$(fvm inspect web | jq '[.[0].layers[] | select(.backend == "kernel")] | length')" 0 "no kernel overlay under --cow fuse"
	fvm stop web
	fvm config web --cow kernel
	fvm_start web
	assert_eq "$(fvm inspect web | jq '[.[0].layers[] | select(.backend == "fuse")] | length')" 0 "no fuse-overlayfs under --cow kernel"
	run --separate-stderr fvm create --cow bogus web4
	assert_status 125   # not a backend: a path policy, and not an absolute path
}

# ---- the whole host copy-on-write --------------------------------------------

@test "cow: rootless, /etc/hosts edits stay in the VM; diff shows them, discard drops them" {
	rootless_only
	local sum line="10.9.8.7 fvm-$TEST_ID"
	sum=$(sha256sum </etc/hosts)
	fvm create web
	fvm run web -- true
	# what fvm makes in the layer for apt and dpkg is no change of the VM's
	# (only the host's dpkg, run meanwhile, can make its locks conflicts)
	run -0 --separate-stderr fvm diff web
	assert_not_contains "$output" "partial" "fvm diff of a VM that ran true"
	assert_not_contains "$output" "A " "fvm diff of a VM that ran true"
	run -0 --separate-stderr fvm run web -- sh -c "echo '$line' >>/etc/hosts && tail -n 1 /etc/hosts && id -u && stat -c %u /etc/hosts"
	assert_eq "$output" "$line"$'\n0\n0' "the VM's root owns its /etc/hosts and edits it"
	assert_eq "$(sha256sum </etc/hosts)" "$sum" "the host's /etc/hosts"
	run -0 --separate-stderr fvm run web -- tail -n 1 /etc/hosts
	assert_eq "$output" "$line" "the edit persists in the VM"
	run -0 --separate-stderr fvm diff web /etc
	assert_eq "$output" "M  /etc/hosts" "fvm diff"
	# commit: the host's /etc is root's, so the user's commit is refused
	# and the host keeps its file (a commit the user can make: the matrix)
	run --separate-stderr fvm commit -y web /etc/hosts
	assert_ne "$status" 0 "commit of root's /etc/hosts by a user"
	assert_eq "$(sha256sum </etc/hosts)" "$sum" "the host's /etc/hosts after the refused commit"
	fvm discard web /etc/hosts
	run -0 --separate-stderr fvm run web -- sha256sum
	run -0 --separate-stderr fvm run web -- sh -c 'sha256sum </etc/hosts'
	assert_eq "$output" "$sum" "after discard the VM sees the host's file"
}

@test "cow: rootless, dpkg -i of a package installs it in the VM only" {
	rootless_only
	command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
	# a package of our own: the Debian archive needs DNS, which a --net
	# host VM does not get on this project's machines (see README)
	local pkg=fvm-test-hello-${TEST_ID,,} d=$SCRATCH/pkg
	mkdir -p "$d/DEBIAN" "$d/usr/bin"
	printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: fvm tests <t@example.org>\nDescription: fvm test\n' \
		"$pkg" >"$d/DEBIAN/control"
	printf '#!/bin/sh\necho hello from %s\n' "$pkg" >"$d/usr/bin/$pkg"
	chmod 755 "$d/usr/bin/$pkg"
	dpkg-deb --root-owner-group -b "$d" "$SCRATCH/$pkg.deb" >/dev/null
	local status_sum
	status_sum=$(sha256sum </var/lib/dpkg/status)
	fvm create web
	run -0 --separate-stderr fvm run web -- dpkg -i "$SCRATCH/$pkg.deb"
	run --separate-stderr fvm run web -- "$pkg"
	assert_status 0
	assert_eq "$output" "hello from $pkg"
	run -0 --separate-stderr fvm run web -- dpkg -s "$pkg"
	assert_contains "$output" "Status: install ok installed" "dpkg's database in the VM"
	assert_not_exists "/usr/bin/$pkg"
	run dpkg-query -W "$pkg"
	assert_ne "$status" 0 "the host's dpkg knows nothing of $pkg"
	run -0 --separate-stderr fvm diff web /usr/bin "/var/lib/dpkg/info"
	assert_contains "$output" "A  /usr/bin/$pkg"
	assert_contains "$output" "A  /var/lib/dpkg/info/$pkg.list"
	# the VM's copies of the locks fvm seeds are no changes until dpkg
	# takes them; root's own /var/lib/dpkg/status stays the host's
	[[ $(sha256sum </var/lib/dpkg/status) == "$status_sum" ]] ||
		[[ $(grep -c "^Package: $pkg$" /var/lib/dpkg/status) == 0 ]]
}

@test "cow: rootless, dpkg's lock is the VM's on every boot; a layer that lost it gets it again" {
	rootless_only
	local lock=/var/lib/dpkg/lock up
	[[ -e $lock && ! -r $lock ]] || skip "$lock is missing or readable by uid $(id -u) here: fvm seeds nothing"
	fvm create web
	run -0 --separate-stderr fvm run web -- cat "$lock"
	assert_eq "$output" "" "the VM's empty copy of the host's unreadable $lock"
	up=$(layer_upper web /var/lib/dpkg)
	assert_exists "$up/lock"
	run -0 --separate-stderr fvm run web -- cat "$lock"
	# a boot lists the seed directories only when they changed since (fuseovl.c):
	# a layer's directory that lost the copy (a discard, a new upper) has
	rm "$up/lock"
	run -0 --separate-stderr fvm run web -- cat "$lock"
	assert_eq "$output" "" "seeded again after the layer lost it"
	assert_exists "$up/lock"
}

@test "cow: rootless, a write to a file of root's (ls -l shows root) is copied up, the host's stays" {
	rootless_only
	local f=/etc/debian_version sum
	[[ -f $f ]] || f=/etc/os-release
	sum=$(sha256sum <"$f")
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$f" w
	assert_eq "$output" ok "open $f for writing in the VM"
	run -0 --separate-stderr fvm run web -- sh -c "echo vm >'$f' && cat '$f' && : >/etc/fvm-new-$TEST_ID && echo made"
	assert_eq "$output" $'vm\nmade'
	assert_eq "$(sha256sum <"$f")" "$sum" "host $f"
	assert_not_exists "/etc/fvm-new-$TEST_ID"
}

# ---- the layer's format: the change matrix under --cow fuse --------------------

@test "cow: diff and commit read fuse-overlayfs's layer: the change matrix under --cow fuse" {
	rootless_only
	command -v bats >/dev/null || skip "no bats"
	# every change kind (changes-matrix.bats, its own store and scratch dirs)
	# with each tree served by fuse-overlayfs
	run env FVM_TEST_COW=fuse bats --tap "$BATS_TEST_DIRNAME/changes-matrix.bats"
	echo "$output" | grep -E '^(not ok|#)' >&2 || true
	assert_status 0
	assert_not_contains "$output" "not ok"
	assert_match "$(grep -c '^ok' <<<"$output")" '^[1-9][0-9]*$' "matrix cells run"
}

# the names of the xattrs of each path given
list_xattrs() {
	python3 -c 'import os, sys; print(*(x for p in sys.argv[1:] for x in os.listxattr(p, follow_symlinks=False)))' "$@"
}

# "MEMBER KEY" for each pax header (SCHILY.xattr.NAME...) of the archive FILE
archive_xattrs() {
	python3 -c 'import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    for k in m.pax_headers:
        print(m.name, k)' "$1"
}

@test "cow: rootless, each layer of --cow fuse holds fuse-overlayfs's own marks, which diff does not show" {
	rootless_only
	local d=$SCRATCH/opq up
	mkdir -p "$d/sub"
	echo host >"$d/sub/a"
	fvm create --cow fuse web
	run -0 --separate-stderr fvm run web -- sh -c "rm -rf '$d/sub' && mkdir '$d/sub' && echo vm >'$d/sub/b' && rm '$d/sub/b' && echo vm2 >'$d/sub/c'"
	up=$(layer_upper web "$d/sub")
	# what fuse-overlayfs 1.10 writes rootless (checked here, as fuseovl.c says)
	assert_exists "$up/.wh..wh..opq"
	assert_eq "$(getfattr --only-values -n user.fuseoverlayfs.opaque "$up" 2>/dev/null || python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'user.fuseoverlayfs.opaque').decode())" "$up")" y "opaque xattr"
	run -0 --separate-stderr fvm diff web "$d"
	assert_eq "$output" $'R  '"$d/sub/"$'\nD  '"$d/sub/a"$'\nA  '"$d/sub/c" "diff of an opaque directory"
	# the layer's marks are the layer's: neither an archive nor the host gets them
	fvm export web -o "$SCRATCH/web.tar"
	run -0 archive_xattrs "$SCRATCH/web.tar"
	assert_not_contains "$output" "fuseoverlayfs"
	fvm commit -y web "$d"
	assert_eq "$(ls -A "$d/sub")" c "the host's directory after commit: no marks"
	assert_eq "$(cat "$d/sub/c")" vm2
}

@test "cow: rootless, fuse-overlayfs's marks (user.fuseoverlayfs.*) reach neither the host by commit nor an export" {
	rootless_only
	local d=$SCRATCH/marks up
	mkdir -p "$d"
	echo host >"$d/f"
	fvm create --cow fuse web
	run -0 --separate-stderr fvm run web -- sh -c 'echo vm >>"$1" && python3 -c "import os, sys; os.setxattr(sys.argv[1], \"user.mine\", b\"kept\")" "$1"' sh "$d/f"
	up=$(layer_upper web "$d")
	run -0 list_xattrs "$up/f"
	assert_contains "$output" "user.fuseoverlayfs." "fuse-overlayfs marks its copy-up (else this test shows nothing)"
	assert_contains "$output" "user.mine"
	fvm export web -o "$SCRATCH/web.tar"
	run -0 archive_xattrs "$SCRATCH/web.tar"
	assert_not_contains "$output" "fuseoverlayfs"
	assert_contains "$output" "user.mine"
	fvm commit -y web "$d"
	assert_eq "$(cat "$d/f")" $'host\nvm'
	run -0 list_xattrs "$d/f"
	assert_not_contains "$output" "fuseoverlayfs"
	assert_contains "$output" "user.mine" "the user's own xattr is committed"
}

# ---- the daemon ----------------------------------------------------------------

@test "cow: rootless, a directory's link count is 1 under fuse-overlayfs (a lookup reads no whole directory)" {
	rootless_only
	# static_nlink (fuseovl.c), as the kernel's overlay shows a merged
	# directory: fuse-overlayfs otherwise lists each directory looked up,
	# the host's live /proc too when the boot looks up "proc" to mount the
	# VM's own there (a process reaped meanwhile failed the boot, issue 15)
	mkdir -p "$SCRATCH/d/sub1" "$SCRATCH/d/sub2"
	fvm create --cow fuse web
	run -0 --separate-stderr fvm run web -- stat -c '%h %F' / /etc "$SCRATCH/d"
	assert_eq "$output" $'1 directory\n1 directory\n1 directory' "link counts of directories"
	run -0 --separate-stderr fvm run web -- sh -c "mkdir '$SCRATCH/d/sub3' && ls '$SCRATCH/d' | tr '\n' ' '"
	assert_eq "$output" "sub1 sub2 sub3 " "the directory's entries"
	run -0 --separate-stderr fvm run web -- sh -c 'test -d /proc/self && test -c /dev/null && test -d /sys/kernel && echo ok'
	assert_eq "$output" ok "the VM's own /proc, /dev and /sys"
}

@test "cow: rootless, a killed daemon gives the VM errors, never the host's files" {
	rootless_only
	fvm create web
	fvm run web -- sh -c 'echo vm-only >/etc/fvm-marker'
	fvm_start web
	local d
	d=$(daemon_pids web | head -n 1)
	[[ $d =~ ^[0-9]+$ ]] || fail "no daemon recorded in run/cow"
	assert_eq "$(tr '\0' ' ' </proc/"$d"/cmdline | cut -d' ' -f1)" fuse-overlayfs "the daemon's program"
	run -0 --separate-stderr fvm exec web -- cat /etc/fvm-marker
	assert_eq "$output" vm-only
	kill -KILL "$d"
	wait_for 10 pid_dead "$d"
	run --separate-stderr fvm exec web -- /bin/cat /etc/hostname
	assert_ne "$status" 0 "a program of the VM's / after the daemon died"
	assert_not_contains "$output" "$(cat /etc/hostname)" "the host's /etc/hostname"
	fvm stop web
	# a new boot gets a new daemon: the VM's own files again
	run -0 --separate-stderr fvm run web -- cat /etc/fvm-marker
	assert_eq "$output" vm-only
}

@test "cow: rootless, VM processes cannot see, signal or ptrace the daemon, nor hold its fds" {
	rootless_only
	fvm create web
	fvm_start web
	local d ns
	d=$(daemon_pids web | head -n 1)
	[[ $d =~ ^[0-9]+$ ]] || fail "no daemon recorded in run/cow"
	# (init is not dumpable: the VM's namespaces as a VM process sees them)
	ns=$(fvm exec web -- readlink /proc/self/ns/pid /proc/self/ns/user /proc/self/ns/mnt)
	assert_ne "$(readlink /proc/"$d"/ns/pid)" "$(sed -n 1p <<<"$ns")" "the daemon's pid namespace"
	assert_eq "$(readlink /proc/"$d"/ns/user)" "$(sed -n 2p <<<"$ns")" "the daemon is in the VM's user namespace"
	assert_ne "$(readlink /proc/"$d"/ns/mnt)" "$(sed -n 3p <<<"$ns")" "the daemon's mount namespace"
	# inside: no process of fuse-overlayfs, no /dev/fuse fd anywhere
	run -0 --separate-stderr fvm exec web -- sh -c 'cat /proc/[0-9]*/comm 2>/dev/null | sort -u'
	assert_not_contains "$output" fuse-overlayfs "process names in the VM"
	run -0 --separate-stderr fvm exec web -- sh -c 'ls -l /proc/[0-9]*/fd/ 2>/dev/null; true'
	assert_contains "$output" " -> " "the fds of the VM's processes were listed"
	assert_not_contains "$output" /dev/fuse "fds on /dev/fuse in the VM"
	# its host pid names nothing in the VM (or another process): signals
	# and ptrace by number cannot reach it
	run --separate-stderr fvm exec web -- kill -KILL "$d"
	run --separate-stderr fvm exec web -- "$PROBE" ptrace "$d"
	pid_alive "$d" || fail "the daemon died from the VM's kill -KILL $d"
	run -0 --separate-stderr fvm exec web -- cat /etc/hostname
	fvm stop web
	wait_for 10 pid_dead "$d" || fail "the daemon outlived its VM"
}

# ---- host mounts and the host's refusals (root run, as uid 65534) ------------------

@test "cow: rootless, a mount below the home keeps its tree copy-on-write, its socket out of reach" {
	user_setup
	mkdir -p "$UHOME/sub"
	mount -t tmpfs -o mode=1777 tmpfs "$UHOME/sub" && TEST_MOUNTS+=("$UHOME/sub")
	echo host >"$UHOME/sub/f"
	echo host >"$UHOME/g"
	chown "$NOBODY:$NOBODY" "$UHOME/sub/f" "$UHOME/g"
	"$PROBE" listen-unix "$UHOME/sock" 20 </dev/null >"$SCRATCH/listen.out" 2>&1 3>&- &
	bg_track $!
	wait_for 5 test -S "$UHOME/sock"
	chmod 666 "$UHOME/sock"
	ufvm 0666 create web 2>/dev/null
	run -0 --separate-stderr ufvm 0666 run web -- sh -c "echo vm >'$UHOME/sub/f'; echo vm >'$UHOME/g'; cat '$UHOME/sub/f' '$UHOME/g'"
	assert_eq "$output" $'vm\nvm' "the VM's writes in the home and the mount below it"
	assert_eq "$(cat "$UHOME/sub/f" "$UHOME/g")" $'host\nhost' "the host's files"
	run --separate-stderr ufvm 0666 run web -- "$PROBE" connect-unix "$UHOME/sock"
	assert_ne "$output" ok "connect from the VM to the host's socket in the home"
	run -0 --separate-stderr ufvm 0666 diff web "$UHOME"
	assert_contains "$output" "M  $UHOME/g"
	assert_contains "$output" "M  $UHOME/sub/f"
}

@test "cow: rootless, /dev/fuse the user cannot open: --cow fuse says so, auto is the kernel's" {
	user_setup
	ufvm 0600 create --cow fuse web 2>/dev/null
	run --separate-stderr ufvm 0600 run web -- true
	assert_status 125
	assert_contains "$stderr" "cannot open /dev/fuse"
	assert_contains "$stderr" "chmod 0666 /dev/fuse"
	assert_contains "$stderr" "--cow kernel"
	assert_fvm_error
	ufvm 0600 create web2 2>/dev/null
	run -0 --separate-stderr ufvm 0600 run web2 -- "$PROBE" open /etc/passwd w
	assert_match "$output" '^errno=(EACCES|EROFS|EPERM)$' "auto without FUSE: the host's system tree read-only"
	# with FUSE the same VM's / is copy-on-write
	run -0 --separate-stderr ufvm 0666 run web2 -- "$PROBE" open /etc/passwd w
	assert_eq "$output" ok "auto with FUSE"
}

@test "cow: rootless, a new boot never shares a layer with the last boot's daemon" {
	rootless_only
	fvm create web
	fvm_start web
	local d
	d=$(daemon_pids web | head -n 1)
	[[ $d =~ ^[0-9]+$ ]] || fail "no daemon recorded in run/cow"
	# a daemon that cannot exit yet (stopped) keeps the layer's lock
	kill -STOP "$d"
	fvm stop web
	run --separate-stderr fvm run web -- true
	kill -CONT "$d"
	assert_status 125
	assert_contains "$stderr" "the fuse-overlayfs of its last boot still serves /"
	wait_for 10 pid_dead "$d" || fail "the last boot's daemon did not exit once resumed"
	run -0 --separate-stderr fvm run web -- true
}
