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

int cmd_start(int argc, char **argv)
{
	static const struct option lopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct fvm_store *s;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "+:h", lopts, NULL)) != -1)
		return c == 'h' ? cli_help(usage) : cli_bad_option("start", c, argv);
	if (optind >= argc)
		return cli_usage_error("start", "no VM name given");
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
		if (fvm_vm_start(vm, &e) < 0)
			status = cli_fail(&e);
		fvm_vm_free(vm);
	}
	fvm_store_free(s);
	return status;
}
