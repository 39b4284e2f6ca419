/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-dbus-auth.c - the relay's rewrite of a D-Bus client's handshake
 * (lib/launch/dbus.c): the identity a client claims becomes the bus
 * owner's uid, an empty one stays empty, other mechanisms and fd passing
 * are turned into requests the bus refuses, BEGIN ends the rewriting and
 * what follows it is left as it is; a client without the leading NUL, a
 * NUL inside a line or an endless line is dropped.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "launch/launch.h"

/* what the bus gets from @in (@n bytes) for uid 1000, into @out; the filter's result in @r */
static size_t run(const char *in, size_t n, char *out, size_t size, int *r, size_t *left)
{
	char buf[4096];
	int p[2];
	bool nul = false;
	ssize_t k;

	if (pipe2(p, O_NONBLOCK) < 0)
		return 0;
	memcpy(buf, in, n);
	*left = n;
	*r = dbus_auth_filter(buf, left, &nul, p[1], 1000);
	close(p[1]);
	k = read(p[0], out, size - 1);
	close(p[0]);
	out[k > 0 ? k : 0] = '\0';
	return k > 0 ? (size_t)k : 0;
}

#define IN(s) s, sizeof(s) - 1

int main(void)
{
	char out[4096];
	size_t left;
	int r;

	tap_plan(10);
	run(IN("\0AUTH EXTERNAL 30\r\n"), out, sizeof(out), &r, &left);
	/* "1000" in hex: 31303030 */
	tap_ok(r == 0 && !memcmp(out, "\0AUTH EXTERNAL 31303030\r\n", 26), "the uid 0 a client claims becomes the bus owner's");
	run(IN("\0AUTH EXTERNAL\r\nDATA\r\n"), out, sizeof(out), &r, &left);
	tap_ok(r == 0 && !strcmp(out + 1, "AUTH EXTERNAL\r\nDATA\r\n"), "no identity stays none (the bus takes the socket's)");
	run(IN("\0AUTH EXTERNAL\r\nDATA 3635353334\r\n"), out, sizeof(out), &r, &left);
	tap_ok(r == 0 && strstr(out + 1, "DATA 31303030\r\n"), "an identity in DATA too");
	run(IN("\0AUTH DBUS_COOKIE_SHA1 30\r\n"), out, sizeof(out), &r, &left);
	tap_ok(r == 0 && !strcmp(out + 1, "AUTH X-FVM-ONLY-EXTERNAL\r\n"), "another mechanism becomes one the bus rejects");
	run(IN("\0AUTH EXTERNAL 30\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\nl\1\0\1"), out, sizeof(out), &r, &left);
	tap_ok(r == 1 && strstr(out + 1, "X-FVM-NO-UNIX-FD\r\nBEGIN\r\n") && !strstr(out + 1, "NEGOTIATE"),
	       "no fd passing; BEGIN ends the handshake");
	tap_ok(left == 4, "what follows BEGIN (the first message) is left for the caller (%zu bytes)", left);
	run(IN("\0AUTH EXTER"), out, sizeof(out), &r, &left);
	tap_ok(r == 0 && left == 10 && out[0] == '\0' && !out[1], "half a line waits for the rest");
	run(IN("AUTH EXTERNAL 30\r\n"), out, sizeof(out), &r, &left);
	tap_ok(r < 0, "no NUL first: dropped");
	run(IN("\0AUTH EXTERNAL\0 30\r\n"), out, sizeof(out), &r, &left);
	tap_ok(r < 0, "a NUL in a line: dropped");
	{
		char big[700] = { 0 };

		memset(big + 1, 'A', sizeof(big) - 1);
		run(big, sizeof(big), out, sizeof(out), &r, &left);
		tap_ok(r < 0, "a line of more than 512 bytes without its end: dropped");
	}
	return tap_done();
}
