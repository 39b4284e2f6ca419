// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-xfer-path.c - the names fvm import accepts for archive members:
 * plain relative paths become paths of the VM; anything that could lead
 * outside the VM's layers (absolute, "..", ".", empty components, control
 * characters) or is too long or deep is refused.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "changes/changes.h"
#include "tap.h"

static void ok(const char *name, const char *want)
{
	char buf[PATH_MAX];
	int r = xfer_member_path(name, buf, sizeof(buf));

	tap_ok(r == 0 && !strcmp(buf, want), "'%s' is %s (got %s)", name, want, r == 0 ? buf : strerror(-r));
}

static void refused_as(const char *name, int want, const char *label)
{
	char buf[PATH_MAX];
	int r = xfer_member_path(name, buf, sizeof(buf));

	tap_ok(r == want, "'%.60s' is refused with %s (got %d)", label, strerror(-want), r);
}

static void refused(const char *name, int want)
{
	refused_as(name, want, name);
}

int main(void)
{
	static char big[5000], deep[1200], comp[300];

	tap_plan(21);
	ok("a", "/a");
	ok("a/b/c", "/a/b/c");
	ok("./a/b", "/a/b");
	ok("././a", "/a");
	ok("dir/", "/dir");
	ok("a..b/.c", "/a..b/.c");
	ok(".wh..wh..opq", "/.wh..wh..opq");
	refused("/etc/passwd", -EINVAL);
	refused("../x", -EINVAL);
	refused("a/../../x", -EINVAL);
	refused("a/..", -EINVAL);
	refused("a/./b", -EINVAL);
	refused("a//b", -EINVAL);
	refused("", -ENAMETOOLONG);
	refused("./", -ENAMETOOLONG);
	refused(".", -EINVAL);
	refused_as("a/\nb", -EINVAL, "a/NEWLINEb");
	refused_as("a/\x7f", -EINVAL, "a/DEL");
	memset(big, 'a', sizeof(big) - 1);
	refused(big, -ENAMETOOLONG);
	memset(comp, 'c', sizeof(comp) - 1);
	refused(comp, -ENAMETOOLONG);
	for (size_t i = 0; i + 2 < sizeof(deep); i += 2)
		memcpy(deep + i, "d/", 2);
	deep[sizeof(deep) - 2] = 'd';
	refused(deep, -ELOOP);
	return tap_done();
}
