/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xauth.h - X authority files (libXau's format): picking the cookie of
 * one display, writing a file that holds that cookie only.
 */
#ifndef FVM_XAUTH_H
#define FVM_XAUTH_H

#include <stddef.h>

#define XAUTH_NAME_MAX 64      /* "MIT-MAGIC-COOKIE-1" is 18 */
#define XAUTH_DATA_MAX 256     /* a MIT cookie is 16 bytes */
#define XAUTH_FILE_MAX 65536   /* a bigger authority file is refused */

struct xauth_cookie {
	char name[XAUTH_NAME_MAX];
	size_t name_len;
	unsigned char data[XAUTH_DATA_MAX];
	size_t data_len;
};

int xauth_pick(const unsigned char *buf, size_t len, unsigned display, const char *hostname,
	       struct xauth_cookie *ret);
size_t xauth_wild(const struct xauth_cookie *c, unsigned char *buf, size_t len);
int x11_display_number(const char *display, unsigned *ret);

#endif
