#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# names.bats - VM name validation: bad names are refused with exit 125 and
# the contract's message before anything is created on disk, by every
# command that takes a name; good names up to 64 bytes work.

load helpers

BAD_NAMES=("" "." ".." "a/b" "../x" "/abs" "-x" "_x" ".x" "a b" $'a\nb' $'a\tb'
	"a:b" "$(printf 'a%.0s' {1..65})" "caf$(printf '\xc3\xa9')")

# snapshot of everything under TEST_ROOT (the store and its parent),
# except the store's own skeleton (vms/, lock), which any command may make
tree_of() {
	(cd "$TEST_ROOT" && find . ! -path ./store/vms ! -path ./store/lock | LC_ALL=C sort)
}

@test "names: create refuses every bad name with 125 and creates nothing" {
	local before name
	before=$(tree_of)
	for name in "${BAD_NAMES[@]}"; do
		# "--" so that "-x" is taken as a name, not an option
		run -125 --separate-stderr fvm create -- "$name"
		assert_match "$stderr" "^fvm: bad VM name" "create $(printf %q "$name")"
		assert_eq "$(tree_of)" "$before" "create $(printf %q "$name") left something on disk"
	done
}

@test "names: the message is the contract's, one line" {
	run -125 --separate-stderr fvm create a/b
	assert_eq "$stderr" "fvm: bad VM name 'a/b': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
}

@test "names: a name with a newline is reported on one line" {
	run -125 --separate-stderr fvm create $'a\nb'
	assert_fvm_error
}

@test "names: run does not auto-create a VM with a bad name" {
	local before name
	before=$(tree_of)
	for name in "a/b" ".." "a b" "$(printf 'a%.0s' {1..65})"; do
		run -125 --separate-stderr fvm run "$name" -- true
		assert_match "$stderr" "^fvm: bad VM name" "run $(printf %q "$name")"
		assert_not_contains "$stderr" "created VM"
		assert_eq "$(tree_of)" "$before" "run $(printf %q "$name") left something on disk"
	done
}

@test "names: every command that takes a NAME validates it" {
	local before cmd
	before=$(tree_of)
	for cmd in start stop rm inspect ps; do
		run -125 --separate-stderr fvm "$cmd" ../x
		assert_match "$stderr" "^fvm: bad VM name" "fvm $cmd ../x"
	done
	run -125 --separate-stderr fvm exec ../x -- true
	assert_match "$stderr" "^fvm: bad VM name" "fvm exec ../x"
	run -125 --separate-stderr fvm rm -f ..
	assert_match "$stderr" "^fvm: bad VM name" "fvm rm -f .."
	assert_eq "$(tree_of)" "$before" "something was created or removed"
}

@test "names: letters, digits, '.', '_', '-' and 64 bytes are accepted" {
	local long
	long=$(printf 'b%.0s' {1..64})
	for name in a.b-c_1 Web 9lives x..y "$long"; do
		run -0 --separate-stderr fvm create "$name"
		assert_exists "$FVM_HOME/vms/$name/config.json"
	done
	run -0 fvm ls -q
	assert_eq "$(wc -l <<<"$output")" 5 "five VMs listed"
	run -0 --separate-stderr fvm run "$long" -- hostname
	assert_eq "$output" "$long" "a 64-byte name is also a valid hostname"
}
