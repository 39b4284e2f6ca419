#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-exports.sh FVM.H LIBFVM.SO LIBFVM.A - TAP: libfvm's ABI is its
# header. The functions declared in include/fvm.h (read through the
# preprocessor, so comments and macros do not count) must be exactly the
# symbols libfvm.so exports, each in version node LIBFVM_0.1 (nm -D
# --defined-only), exactly the global symbols of the installed libfvm.a
# (every internal name local there), and each must have a kernel-doc
# comment in the header. A missing or an extra symbol fails, with its
# name. Run by `meson test` (test "exports"); CC and NM may name the tools.
set -u
hdr=$1 so=$2 ar=$3
cc=${CC:-cc} nm=${NM:-nm}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..4"
if ! "$cc" -E -P -x c "$hdr" >"$tmp/pp" 2>"$tmp/err"; then
	echo "Bail out! cannot preprocess $hdr: $(cat "$tmp/err")"
	exit 1
fi
tr '\n' ' ' <"$tmp/pp" | grep -oE '\bfvm_[a-z0-9_]+[[:space:]]*\(' |
	sed 's/[[:space:](]//g' | sort -u >"$tmp/header"
n=$(wc -l <"$tmp/header")

# compare WHAT FILE: "ok"/"not ok" for FILE against the header's list
compare() {
	if cmp -s "$tmp/header" "$2"; then
		echo "ok $3 - $1 exports exactly the $n functions of $(basename "$hdr")"
	else
		echo "not ok $3 - $1 does not export exactly the functions of $(basename "$hdr")"
		comm -23 "$tmp/header" "$2" | sed 's/^/#   declared, not exported: /'
		comm -13 "$tmp/header" "$2" | sed 's/^/#   exported, not declared: /'
	fi
}

"$nm" -D --defined-only "$so" | awk '$2 != "A" { print $3 }' >"$tmp/so-raw" ||
	echo "# nm -D failed on $so"
sed 's/@.*//' "$tmp/so-raw" | sort -u >"$tmp/so"
compare "$so" "$tmp/so" 1

unversioned=$(grep -v '@@LIBFVM_0\.1$' "$tmp/so-raw")
if [ -z "$unversioned" ] && [ -s "$tmp/so-raw" ]; then
	echo "ok 2 - every symbol of $so is in version node LIBFVM_0.1"
else
	echo "not ok 2 - symbols of $so outside version node LIBFVM_0.1 (or none at all)"
	echo "$unversioned" | sed 's/^/#   /'
fi

"$nm" -g --defined-only "$ar" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/ar" ||
	echo "# nm -g failed on $ar"
compare "$ar" "$tmp/ar" 3

missing=
for f in $(cat "$tmp/header"); do
	grep -qE "^ \* $f\(\) - " "$hdr" || missing="$missing $f"
done
if [ -z "$missing" ]; then
	echo "ok 4 - each of the $n functions has a kernel-doc comment in $(basename "$hdr")"
else
	echo "not ok 4 - functions without a kernel-doc comment (\" * NAME() - ...\") in $hdr:$missing"
fi
