// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-rm.c - fvm rm: delete a VM and its changes. */
#include <getopt.h>
#include <stdio.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm rm [-f] NAME...\n"
	"\n"
	"Remove each VM: its config and every change it made. The host is not touched.\n"
	"A running VM is refused unless -f, which stops it first.\n"
	"\n"
	"Options:\n"
	"  -f, --force   stop a running VM, then remove it\n"
	"  -h, --help    show this help\n"
	"See fvm-rm(1).\n";

static int rm_one(struct fvm_vm *vm, void *ctx, struct fvm_error *e)
{
	return fvm_vm_remove(vm, *(bool *)ctx, e);
}

int cmd_rm(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool force = false;
	int c;

	while ((c = getopt_long(argc, argv, ":fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("rm", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("rm", "no VM name given");
	return cli_each_vm(argc, argv, optind, rm_one, &force);
}
