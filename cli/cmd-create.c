// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-create.c - fvm create: make a new, stopped VM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmopts.h"

static const char usage[] =
	"Usage: fvm create [OPTIONS] NAME\n"
	"\n"
	"Create the VM NAME: a config and empty copy-on-write layers in the store.\n"
	"It costs no disk until a program in it writes. By default it sees the whole\n"
	"host copy-on-write, except /run (private: host daemons' sockets are out of\n"
	"reach), has no network but loopback, and runs under the default hardening.\n"
	"\n"
	"Options:\n"
	VMOPTS_HELP
	"  -h, --help             show this help\n"
	"\n"
	"Path policies may be given many times; the most specific path wins.\n"
	"NAME: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.\n"
	"Change the settings later with 'fvm config'. See fvm-create(1).\n";

int cmd_create(int argc, char **argv)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct vmopts v;
	int r, status = EXIT_FVM;

	vmopts_init(&v);
	r = vmopts_getopt(argc, argv, "create", usage, &v);
	if (r) {
		status = r < 0 ? 0 : r;
		goto out;
	}
	if (optind != argc - 1) {
		cli_usage_error("create", optind >= argc ? "no VM name given" : "one VM name only");
		goto out;
	}
	s = cli_store();
	if (!s)
		goto out;
	r = fvm_vm_create(s, argv[optind], &v.o, NULL, &e);
	if (r < 0) {
		cli_fail(&e);
		goto out;
	}
	cli_rootless_note(s);
	if (!(v.what & FVM_SET_PIDS))
		cli_rootless_limits_note(s);
	status = 0;
out:
	fvm_store_free(s);
	vmopts_free(&v);
	return status;
}
