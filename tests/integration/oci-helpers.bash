# SPDX-License-Identifier: LGPL-2.1-or-later
#
# oci-helpers.bash - what the oci-*.bats files share: fvm-oci's path, a
# busybox-static rootfs made offline, bundles, and engines (podman,
# containerd) run in a mount namespace of the test's own.
#
# Engines write outside their --root (podman: /dev/shm/libpod_lock and
# /var/lib/containers/cache; containerd and ctr: /run/containerd/s and
# /run/containerd/fifo). So each test that runs one starts a holder
# process in a private mount namespace with tmpfs over /dev/shm, /var/lib
# and /run (oci_ns_start), and runs every engine command in it through
# nsenter (in_ns); everything the engine left there goes with the
# namespace. Before that, the test checks in it that the engine left no
# container, process, mount or cgroup (oci_ns_stop).

load helpers

FVM_OCI=${FVM_OCI:-$(dirname "$FVM")/fvm-oci}
[[ -x $FVM_OCI ]] || FVM_OCI=$(dirname "$FVM")/../oci/fvm-oci   # a build tree

oci_setup() {
	fvm_setup
	[[ -x $FVM_OCI ]] || { echo "FVM_OCI=$FVM_OCI is not an executable" >&2; return 1; }
	OCI_NS_PID=
	OCI_CGROUPS=()
}

# oci_skip_unless CMD...: skip the test, naming what is missing
oci_skip_unless() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed (scripts/deps installs it)"
	done
	# ldd fails on a static program: it runs in a rootfs without libraries
	[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		skip "/bin/busybox is not busybox-static (scripts/deps installs busybox-static)"
}

# oci_rootfs DIR: a busybox-static root file system in DIR
oci_rootfs() {
	local d=$1 a
	mkdir -p "$d"/{bin,proc,sys,dev,etc,tmp,root,run}
	cp /bin/busybox "$d/bin/busybox"
	for a in $("$d/bin/busybox" --list); do
		[[ $a == busybox ]] || ln -sf busybox "$d/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
	echo "fvm-test image" >"$d/etc/issue"
}

# oci_bundle DIR [JQ-FILTER]: a bundle with `runc spec`'s config.json
# (the reference runtime's own default), changed by JQ-FILTER
oci_bundle() {
	local d=$1 filter=${2:-.}
	oci_rootfs "$d/rootfs"
	(cd "$d" && runc spec) || return 1
	jq "$filter" "$d/config.json" >"$d/config.json.new" && mv "$d/config.json.new" "$d/config.json"
}

# oci_ns_start: the holder of the test's mount namespace (see above)
oci_ns_start() {
	unshare --mount --propagation private -- sh -c '
		mount -t tmpfs -o mode=1777 oci-shm /dev/shm &&
		mount -t tmpfs -o mode=755 oci-varlib /var/lib && mkdir /var/lib/containers &&
		mount -t tmpfs -o mode=755 oci-run /run &&
		echo ready && exec sleep 100000' >"$TEST_ROOT/ns.out" 2>&1 </dev/null 3>&- &
	OCI_NS_PID=$!
	bg_track "$OCI_NS_PID"
	wait_for 10 grep -qs ready "$TEST_ROOT/ns.out" || { cat "$TEST_ROOT/ns.out" >&2; return 1; }
	# the holder is the child of unshare's sh -c, which exec'd: the same pid
}

# in_ns CMD...: CMD in the test's mount namespace, killed if it hangs
in_ns() {
	timeout -k 5 "${FVM_CMD_TIMEOUT:-60}" nsenter -t "$OCI_NS_PID" -m -- "$@" 3>&-
}

# oci_cgroup_parent NAME [ENGINE-OWN]: the engine puts the containers'
# cgroups below NAME (podman libpod_parent, containerd default): after the
# test no cgroup may be left below it but ENGINE-OWN (podman's conmon
# cgroup is podman's, not the runtime's); NAME itself is removed in the
# end if it did not exist before the test.
oci_cgroup_parent() {
	local d made=1
	for d in /sys/fs/cgroup/*/"$1"; do
		[[ -d $d ]] && made=0
	done
	OCI_CGROUPS+=("$1:${2-}:$made")
}

# oci_cgroups_left: cgroups left below the parents
oci_cgroups_left() {
	local c name own
	for c in "${OCI_CGROUPS[@]}"; do
		IFS=: read -r name own _ <<<"$c"
		find /sys/fs/cgroup/*/"$name" -mindepth 1 -maxdepth 1 -type d \
			${own:+! -name "$own"} 2>/dev/null
	done
	return 0
}

# oci_cgroups_clean: remove the parents the test made (the engine's own
# cgroups below them empty out a moment after its last process exits)
oci_cgroups_clean() {
	local c name own made
	for c in "${OCI_CGROUPS[@]}"; do
		IFS=: read -r name own made <<<"$c"
		((made)) || continue
		wait_for 10 cgroup_tree_gone "$name" ||
			echo "note: engine cgroups below $name are still busy" >&2
	done
	return 0
}

# cgroup_tree_gone NAME: rmdir NAME (deepest first) in every hierarchy; all gone?
cgroup_tree_gone() {
	local d left=0
	for d in /sys/fs/cgroup/*/"$1"; do
		[[ -d $d ]] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[[ -d $d ]] && left=1
	done
	((left == 0))
}

# oci_processes_left: processes whose command line names the test's root
oci_processes_left() {
	local p cmd
	for p in /proc/[0-9]*; do
		[[ ${p#/proc/} == "$OCI_NS_PID" ]] && continue
		cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
		[[ $cmd == *"$TEST_ROOT"* ]] && echo "${p#/proc/}: $cmd"
	done
	return 0
}

# oci_ns_state_empty: fvm-oci's default state root in the test's namespace is empty
oci_ns_state_empty() {
	[[ -z $(in_ns ls -A /run/fvm-oci 2>/dev/null) ]]
}

# oci_state_left ROOT: containers fvm-oci still has in state root ROOT
oci_state_left() {
	[[ -d $1 ]] && ls -A "$1"
	return 0
}

# oci_teardown [STATE-ROOT...]: fail the test on anything left, then clean
oci_teardown() {
	local fail=0 left r
	if [[ -n $OCI_NS_PID ]]; then
		left=$(in_ns findmnt -rn -o TARGET | grep -F "$TEST_ROOT" || true)
		if [[ -n $left ]]; then
			echo "LEFTOVER mounts in the engine's namespace:" >&2
			echo "$left" >&2
			fail=1
			in_ns sh -c "findmnt -rn -o TARGET | grep -F '$TEST_ROOT' | sort -r | xargs -r -n1 umount -l" || true
		fi
	fi
	left=$(oci_processes_left)
	if [[ -n $left ]]; then
		echo "LEFTOVER processes: $left" >&2
		fail=1
		for r in $(echo "$left" | cut -d: -f1); do kill -KILL "$r" 2>/dev/null || true; done
	fi
	for r in "$@"; do
		left=$(oci_state_left "$r")
		[[ -z $left ]] || { echo "LEFTOVER containers in $r: $left" >&2; fail=1; }
	done
	left=$(oci_cgroups_left)
	if [[ -n $left ]]; then
		echo "LEFTOVER cgroups: $left" >&2
		fail=1
	fi
	oci_cgroups_clean
	fvm_teardown || fail=1
	return "$fail"
}

