#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# attacks-more.bats - a hostile VM against its own policies, from inside.
# A share is the host's live tree, so what the VM renames there stays
# renamed on the host: a --hide or --ro below a share must not be moved
# out of its path by the VM renaming a directory above it (the next boot
# would find nothing at the policy's path and protect nothing).

load helpers

@test "attack: a --hide below a share survives the VM renaming a directory above it" {
	mkdir -p "$SCRATCH/sh/a/secret"
	echo TOPSECRET >"$SCRATCH/sh/a/secret/f"
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" --hide "$SCRATCH/sh/a/secret" web
	run --separate-stderr fvm run web -- mv "$SCRATCH/sh/a" "$SCRATCH/sh/b"
	# before: the rename went through, on the host
	assert_exists "$SCRATCH/sh/a/secret/f"
	assert_not_exists "$SCRATCH/sh/b"
	run --separate-stderr fvm run web -- sh -c "cat '$SCRATCH'/sh/*/secret/f"
	assert_not_contains "$output" TOPSECRET "the hidden file, at the next boot"
}

@test "attack: a --ro below a share survives the VM renaming a directory above it" {
	mkdir -p "$SCRATCH/sh/a/r"
	echo host >"$SCRATCH/sh/a/r/g"
	share_owned "$SCRATCH/sh"
	fvm create --share "$SCRATCH/sh" --ro "$SCRATCH/sh/a/r" web
	run --separate-stderr fvm run web -- mv "$SCRATCH/sh/a" "$SCRATCH/sh/b"
	run --separate-stderr fvm run web -- sh -c "for f in '$SCRATCH'/sh/*/r/g; do echo vm >\"\$f\"; done"
	assert_eq "$(cat "$SCRATCH"/sh/*/r/g)" host "the read-only file on the host, after the next boot"
}

@test "attack: the untrusted profile's hides survive the VM renaming ~/.config in a share of ~" {
	mkdir -p "$SCRATCH/home/.config/google-chrome"
	echo COOKIE >"$SCRATCH/home/.config/google-chrome/Cookies"
	share_owned "$SCRATCH/home"
	HOME=$SCRATCH/home fvm create --share "$SCRATCH/home" --profile untrusted web
	run --separate-stderr env HOME="$SCRATCH/home" "$FVM" run web -- mv "$SCRATCH/home/.config" "$SCRATCH/home/c"
	run --separate-stderr env HOME="$SCRATCH/home" "$FVM" run web -- sh -c "cat '$SCRATCH'/home/*/google-chrome/Cookies '$SCRATCH'/home/.*/google-chrome/Cookies"
	assert_not_contains "$output" COOKIE "the browser profile, at the next boot"
}
