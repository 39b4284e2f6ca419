// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-layer-names.c - layer directory names: a host mount point maps to
 * one name and back, names never contain '/', and paths that would not fit
 * a directory name are refused rather than truncated into a collision.
 */
#include <errno.h>
#include <string.h>

#include "store/store.h"
#include "tap.h"

static void roundtrip(const char *mp, const char *want)
{
	char esc[256], back[4096];
	int r = layer_escape(mp, esc, sizeof(esc));

	tap_ok(r == 0 && !strcmp(esc, want), "escape '%s' -> '%s' (got '%s')", mp, want,
	       r == 0 ? esc : "error");
	tap_ok(!strchr(esc, '/'), "escaped '%s' has no '/'", mp);
	r = layer_unescape(esc, back, sizeof(back));
	tap_ok(r == 0 && !strcmp(back, mp), "unescape '%s' gives back '%s'", esc, mp);
}

int main(void)
{
	char big[400], esc[256], back[64];

	tap_plan(3 * 5 + 6);
	roundtrip("/", "%2F");
	roundtrip("/home", "%2Fhome");
	roundtrip("/mnt/a b", "%2Fmnt%2Fa b");
	roundtrip("/odd%2Fname", "%2Fodd%252Fname");    /* '%' itself is escaped */
	roundtrip("/var/lib/x.y_z-1", "%2Fvar%2Flib%2Fx.y_z-1");

	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	tap_ok(layer_escape(big, esc, sizeof(esc)) == -ENAMETOOLONG,
	       "a mount point longer than a file name is refused");
	tap_ok(layer_escape("", esc, sizeof(esc)) == -EINVAL, "an empty mount point is refused");
	tap_ok(layer_unescape("home", back, sizeof(back)) == -EINVAL,
	       "a layer name that is not an absolute path is not a layer");
	tap_ok(layer_unescape("%2Fa%2", back, sizeof(back)) == -EINVAL, "a cut escape is refused");
	tap_ok(layer_unescape("%2Fa%41", back, sizeof(back)) == -EINVAL,
	       "only %%2F and %%25 are escapes");
	tap_ok(layer_unescape(".tmp", back, sizeof(back)) == -EINVAL, "dot files are not layers");
	return tap_done();
}
