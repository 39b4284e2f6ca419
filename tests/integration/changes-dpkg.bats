#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# changes-dpkg.bats - a real program's changes (root mode): a small Debian
# package whose files go below the scratch directory is installed with
# `dpkg -i` inside a VM (no network). `fvm diff` shows its files and
# dpkg's own database changes under /var/lib/dpkg; committing ONLY the
# scratch directory brings the files to the host while the host's dpkg
# database stays exactly as it was (the package is not installed there).

load helpers

setup() {
	is_root || skip "root mode: dpkg -i needs root's copy-on-write view of /var/lib/dpkg"
	command -v dpkg-deb >/dev/null && command -v dpkg >/dev/null || skip "dpkg is not installed"
	fvm_setup
	PKG=fvm-demo-$(tr 'A-Z' 'a-z' <<<"$TEST_ID" | tr -cd 'a-z0-9')
	# should isolation fail, the host would have this package: remove it again
	host_cleanup_add "dpkg --purge '$PKG'"
	! dpkg -s "$PKG" >/dev/null 2>&1
}

teardown() {
	is_root || return 0
	fvm_teardown
}

# dpkg_state: what of the host's dpkg database a leaked install would change.
dpkg_state() {
	md5sum /var/lib/dpkg/status
	ls /var/lib/dpkg/info | md5sum
	ls -A /var/lib/dpkg/updates 2>/dev/null | md5sum
}

@test "dpkg: a package installed in a VM; committing only its scratch files leaves the host's dpkg database alone" {
	local root=$TEST_ROOT/pkg app=$SCRATCH/opt/demo
	mkdir -p "$root/DEBIAN" "$root$app/bin" "$root$app/share"
	cat >"$root/DEBIAN/control" <<-EOF
		Package: $PKG
		Version: 1.0-1
		Architecture: all
		Maintainer: fvm tests <tests@fvm.invalid>
		Description: fvm test package
		 Installs a script below a scratch directory of the fvm test suite.
	EOF
	printf '#!/bin/sh\necho hello from the demo\n' >"$root$app/bin/hello"
	chmod 755 "$root$app/bin/hello"
	echo "demo data" >"$root$app/share/README"
	chmod 644 "$root$app/share/README"
	run -0 dpkg-deb --root-owner-group --build "$root" "$TEST_ROOT/demo.deb"

	local before
	before=$(dpkg_state)
	fvm create e 2>/dev/null
	run --separate-stderr fvm run e -- env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		dpkg -i "$TEST_ROOT/demo.deb"
	assert_status 0
	run -0 --separate-stderr fvm run e -- dpkg-query -W -f '${Status}' "$PKG"
	assert_eq "$output" "install ok installed" "the package in the VM"
	run -0 --separate-stderr fvm run e -- "$app/bin/hello"
	assert_eq "$output" "hello from the demo"

	run -0 --separate-stderr fvm diff e
	local diff=$output
	assert_contains "$diff" "A  $SCRATCH/opt/"
	assert_contains "$diff" "A  $app/bin/hello"
	assert_contains "$diff" "A  $app/share/README"
	assert_contains "$diff" "M  /var/lib/dpkg/status"
	assert_contains "$diff" "A  /var/lib/dpkg/info/$PKG.list"
	assert_contains "$diff" "A  /var/lib/dpkg/info/$PKG.md5sums"
	assert_eq "$(dpkg_state)" "$before" "the host's dpkg database after the install in the VM"

	# commit only the scratch directory
	run -0 --separate-stderr fvm commit -y e "$SCRATCH"
	assert_eq "$("$app/bin/hello")" "hello from the demo" "the program runs on the host"
	assert_eq "$(cat "$app/share/README")" "demo data"
	assert_eq "$(stat -c '%a %u:%g' "$app/bin/hello" "$app/share/README")" $'755 0:0\n644 0:0'
	# dpkg's own records of those files agree with what landed
	(cd / && fvm run e -- cat "/var/lib/dpkg/info/$PKG.md5sums" | md5sum -c --quiet -)

	assert_eq "$(dpkg_state)" "$before" "the host's dpkg database after the commit"
	run dpkg-query -W -f '${Status}' "$PKG"
	assert_ne "$output" "install ok installed" "the package is not installed on the host"
	assert_not_exists "/var/lib/dpkg/info/$PKG.list"

	# the VM keeps its dpkg changes (not committed) and sees the host's files
	run -0 --separate-stderr fvm diff e
	assert_not_contains "$output" "$SCRATCH"
	assert_contains "$output" "M  /var/lib/dpkg/status"
	run -0 --separate-stderr fvm run e -- dpkg-query -W -f '${Status}' "$PKG"
	assert_eq "$output" "install ok installed"
	run -0 --separate-stderr fvm run e -- "$app/bin/hello"
	assert_eq "$output" "hello from the demo"
	assert_eq "$(layer_leftovers e "$SCRATCH")" "" "the committed files left the layer"
}
