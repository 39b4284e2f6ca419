// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-start.c - fvm start: boot a VM and keep it running in the background. */
#include <getopt.h>
#include <stdio.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm start NAME...\n"
	"\n"
	"Start each VM: its init stays up, with no process in it, until 'fvm stop'.\n"
	"Programs then join it with 'fvm exec' or 'fvm run'. Starting a running VM\n"
	"keeps it running after its current programs exit.\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n"
	"See fvm-start(1).\n";

static int start_one(struct fvm_vm *vm, void *ctx, struct fvm_error *e)
{
	return fvm_vm_start(vm, e);
}

int cmd_start(int argc, char **argv)
{
	static const struct option lopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int c;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1)
		return c == 'h' ? cli_help(usage) : cli_bad_option("start", c, argv);
	if (optind >= argc)
		return cli_usage_error("start", "no VM name given");
	return cli_each_vm(argc, argv, optind, start_one, NULL);
}
