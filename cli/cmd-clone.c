// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-clone.c - fvm clone and fvm rename: a VM under another name. */
#include <getopt.h>
#include <stdio.h>

#include "common.h"

static const char clone_usage[] =
	"Usage: fvm clone SRC DST\n"
	"\n"
	"Make the VM DST with the changes and settings of the VM SRC. Nothing\n"
	"is copied: SRC's changes are frozen into a read-only layer that both stand on,\n"
	"each with an empty layer of its own on top, so neither sees what the other\n"
	"writes next (a clone costs the same for ten changed files as for a million).\n"
	"DST gets its own name, creation time, hostname (if SRC's was its name) and, as\n"
	"root, its own uid range; not SRC's snapshots, and empty --private directories.\n"
	"A running SRC costs a copy of its layer, made while its processes are stopped.\n"
	"\n"
	"Options:\n"
	"  -h, --help    show this help\n"
	"See fvm-clone(1).\n";

static const char rename_usage[] =
	"Usage: fvm rename OLD NEW\n"
	"\n"
	"Rename the stopped VM OLD to NEW; its hostname follows if it was its name.\n"
	"\n"
	"Options:\n"
	"  -h, --help    show this help\n"
	"See fvm-clone(1).\n";

static int two_names(const char *cmd, const char *usage, int argc, char **argv,
		     int (*op)(struct fvm_store *, const char *, const char *, struct fvm_error *),
		     const char *done)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(usage);
		default: return cli_bad_option(cmd, c, argv);
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(cmd, "give two VM names");
	if (argc - optind > 2)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	if (op(s, argv[optind], argv[optind + 1], &e) < 0)
		status = cli_fail(&e);
	else
		fprintf(stderr, "fvm: %s VM '%s' as '%s'\n", done, argv[optind], argv[optind + 1]);
	fvm_store_free(s);
	return status;
}

int cmd_clone(int argc, char **argv)
{
	return two_names("clone", clone_usage, argc, argv, fvm_vm_clone, "cloned");
}

int cmd_rename(int argc, char **argv)
{
	return two_names("rename", rename_usage, argc, argv, fvm_vm_rename, "renamed");
}
