// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-snapshot.c - fvm snapshot, fvm snapshots, fvm restore: a VM's frozen layers. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "common.h"
#include "progress.h"

static const char snapshot_usage[] =
	"Usage: fvm snapshot NAME [TAG]\n"
	"       fvm snapshot --rm NAME TAG...\n"
	"\n"
	"Freeze the changes of the VM NAME as the snapshot TAG (default: the\n"
	"next free snapN). Nothing is copied: the VM's layer becomes a read-only layer\n"
	"under a new, empty one, so a snapshot costs the same for ten changed files as\n"
	"for a million. 'fvm restore NAME TAG' goes back to it; 'fvm diff' and\n"
	"'fvm commit' see the VM's changes across all its layers.\n"
	"A VM stands on at most 16 frozen layers; at 16 the lowest two are merged into\n"
	"one first (hard links, no copy; a running VM is refused there).\n"
	"A running VM costs a copy: its processes are stopped while its layer is\n"
	"copied (the snapshot holds one instant), then run on (see fvm-snapshot(1)).\n"
	"On a terminal, the copy and the merge show a progress line (entries, bytes).\n"
	"TAG: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.\n"
	"\n"
	"Options:\n"
	"      --rm      forget the snapshots TAG... (their layers go once nothing\n"
	"                stands on them)\n"
	"  -h, --help    show this help\n"
	"See fvm-snapshot(1).\n";

static const char snapshots_usage[] =
	"Usage: fvm snapshots [--json] NAME\n"
	"\n"
	"List the snapshots of VM NAME, oldest first: tag, when it was taken, the size\n"
	"of the layer it froze, and how many frozen layers it stands on.\n"
	"\n"
	"Options:\n"
	"      --json    one JSON array of {tag, created, size_bytes, depth}\n"
	"  -h, --help    show this help\n"
	"See fvm-snapshot(1).\n";

static const char restore_usage[] =
	"Usage: fvm restore NAME TAG\n"
	"\n"
	"Make the stopped VM NAME exactly what it was when the snapshot TAG was taken.\n"
	"Its changes since then are dropped, unless a later snapshot holds them.\n"
	"Snapshots are kept.\n"
	"\n"
	"Options:\n"
	"  -h, --help    show this help\n"
	"See fvm-snapshot(1).\n";

/*
 * The options of fvm @cmd: -h, and the one flag --@flag (NULL: none) that
 * sets *@on. Return: -1 to go on, else the command's exit status.
 */
static int parse_opts(int argc, char **argv, const char *cmd, const char *usage, const char *flag,
		      bool *on)
{
	const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ flag ? flag : "help", no_argument, NULL, flag ? 'f' : 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': *on = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option(cmd, c, argv);
		}
	}
	return -1;
}

/* The store and the VM @name; NULL (both freed, the error shown) if either fails. */
static struct fvm_vm *open_vm(const char *name, struct fvm_store **s)
{
	struct fvm_vm *vm;

	*s = cli_store();
	vm = *s ? cli_open_vm(*s, name) : NULL;
	if (!vm) {
		fvm_store_free(*s);
		*s = NULL;
	}
	return vm;
}

int cmd_snapshot(int argc, char **argv)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm;
	char tag[FVM_TAG_MAX + 1];
	bool rm = false;
	int status = parse_opts(argc, argv, "snapshot", snapshot_usage, "rm", &rm);

	if (status >= 0)
		return status;
	status = 0;
	if (optind >= argc)
		return cli_usage_error("snapshot", "no VM name given");
	if (rm && optind + 1 >= argc)
		return cli_usage_error("snapshot", "--rm needs the tags of the snapshots to forget");
	if (!rm && argc - optind > 2)
		return cli_usage_error("snapshot", "unexpected argument '%s'", argv[optind + 2]);
	vm = open_vm(argv[optind], &s);
	if (!vm)
		return EXIT_FVM;
	if (rm) {
		for (int i = optind + 1; i < argc; i++) {
			struct fvm_error ei = { 0 };

			if (fvm_vm_snapshot_remove(vm, argv[i], &ei) < 0)
				status = cli_fail(&ei);
			else
				fprintf(stderr, "fvm: removed snapshot '%s' of VM '%s'\n", argv[i], argv[optind]);
		}
	} else {
		struct cli_progress line;
		struct fvm_snapshot_opts o = { .on_progress = cli_progress_copy, .userdata = &line };
		int r;

		cli_progress_init(&line, "taking a snapshot");
		r = fvm_vm_snapshot(vm, optind + 1 < argc ? argv[optind + 1] : NULL, tag, sizeof(tag), &o, &e);
		cli_progress_end(&line);
		if (r < 0)
			status = cli_fail(&e);
		else
			printf("%s\n", tag);
	}
	fvm_vm_free(vm);
	fvm_store_free(s);
	return status;
}

struct listing {
	json_object *arr;
};

static int show(const struct fvm_snapshot *sn, void *ud)
{
	struct listing *l = ud;

	if (l->arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "tag", json_object_new_string(sn->tag));
		json_object_object_add(o, "created", json_object_new_int64((int64_t)sn->created));
		json_object_object_add(o, "size_bytes", json_object_new_int64((int64_t)sn->size));
		json_object_object_add(o, "depth", json_object_new_int64(sn->depth));
		json_object_array_add(l->arr, o);
	} else {
		char when[32], sz[32];
		struct tm tm;

		cli_size(sn->size, false, sz, sizeof(sz));
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&sn->created, &tm));
		printf("%-24s %-19s %10s %6u\n", sn->tag, when, sz, sn->depth);
	}
	return 0;
}

int cmd_snapshots(int argc, char **argv)
{
	struct listing l = { 0 };
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm;
	bool json = false;
	int status = parse_opts(argc, argv, "snapshots", snapshots_usage, "json", &json);

	if (status >= 0)
		return status;
	status = 0;
	if (optind >= argc)
		return cli_usage_error("snapshots", "no VM name given");
	if (argc - optind > 1)
		return cli_usage_error("snapshots", "unexpected argument '%s'", argv[optind + 1]);
	vm = open_vm(argv[optind], &s);
	if (!vm)
		return EXIT_FVM;
	if (json)
		l.arr = json_object_new_array();
	if (!l.arr)
		printf("%-24s %-19s %10s %6s\n", "TAG", "CREATED", "SIZE", "DEPTH");
	if (fvm_vm_snapshots(vm, show, &l, &e) < 0)
		status = cli_fail(&e);
	else if (l.arr)
		puts(json_object_to_json_string_ext(l.arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(l.arr);
	fvm_vm_free(vm);
	fvm_store_free(s);
	return status;
}

int cmd_restore(int argc, char **argv)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm;
	int status = parse_opts(argc, argv, "restore", restore_usage, NULL, NULL);

	if (status >= 0)
		return status;
	status = 0;
	if (argc - optind < 2)
		return cli_usage_error("restore", "give the VM's name and a snapshot's tag");
	if (argc - optind > 2)
		return cli_usage_error("restore", "unexpected argument '%s'", argv[optind + 2]);
	vm = open_vm(argv[optind], &s);
	if (!vm)
		return EXIT_FVM;
	if (fvm_vm_restore(vm, argv[optind + 1], &e) < 0)
		status = cli_fail(&e);
	else
		fprintf(stderr, "fvm: VM '%s' is back at snapshot '%s'\n", argv[optind], argv[optind + 1]);
	fvm_vm_free(vm);
	fvm_store_free(s);
	return status;
}
