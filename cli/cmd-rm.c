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

int cmd_rm(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool force = false;
	struct fvm_store *s;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "+:fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("rm", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("rm", "no VM name given");
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	for (int i = optind; i < argc; i++) {
		struct fvm_error e = { 0 };
		struct fvm_vm *vm = cli_open_vm(s, argv[i]);

		if (!vm) {
			status = EXIT_FVM;
			continue;
		}
		if (fvm_vm_remove(vm, force, &e) < 0)
			status = cli_fail(&e);
		fvm_vm_free(vm);
	}
	fvm_store_free(s);
	return status;
}
