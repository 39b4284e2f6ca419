#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# subids.bats - a rootless VM with the user's subordinate ids (--ids sub):
# VM id 0 is the user's, 1..65535 the user's range of /etc/subuid and
# /etc/subgid, mapped by newuidmap/newgidmap. Inside: chown, setpriv and su
# to other users, apt dropping to _apt (apt-get update from a local file:
# repository, then install). On the host: diff, commit, discard, export,
# snapshot, clone, restore and rm of files owned by those ids work and leave
# nothing behind; commit lands every file as the user's, never set-id.
# Attacks: the VM cannot rewrite its maps, map or become an id outside its
# range, and nothing of the layer is owned by an id outside the user's.
#
# The rootless run is the one that tests it (scripts/test's useradd gives
# the test user a range); as root every VM already has a range of its own,
# so the root run checks only the errors of a user without a range (as
# uid 65534, which has none).

load helpers

NOBODY=65534

# the first id of the test user's range in /etc/FILE ("subuid"/"subgid"), by name or uid
subid_start() {
	awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) && $3 >= 65536 { print $2; exit }' "/etc/$1"
}

sub_only() {
	is_root && skip "rootless: as root every VM has a range of 65,536 host ids of its own (root.bats); the rootless run tests --ids sub"
	[[ -n $(subid_start subuid) && -n $(subid_start subgid) ]] ||
		skip "user $(id -un) has no range of 65536 in /etc/subuid and /etc/subgid (scripts/test's useradd gives one)"
	[[ -u /usr/bin/newuidmap && -u /usr/bin/newgidmap ]] || skip "newuidmap/newgidmap are not set-uid (scripts/deps installs uidmap)"
	SUBUID=$(subid_start subuid)
	SUBGID=$(subid_start subgid)
}

# foreign_owned DIR: entries below DIR owned by a uid or gid that is neither
# the user's nor in the user's range ("PATH UID:GID" lines)
foreign_owned() {
	find "$1" -printf '%U %G %p\n' 2>/dev/null |
		awk -v u="$(id -u)" -v g="$(id -g)" -v su="$SUBUID" -v sg="$SUBGID" '
			!(($1 == u || ($1 >= su && $1 < su + 65536)) && ($2 == g || ($2 >= sg && $2 < sg + 65536))) { print $3, $1 ":" $2 }'
}

@test "--ids sub: the VM's maps are the user's uid and subordinate range; inspect shows them" {
	sub_only
	run -0 fvm create --ids sub v
	assert_eq "$(vm_field v .ids)" sub
	assert_eq "$(vm_field v .subuid)" "$SUBUID"
	assert_eq "$(vm_field v .subgid)" "$SUBGID"
	run -0 --separate-stderr fvm run v -- sh -c 'cat /proc/self/uid_map; echo; cat /proc/self/gid_map'
	assert_eq "$(echo "$output" | awk '{ print $1, $2, $3 }')" \
		"0 $(id -u) 1"$'\n'"1 $SUBUID 65535"$'\n'"  "$'\n'"0 $(id -g) 1"$'\n'"1 $SUBGID 65535" "uid_map, gid_map"
	# the default is today's single id
	run -0 fvm create d
	assert_eq "$(vm_field d .ids)" single
	run -0 --separate-stderr fvm run d -- cat /proc/self/uid_map
	assert_eq "$(echo "$output" | awk '{ print $1, $2, $3 }')" "0 $(id -u) 1"
	# auto: sub where the user has a range, no note
	run -0 fvm create --ids auto a
	assert_eq "$(vm_field a .ids)" sub
	assert_eq "$(vm_field a .ids_note)" null
}

@test "--ids is fixed at create: fvm config refuses it; a bad value is a usage error" {
	sub_only
	run -0 fvm create --ids single v
	run -125 --separate-stderr fvm config --ids sub v
	assert_contains "$stderr" "fixed when it is created"
	assert_eq "$(vm_field v .ids)" single
	run -125 --separate-stderr fvm create --ids many w
	assert_contains "$stderr" "bad --ids 'many'"
}

