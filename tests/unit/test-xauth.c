/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-xauth.c - the X authority parser (lib/xauth.c): the cookie of one
 * local display is picked as libXau would (FamilyLocal of this host or
 * FamilyWild, the display's number or none, first wins), a truncated or
 * lying file is refused without reading past its end, and the one-entry
 * file fvm writes for a VM parses back to the same cookie. Also the
 * DISPLAY values fvm accepts (local ones only).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "launch/launch.h"

static size_t put(unsigned char *b, size_t o, const void *p, size_t n)
{
	b[o] = (unsigned char)(n >> 8);
	b[o + 1] = (unsigned char)n;
	memcpy(b + o + 2, p, n);
	return o + 2 + n;
}

static size_t entry(unsigned char *b, size_t o, unsigned family, const char *addr,
		    const char *num, const char *name, const char *data)
{
	b[o] = (unsigned char)(family >> 8);
	b[o + 1] = (unsigned char)family;
	o = put(b, o + 2, addr, strlen(addr));
	o = put(b, o, num, strlen(num));
	o = put(b, o, name, strlen(name));
	return put(b, o, data, strlen(data));
}

int main(void)
{
	static const char mit[] = "MIT-MAGIC-COOKIE-1";
	unsigned char f[1024], w[512];
	struct xauth_cookie c, c2;
	size_t n = 0, wl;
	unsigned d;

	tap_plan(16);
	n = entry(f, n, 256, "otherhost", "0", mit, "AAAAAAAAAAAAAAAA");   /* another host */
	n = entry(f, n, 256, "myhost", "1", mit, "BBBBBBBBBBBBBBBB");      /* another display */
	n = entry(f, n, 256, "myhost", "0", "XDM-AUTHORIZATION-1", "C");  /* another scheme */
	n = entry(f, n, 256, "myhost", "0", mit, "DDDDDDDDDDDDDDDD");      /* ours */
	n = entry(f, n, 65535, "", "", mit, "EEEEEEEEEEEEEEEE");           /* wild, later */

	tap_ok(xauth_pick(f, n, 0, "myhost", &c) == 0 && c.data_len == 16 && c.data[0] == 'D',
	       "the first entry for this host and display wins");
	tap_ok(xauth_pick(f, n, 1, "myhost", &c) == 0 && c.data[0] == 'B', "display 1");
	tap_ok(xauth_pick(f, n, 7, "myhost", &c) == 0 && c.data[0] == 'E',
	       "a wildcard entry matches any display");
	tap_ok(xauth_pick(f, n, 0, "nohost", &c) == 0 && c.data[0] == 'E',
	       "and any host");
	tap_ok(xauth_pick(f, n - 30, 7, "myhost", &c) == -EBADMSG, "a file cut in an entry is refused");
	tap_ok(xauth_pick(f, 0, 0, "myhost", &c) == -ENOENT, "an empty file has no cookie");
	{
		unsigned char lie[] = { 0x01, 0x00, 0xff, 0xff, 'x' };   /* address of 65535 bytes */

		tap_ok(xauth_pick(lie, sizeof(lie), 0, "x", &c) == -EBADMSG,
		       "a length past the end is refused");
	}
	tap_ok(xauth_pick(f, entry(f, 0, 256, "myhost", "0", mit, "D"), 0, "myh", &c) == -ENOENT,
	       "a host name is matched whole, not by prefix");

	n = entry(f, 0, 256, "myhost", "0", mit, "0123456789abcdef");
	xauth_pick(f, n, 0, "myhost", &c);
	wl = xauth_wild(&c, w, sizeof(w));
	tap_ok(wl == 2 + 2 + 2 + 2 + 18 + 2 + 16, "the VM's file is one entry (%zu bytes)", wl);
	tap_ok(xauth_pick(w, wl, 42, "anyhost", &c2) == 0 && c2.data_len == 16 &&
	       !memcmp(c2.data, "0123456789abcdef", 16), "and holds the same cookie, for any display");
	tap_ok(xauth_wild(&c, w, 20) == 0, "a buffer too small is refused");

	tap_ok(x11_display_number(":0", &d) == 0 && d == 0, ":0");
	tap_ok(x11_display_number(":12.1", &d) == 0 && d == 12, ":12.1 is display 12");
	tap_ok(x11_display_number("unix:3", &d) == 0 && d == 3, "unix:3");
	tap_ok(x11_display_number("host:0", &d) < 0 && x11_display_number("localhost:10.0", &d) < 0,
	       "a TCP display is not local");
	tap_ok(x11_display_number("", &d) < 0 && x11_display_number(":", &d) < 0 &&
	       x11_display_number(":0x", &d) < 0 && x11_display_number(":99999", &d) < 0 &&
	       x11_display_number(NULL, &d) < 0, "garbage is refused");
	return tap_done();
}
