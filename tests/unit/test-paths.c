// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-paths.c - path_has_prefix()/path_under(), which decide which host
 * mount holds the store (and so where its whiteout goes) and which mounts
 * lie under the store or under /proc, /sys, /dev: whole components only,
 * so /procfoo is not under /proc and /var/lib/fvm2 is not the store.
 */
#include <string.h>

#include "util/util.h"
#include "tap.h"

int main(void)
{
	tap_plan(12);
	tap_ok(path_has_prefix("/proc", "/proc"), "a path is under itself");
	tap_ok(path_has_prefix("/proc/sys", "/proc"), "/proc/sys is under /proc");
	tap_ok(!path_has_prefix("/procfoo", "/proc"), "/procfoo is not under /proc");
	tap_ok(path_has_prefix("/anything", "/"), "everything is under /");
	tap_ok(!path_has_prefix("/var/lib/fvm2", "/var/lib/fvm"), "a longer sibling is not under");
	tap_ok(!path_has_prefix("/var", "/var/lib"), "a parent is not under its child");
	tap_ok(!strcmp(path_under("/var/lib/fvm", "/"), "var/lib/fvm"), "under / is relative");
	tap_ok(!strcmp(path_under("/home/u/.local/share/fvm", "/home/u"), ".local/share/fvm"),
	       "under a home mount is relative to it");
	tap_ok(!strcmp(path_under("/tmp", "/tmp"), ""), "a path under itself is empty");
	tap_ok(path_under("/tmpx/a", "/tmp") == NULL, "no partial component match");
	tap_ok(path_under("/etc", "/usr") == NULL, "unrelated paths");
	tap_ok(!strcmp(path_under("/tmp//x", "/tmp"), "x"), "extra slashes are skipped");
	return tap_done();
}
