#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/filework.sh TARBALL DIR - the file-heavy workload of
# bench/05-files.sh, run as is on the host and inside each sandbox:
# extract TARBALL into DIR (created), list it with find, sum it with du,
# delete it. Prints one line per phase: "PHASE MILLISECONDS".
set -euo pipefail
tarball=$1 dir=$2

ms() { local t=${EPOCHREALTIME/./}; echo "$((10#$t / 1000))"; }

mkdir -p "$dir"
t=$(ms)
tar -xf "$tarball" -C "$dir"
echo "extract $(($(ms) - t))"
t=$(ms)
find "$dir" >/dev/null
echo "find $(($(ms) - t))"
t=$(ms)
du -s "$dir" >/dev/null
echo "du $(($(ms) - t))"
t=$(ms)
rm -rf "$dir"
echo "rm $(($(ms) - t))"
