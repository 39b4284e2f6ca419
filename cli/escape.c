// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * escape.c - strings from a VM (process names, paths in its layers,
 * messages that quote them) made safe for a terminal. A VM controls them,
 * and an escape sequence in one could retitle, recolour or rewrite the
 * admin's terminal, or forge lines of fvm's output. Every C0 control
 * byte, DEL, C1 control (U+0080-U+009F, and the raw bytes 0x80-0x9F of an
 * 8-bit terminal), every byte that is not part of valid UTF-8 and the
 * backslash itself are written as \xNN (\\ for the backslash), so the
 * text stays readable and unambiguous; valid printable UTF-8 is kept.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

/* Length of the valid UTF-8 sequence at @s (lead byte >= 0x80) that is not a C1 control; 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned cp;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return n;
}

/*
 * The text for the bytes at @s into @out (room for 5 bytes and a NUL):
 * returns how many bytes of @s it stands for.
 */
static size_t escape_next(const unsigned char *s, char out[6])
{
	size_t n;

	if (*s == '\\') {
		strcpy(out, "\\\\");
		return 1;
	}
	if (*s >= 0x20 && *s < 0x7f) {
		out[0] = (char)*s;
		out[1] = '\0';
		return 1;
	}
	n = *s >= 0x80 ? utf8_len(s) : 0;
	if (n) {
		memcpy(out, s, n);
		out[n] = '\0';
		return n;
	}
	snprintf(out, 6, "\\x%02x", *s);
	return 1;
}

/**
 * cli_put_escaped() - write @s to @f, escaped for a terminal (see above)
 */
void cli_put_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		char out[6];

		p += escape_next(p, out);
		fputs(out, f);
	}
}

/**
 * cli_escape() - @s escaped for a terminal into @buf of @len bytes,
 * shortened (never in the middle of an escape) if it does not fit
 *
 * Return: @buf.
 */
char *cli_escape(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	while (*p) {
		char out[6];
		size_t k, n = escape_next(p, out);

		k = strlen(out);
		if (used + k >= len)
			break;
		memcpy(buf + used, out, k + 1);
		used += k;
		p += n;
	}
	return buf;
}