@test "--ids sub: chown to other ids and setpriv to another user work inside" {
	sub_only
	fvm create --ids sub v
	run -0 --separate-stderr fvm run v -- sh -c "
		cd $SCRATCH && echo hi > f && chown 42:42 f && stat -c '%u:%g' f
		setpriv --reuid 42 --regid 42 --clear-groups id -u
		setpriv --reuid _apt --regid nogroup --init-groups id -un
		setpriv --reuid 1000 --regid 1000 --clear-groups sh -c 'echo x > /tmp/mine && stat -c %u /tmp/mine'"
	assert_eq "$output" $'42:42\n42\n_apt\n1000'
	# on the host: the VM's 42 is the range's 42nd id, in the VM's layer only
	assert_not_exists "$SCRATCH/f"
	run -0 fvm diff v
	assert_contains "$output" "A  $SCRATCH/f"
	assert_eq "$(stat -c %u:%g "$(layer_upper v "$SCRATCH")/f")" "$((SUBUID + 41)):$((SUBGID + 41))"
	assert_eq "$(foreign_owned "$FVM_HOME")" ""
}

# make_repo DIR: a flat apt repository of one package fvm-hello, made offline
make_repo() {
	mkdir -p "$1/pkg/DEBIAN" "$1/repo"
	printf 'Package: fvm-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: fvm tests <t@example.invalid>\nDescription: a test package\n' \
		>"$1/pkg/DEBIAN/control"
	dpkg-deb --build "$1/pkg" "$1/repo/fvm-hello_1.0_all.deb" >/dev/null
	(
		cd "$1/repo" || exit 1
		dpkg-deb -f fvm-hello_1.0_all.deb
		echo "Filename: ./fvm-hello_1.0_all.deb"
		echo "Size: $(stat -c %s fvm-hello_1.0_all.deb)"
		echo "SHA256: $(sha256sum fvm-hello_1.0_all.deb | cut -d' ' -f1)"
		echo
	) >"$1/repo/Packages" || return 1
	gzip -k "$1/repo/Packages"
	echo "deb [trusted=yes] file:$1/repo ./" >"$1/src.list"
}

@test "--ids sub: apt-get update drops to _apt (no -o APT::Sandbox::User=root), then install" {
	sub_only
	command -v dpkg-deb >/dev/null || skip "no dpkg-deb"
	make_repo "$SCRATCH"
	local a="-o Dir::State::Lists=$SCRATCH/lists -o Dir::Cache=$SCRATCH/cache -o Dir::Etc::SourceList=$SCRATCH/src.list -o Dir::Etc::SourceParts=$SCRATCH/none"
	local prep="mkdir -p $SCRATCH/lists/partial $SCRATCH/cache/archives/partial"
	fvm create --ids sub v
	run -0 fvm run v -- sh -c "$prep && apt-get $a update 2>&1 && stat -c '%U %a' $SCRATCH/lists/partial"
	assert_not_contains "$output" "unsandboxed" "apt's download ran as _apt"
	assert_not_contains "$output" "setgroups"
	assert_contains "$output" "_apt 700"
	run -0 fvm run v -- sh -c "apt-get $a install -y --no-download -o Dir::Cache::archives=$SCRATCH/repo fvm-hello 2>&1 | tail -5; dpkg -s fvm-hello | sed -n 2p"
	assert_contains "$output" "Setting up fvm-hello (1.0)"
	assert_contains "$output" "Status: install ok installed"
	# the host's package database is untouched
	run ! dpkg -s fvm-hello
	# the same with one id: apt cannot drop to _apt (what --ids sub is for)
	fvm create --ids single w
	run ! fvm run w -- sh -c "$prep && apt-get $a update 2>&1"
	assert_contains "$output" "setgroups"
}

