// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd-try.c - fvm try: run one command in a throwaway VM that sees the host,
 * show what it changed, and keep all, some or none of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "changes-print.h"
#include "try-diff.h"
#include "vmopts.h"

static const char usage[] =
	"Usage: fvm try [OPTIONS] [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in a new throwaway VM that sees this machine as it is, show what\n"
	"it changed, then ask: commit all, pick some, discard, or keep the VM for later;\n"
	"'v N' at the question shows a unified diff of change N (host vs VM, escaped).\n"
	"Without a terminal, the changes are discarded unless --commit or --keep.\n"
	"\n"
	"Options:\n"
	"      --commit           commit every change without asking\n"
	"      --discard          discard every change without asking\n"
	"      --keep             keep the VM (named tmp-XXXXXX) to look at or commit later\n"
	"      --json             no questions, no list: one JSON object on stdout at the\n"
	"                         end: {vm, status, action: commit|discard|keep, kept,\n"
	"                         changes: [as fvm diff --json], commit: as fvm commit\n"
	"                         --json, after --commit} (without --commit or --keep:\n"
	"                         discard); the command's stdout goes to stderr\n"
	"  -h, --help             show this help\n"
	"\n"
	"Settings of the throwaway VM (see fvm create):\n"
	VMOPTS_HELP
	"\n"
	"Processes the command leaves running in the VM are stopped when it ends\n"
	"(SIGTERM, SIGKILL after 10 s), with a countdown on a terminal.\n"
	"\n"
	"Exit status: COMMAND's (125 if fvm failed). See fvm-try(1).\n";

struct list {
	char **paths;
	size_t n;
	json_object *json;   /* --json: the changes, not printed */
};

static int collect(const struct fvm_change *c, void *ud)
{
	struct list *l = ud;

	if (l->json) {
		json_object_array_add(l->json, change_json(c));
	} else {
		printf("%4zu ", l->n + 1);
		print_change(stdout, c);
	}
	return strv_add(&l->paths, &l->n, c->path);
}

/*
 * The command is done, but it may have left processes in the VM, which
 * fvm_vm_stop() ends (SIGTERM, then SIGKILL after 10 s): say so, with a
 * countdown on a terminal (a child process counts while we wait).
 */
