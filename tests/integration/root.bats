#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# root.bats - root mode only (skipped for other users): root in the VM is
# an unprivileged uid from the VM's own range on the host; it can write
# /etc and /usr through copy-up, and the host's /etc and /usr stay as
# they were; each VM gets its own uid range.

load helpers

setup() {
	is_root || skip "root mode: run the suite as root"
	fvm_setup
	ETC_FILE=/etc/fvm-test-$TEST_ID
	USR_FILE=/usr/fvm-test-$TEST_ID
	# should isolation fail, these names are ours alone: remove them again
	host_cleanup_add "rm -f '$ETC_FILE' '$USR_FILE'"
	[[ ! -e $ETC_FILE && ! -e $USR_FILE ]]
}

teardown() {
	is_root || return 0
	fvm_teardown
}

# host_uid PID: the real uid of a host process
host_uid() {
	awk '/^Uid:/ { print $2 }' "/proc/$1/status"
}

@test "root mode: uid 0 inside, a uid >= 2^30 from the VM's range on the host" {
	fvm create web
	run -0 --separate-stderr fvm run web -- id -u
	assert_eq "$output" 0 "id -u inside"
	local base count
	base=$(vm_field web .uid_base)
	count=$(vm_field web .uid_count)
	((base >= FVM_UID_FLOOR)) || { echo "uid_base $base" >&2; false; }

	fvm_start web
	"$FVM" exec web -- sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 bash -c 'exec 3>&-; "$FVM" ps web | grep -q "sleep 1000"'
	local pid uid
	pid=$(fvm ps web | awk '$4 == "sleep" && $5 == "1000" { print $3 }')
	uid=$(host_uid "$pid")
	assert_eq "$uid" "$base" "host uid of the VM's root process"
	uid=$(host_uid "$(init_pid web)")
	((uid >= base && uid < base + count)) || { echo "init's host uid $uid outside [$base, $base+$count)" >&2; false; }
}

@test "root mode: a VM user maps to uid_base + uid on the host" {
	fvm create web
	fvm_start web
	"$FVM" exec --user 1000 web -- sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	bg_track $!
	wait_for 10 bash -c 'exec 3>&-; "$FVM" ps web | grep -q "sleep 1000"'
	local pid base
	pid=$(fvm ps web | awk '$4 == "sleep" && $5 == "1000" { print $3 }')
	base=$(vm_field web .uid_base)
	assert_eq "$(host_uid "$pid")" "$((base + 1000))" "host uid of VM uid 1000"
}

@test "root mode: the VM writes /etc and /usr; the host's stay untouched" {
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$ETC_FILE" create etc-data
	assert_eq "$output" ok "create $ETC_FILE inside"
	run -0 --separate-stderr fvm run web -- "$PROBE" open "$USR_FILE" create usr-data
	assert_eq "$output" ok "create $USR_FILE inside"
	run -0 --separate-stderr fvm run web -- cat "$ETC_FILE"
	assert_eq "$output" etc-data "the VM reads $ETC_FILE back in a later run"
	run -0 --separate-stderr fvm run web -- cat "$USR_FILE"
	assert_eq "$output" usr-data "the VM reads $USR_FILE back in a later run"
	assert_not_exists "$ETC_FILE"
	assert_not_exists "$USR_FILE"
	assert_eq "$(cat "$(layer_upper web "$ETC_FILE")")" etc-data "in the layer"
}

@test "root mode: a root-owned host file is copied up, owned by the VM's root" {
	echo host >"$SCRATCH/rootfile"
	chmod 600 "$SCRATCH/rootfile"
	fvm create web
	run -0 --separate-stderr fvm run web -- stat -c %u:%g "$SCRATCH/rootfile"
	assert_eq "$output" 0:0 "a host root file is root's inside"
	run -0 --separate-stderr fvm run web -- sh -c "echo vm >> '$SCRATCH/rootfile'"
	assert_eq "$(cat "$SCRATCH/rootfile")" host "host file"
	local upper base
	upper=$(layer_upper web "$SCRATCH/rootfile")
	base=$(vm_field web .uid_base)
	assert_eq "$(stat -c %u "$upper")" "$base" "layer file owned by uid_base"
	assert_eq "$(stat -c %a "$upper")" 600 "mode kept"
}

@test "root mode: files a VM user writes land in the layer owned by uid_base + uid" {
	host_cleanup_add "rm -f /tmp/fvm-own-$TEST_ID"
	fvm create web
	run -0 --separate-stderr fvm run --user 1000:1000 web -- sh -c "echo u > /tmp/fvm-own-$TEST_ID"
	local upper base
	upper=$(layer_upper web "/tmp/fvm-own-$TEST_ID")
	base=$(vm_field web .uid_base)
	assert_eq "$(stat -c %u:%g "$upper")" "$((base + 1000)):$((base + 1000))" "owner in the layer"
	assert_not_exists "/tmp/fvm-own-$TEST_ID"
}

@test "root mode: two VMs get disjoint uid ranges" {
	fvm create web
	fvm create db
	local b1 b2 c1 c2
	b1=$(vm_field web .uid_base)
	b2=$(vm_field db .uid_base)
	c1=$(vm_field web .uid_count)
	c2=$(vm_field db .uid_count)
	assert_ne "$b1" "$b2" "uid_base"
	((b1 + c1 <= b2 || b2 + c2 <= b1)) || { echo "ranges overlap: $b1+$c1, $b2+$c2" >&2; false; }
	((b1 >= FVM_UID_FLOOR && b2 >= FVM_UID_FLOOR))
	# a removed VM's range is not handed to a VM that exists
	fvm rm web
	fvm create web2
	local b3
	b3=$(vm_field web2 .uid_base)
	assert_ne "$b3" "$b2" "new VM vs existing VM"
}

@test "root mode: root in the VM is not root on the host" {
	fvm create web
	run -0 --separate-stderr fvm run web -- "$PROBE" open /proc/sys/vm/drop_caches w
	assert_match "$output" '^errno=(EACCES|EROFS|EPERM)$' "host kernel knob /proc/sys/vm/drop_caches"
	run -0 --separate-stderr fvm run web -- "$PROBE" open /sys/kernel/mm/transparent_hugepage/enabled w
	assert_match "$output" '^errno=(EACCES|EROFS|EPERM|ENOENT)$' "/sys is read-only"
	run --separate-stderr fvm run web -- mknod "/tmp/fvm-null-$TEST_ID" c 1 3
	assert_ne "$status" 0 "mknod of a device node"
}
