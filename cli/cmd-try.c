// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd-try.c - fvm try: run one command in a throwaway VM that sees the host,
 * show what it changed, and keep all, some or none of it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changes-print.h"
#include "vmopts.h"

static const char usage[] =
	"Usage: fvm try [OPTIONS] [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in a new throwaway VM that sees this machine as it is, show what\n"
	"it changed, then ask: commit all, pick some, discard, or keep the VM for later.\n"
	"Without a terminal, the changes are discarded unless --commit or --keep.\n"
	"\n"
	"Options:\n"
	"      --commit           commit every change without asking\n"
	"      --discard          discard every change without asking\n"
	"      --keep             keep the VM (named tmp-XXXXXX) to look at or commit later\n"
	"      --net none|host    the VM's network (default: none)\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: COMMAND's (125 if fvm failed). See fvm-try(1).\n";

struct list {
	char **paths;
	size_t n;
};

static int collect(const struct fvm_change *c, void *ud)
{
	struct list *l = ud;

	printf("%4zu ", l->n + 1);
	print_change(stdout, c);
	return strv_add(&l->paths, &l->n, c->path);
}

/* "1 3-5": which of the listed changes to commit. */
static char **pick(const struct list *l)
{
	char line[1024], *tok, *save = NULL;
	char **v = calloc(l->n + 1, sizeof(char *));
	size_t k = 0;

	if (!v)
		return NULL;
	fprintf(stderr, "Numbers of the changes to commit (e.g. 1 3-5): ");
	if (!fgets(line, sizeof(line), stdin))
		return v;
	for (tok = strtok_r(line, " ,\n", &save); tok; tok = strtok_r(NULL, " ,\n", &save)) {
		unsigned long a, b;
		char *end;

		a = strtoul(tok, &end, 10);
		b = *end == '-' ? strtoul(end + 1, &end, 10) : a;
		if (*end || a < 1 || b > l->n || a > b) {
			fprintf(stderr, "fvm: ignored '%s': not a number from 1 to %zu\n", tok, l->n);
			continue;
		}
		for (unsigned long i = a; i <= b; i++)
			if (k < l->n && !(k && v[k - 1] == l->paths[i - 1]))
				v[k++] = l->paths[i - 1];
	}
	return v;
}

int cmd_try(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "commit", no_argument, NULL, 'c' },
		{ "discard", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "net", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fvm_vm_opts vo = { .net = FVM_NET_NONE };
	struct fvm_exec ex = { 0 };
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	struct fvm_vm *vm = NULL;
	struct list l = { 0 };
	char name[16];
	int c, status = EXIT_FVM, action = 0, r;
	bool keep = false;

	while ((c = getopt_long(argc, argv, "+:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'd':
			action = c;
			break;
		case 'k': keep = true; break;
		case 'N':
			if (parse_net(optarg, &vo.net))
				return EXIT_FVM;
			break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("try", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("try", "no command given: fvm try -- COMMAND [ARG...]");
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	cli_tmp_name(name, sizeof(name));
	if (fvm_vm_create(s, name, &vo, &vm, &e) < 0) {
		cli_fail(&e);
		goto out;
	}
	ex.argv = argv + optind;
	ex.stdin_open = true;
	ex.tty = isatty(0) && isatty(1);
	if (fvm_vm_exec(vm, &ex, &status, &e) < 0) {
		cli_fail(&e);
		status = !e.exec_failed ? EXIT_FVM : e.code == -ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
	}
	fvm_vm_stop(vm, 10, NULL);
	fprintf(stderr, "fvm: changes made by '%s':\n", argv[optind]);
	fflush(stderr);
	if (fvm_vm_diff(vm, NULL, collect, &l, &e) < 0) {
		cli_fail(&e);
		keep = true;   /* never lose what we could not show */
		goto out;
	}
	if (!l.n) {
		fprintf(stderr, "fvm: none\n");
		goto out;
	}
	if (!action && !keep && isatty(0)) {
		char line[16];

		fprintf(stderr, "[c]ommit all, [p]ick, [d]iscard, [k]eep the VM as '%s'? ", name);
		action = fgets(line, sizeof(line), stdin) ? line[0] | 0x20 : 'k';
		/* only an explicit 'd' drops the changes: anything else keeps them */
		keep = action != 'c' && action != 'p' && action != 'd';
	}
	if (!keep && (action == 'c' || action == 'p')) {
		struct fvm_commit_opts o = { 0 };
		char **chosen = action == 'p' ? pick(&l) : NULL;

		r = commit_paths(vm, action == 'p' ? chosen : NULL, &o);
		free(chosen);   /* the strings belong to l */
		if (r) {
			keep = true;
			status = r;
		}
	}
out:
	if (vm && keep)
		fprintf(stderr, "fvm: kept VM '%s': 'fvm diff %s', 'fvm commit %s', 'fvm rm %s'\n", name, name,
			name, name);
	else if (vm && fvm_vm_remove(vm, true, &e) < 0)
		cli_fail(&e);
	fvm_strv_free(l.paths);
	fvm_vm_free(vm);
	fvm_store_free(s);
	return status;
}