static void stop_leftovers(struct fvm_vm *vm)
{
	struct fvm_proc *procs = NULL;
	size_t n = 0, first = 0;
	pid_t counter = -1;

	if (fvm_vm_processes(vm, &procs, &n, NULL) == 0 && n > 0 && procs[0].vm_pid == 1) {
		n--;   /* not the VM's init */
		first = 1;
	}
	if (n > 0) {
		fprintf(stderr, "fvm: the command left %zu process%s running in the VM (first: ", n, n == 1 ? "" : "es");
		cli_put_escaped(stderr, procs[first].comm);
		fprintf(stderr, "): stopping %s: SIGTERM, SIGKILL after 10 s\n", n == 1 ? "it" : "them");
		fflush(stderr);
		if (isatty(2) && (counter = fork()) == 0) {
			for (int left = 10; left > 0; left--) {
				fprintf(stderr, "\r\033[Kfvm: %d s left before SIGKILL", left);
				sleep(1);
			}
			_exit(0);
		}
	}
	free(procs);
	fvm_vm_stop(vm, 10, NULL);
	if (counter > 0) {
		kill(counter, SIGKILL);
		waitpid(counter, NULL, 0);
		fputs("\r\033[K", stderr);
	}
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

struct try_opts {
	struct vmopts vm;
	int action;     /* 'c', 'd', or 0: ask */
	bool keep, json;
	int argi;       /* the command, in argv */
};

/* Return: 0, -1 for --help, or an exit status (said why). */
static int try_parse(int argc, char **argv, struct try_opts *t)
{
	static const struct option own[] = {
		{ "commit", no_argument, NULL, 'c' },
		{ "discard", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct option *all = vmopts_merge(own);
	int c, r = 0;

	if (!all)
		return cli_errorf("out of memory");
	while (r == 0 && (c = getopt_long(argc, argv, "+:hp:", all, NULL)) != -1) {
		if (c == 'c' || c == 'd')
			t->action = c;
		else if (c == 'k')
			t->keep = true;
		else if (c == 'j')
			t->json = true;
		else if (c == 'h')
			r = -1;
		else if ((r = vmopts_parse(&t->vm, c == 'p' ? VMOPT_BASE + 2 : c, optarg)) == 1)
			r = cli_bad_option("try", c, argv);
	}
	free(all);
	if (r)
		return r;
	if (optind >= argc)
		return cli_usage_error("try", "no command given: fvm try -- COMMAND [ARG...]");
	if (t->json && !t->action && !t->keep)
		t->action = 'd';   /* no questions with --json: as without a terminal */
	t->argi = optind;
	return 0;
}

/* "v N": the diff of change N. */
static void view(struct fvm_vm *vm, const struct list *l, const char *arg)
{
	char *end;
	unsigned long i = strtoul(arg, &end, 10);

	if (end == arg || (*end && *end != '\n') || i < 1 || i > l->n) {
		fprintf(stderr, "fvm: 'v N' shows the diff of change N, a number from 1 to %zu\n", l->n);
		return;
	}
	try_show_diff(vm, l->paths[i - 1]);
}

/* Ask what to do, on a terminal; only an explicit 'd' drops the changes. */
static void try_ask(struct try_opts *t, struct fvm_vm *vm, const struct list *l, const char *name)
{
	char line[64];

	if (t->action || t->keep || !isatty(0))
		return;
	for (;;) {
		fprintf(stderr, "[c]ommit all, [p]ick, [d]iscard, [k]eep the VM as '%s', [v] N: diff of change N? ",
			name);
		t->action = fgets(line, sizeof(line), stdin) ? line[0] | 0x20 : 'k';
		if (t->action != 'v')
			break;
		view(vm, l, line + 1);
	}
	t->keep = t->action != 'c' && t->action != 'p' && t->action != 'd';
}

/* Commit what was chosen. Return: 0, or the exit status (and the VM is kept). */
static int try_commit(struct fvm_vm *vm, struct try_opts *t, struct list *l, json_object *report)
{
	struct fvm_commit_opts o = { 0 };
	char **chosen = t->action == 'p' ? pick(l) : NULL;
	json_object *res = NULL;
	int r;

	if (t->json) {
		r = commit_json(vm, NULL, &o, &res);
		json_object_object_add(report, "commit", res);
	} else {
		r = commit_paths(vm, chosen, &o);
	}
	free(chosen);   /* the strings belong to l */
	if (r)
		t->keep = true;
	return r;
}

/* Run the command; with --json its stdout goes to stderr: stdout is the report's. */
static int try_exec(struct fvm_vm *vm, struct fvm_exec *ex, bool json, int *status)
{
	struct fvm_error e = { 0 };
	int saved = json ? fcntl(1, F_DUPFD_CLOEXEC, 3) : -1, r;

	if (json && (saved < 0 || dup2(2, 1) < 0))
		return cli_errorf("cannot point the command's stdout at stderr");
	r = fvm_vm_exec(vm, ex, status, &e);
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, 1);
		close(saved);
	}
	if (r < 0) {
		cli_fail(&e);
		*status = !e.exec_failed ? EXIT_FVM : e.code == -ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
	}
	return r;
}

int cmd_try(int argc, char **argv)
{
	struct try_opts t = { 0 };
	struct fvm_exec ex = { 0 };
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	struct list l = { 0 };
	json_object *report = NULL;
	char name[16];
	int status = EXIT_FVM, r;

	vmopts_init(&t.vm);
	r = try_parse(argc, argv, &t);
	if (r) {
		vmopts_free(&t.vm);
		return r < 0 ? cli_help(usage) : r;
	}
	if (t.json) {
		l.json = json_object_new_array();
		report = json_object_new_object();
	}
	s = cli_store();
	if (!s)
		goto out;
	cli_tmp_name(name, sizeof(name));
	if (fvm_vm_create(s, name, &t.vm.o, &vm, &e) < 0) {
		cli_fail(&e);
		goto out;
	}
	ex.argv = argv + t.argi;
	ex.stdin_open = true;
	ex.tty = isatty(0) && isatty(1) && !t.json;
	r = try_exec(vm, &ex, t.json, &status);
	stop_leftovers(vm);
	if (!t.json) {
		fprintf(stderr, "fvm: changes made by '%s':\n", argv[t.argi]);
		fflush(stderr);
	}
	if (fvm_vm_diff(vm, NULL, collect, &l, &e) < 0) {
		cli_fail(&e);
		t.keep = true;   /* never lose what we could not show */
		goto out;
	}
	if (!l.n && !t.json)
		fprintf(stderr, "fvm: none\n");
	if (l.n)
		try_ask(&t, vm, &l, name);
	if (l.n && !t.keep && (t.action == 'c' || t.action == 'p') && (r = try_commit(vm, &t, &l, report)))
		status = r;
	else if (l.n && !t.keep && !t.json)   /* what a commit took is no longer in the VM */
		fprintf(stderr, "fvm: discarded %zu change%s (listed above), with the VM\n", l.n, l.n == 1 ? "" : "s");
out:
	if (vm && t.keep)
		fprintf(stderr, "fvm: kept VM '%s': 'fvm diff %s', 'fvm commit %s', 'fvm rm %s'\n", name, name,
			name, name);
	else if (vm && fvm_vm_remove(vm, true, &e) < 0)
		cli_fail(&e);
	if (report && vm) {
		json_object_object_add(report, "vm", json_object_new_string(name));
		json_object_object_add(report, "status", json_object_new_int(status));
		json_object_object_add(report, "action", json_object_new_string(t.keep ? "keep" : t.action == 'c' ? "commit" : "discard"));
		json_object_object_add(report, "kept", json_object_new_boolean(t.keep));
		json_object_object_add(report, "changes", json_object_get(l.json));
		puts(json_object_to_json_string_ext(report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(report);
	json_object_put(l.json);
	vmopts_free(&t.vm);
	fvm_strv_free(l.paths);
	fvm_vm_free(vm);
	fvm_store_free(s);
	return status;
}
