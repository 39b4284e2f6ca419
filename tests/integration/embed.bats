#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# embed.bats - libfvm as a library. tests/embed/embed.c is built against
# the *installed* library through `pkg-config libfvm`, with libfvm.so (the
# ABI programs get) and statically with libfvm.a; it creates a VM, runs a
# command in it, finds the command's file in the VM's diff, reads its
# inspect JSON and removes it, as root and rootless.
#
# Environment (scripts/test sets both): FVM_TEST_DESTDIR, the directory
# `meson install --destdir` installed the build into; FVM_TEST_EMBED_SRC,
# embed.c. Without them (bats run from the repository as root), build/ is
# installed into the test file's temporary directory.

load helpers

setup_file() {
	local d=${FVM_TEST_DESTDIR-} pc
	export EMBED_SRC=${FVM_TEST_EMBED_SRC:-$_repo/tests/embed/embed.c}
	if [[ -z $d ]]; then
		d=$BATS_FILE_TMPDIR/install
		meson install -C "$_repo/build" --no-rebuild --quiet --destdir "$d" >&2 || return 1
	fi
	pc=$(find "$d" -name libfvm.pc -print -quit)
	[[ -n $pc ]] || { echo "no libfvm.pc under $d: is the build installed?" >&2; return 1; }
	export PKG_CONFIG_PATH=${pc%/*}
	# the .pc names its install prefix (/usr/local): it lives under $d here
	EMBED_PREFIX=$d$(pkg-config --variable=prefix libfvm) || return 1
	EMBED_LIBDIR=$(embed_pkg --variable=libdir libfvm) || return 1
	export EMBED_PREFIX EMBED_LIBDIR
	[[ -f $EMBED_LIBDIR/libfvm.so && -f $EMBED_LIBDIR/libfvm.a ]] ||
		{ echo "no libfvm.so and libfvm.a in $EMBED_LIBDIR" >&2; return 1; }
}

# embed_pkg ARGS...: pkg-config for the library installed under the destdir
embed_pkg() {
	pkg-config --define-variable=prefix="$EMBED_PREFIX" "$@"
}

# embed_build OUT so|static: compile embed.c against the installed library,
# strict C11 and warnings as errors (the header must be clean for others)
embed_build() {
	local libs
	if [[ $2 == static ]]; then
		# libfvm.a itself, its dependencies as the .pc's Requires.private say
		libs=$(embed_pkg --static --libs libfvm) || return 1
		libs=${libs//-lfvm /-l:libfvm.a }
	else
		libs=$(embed_pkg --libs libfvm) || return 1
	fi
	# shellcheck disable=SC2046,SC2086 # pkg-config's words are separate flags
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wno-unused-parameter -Werror \
		-o "$1" "$EMBED_SRC" $(embed_pkg --cflags libfvm) $libs
}

# embed_check OUTPUT FILE JSON: what a successful run of embed shows
embed_check() {
	local step
	for step in fvm_store_open fvm_vm_create fvm_vm_exec "process state" fvm_vm_inspect_json \
		fvm_vm_remove gone; do
		assert_contains "$1" "ok $step" "embed's step $step"
	done
	assert_contains "$1" "ok fvm_vm_diff: A f $2 9" "the VM's diff has the file the command wrote"
	assert_not_exists "$2"   # the VM's write stayed in the VM
	assert_eq "$(jq -r .schema_version "$3")" 1 "schema_version of fvm_vm_inspect_json"
	assert_eq "$(jq -r .name "$3")" emb "name in fvm_vm_inspect_json"
	assert_eq "$(fvm ls | awk '$1 == "emb"')" "" "fvm ls after the library removed the VM"
}

@test "embed: a program built with pkg-config libfvm (libfvm.so) creates a VM, runs a command, reads its diff, removes it" {
	embed_build "$TEST_ROOT/embed" so
	# the installed shared library, no other
	run -0 env LD_LIBRARY_PATH="$EMBED_LIBDIR" ldd "$TEST_ROOT/embed"
	assert_contains "$output" "libfvm.so.0 => $EMBED_LIBDIR/libfvm.so.0" "embed links the installed libfvm.so"
	run -0 --separate-stderr env LD_LIBRARY_PATH="$EMBED_LIBDIR" \
		"$TEST_ROOT/embed" emb "$SCRATCH/from-vm" "$TEST_ROOT/inspect.json"
	embed_check "$output" "$SCRATCH/from-vm" "$TEST_ROOT/inspect.json"
	assert_eq "$stderr" "" "stderr: the library prints nothing, the command printed nothing"
}

@test "embed: linked statically with libfvm.a, a program's own config_load, write_all, list_dir, open_beneath do not clash with libfvm's" {
	# embed.c defines those four: with libfvm's internal names global in
	# libfvm.a, this link fails with "multiple definition"
	embed_build "$TEST_ROOT/embed-static" static
	run -1 grep -c 'libfvm' <(ldd "$TEST_ROOT/embed-static")
	run -0 --separate-stderr "$TEST_ROOT/embed-static" emb "$SCRATCH/from-vm" "$TEST_ROOT/inspect.json"
	embed_check "$output" "$SCRATCH/from-vm" "$TEST_ROOT/inspect.json"
	assert_eq "$stderr" "" "stderr"
}

@test "embed: fvm inspect's objects carry schema_version 1" {
	fvm create web
	run -0 fvm inspect web
	assert_eq "$(jq -r '.[0].schema_version | type' <<<"$output")" number "schema_version's type"
	assert_eq "$(jq -r '.[0].schema_version' <<<"$output")" 1 "schema_version"
}

@test "embed --ids sub: diff, export, commit and rm through the library leave the caller's user namespace and ids as they were; their callbacks run in the caller" {
	is_root && skip "rootless: --ids sub is a rootless VM's (subids.bats)"
	awk -F: -v n="$(id -un)" -v u="$(id -u)" '($1 == n || $1 == u) && $3 >= 65536 { f = 1 } END { exit !f }' /etc/subuid ||
		skip "user $(id -un) has no range of 65536 in /etc/subuid (scripts/test's useradd gives one)"
	[[ -u /usr/bin/newuidmap && -u /usr/bin/newgidmap ]] || skip "newuidmap/newgidmap are not set-uid (scripts/deps installs uidmap)"
	embed_build "$TEST_ROOT/embed" so
	# the VM's write to FILE is committed to the host: make it where the user may write
	run -0 --separate-stderr env LD_LIBRARY_PATH="$EMBED_LIBDIR" \
		"$TEST_ROOT/embed" emb "$SCRATCH/from-vm" "$TEST_ROOT/inspect.json" sub
	assert_contains "$output" "ok fvm_vm_diff: A f $SCRATCH/from-vm 9"
	for step in fvm_vm_diff fvm_vm_export fvm_vm_commit fvm_vm_remove; do
		assert_contains "$output" "ok identity after $step" "the caller's identity after $step"
	done
	assert_contains "$output" "ok fvm_vm_export: progress"
	assert_contains "$output" "ok fvm_vm_commit: plan 1, progress"
	assert_contains "$output" "ok gone"
	assert_eq "$(cat "$SCRATCH/from-vm")" embedded "the committed file"
	assert_eq "$(jq -r .ids "$TEST_ROOT/inspect.json")" sub
	assert_eq "$stderr" "" "stderr"
}
