// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd-oci.c - `fvm oci ARGS`: the OCI runtime, fvm-oci, installed beside
 * fvm (engines are given the fvm-oci binary itself: their runtime is one
 * path). This runs the fvm-oci next to this fvm (or in a build tree's
 * oci/), else the one in $PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int cmd_oci(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		/* fvm's own line first, then fvm-oci's usage */
		printf("Usage: fvm oci COMMAND [ARG...]\n\n"
		       "The same as fvm-oci COMMAND [ARG...], fvm's OCI runtime (see fvm-oci(1)):\n\n");
		fflush(stdout);
	}
	argv[0] = "fvm-oci";
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s/fvm-oci", self);
			execv(path, argv);
			/* the build tree: build/cli/fvm and build/oci/fvm-oci */
			snprintf(path, sizeof(path), "%s/../oci/fvm-oci", self);
			execv(path, argv);
		}
	}
	execvp("fvm-oci", argv);
	return cli_errorf("oci: cannot run fvm-oci (beside %s or in $PATH): %s",
			  n > 0 ? self : "fvm", strerror(errno));
}
