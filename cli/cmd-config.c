// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-config.c - fvm config: show or change the settings of a stopped VM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmopts.h"

static const char usage[] =
	"Usage: fvm config NAME [OPTIONS]\n"
	"\n"
	"Without options, print the VM's settings (JSON, as in 'fvm inspect'). With\n"
	"options, change those settings of the stopped VM NAME; the others stay.\n"
	"Path policies are merged by path (--cow PATH removes one); --publish\n"
	"replaces the list of published ports; a limit of 0 removes it.\n"
	"\n"
	"Options:\n"
	VMOPTS_HELP
	"  -h, --help             show this help\n"
	"See fvm-config(1).\n";

int cmd_config(int argc, char **argv)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	struct vmopts v;
	int r, status = EXIT_FVM;

	vmopts_init(&v);
	r = vmopts_getopt(argc, argv, "config", usage, &v);
	if (r) {
		status = r < 0 ? 0 : r;
		goto out;
	}
	if (optind != argc - 1) {
		cli_usage_error("config", optind >= argc ? "no VM name given" : "one VM name only");
		goto out;
	}
	s = cli_store();
	vm = s ? cli_open_vm(s, argv[optind]) : NULL;
	if (!vm)
		goto out;
	if (v.what && fvm_vm_update(vm, &v.o, v.what, &e) < 0) {
		cli_fail(&e);
		goto out;
	}
	if (!v.what) {
		char *json;

		if (fvm_vm_inspect_json(vm, &json, &e) < 0) {
			cli_fail(&e);
			goto out;
		}
		puts(json);
		free(json);
	}
	status = 0;
out:
	fvm_vm_free(vm);
	fvm_store_free(s);
	vmopts_free(&v);
	return status;
}
