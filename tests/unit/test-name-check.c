/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-name-check.c - fvm_name_check() accepts exactly the VM names the
 * contract allows: 1..64 bytes of [A-Za-z0-9_.-] starting with a letter or
 * digit; it refuses everything else with a negative errno and a message
 * naming the bad name, before any path is built from it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fvm.h"
#include "tap.h"

static const char *const good[] = {
	"web", "a.b-c_1", "A", "0", "x..y", "node-01.example",
};

static const char *const bad[] = {
	"", ".", "..", "a/b", "/", "-x", "_x", ".hidden", "a\nb", "a b",
	"a\tb", "tab\x7f", "caf\xc3\xa9", "a:b", "a*b", "../etc",
};

/* The message is documented as one line: no control characters at all. */
static bool one_line(const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Copy s with control and non-ASCII bytes as \xNN, so TAP stays one line. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < size; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
	return buf;
}

int main(void)
{
	char pb[2 * FVM_ERROR_MSG_MAX];
	char max[FVM_NAME_MAX + 1];
	char over[FVM_NAME_MAX + 2];
	size_t ngood = sizeof(good) / sizeof(good[0]);
	size_t nbad = sizeof(bad) / sizeof(bad[0]);

	memset(max, 'a', FVM_NAME_MAX);
	max[FVM_NAME_MAX] = '\0';
	memset(over, 'a', FVM_NAME_MAX + 1);
	over[FVM_NAME_MAX + 1] = '\0';

	tap_plan((int)(ngood + 3 * nbad + 4));

	for (size_t i = 0; i < ngood; i++) {
		struct fvm_error err = { 0 };

		tap_ok(fvm_name_check(good[i], &err) == 0, "good name '%s' accepted", good[i]);
	}

	for (size_t i = 0; i < nbad; i++) {
		struct fvm_error err = { 0 };
		int r = fvm_name_check(bad[i], &err);

		tap_ok(r < 0, "bad name '%s' refused (r=%d)",
		       printable(bad[i], pb, sizeof(pb)), r);
		tap_ok(r < 0 && err.msg[0] != '\0' && err.code == r,
		       "bad name #%zu: error filled (code=%d)", i, err.code);
		tap_ok(one_line(err.msg), "bad name #%zu: message is one printable line: '%s'",
		       i, printable(err.msg, pb, sizeof(pb)));
	}

	struct fvm_error err = { 0 };
	tap_ok(fvm_name_check(max, &err) == 0, "%d-byte name accepted", FVM_NAME_MAX);
	tap_ok(fvm_name_check(over, &err) < 0, "%d-byte name refused", FVM_NAME_MAX + 1);

	/* The message quotes the offending name so the user sees what was wrong. */
	memset(&err, 0, sizeof(err));
	fvm_name_check("a/b", &err);
	tap_ok(strstr(err.msg, "a/b") != NULL, "message names the bad name: '%s'",
	       printable(err.msg, pb, sizeof(pb)));

	/* A NULL error pointer is allowed. */
	tap_ok(fvm_name_check("..", NULL) < 0, "works without an error struct");

	return tap_done();
}
