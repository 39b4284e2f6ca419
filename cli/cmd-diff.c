// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-diff.c - fvm diff: what a VM changed, compared with the host now. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changes-print.h"
#include "progress.h"

static const char usage[] =
	"Usage: fvm diff [--stat | --json] [--conflicts] NAME [PATH...]\n"
	"\n"
	"Show every change the VM made (under each PATH, or all), against the host now:\n"
	"  A added    M modified (content)    m metadata only (mode, owner)\n"
	"  D deleted  R replaced (type changed, or a directory emptied and remade)\n"
	"A '!' after the letter marks a conflict: the host changed that path after the\n"
	"VM first wrote it; 'fvm commit' refuses it unless --force.\n"
	"\n"
	"Options:\n"
	"      --stat   counts and sizes per top-level directory\n"
	"      --json   a JSON array: path, kind, type, size, mode, uid, gid,\n"
	"               mode_changed, owner_changed, link_target, conflict, conflict_why\n"
	"      --conflicts  only the conflicts (each line says why): where the host drifted\n"
	"               under the VM (the VM still sees its own copy there)\n"
	"  -h, --help   show this help\n"
	"See fvm-diff(1).\n";

struct stat_row {
	char top[256];
	size_t count[5];
	unsigned long long bytes;
};

struct diff_ctx {
	json_object *arr;
	struct stat_row *rows;
	size_t nrows;
	size_t total, conflicts;
	bool stat;
	bool only_conflicts;
	bool show_progress;      /* the output comes at the end, or not to a terminal */
	struct cli_progress line;
};

static int on_change(const struct fvm_change *c, void *ud)
{
	struct diff_ctx *d = ud;

	if (d->show_progress)
		cli_progress_update(&d->line, "changes read", d->total + 1, 0, 0, 0);
	if (d->only_conflicts && !c->conflict)
		return 0;
	d->total++;
	d->conflicts += c->conflict;
	if (d->arr) {
		json_object_array_add(d->arr, change_json(c));
	} else if (d->stat) {
		char top[256];
		const char *s = strchr(c->path + 1, '/');
		size_t i;

		snprintf(top, sizeof(top), "%.*s", s ? (int)(s - c->path) : (int)strlen(c->path), c->path);
		for (i = 0; i < d->nrows && strcmp(d->rows[i].top, top); i++)
			;
		if (i == d->nrows) {
			struct stat_row *nr = realloc(d->rows, (d->nrows + 1) * sizeof(*nr));

			if (!nr)
				return -1;
			d->rows = nr;
			memset(&nr[i], 0, sizeof(nr[i]));
			snprintf(nr[i].top, sizeof(nr[i].top), "%s", top);
			d->nrows++;
		}
		d->rows[i].count[c->kind % 5]++;
		if (c->type == 'f')
			d->rows[i].bytes += c->size;
	} else {
		print_change(stdout, c);   /* a conflict's line says why */
	}
	return 0;
}

static void print_stat(const struct diff_ctx *d)
{
	static const char *const k[] = { "added", "modified", "metadata", "deleted", "replaced" };
	unsigned long long all = 0;

	for (size_t i = 0; i < d->nrows; i++) {
		char sz[32];
		size_t n = 0;
		bool first = true;

		for (int j = 0; j < 5; j++)
			n += d->rows[i].count[j];
		snprintf(sz, sizeof(sz), "%llu", d->rows[i].bytes);
		cli_put_escaped(stdout, d->rows[i].top);
		printf("%*s %6zu change%s (", 24 - (int)strlen(d->rows[i].top) > 0 ? 24 - (int)strlen(d->rows[i].top) : 0,
		       "", n, n == 1 ? " " : "s");
		for (int j = 0; j < 5; j++)
			if (d->rows[i].count[j]) {
				printf("%s%zu %s", first ? "" : ", ", d->rows[i].count[j], k[j]);
				first = false;
			}
		printf("), %s bytes\n", sz);
		all += d->rows[i].bytes;
	}
	printf("%zu change%s, %llu bytes of file content%s\n", d->total, d->total == 1 ? "" : "s", all,
	       d->conflicts ? ", with conflicts" : "");
}

int cmd_diff(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "stat", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "conflicts", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct diff_ctx d = { 0 };
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm;
	char **paths;
	bool bad;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': d.stat = true; break;
		case 'j': d.arr = json_object_new_array(); break;
		case 'c': d.only_conflicts = true; break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("diff", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("diff", "no VM name given");
	paths = abs_paths(argc, argv, optind + 1, &bad);
	if (bad)
		return cli_errorf("out of memory");
	s = cli_store();
	vm = s ? cli_open_vm(s, argv[optind]) : NULL;
	if (!vm) {
		fvm_store_free(s);
		fvm_strv_free(paths);
		json_object_put(d.arr);
		return EXIT_FVM;
	}
	cli_progress_init(&d.line, "reading changes");
	d.show_progress = d.stat || d.arr || !isatty(1);
	r = fvm_vm_diff(vm, paths, on_change, &d, &e);
	cli_progress_end(&d.line);
	if (r < 0) {
		cli_fail(&e);
	} else if (d.arr) {
		puts(json_object_to_json_string_ext(d.arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (d.stat) {
		print_stat(&d);
	}
	json_object_put(d.arr);
	free(d.rows);
	fvm_vm_free(vm);
	fvm_store_free(s);
	fvm_strv_free(paths);
	return r < 0 ? EXIT_FVM : 0;
}
