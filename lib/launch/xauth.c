// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xauth.c - X authority files, parsed by fvm itself (no libXau): the
 * caller's file is read by fvm on the host, perhaps as root, so every
 * length is bounded and checked against what is left.
 *
 * Format (libXau): entries of five fields, each but the first a 16-bit
 * big-endian length and that many bytes: family (16-bit: 256 FamilyLocal
 * with the host name as address, 65535 FamilyWild matching any address),
 * address, display number (decimal text), auth name, auth data.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch/launch.h"
#include "policy/policy.h"
#include "util/util.h"


#define FAMILY_LOCAL 256
#define FAMILY_WILD 65535

struct field {
	const unsigned char *p;
	size_t len;
};

static int get16(const unsigned char *buf, size_t len, size_t *off, unsigned *ret)
{
	if (len - *off < 2)
		return -EBADMSG;
	*ret = (unsigned)buf[*off] << 8 | buf[*off + 1];
	*off += 2;
	return 0;
}

static int get_field(const unsigned char *buf, size_t len, size_t *off, struct field *ret)
{
	unsigned n;

	if (get16(buf, len, off, &n) < 0 || len - *off < n)
		return -EBADMSG;
	ret->p = buf + *off;
	ret->len = n;
	*off += n;
	return 0;
}

static bool field_is(const struct field *f, const char *s)
{
	return f->len == strlen(s) && !memcmp(f->p, s, f->len);
}

/**
 * xauth_pick() - the MIT-MAGIC-COOKIE-1 entry of @buf (an authority file)
 * for local display number @display on host @hostname: FamilyLocal with
 * that address or FamilyWild, the display's number or none. The first
 * one wins, as in libXau.
 *
 * Return: 0 with *@ret filled, -ENOENT when there is none, -EBADMSG when
 * @buf is not an authority file.
 */
int xauth_pick(const unsigned char *buf, size_t len, unsigned display, const char *hostname,
	       struct xauth_cookie *ret)
{
	char num[16];
	size_t off = 0;

	snprintf(num, sizeof(num), "%u", display);
	while (off < len) {
		struct field addr, number, name, data;
		unsigned family;

		if (get16(buf, len, &off, &family) < 0 || get_field(buf, len, &off, &addr) < 0 ||
		    get_field(buf, len, &off, &number) < 0 || get_field(buf, len, &off, &name) < 0 ||
		    get_field(buf, len, &off, &data) < 0)
			return -EBADMSG;
		if (family != FAMILY_WILD && !(family == FAMILY_LOCAL && field_is(&addr, hostname)))
			continue;
		if (number.len && !field_is(&number, num))
			continue;
		if (!field_is(&name, "MIT-MAGIC-COOKIE-1") || data.len > XAUTH_DATA_MAX)
			continue;
		memcpy(ret->name, name.p, name.len);
		ret->name_len = name.len;
		memcpy(ret->data, data.p, data.len);
		ret->data_len = data.len;
		return 0;
	}
	return -ENOENT;
}

static size_t put_field(unsigned char *buf, size_t off, const void *p, size_t n)
{
	buf[off] = (unsigned char)(n >> 8);
	buf[off + 1] = (unsigned char)n;
	memcpy(buf + off + 2, p, n);
	return off + 2 + n;
}

/**
 * xauth_wild() - an authority file of one entry: cookie @c for any
 * address and display (FamilyWild, no number), in @buf of @len bytes.
 *
 * Return: its length, or 0 when @len is too small.
 */
size_t xauth_wild(const struct xauth_cookie *c, unsigned char *buf, size_t len)
{
	size_t need = 2 + 2 + 2 + 2 + c->name_len + 2 + c->data_len, off = 2;

	if (len < need)
		return 0;
	buf[0] = FAMILY_WILD >> 8;
	buf[1] = FAMILY_WILD & 0xff;
	off = put_field(buf, off, "", 0);
	off = put_field(buf, off, "", 0);
	off = put_field(buf, off, c->name, c->name_len);
	return put_field(buf, off, c->data, c->data_len);
}

/**
 * x11_display_number() - N of a local X display ":N", ":N.S" or "unix:N"
 * (a display by TCP, "host:N", is not local: fvm gives a VM sockets by
 * path only).
 *
 * Return: 0, or -EINVAL.
 */
int x11_display_number(const char *display, unsigned *ret)
{
	const char *p = display;
	char *end;
	unsigned long n;

	if (!p)
		return -EINVAL;
	if (!strncmp(p, "unix:", 5))
		p += 4;
	if (*p != ':' || p[1] < '0' || p[1] > '9')
		return -EINVAL;
	n = strtoul(p + 1, &end, 10);
	if (n > 65535 || (*end && (*end != '.' || end[1] < '0' || end[1] > '9')))
		return -EINVAL;
	/* the screen, digits to the end: DISPLAY goes as it is to Xephyr */
	if (*end && (strtoul(end + 1, &end, 10) > 65535 || *end))
		return -EINVAL;
	*ret = (unsigned)n;
	return 0;
}