@test "--ids sub: diff, export, commit, discard and rm of files of other ids work and leave nothing" {
	sub_only
	fvm create --ids sub v
	fvm run v -- sh -c "
		cd $SCRATCH && mkdir d e && echo secret > d/f && chmod 600 d/f && cp /bin/true d/suid &&
		mkdir -p e/g && echo y > e/g/h && chown -R 42:42 d && chown -R 43:43 e &&
		chmod 4755 d/suid && chmod 700 d e e/g && cp /bin/true rootsuid && chmod 4755 rootsuid"
	run -0 fvm diff v
	assert_contains "$output" "A  $SCRATCH/d/f"
	assert_contains "$output" "A  $SCRATCH/e/g/h"
	# export carries the VM's ids, never the host's subordinate ones
	fvm export v >"$TEST_ROOT/v.tar"
	run -0 tar tvf "$TEST_ROOT/v.tar"
	assert_match "$output" "-rw------- 42/42 +7 [^"$'\n'"]* ${SCRATCH#/}/d/f"
	assert_match "$output" "-rwsr-xr-x 0/0 [^"$'\n'"]* ${SCRATCH#/}/rootsuid"
	# commit: every file lands as the user's; a set-uid file of VM uid 42 never set-uid
	run -0 fvm commit -y --allow-setid v "$SCRATCH/d" "$SCRATCH/rootsuid"
	assert_eq "$(stat -c '%u:%g %a' "$SCRATCH/d" "$SCRATCH/d/f" "$SCRATCH/d/suid" "$SCRATCH/rootsuid")" \
		"$(id -u):$(id -g) 700"$'\n'"$(id -u):$(id -g) 600"$'\n'"$(id -u):$(id -g) 755"$'\n'"$(id -u):$(id -g) 4755"
	assert_eq "$(cat "$SCRATCH/d/f")" secret
	# discard: the rest goes from the layer
	run -0 fvm discard -y v "$SCRATCH/e"
	run -0 fvm diff v
	assert_eq "$output" ""
	assert_eq "$(find "$(layer_upper v "$SCRATCH")" -mindepth 1)" ""
	# rm: the whole VM goes, files of other ids included
	fvm run v -- sh -c "mkdir -p $SCRATCH/k/l && echo z > $SCRATCH/k/l/m && chown -R 44:44 $SCRATCH/k && chmod -R go-rwx $SCRATCH/k"
	run -0 fvm rm v
	assert_eq "$(ls -A "$FVM_HOME/vms")" ""
	assert_eq "$(find "$FVM_HOME" -mindepth 1 -not -name lock -not -path "$FVM_HOME/vms" -not -path "$FVM_HOME/layers")" ""
}

@test "--ids sub: snapshot, clone, restore and rm of layers with files of other ids" {
	sub_only
	fvm create --ids sub v
	fvm run v -- sh -c "mkdir -p $SCRATCH/k/l && echo one > $SCRATCH/k/l/m && chown -R 44:44 $SCRATCH/k && chmod -R go-rwx $SCRATCH/k"
	run -0 fvm snapshot v s1
	fvm run v -- sh -c "echo two > $SCRATCH/k/l/m"
	run -0 fvm clone v w
	run -0 --separate-stderr fvm run w -- sh -c "cat $SCRATCH/k/l/m; stat -c %u $SCRATCH/k/l/m"
	assert_eq "$output" $'two\n44'
	run -0 fvm restore v s1
	run -0 --separate-stderr fvm run v -- cat "$SCRATCH/k/l/m"
	assert_eq "$output" one
	assert_eq "$(foreign_owned "$FVM_HOME")" ""
	run -0 fvm rm v
	run -0 fvm rm w
	assert_eq "$(ls -A "$FVM_HOME/vms")" ""
	assert_eq "$(find "$FVM_HOME/layers" -mindepth 1 2>/dev/null)" ""
}

