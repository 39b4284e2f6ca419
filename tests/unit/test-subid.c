// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-subid.c - reading a user's range from /etc/subuid or /etc/subgid
 * text (subid_find()): by name or by decimal uid, the first entry of
 * 65,536 ids or more wins, a name is matched whole, and malformed lines,
 * a start of 0, ranges past 2^32 and overflowing numbers are passed over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tap.h"

/* subid_find() on a copy of @text; *@start (or 0), *@best */
static int find(const char *text, const char *name, unsigned id, unsigned *start,
		unsigned long long *best)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", text);
	*start = 0;
	*best = 0;
	return subid_find(buf, name, id, start, best);
}

int main(void)
{
	unsigned s;
	unsigned long long b;

	tap_ok(find("alice:100000:65536\n", "alice", 1000, &s, &b) == 0 && s == 100000, "by name");
	tap_ok(find("1000:200000:65536\n", "alice", 1000, &s, &b) == 0 && s == 200000, "by uid");
	tap_ok(find("1000:200000:65536\n", NULL, 1000, &s, &b) == 0 && s == 200000,
	       "by uid, for a user without a passwd entry");
	tap_ok(find("bob:100000:65536\nalice:300000:70000\n", "alice", 1000, &s, &b) == 0 && s == 300000,
	       "another user's line is passed over");
	tap_ok(find("alice:100000:1000\nalice:400000:65536\n", "alice", 1000, &s, &b) == 0 && s == 400000,
	       "a small range is passed over for a later one");
	tap_ok(find("alice:100000:65536\nalice:400000:65536\n", "alice", 1000, &s, &b) == 0 && s == 100000,
	       "the first big enough range wins");
	tap_ok(find("alice:100000:65535\n", "alice", 1000, &s, &b) == -ERANGE && b == 65535,
	       "65535 ids are too few: -ERANGE with the most found");
	tap_ok(find("bob:100000:65536\n", "alice", 1000, &s, &b) == -ENOENT, "no entry: -ENOENT");
	tap_ok(find("", "alice", 1000, &s, &b) == -ENOENT, "an empty file: -ENOENT");
	tap_ok(find("alicex:100000:65536\nalic:100000:65536\n", "alice", 1000, &s, &b) == -ENOENT,
	       "a name is matched whole");
	tap_ok(find("10000:100000:65536\n100:100000:65536\n", NULL, 1000, &s, &b) == -ENOENT,
	       "a uid is matched whole");
	tap_ok(find("alice:0:65536\n", "alice", 1000, &s, &b) == -ENOENT, "a range from 0 is never taken");
	tap_ok(find("alice:4294901761:65536\n", "alice", 1000, &s, &b) == -ENOENT,
	       "a range past 2^32 is passed over");
	tap_ok(find("alice:99999999999999999999999:65536\n", "alice", 1000, &s, &b) == -ENOENT,
	       "an overflowing start is passed over");
	tap_ok(find("alice:100000:65536x\nalice:-5:65536\nalice: 100000:65536\nalice:100000:+65536\nalice::65536\nalice:100000\nalice\n", "alice",
		    1000, &s, &b) == -ENOENT, "malformed lines are passed over");
	tap_ok(find("alice:100000:65536:extra\n", "alice", 1000, &s, &b) == -ENOENT,
	       "a line with a fourth field is malformed");
	tap_ok(find("# comment\n\nalice:100000:65536\n", "alice", 1000, &s, &b) == 0 && s == 100000,
	       "comments and empty lines are passed over");
	return tap_done();
}
