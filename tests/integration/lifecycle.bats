#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lifecycle.bats - help and version output, then create / ls / inspect / rm
# of stopped VMs: what lands in the store and what the commands print.

load helpers

@test "help: --help, -h, help CMD and CMD --help print usage on stdout, exit 0" {
	run -0 --separate-stderr fvm --help
	assert_contains "$output" "run"
	assert_contains "$output" "create"
	run -0 --separate-stderr fvm -h
	assert_contains "$output" "inspect"
	for cmd in create run exec start stop ps ls inspect rm; do
		run -0 --separate-stderr fvm help "$cmd"
		assert_contains "$output" "$cmd" "fvm help $cmd"
		run -0 --separate-stderr fvm "$cmd" --help
		assert_contains "$output" "$cmd" "fvm $cmd --help"
	done
}

@test "version: fvm --version prints a version number" {
	run -0 --separate-stderr fvm --version
	assert_match "$output" '[0-9]+\.[0-9]+' "a version number"
}

@test "usage errors: unknown command and unknown option exit 125 with an fvm: message" {
	run -125 --separate-stderr fvm frobnicate
	assert_fvm_usage_error
	assert_contains "$stderr" frobnicate
	run -125 --separate-stderr fvm create --no-such-option web
	assert_fvm_usage_error
	assert_contains "$stderr" --no-such-option
	assert_not_exists "$FVM_HOME/vms/web"
}

@test "create: makes STORE/vms/NAME with a config.json, VM listed as stopped" {
	local before after
	before=$(date +%s)
	run -0 --separate-stderr fvm create web
	after=$(date +%s)
	assert_exists "$FVM_HOME/vms/web/config.json"
	jq -e . "$FVM_HOME/vms/web/config.json" >/dev/null

	assert_eq "$(jq -r .name "$FVM_HOME/vms/web/config.json")" web "config name"
	local created
	created=$(jq -r .created "$FVM_HOME/vms/web/config.json")
	assert_match "$created" '^[0-9]+$' "created is unix time"
	((created >= before - 1 && created <= after + 1)) || { echo "created=$created not in [$before,$after]" >&2; false; }
	if is_root; then
		assert_eq "$(jq -r .mode "$FVM_HOME/vms/web/config.json")" root "mode"
	else
		assert_eq "$(jq -r .mode "$FVM_HOME/vms/web/config.json")" rootless "mode"
	fi

	run -0 fvm ls -q
	assert_eq "$output" web "ls -q"
	assert_eq "$(vm_state web)" stopped "state in ls"
}

@test "create: an existing name is refused with 125 and the VM is left as it was" {
	fvm create web
	local sum
	sum=$(sha256sum <"$FVM_HOME/vms/web/config.json")
	run -125 --separate-stderr fvm create --net host web
	assert_fvm_error
	assert_contains "$stderr" "'web'"
	assert_eq "$(sha256sum <"$FVM_HOME/vms/web/config.json")" "$sum" "config untouched"
}

@test "create: --net and --hostname are recorded and shown by inspect" {
	fvm create --net host --hostname box.example web
	fvm create --net none db
	assert_eq "$(jq -r .net "$FVM_HOME/vms/web/config.json")" host "config net"
	assert_eq "$(jq -r .hostname "$FVM_HOME/vms/web/config.json")" box.example "config hostname"
	assert_eq "$(vm_field web .net)" host "inspect net"
	assert_eq "$(vm_field web .hostname)" box.example "inspect hostname"
	assert_eq "$(vm_field db .net)" none "inspect net"
	assert_eq "$(vm_field db .hostname)" db "default hostname is the VM name"
}

@test "inspect: a JSON array with one object per VM, with the contract's fields" {
	fvm create web
	fvm create db
	run -0 --separate-stderr fvm inspect web db
	local json=$output
	assert_eq "$(jq -r 'length' <<<"$json")" 2 "two objects"
	assert_eq "$(jq -r '.[0].name, .[1].name' <<<"$json" | tr '\n' ' ')" "web db " "names in order"
	assert_eq "$(jq -r '.[0].state' <<<"$json")" stopped "state"
	local f
	for f in name created state init_pid net hostname mode layers; do
		jq -e --arg f "$f" '.[0] | has($f)' <<<"$json" >/dev/null ||
			{ echo "inspect lacks field $f: $json" >&2; false; }
	done
	# The store path is given; it is this test's store.
	assert_contains "$json" "$FVM_HOME" "inspect names the store path"
	if is_root; then
		assert_eq "$(jq -r '.[0].mode' <<<"$json")" root
		local base count
		base=$(jq -r '.[0].uid_base' <<<"$json")
		count=$(jq -r '.[0].uid_count' <<<"$json")
		assert_match "$base" '^[0-9]+$' "uid_base"
		((base >= FVM_UID_FLOOR)) || { echo "uid_base $base < $FVM_UID_FLOOR" >&2; false; }
		assert_eq "$count" 65536 "uid_count"
	else
		assert_eq "$(jq -r '.[0].mode' <<<"$json")" rootless
	fi
}

@test "inspect: layers have a mount and an upper inside STORE/vms/NAME/layers" {
	fvm create web
	fvm run web -- true
	run -0 --separate-stderr fvm inspect web
	local n
	n=$(jq -r '.[0].layers | length' <<<"$output")
	((n >= 1)) || { echo "no layers: $output" >&2; false; }
	# every upper is STORE/vms/web/layers/ESC(mount)/upper
	local mount upper
	while IFS=$'\t' read -r mount upper; do
		assert_eq "$upper" "$FVM_HOME/vms/web/layers/$(sed 's/%/%25/g; s|/|%2F|g' <<<"$mount")/upper" \
			"upper of the layer for $mount"
		[[ -d $upper ]] || { echo "upper $upper is not a directory" >&2; false; }
	done < <(jq -r '.[0].layers[] | [.mount, .upper] | @tsv' <<<"$output")
	if is_root; then
		jq -e '.[0].layers | any(.mount == "/")' <<<"$output" >/dev/null ||
			{ echo "root mode: no layer for /: $output" >&2; false; }
	else
		jq -e '.[0].layers | any(.mount == "/tmp")' <<<"$output" >/dev/null ||
			{ echo "rootless: no layer for /tmp: $output" >&2; false; }
	fi
}

@test "ls: --json is valid JSON naming every VM; -q prints names only" {
	fvm create web
	fvm create db
	run -0 --separate-stderr fvm ls --json
	jq -e . <<<"$output" >/dev/null || { echo "not JSON: $output" >&2; false; }
	assert_contains "$output" '"web"'
	assert_contains "$output" '"db"'
	run -0 --separate-stderr fvm ls -q
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "db web " "ls -q"
	run -0 --separate-stderr fvm ls
	assert_contains "$output" "web"
	assert_contains "$output" "stopped"
}

@test "ls: an empty store lists nothing" {
	run -0 --separate-stderr fvm ls -q
	assert_eq "$output" "" "no VMs"
}

@test "rm: removes the VM's directory and the VM from ls" {
	fvm create web
	fvm create db
	fvm run web -- sh -c 'echo x > /tmp/fvm-rm-test'
	run -0 --separate-stderr fvm rm web
	assert_not_exists "$FVM_HOME/vms/web"
	assert_exists "$FVM_HOME/vms/db/config.json"
	run -0 fvm ls -q
	assert_eq "$output" db "only db is left"
}

@test "rm: several names at once" {
	fvm create a1
	fvm create a2
	run -0 --separate-stderr fvm rm a1 a2
	assert_not_exists "$FVM_HOME/vms/a1"
	assert_not_exists "$FVM_HOME/vms/a2"
}
