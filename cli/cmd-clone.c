// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-clone.c - fvm clone and fvm rename: a VM under another name. */
#include <getopt.h>
#include <stdio.h>

#include "common.h"
#include "progress.h"

static const char clone_usage[] =
	"Usage: fvm clone SRC DST\n"
	"\n"
	"Make the VM DST with the changes and settings of the VM SRC. Nothing\n"
	"is copied: SRC's changes are frozen into a read-only layer that both stand on,\n"
	"each with an empty layer of its own on top, so neither sees what the other\n"
	"writes next (a clone costs the same for ten changed files as for a million).\n"
	"DST gets its own name, creation time, hostname (if SRC's was its name) and, as\n"
	"root, its own uid range; not SRC's snapshots, and empty --private directories.\n"
	"A running SRC costs a copy of its layer, made while its processes are stopped;\n"
	"on a terminal a progress line shows it (entries, bytes), as it shows the merge\n"
	"of the two lowest frozen layers when SRC stands on the most it may (16).\n"
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

/* Parse "CMD [-h] A B"; the store in *@ret_store, or an exit status (>= 0). */
static int two_names(const char *cmd, const char *usage, int argc, char **argv, struct fvm_store **ret_store)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

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
	*ret_store = cli_store();
	return *ret_store ? -1 : EXIT_FVM;
}

/* The end of a clone or a rename of @argv[optind] as @argv[optind + 1]. */
static int two_names_done(struct fvm_store *s, int r, struct fvm_error *e, char **argv, const char *done)
{
	int status = 0;

	if (r < 0)
		status = cli_fail(e);
	else
		fprintf(stderr, "fvm: %s VM '%s' as '%s'\n", done, argv[optind], argv[optind + 1]);
	fvm_store_free(s);
	return status;
}

int cmd_clone(int argc, char **argv)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct cli_progress line;
	struct fvm_snapshot_opts o = { .on_progress = cli_progress_copy, .userdata = &line };
	int r = two_names("clone", clone_usage, argc, argv, &s);

	if (r >= 0)
		return r;
	cli_progress_init(&line, "cloning");
	r = fvm_vm_clone(s, argv[optind], argv[optind + 1], &o, &e);
	cli_progress_end(&line);
	return two_names_done(s, r, &e, argv, "cloned");
}

int cmd_rename(int argc, char **argv)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	int r = two_names("rename", rename_usage, argc, argv, &s);

	if (r >= 0)
		return r;
	r = fvm_vm_rename(s, argv[optind], argv[optind + 1], &e);
	return two_names_done(s, r, &e, argv, "renamed");
}