@test "attack --ids sub: the VM cannot rewrite its maps, nor map or become an id outside its range" {
	sub_only
	fvm create --ids sub --seccomp allow-userns v
	# its own maps are written once, by the host
	run ! fvm run v -- sh -c 'echo "0 0 4294967295" > /proc/self/uid_map'
	run ! fvm run v -- sh -c 'echo deny > /proc/self/setgroups'
	# no id beyond 65535 exists in it: setuid to one fails
	run ! fvm run v -- setpriv --reuid 70000 --regid 70000 --clear-groups true
	# a nested user namespace can only map ids of the VM's range
	run -0 fvm run v -- sh -c '
		unshare --user sleep 30 & p=$!
		while [ "$(readlink /proc/$p/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.05; done
		echo "0 70000 1" > /proc/$p/uid_map 2>/dev/null && echo MAPPED-OUTSIDE
		echo "0 42 1" > /proc/$p/uid_map && echo mapped-inside
		kill $p'
	assert_not_contains "$output" MAPPED-OUTSIDE
	assert_contains "$output" mapped-inside
	# whatever the VM does, the layer holds only the user's ids
	fvm run v -- sh -c "cd $SCRATCH && for i in 1 1000 65534 65535; do touch f\$i; chown \$i:\$i f\$i; done; chown 4294967294 f1 2>/dev/null; true"
	assert_eq "$(stat -c %u "$(layer_upper v "$SCRATCH")/f65535")" "$((SUBUID + 65534))"
	assert_eq "$(foreign_owned "$FVM_HOME")" ""
	# committed, none is another host user's
	run -0 fvm commit -y v
	for i in 1 1000 65534 65535; do
		assert_eq "$(stat -c %u:%g "$SCRATCH/f$i")" "$(id -u):$(id -g)" "f$i committed"
	done
}

@test "--ids sub without a range in /etc/subuid: create fails naming the file and the fix; auto is single, and inspect says why" {
	is_root || skip "needs a user without subordinate ids: the root run tests it as uid $NOBODY"
	grep -qE "^(nobody|$NOBODY):" /etc/subuid && skip "uid $NOBODY has subordinate ids here"
	local home=$TEST_ROOT/nhome
	mkdir -p "$home/store"
	chown -R "$NOBODY:$NOBODY" "$home"
	as_nobody() {
		setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups \
			env -C / HOME="$home" FVM_HOME="$home/store" timeout 60 "$FVM" "$@"
	}
	run -125 --separate-stderr as_nobody create --ids sub v
	assert_contains "$stderr" "/etc/subuid has no entry for user nobody ($NOBODY)"
	assert_contains "$stderr" "usermod --add-subuids"
	assert_contains "$stderr" "--ids single"
	assert_not_exists "$home/store/vms/v"
	run -0 as_nobody create --ids auto a
	run -0 as_nobody inspect a
	assert_eq "$(echo "$output" | jq -r '.[0].ids')" single
	assert_contains "$(echo "$output" | jq -r '.[0].ids_note')" "--ids auto took single: /etc/subuid has no entry for user nobody"
	run -0 as_nobody rm a
}

@test "--ids sub: a range under 65536 ids, or a newuidmap that is not set-uid: create fails naming the file and the fix" {
	is_root || skip "needs a private mount namespace with another /etc/subuid and newuidmap: the root run tests it as uid $NOBODY"
	local home=$TEST_ROOT/nhome
	mkdir -p "$home/store"
	chown -R "$NOBODY:$NOBODY" "$home"
	echo "nobody:300000:1000" >"$TEST_ROOT/subuid.small"
	echo "$NOBODY:300000:65536" >"$TEST_ROOT/subuid.ok"
	cp /usr/bin/newuidmap "$TEST_ROOT/newuidmap.plain"
	chmod 0755 "$TEST_ROOT/newuidmap.plain"
	# ns_create SUBUID NEWUIDMAP [IDS [NAME]]: fvm create --ids IDS (sub) NAME (v)
	# as uid 65534, in a private mount namespace where /etc/subuid and
	# /etc/subgid are SUBUID and /usr/bin/newuidmap is NEWUIDMAP (the host's
	# files stay as they are)
	ns_create() {
		unshare --mount --propagation private -- bash -c '
			set -e
			mount --bind "$1" /etc/subuid
			mount --bind "$1" /etc/subgid
			mount --bind "$2" /usr/bin/newuidmap
			exec setpriv --reuid "$3" --regid "$3" --clear-groups \
				env -C / HOME="$4" FVM_HOME="$4/store" timeout 60 "$5" create --ids "$6" "$7"' _ \
			"$1" "$2" "$NOBODY" "$home" "$FVM" "${3:-sub}" "${4:-v}"
	}
	run -125 --separate-stderr ns_create "$TEST_ROOT/subuid.small" /usr/bin/newuidmap
	assert_contains "$stderr" "/etc/subuid gives user nobody ($NOBODY) 1000 subordinate ids, fewer than the 65536"
	assert_contains "$stderr" "usermod --add-subuids"
	run -125 --separate-stderr ns_create "$TEST_ROOT/subuid.ok" "$TEST_ROOT/newuidmap.plain"
	assert_contains "$stderr" "/usr/bin/newuidmap is not a set-uid root program"
	assert_contains "$stderr" "package uidmap"
	assert_not_exists "$home/store/vms/v"
	# auto falls back to single there, and records why
	run -0 ns_create "$TEST_ROOT/subuid.ok" "$TEST_ROOT/newuidmap.plain" auto a
	assert_eq "$(jq -r .ids "$home/store/vms/a/config.json")" single
	assert_contains "$(jq -r .ids_note "$home/store/vms/a/config.json")" "newuidmap is not a set-uid root program"
	# the same files with the real newuidmap: the VM is made, with that range
	run -0 ns_create "$TEST_ROOT/subuid.ok" /usr/bin/newuidmap
	assert_eq "$(jq -r '.ids, .subuid' "$home/store/vms/v/config.json")" $'sub\n300000'
}
