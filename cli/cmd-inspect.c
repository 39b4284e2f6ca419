// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-inspect.c - fvm inspect: config and state of VMs, as a JSON array. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm inspect NAME...\n"
	"\n"
	"Print a JSON array with one object per VM: schema_version (1), name,\n"
	"created, state, init_pid, persistent, processes, net, hostname, mode (root\n"
	"or rootless), uid_base and uid_count (root mode) or owner and ids (rootless:\n"
	"single, or sub with subuid and subgid, the first host ids of VM ids 1..),\n"
	"hardening, policies, effective_policies, publish, limits, profile, path,\n"
	"cow (auto, kernel or fuse) and layers [{mount, upper, and while running\n"
	"backend: kernel or fuse}]. The schema is in fvm-inspect(1).\n"
	"\n"
	"Options:\n"
	"  -h, --help   show this help\n"
	"See fvm-inspect(1).\n";

int cmd_inspect(int argc, char **argv)
{
	static const struct option lopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct fvm_store *s;
	int c, status = 0;
	char **jsons;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1)
		return c == 'h' ? cli_help(usage) : cli_bad_option("inspect", c, argv);
	if (optind >= argc)
		return cli_usage_error("inspect", "no VM name given");
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	/* gather first: a script piping this to jq gets all of it or nothing */
	jsons = calloc((size_t)(argc - optind), sizeof(char *));
	for (int i = optind; jsons && i < argc; i++) {
		struct fvm_error e = { 0 };
		struct fvm_vm *vm = cli_open_vm(s, argv[i]);

		if (!vm) {
			status = EXIT_FVM;
			continue;
		}
		if (fvm_vm_inspect_json(vm, &jsons[i - optind], &e) < 0)
			status = cli_fail(&e);
		fvm_vm_free(vm);
	}
	if (!jsons)
		status = cli_errorf("out of memory");
	if (status == 0) {
		fputs("[", stdout);
		for (int i = 0; i < argc - optind; i++)
			printf("%s\n%s", i ? "," : "", jsons[i]);
		puts("\n]");
	}
	for (int i = 0; jsons && i < argc - optind; i++)
		free(jsons[i]);
	free(jsons);
	fvm_store_free(s);
	return status;
}
