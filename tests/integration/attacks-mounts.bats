#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-mounts.bats - the VM's file system view where the host's mount
# table or a policy path does not cooperate: a mount below a tree that
# must be copy-on-write, a policy path whose component became a symlink,
# uid ranges and stores of other stores, other engines' mounts.
#
# The rootless cases need a mount on the host, which only root can make:
# the root run makes it under the test's scratch dir and then runs fvm
# rootless as uid 65534 (as_user), with a home and a store of its own -
# exactly a user with a FUSE or tmpfs mount under their home.

load helpers

NOBODY=65534
TEST_MOUNTS=()

# test_mount ARGS... TARGET: mount(8) as root (TARGET made if missing),
# unmounted in teardown
test_mount() {
	{ [[ -e ${!#} ]] || mkdir -p "${!#}"; } && mount "$@" && TEST_MOUNTS+=("${!#}")
}

# user_setup: a home ($UHOME, below /tmp like every scratch dir) and a
# store ($USTORE) for uid 65534
user_setup() {
	is_root || skip "making a host mount needs root: the root run tests the rootless path as uid $NOBODY"
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	UHOME=$SCRATCH/uhome
	USTORE=$TEST_ROOT/ustore
	mkdir -p "$UHOME" "$USTORE"
	chown "$NOBODY:$NOBODY" "$UHOME" "$USTORE"
	chmod 700 "$USTORE"
}

# ufvm ARGS...: fvm run rootless as uid 65534 with its home and store
ufvm() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		env HOME="$UHOME" FVM_HOME="$USTORE" timeout -k 5 60 "$FVM" "$@" 3>&-
}

EXTRA_STORES=()

# other_store NAME: path of a second store of the test ($TEST_ROOT/NAME),
# whose VMs teardown removes
other_store() {
	EXTRA_STORES+=("$TEST_ROOT/$1")
	echo "$TEST_ROOT/$1"
}

teardown() {
	local n i s
	for s in "${EXTRA_STORES[@]}"; do
		[[ -d $s/vms ]] || continue
		for n in $(ls -A "$s/vms"); do
			FVM_HOME=$s fvm rm -f "$n" >/dev/null 2>&1 || true
		done
	done
	if [[ -n ${USTORE-} && -d $USTORE/vms ]]; then
		for n in $(ls -A "$USTORE/vms"); do
			ufvm rm -f "$n" >/dev/null 2>&1 || true
		done
	fi
	for ((i = ${#TEST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${TEST_MOUNTS[i]}" || umount -l "${TEST_MOUNTS[i]}"
	done
	fvm_teardown
}

# unix_listener PATH: a host process listening on PATH (mode 666) for 20 s
unix_listener() {
	"$PROBE" listen-unix "$1" 20 </dev/null >"$SCRATCH/listen.out" 2>&1 3>&- &
	bg_track $!
	wait_for 5 test -S "$1"
	chmod 666 "$1"
}

# ---- 1. a tree that cannot be copy-on-write is never the host's live tree ----

@test "mounts: rootless, a mount below the home and /tmp stops the boot with the way out" {
	user_setup
	test_mount -t tmpfs -o mode=1777 tmpfs "$UHOME/sub"
	unix_listener "$UHOME/sock"
	# the kernel's overlay only: with fuse-overlayfs (auto) the tree is
	# copy-on-write all the same (cow-fuse.bats)
	ufvm create --cow kernel web 2>/dev/null
	# before: /tmp and the home fell back to the host's live tree, read-only,
	# and the socket there was connectable
	run --separate-stderr ufvm run web -- "$PROBE" connect-unix "$UHOME/sock"
	assert_ne "$output" ok "connect from the VM to a host socket in the user's home"
	assert_status 125
	assert_contains "$stderr" "cannot make /tmp copy-on-write rootless: $UHOME/sub is a mount below it"
	assert_contains "$stderr" "--private /tmp"
	assert_fvm_error
	# (the listener takes one connection: after the VM's try)
	run -0 setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$PROBE" connect-unix "$UHOME/sock"
	assert_eq "$output" ok "uid $NOBODY can connect on the host: the socket is live"
}

@test "mounts: rootless, --private /tmp boots past a mount below /tmp, host objects out of reach" {
	user_setup
	test_mount -t tmpfs -o mode=1777 tmpfs "$UHOME/sub"
	unix_listener "$UHOME/sock"
	mkfifo -m 666 "$UHOME/fifo"
	ufvm create --private /tmp web 2>/dev/null
	# (the probe lives below /tmp too: sh of the host's / instead)
	run -0 --separate-stderr ufvm run web -- sh -c "ls -A /tmp; [ -e '$UHOME/sock' ] || echo no-sock; [ -e '$UHOME/fifo' ] || echo no-fifo"
	assert_eq "$output" $'no-sock\nno-fifo' "the host's socket and FIFO, from a VM with its own, empty /tmp"
}

@test "mounts: rootless, under --share /tmp a mount below still gets its own overlay" {
	user_setup
	test_mount -t tmpfs -o mode=1777 tmpfs "$UHOME/sub"
	echo host >"$UHOME/sub/f"
	chown "$NOBODY:$NOBODY" "$UHOME/sub/f"
	ufvm create --share /tmp web 2>/dev/null
	# before: the extra root /tmp dropped every host mount below it, so the
	# tmpfs came live with the shared /tmp and the write reached the host
	run -0 --separate-stderr ufvm run web -- sh -c "echo vm >'$UHOME/sub/f' && cat '$UHOME/sub/f'"
	assert_eq "$output" vm "the VM sees its own write"
	assert_eq "$(cat "$UHOME/sub/f")" host "the host's file in the mount below the shared /tmp"
}

@test "mounts: rootless, a mount the user cannot list is covered, not shown live" {
	user_setup
	mkdir -m 711 "$UHOME/secret"
	test_mount -t tmpfs -o mode=0711 tmpfs "$UHOME/secret"
	unix_listener "$UHOME/secret/sock"
	ufvm create --share /tmp web 2>/dev/null
	run -0 --separate-stderr ufvm run web -- "$PROBE" connect-unix "$UHOME/secret/sock"
	assert_ne "$output" ok "connect from the VM to a socket in a mount it cannot read"
	run -0 setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$PROBE" connect-unix "$UHOME/secret/sock"
	assert_eq "$output" ok "uid $NOBODY can connect on the host, by name: the socket is live"
}

@test "mounts: as root, a mount that cannot be overlaid shows the copy-on-write dir below it" {
	is_root || skip "root mode: rootless cannot make a host mount"
	mkdir "$SCRATCH/ram"
	echo below >"$SCRATCH/ram/under"
	# ramfs cannot be idmapped: its overlay cannot be made as root
	test_mount -t ramfs ramfs "$SCRATCH/ram"
	echo over >"$SCRATCH/ram/over"
	unix_listener "$SCRATCH/ram/sock"
	fvm create web
	run -0 --separate-stderr fvm run web -- ls "$SCRATCH/ram"
	assert_eq "$output" under "the VM sees the directory below the mount, through its root overlay"
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-unix "$SCRATCH/ram/sock"
	assert_eq "$output" errno=ENOENT "the host's socket in that mount"
	run -0 --separate-stderr fvm run web -- sh -c "echo vm >'$SCRATCH/ram/under'"
	assert_eq "$(cat "$SCRATCH/ram/over")" over "the host's mount"
	run -0 --separate-stderr fvm run web -- cat "$SCRATCH/ram/under"
	assert_eq "$output" vm "the VM's own copy"
}

@test "mounts: as root, a tmpfs below a copy-on-write tree gets its own overlay" {
	is_root || skip "root mode: rootless cannot make a host mount"
	mkdir "$SCRATCH/t"
	test_mount -t tmpfs tmpfs "$SCRATCH/t"
	echo host >"$SCRATCH/t/f"
	unix_listener "$SCRATCH/t/sock"
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c "echo vm >'$SCRATCH/t/f'; cat '$SCRATCH/t/f'"
	assert_eq "$output" vm
	assert_eq "$(cat "$SCRATCH/t/f")" host "the host's file in the tmpfs"
	run -0 --separate-stderr fvm run web -- "$PROBE" connect-unix "$SCRATCH/t/sock"
	assert_ne "$output" ok "connect from the VM to a host socket in the tmpfs"
	run -0 "$PROBE" connect-unix "$SCRATCH/t/sock"
	assert_eq "$output" ok "the host can connect: the socket is live"
	# a host FIFO there is another pipe in the VM
	mkfifo "$SCRATCH/t/fifo"
	assert_fifo_private "$SCRATCH/t/fifo" web
}

# ---- 1b. no overlay where the VM sees nothing of the host ----

# no_mount_of DEV OUTPUT: OUTPUT (a VM's /proc/self/mountinfo) names no
# mount of the file system DEV (major:minor): no path in the VM reaches it
no_mount_of() {
	local line
	while read -r line; do
		[[ $(awk '{ print $3 }' <<<"$line") != "$1" ]] || {
			echo "the VM has a mount of $1: $line" >&2
			return 1
		}
	done <<<"$2"
}

# hidden_mount_checks RUNNER VM LAYERS DIR [shared]: a host tmpfs at DIR/m
# (a file f, "host-secret") is reachable by no path in VM, and the VM's
# store has no layer of it (LAYERS: its layers directory). Not shared:
# the VM's mount table has no mount of it either (under a --share, the
# host's tree comes with its mounts, and the hide's cover is on top).
hidden_mount_checks() {
	local runner=$1 vm=$2 layers=$3 dir=$4 dev
	dev=$(mountpoint -d "$dir/m")
	run -0 --separate-stderr "$runner" run "$vm" -- sh -c "cat '$dir/m/f' 2>&1; ls -A '$dir/m' 2>&1; echo end"
	assert_not_contains "$output" host-secret "the file of the mount below $dir"
	assert_contains "$output" end "the VM booted"
	if [[ -z ${5-} ]]; then
		run -0 --separate-stderr "$runner" run "$vm" -- cat /proc/self/mountinfo
		no_mount_of "$dev" "$output"
		assert_contains "$output" " / / " "the VM's mount table was read"
	fi
	run -0 find "$layers" -maxdepth 1 -name "*$(basename "$dir")%2Fm"
	assert_eq "$output" "" "no layer for the mount below $dir (its overlay is not built)"
}

@test "mounts: as root, a host mount below --hide or --private gets no overlay and is reachable by no path" {
	is_root || skip "root mode: rootless cannot make a host mount (the rootless case below runs as uid 65534)"
	local k
	for k in hide private; do
		mkdir -p "$SCRATCH/$k"
		test_mount -t tmpfs -o size=64k tmpfs "$SCRATCH/$k/m"
		echo host-secret >"$SCRATCH/$k/m/f"
		fvm create "--$k" "$SCRATCH/$k" "v$k"
		hidden_mount_checks fvm "v$k" "$FVM_HOME/vms/v$k/layers" "$SCRATCH/$k"
	done
}

@test "mounts: rootless, a host mount below --hide or --private gets no overlay and is reachable by no path" {
	user_setup
	local k
	for k in hide private; do
		mkdir -p "$UHOME/$k"
		test_mount -t tmpfs -o size=64k,mode=755 tmpfs "$UHOME/$k/m"
		echo host-secret >"$UHOME/$k/m/f"
		chown -R "$NOBODY:$NOBODY" "$UHOME/$k"
		# (--share /tmp: rootless, the kernel refuses an overlay of a tree
		# with a mount below it, so the home here, below /tmp, cannot be one)
		ufvm create --share /tmp "--$k" "$UHOME/$k" "v$k" 2>/dev/null
		hidden_mount_checks ufvm "v$k" "$USTORE/vms/v$k/layers" "$UHOME/$k" shared
	done
}

@test "mounts: as root, a host mount inside another store gets no overlay and is reachable by no path" {
	is_root || skip "root mode: the rootless base is the host's tree, where the plan keeps such mounts"
	local b
	b=$(other_store store-b)
	FVM_HOME=$b fvm create b
	test_mount -t tmpfs -o size=64k tmpfs "$b/m"
	echo host-secret >"$b/m/f"
	fvm create a
	# before: the mount got an overlay, built at every boot and then not
	# attached (the store's whiteout in the root layer hides its mount point)
	hidden_mount_checks fvm a "$FVM_HOME/vms/a/layers" "$b"
}

@test "mounts: a read-only host mount is read-only in the VM, with the VM's hides applied and no work dir" {
	is_root || skip "root mode: rootless cannot make a host mount"
	mkdir -p "$SCRATCH/ro"
	test_mount -t tmpfs -o size=64k tmpfs "$SCRATCH/ro"
	echo a >"$SCRATCH/ro/a"
	echo b >"$SCRATCH/ro/b"
	mount -o remount,ro "$SCRATCH/ro"
	fvm create --hide "$SCRATCH/ro/b" web
	run -0 --separate-stderr fvm run web -- sh -c "cat '$SCRATCH/ro/a'; ls -A '$SCRATCH/ro'; echo x >'$SCRATCH/ro/n' 2>&1 || echo refused"
	assert_eq "$output" $'a\na\nrefused' "the host's file, the hidden one absent, no write"
	[[ ! -e $SCRATCH/ro/n ]]
	# the layer stays, a lower of the VM's overlay: its work dir is never used
	local l
	l=$(find "$FVM_HOME/vms/web/layers" -maxdepth 1 -name "*%2Fro")
	[[ -n $l && -d $l/upper ]]
	run -0 find "$l/work" -mindepth 1
	assert_eq "$output" "" "the work dir of the read-only mount's layer is empty"
}

# ---- 2. policy paths are looked up again at each boot, following no symlink ----

@test "policies: a --share path whose parent became a symlink stops the boot, the other dir untouched" {
	mkdir -p "$SCRATCH/d/out" "$SCRATCH/other/out"
	share_owned "$SCRATCH/d/out"
	echo mine >"$SCRATCH/other/out/secret"
	fvm create --share "$SCRATCH/d/out" web
	run -0 --separate-stderr fvm run web -- sh -c "echo 1 >'$SCRATCH/d/out/f'"
	assert_eq "$(cat "$SCRATCH/d/out/f")" 1 "the share works"
	# the parent is swapped for a symlink to another directory
	mv "$SCRATCH/d" "$SCRATCH/d.old"
	ln -s other "$SCRATCH/d"
	# before: the boot followed it and shared $SCRATCH/other/out read-write
	run --separate-stderr fvm run web -- sh -c "echo pwned >'$SCRATCH/d/out/secret'"
	assert_status 125
	assert_contains "$stderr" "VM 'web': its policy --share $SCRATCH/d/out no longer holds: $SCRATCH/d is a symlink on the host now"
	assert_fvm_error
	assert_eq "$(cat "$SCRATCH/other/out/secret")" mine "the directory the symlink points to"
}

@test "policies: a --share path that became a symlink itself says so" {
	mkdir -p "$SCRATCH/out" "$SCRATCH/other"
	share_owned "$SCRATCH/out"
	fvm create --share "$SCRATCH/out" web
	rmdir "$SCRATCH/out"
	ln -s other "$SCRATCH/out"
	# before: "cannot share ...: Invalid argument"
	run --separate-stderr fvm run web -- true
	assert_status 125
	assert_contains "$stderr" "$SCRATCH/out is a symlink on the host now"
	assert_fvm_error
}

@test "policies: --hide through a symlink is refused at create, and at boot when one appears" {
	mkdir -p "$SCRATCH/real/keys" "$SCRATCH/d"
	echo secret >"$SCRATCH/real/keys/k"
	ln -s real "$SCRATCH/link"
	# before: accepted, and the VM read the file through the symlink
	run --separate-stderr fvm create --hide "$SCRATCH/link/keys" web
	assert_status 125
	assert_contains "$stderr" "--hide $SCRATCH/link/keys: $SCRATCH/link is a symlink on the host"
	assert_fvm_error
	# a hide whose last component is a symlink hides the link: fine
	ln -s real/keys "$SCRATCH/klink"
	fvm create --hide "$SCRATCH/klink" --hide "$SCRATCH/d/keys" web
	run -0 --separate-stderr fvm run web -- sh -c "[ -e '$SCRATCH/klink' ] || [ -L '$SCRATCH/klink' ] || echo hidden"
	assert_eq "$output" hidden
	# a component that becomes a symlink after create stops the boot
	rmdir "$SCRATCH/d"
	ln -s real "$SCRATCH/d"
	run --separate-stderr fvm run web -- cat "$SCRATCH/d/keys/k"
	assert_status 125
	assert_ne "$output" secret "the VM read what it should not see"
	assert_contains "$stderr" "its policy --hide $SCRATCH/d/keys no longer holds: $SCRATCH/d is a symlink on the host now"
}

@test "policies: --ro and --private through a symlink are refused at create" {
	mkdir -p "$SCRATCH/real/sub"
	ln -s real "$SCRATCH/link"
	run --separate-stderr fvm create --ro "$SCRATCH/link/sub" web
	assert_status 125
	assert_contains "$stderr" "$SCRATCH/link is a symlink on the host"
	run --separate-stderr fvm create --private "$SCRATCH/link/sub" web
	assert_status 125
	assert_contains "$stderr" "$SCRATCH/link is a symlink on the host"
}

# ---- 3. uid ranges are the machine's, not a store's ----

# registry_has BASE STORE NAME [FILE]: the uid range registry (FILE) records that VM
registry_has() {
	grep -qxF "$1"$'\t'"$2"$'\t'"$3" "${4:-${FVM_UID_REGISTRY:-/var/lib/fvm-idmap/ranges}}"
}

@test "uid ranges: VMs of two stores get different ranges, and fvm rm gives a range back" {
	is_root || skip "uid ranges are root mode's"
	local b a1 b1
	b=$(other_store store-b)
	fvm create a
	FVM_HOME=$b fvm create b
	a1=$(vm_field a .uid_base)
	b1=$(FVM_HOME=$b vm_field b .uid_base)
	# before: each store picked the lowest range free in itself: the same
	assert_ne "$a1" "$b1" "uid_base of VMs in two stores"
	registry_has "$a1" "$FVM_HOME" a
	registry_has "$b1" "$b" b
	fvm rm a
	run ! registry_has "$a1" "$FVM_HOME" a
	registry_has "$b1" "$b" b
}

@test "uid ranges: the registry is /var/lib/fvm-idmap/ranges by default" {
	is_root || skip "uid ranges are root mode's"
	local existed=0 base
	[[ -e /var/lib/fvm-idmap ]] && existed=1
	((existed)) || host_cleanup_add "rm -rf /var/lib/fvm-idmap"
	unset FVM_UID_REGISTRY
	fvm create a
	base=$(vm_field a .uid_base)
	assert_eq "$(stat -c %u:%a /var/lib/fvm-idmap)" 0:700 "owner and mode of the registry's directory"
	registry_has "$base" "$FVM_HOME" a
	fvm rm a
	run ! registry_has "$base" "$FVM_HOME" a
}

@test "uid ranges: a registry kept in the store's own directory has a lock of its own (no deadlock with the store's)" {
	is_root || skip "uid ranges are root mode's"
	# before: both locks were the store's "lock" file, and create waited on itself forever
	FVM_UID_REGISTRY=$FVM_HOME/ranges run -0 timeout 120 "$FVM" create a
	registry_has "$(FVM_UID_REGISTRY=$FVM_HOME/ranges vm_field a .uid_base)" "$FVM_HOME" a "$FVM_HOME/ranges"
	[[ -e $FVM_HOME/ranges.lock ]]
	FVM_UID_REGISTRY=$FVM_HOME/ranges run -0 timeout 120 "$FVM" rm a
}

# ---- 4. what a VM can read: no store of the machine, no host secret under untrusted ----

@test "stores: a VM of one store does not see another store's layers" {
	is_root || skip "root mode: a rootless VM reads only what its user may"
	local b
	b=$(other_store store-b)
	FVM_HOME=$b fvm create b
	FVM_HOME=$b fvm run b -- sh -c "echo b-secret >/root/b-file"
	[[ -n $(find "$b/vms/b/layers" -name b-file) ]]
	fvm create a
	# before: only the VM's own store and /var/lib/fvm were whited out
	run -0 --separate-stderr fvm run a -- sh -c "ls -A '$b' 2>&1; grep -r b-secret '$b' 2>/dev/null; echo end"
	assert_not_contains "$output" b-secret "store b's layer, from VM a"
	assert_match "$output" "No such file or directory" "store b from VM a"
	# its whiteout is fvm's, not a change of VM a's
	run -0 fvm diff a
	assert_not_contains "$output" "$b"
}

@test "stores: --profile untrusted hides the host's password hashes and SSH host keys" {
	local keys
	fvm create --profile untrusted u
	fvm create plain
	# gone (root mode: a whiteout) or empty (rootless, outside every
	# overlay: covered with /dev/null)
	run -0 --separate-stderr fvm run u -- sh -c "for f in /etc/shadow /etc/gshadow /etc/ssh/ssh_host_*_key; do [ -s \"\$f\" ] && echo \"seen \$f\"; done; echo end"
	assert_eq "$output" end "secrets the untrusted VM sees"
	if is_root; then
		# the default profile's root reads them: root mode is full copy-on-write
		run -0 --separate-stderr fvm run plain -- sh -c "head -c 4 /etc/shadow >/dev/null && echo readable"
		assert_eq "$output" readable "/etc/shadow in a default root-mode VM (the threat model says so)"
	fi
}

@test "stores: --profile untrusted hides other users' homes" {
	local other="" uid home
	while IFS=: read -r _ _ uid _ _ home _; do
		[[ $uid -ge 1000 && $uid -lt 60000 && -d $home && $home != "$HOME" && $HOME != "$home"/* ]] || continue
		[[ $(realpath "$home") == "$home" ]] || continue
		other=$home
		break
	done </etc/passwd
	[[ -n $other ]] || skip "no other login user with a home on this machine"
	fvm create --profile untrusted u
	# gone (a whiteout) or an empty cover
	run -0 --separate-stderr fvm run u -- sh -c "[ -n \"\$(ls -A '$other' 2>/dev/null)\" ] && echo seen; echo end"
	assert_eq "$output" end "another user's home $other, from an untrusted VM"
}

# ---- 5. other engines' mounts get no layer ----

@test "mounts: another engine's overlay and nsfs mounts get no layer; the VM sees the dir below" {
	is_root || skip "root mode: rootless cannot make a host mount"
	mkdir -p "$SCRATCH/ovl/lower" "$SCRATCH/ovl/upper" "$SCRATCH/ovl/work" "$SCRATCH/merged"
	echo engine >"$SCRATCH/ovl/lower/f"
	echo below >"$SCRATCH/merged/mine"
	test_mount -t overlay overlay -o "lowerdir=$SCRATCH/ovl/lower,upperdir=$SCRATCH/ovl/upper,workdir=$SCRATCH/ovl/work" "$SCRATCH/merged"
	mkdir "$SCRATCH/nsdir"
	echo below >"$SCRATCH/nsdir/mine"
	touch "$SCRATCH/nsdir/net"
	test_mount --bind /proc/self/ns/net "$SCRATCH/nsdir/net"
	fvm create web
	run -0 --separate-stderr fvm run web -- sh -c "ls '$SCRATCH/merged'; stat -c %s '$SCRATCH/nsdir/net'"
	# before: the engine's overlay was given a layer of its own (its
	# overlay then failed: an overlay cannot be idmapped)
	assert_eq "$output" $'mine\n0' "the VM's view of the engine's mount points"
	run -0 fvm inspect web
	assert_not_contains "$(jq -r '.[0].layers[].mount' <<<"$output")" "$SCRATCH/merged" "layers of the VM"
}
