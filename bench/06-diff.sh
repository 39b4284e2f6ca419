#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/06-diff.sh - `fvm diff VM` over a layer with 100,000 new files (10,000
# with --quick) against the floor for any diff: listing the upper dir with
# `find UPPER -printf '%p %s\n'`. Runs only when `fvm diff --help` succeeds.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

nfiles=100000 rounds=5 runs=2
((QUICK)) && nfiles=10000 rounds=2 runs=2

title "\`fvm diff\` of $nfiles changed files"
series diff bars ms "list the changes of a VM with $nfiles new files"
ratio diff fvm "find UPPER"

if ! "$FVM" diff --help >/dev/null 2>&1; then
	skip diff fvm "not yet implemented: \`fvm diff --help\` exits $("$FVM" diff --help >/dev/null 2>&1; echo $?) ($("$FVM" diff --help 2>&1 | head -n 1))"
	exit 0
fi

home=$(fresh_home diff)
trap 'drop_home "$home"' EXIT
export FVM_HOME=$home
"$FVM" create df >/dev/null
tarball=$(tree_tarball "$nfiles") || exit 1
"$FVM" run df -- sh -c "mkdir -p /var/tmp/fvm-bench-diff && tar -xf $tarball -C /var/tmp/fvm-bench-diff" || {
	skip diff fvm "could not fill the VM's layer"
	exit 0
}
upper=$home/vms/df/layers/%2F/upper
try_cmd diff fvm "$FVM" diff df || exit 0
log "$nfiles files, $rounds rounds x $runs runs"
interleave diff "" "$rounds" "$runs" fvm "$FVM diff df" "find UPPER" "find $upper -printf '%p %s\\n'"
note "The layer holds $nfiles new files under /var/tmp/fvm-bench-diff (written by \`tar -x\` in the VM); output goes to /dev/null."
