// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * name.c - VM names. A name becomes a directory name in the store, a
 * hostname and part of messages, so it is checked before it touches any
 * path: a short run of [A-Za-z0-9._-] that starts with a letter or digit
 * (so never "", ".", "..", "-x", and never contains '/' or control bytes).
 */
#include <errno.h>
#include <string.h>

#include "util/util.h"

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/**
 * fvm_name_check() - is @name usable as a VM name?
 *
 * Return: 0 or -EINVAL with a message that says what names look like.
 */
FVM_PUBLIC int fvm_name_check(const char *name, struct fvm_error *err)
{
	size_t len = name ? strnlen(name, FVM_NAME_MAX + 1) : 0;
	bool ok = len >= 1 && len <= FVM_NAME_MAX && name_char((unsigned char)name[0]) &&
		  name[0] != '.' && name[0] != '_' && name[0] != '-';

	for (size_t i = 1; ok && i < len; i++)
		ok = name_char((unsigned char)name[i]);
	if (ok)
		return 0;
	if (!name)
		return fvm_errf(err, -EINVAL, "no VM name given");
	/* never echo control bytes (C0, DEL, C1 or other non-ASCII) back to the terminal */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f)
			return fvm_errf(err, -EINVAL,
					"bad VM name (contains control or non-ASCII characters): use 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit",
					FVM_NAME_MAX);
	/* len stops at FVM_NAME_MAX + 1: show at most 40, with "..." if there is more */
	return fvm_errf(err, -EINVAL,
			"bad VM name '%.*s%s': use 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit",
			40, name, len > 40 ? "..." : "", FVM_NAME_MAX);
}
