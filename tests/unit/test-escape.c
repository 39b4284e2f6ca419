/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-escape.c - cli_escape() (cli/escape.c), what every string a VM
 * controls goes through before fvm prints it: C0, DEL, C1 (as UTF-8 and
 * as raw bytes), invalid UTF-8 and backslashes come out as \xNN or \\;
 * printable ASCII and valid UTF-8 stay; a short buffer cuts between
 * escapes, never inside one.
 */
#include <string.h>

#include "tap.h"
#include "../../cli/escape.c"   /* the CLI is not a library: its one file, compiled in */

static const struct {
	const char *in, *out;
} cases[] = {
	{ "sleep 60", "sleep 60" },
	{ "\033]0;pwned\a", "\\x1b]0;pwned\\x07" },
	{ "a\nb\tc\x7f", "a\\x0ab\\x09c\\x7f" },
	{ "back\\slash", "back\\\\slash" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J" },          /* U+009B, a C1 control */
	{ "raw\x9b" "2J", "raw\\x9b2J" },                   /* 8-bit CSI */
	{ "cut\xe2\x82", "cut\\xe2\\x82" },                 /* truncated sequence */
	{ "over\xc0\xaf", "over\\xc0\\xaf" },               /* overlong '/' */
	{ "sur\xed\xa0\x80", "sur\\xed\\xa0\\x80" },        /* UTF-16 surrogate */
	{ "", "" },
};

int main(void)
{
	char buf[128], small[8];

	tap_plan((int)(sizeof(cases) / sizeof(cases[0])) + 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_ok(!strcmp(cli_escape(cases[i].in, buf, sizeof(buf)), cases[i].out),
		       "case %zu escapes to '%s' (got '%s')", i, cases[i].out, buf);
	/* "abcd" then "\\x1b" (4 bytes) does not fit in 8 with its NUL: cut before it */
	tap_ok(!strcmp(cli_escape("abcd\033efg", small, sizeof(small)), "abcd"),
	       "a short buffer is cut before an escape (got '%s')", small);
	tap_ok(!strcmp(cli_escape("abc", small, 1), ""), "a buffer of 1 holds the empty string");
	return tap_done();
}
