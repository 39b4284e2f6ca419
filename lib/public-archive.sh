#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# public-archive.sh LD OBJCOPY AR IN.a OUT.a - make the installed static
# libfvm.a from the internal archive IN.a (every object, built with
# -fvisibility=hidden): one relocatable object (ld -r), in which every
# hidden symbol is made local (objcopy --localize-hidden), so that only
# the FVM_PUBLIC functions of include/fvm.h are global. A program that
# links libfvm.a statically can then have its own config_load() or
# write_all(): libfvm's internal names cannot clash with it.
set -eu
ld=$1 objcopy=$2 ar=$3 in=$4 out=$5
obj=${out%.a}.o
rm -f "$obj" "$out"
"$ld" -r -o "$obj" --whole-archive "$in"
"$objcopy" --localize-hidden "$obj"
"$ar" rcsD "$out" "$obj"
rm -f "$obj"
