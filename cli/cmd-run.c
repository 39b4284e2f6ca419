// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd-run.c - fvm run and fvm exec: run a program inside a VM.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drift.h"
#include "suggest.h"
#include "vmopts.h"

static const char run_usage[] =
	"Usage: fvm run [OPTIONS] NAME [--] [COMMAND [ARG...]]\n"
	"       fvm run --rm [OPTIONS] -- COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in the VM NAME, as if on this machine: it sees the host's files and\n"
	"programs, and what it changes stays in the VM. A VM that does not exist is\n"
	"created; a stopped one is started, and stops again when its last process exits;\n"
	"a running one is joined. Without COMMAND: your login shell, with a terminal.\n"
	"\n"
	"Options:\n"
	"  -i, --interactive      pass stdin to the program (default: /dev/null)\n"
	"  -t, --tty              give the program a terminal inside the VM\n"
	"      --rm               use a new VM and remove it afterwards (no NAME\n"
	"                         before '--': a name tmp-XXXXXX is chosen)\n"
	"  -e, --env KEY=VALUE    set an environment variable (KEY alone: take it from here)\n"
	"  -w, --workdir DIR      working directory inside the VM (default: the current\n"
	"                         one if the VM has it, else the home directory)\n"
	"  -u, --user USER[:GROUP]  run as this user of the VM (default: root); as root only\n"
	"  -h, --help             show this help\n"
	"\n"
	"Settings of a VM that this command creates (see fvm create). An existing VM\n"
	"keeps its own: given for one, they are refused (change them with 'fvm config'\n"
	"while it is stopped). A NAME one edit away from an existing VM's (wbe, web) is\n"
	"taken for a typo and refused: make such a VM with 'fvm create' first.\n"
	VMOPTS_HELP
	"\n"
	"Exit status: COMMAND's; 125 if fvm failed, 126 if COMMAND cannot be executed,\n"
	"127 if it is not found. See fvm-run(1).\n";

static const char exec_usage[] =
	"Usage: fvm exec [OPTIONS] NAME [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in the running VM NAME, in its namespaces, next to its other\n"
	"processes. Fails if the VM is not running (see 'fvm start', 'fvm run').\n"
	"\n"
	"Options:\n"
	"  -i, --interactive      pass stdin to the program (default: /dev/null)\n"
	"  -t, --tty              give the program a terminal inside the VM\n"
	"  -e, --env KEY=VALUE    set an environment variable (KEY alone: take it from here)\n"
	"  -w, --workdir DIR      working directory inside the VM\n"
	"  -u, --user USER[:GROUP]  run as this user of the VM (default: root); as root only\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: COMMAND's; 125 if fvm failed, 126 if COMMAND cannot be executed,\n"
	"127 if it is not found. See fvm-exec(1).\n";

struct run_opts {
	struct fvm_exec ex;
	struct vmopts vm;
	char **env;
	size_t nenv;
	bool rm;
	bool is_exec;
	const char *setting;   /* the first settings option given, for the refusal */
	bool boots;            /* an existing VM this run boots: say its drift after */
};

static int add_env(struct run_opts *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *entry;
	char **nv;

	if (eq == kv || !*kv)
		return cli_errorf("bad -e '%s': use KEY=VALUE or KEY", kv);
	if (eq) {
		entry = strdup(kv);
	} else {
		const char *v = getenv(kv);

		if (!v)
			return 0;   /* like podman: an unset KEY is not passed */
		if (asprintf(&entry, "%s=%s", kv, v) < 0)
			entry = NULL;
	}
	nv = realloc(o->env, (o->nenv + 2) * sizeof(char *));
	if (!entry || !nv) {
		free(entry);
		return cli_errorf("out of memory");
	}
	o->env = nv;
	o->env[o->nenv++] = entry;
	o->env[o->nenv] = NULL;
	return 0;
}

/* "memory" for the getopt code of a settings option */
static const char *setting_name(int c)
{
	if (c == 'p')
		return "publish";
	for (const struct option *l = vmopt_long; l->name; l++)
		if (l->val == c)
			return l->name;
	return "?";
}

static int parse_loop(int argc, char **argv, struct run_opts *o, const struct option *lopts)
{
	const char *cmd = o->is_exec ? "exec" : "run";
	int c, r;

	while ((c = getopt_long(argc, argv, "+:ite:w:u:hp:", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->ex.stdin_open = true; break;
		case 't': o->ex.tty = true; break;
		case 'e':
			if (add_env(o, optarg))
				return EXIT_FVM;
			break;
		case 'w': o->ex.cwd = optarg; break;
		case 'u': o->ex.user = optarg; break;
		case 'h': return -1;
		case 'R':
			if (o->is_exec)
				return cli_usage_error(cmd, "exec has no option '%s'", argv[optind - 1]);
			o->rm = true;
			break;
		default:
			/* settings of a VM that run creates */
			r = o->is_exec ? 1 : vmopts_parse(&o->vm, c == 'p' ? VMOPT_BASE + 2 : c, optarg);
			if (r == 1)
				return o->is_exec && c >= VMOPT_BASE ?
				       cli_usage_error(cmd, "exec has no option '%s'", argv[optind - 1]) :
				       cli_bad_option(cmd, c, argv);
			if (r)
				return r;
			if (!o->setting)
				o->setting = setting_name(c);
		}
	}
	return 0;
}

static int parse(int argc, char **argv, struct run_opts *o, const char **ret_name, int *ret_argi)
{
	static const struct option own[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "rm", no_argument, NULL, 'R' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct option *lopts = vmopts_merge(own);
	const char *cmd = o->is_exec ? "exec" : "run";
	int r;

	if (!lopts)
		return cli_errorf("out of memory");
	r = parse_loop(argc, argv, o, lopts);
	free(lopts);
	if (r)
		return r;
	/* `fvm run --rm -- CMD`: no name before "--" */
	if (o->rm && optind > 1 && !strcmp(argv[optind - 1], "--")) {
		*ret_name = NULL;
		*ret_argi = optind;
		return 0;
	}
	if (optind >= argc && o->rm)
		return cli_usage_error(cmd, "no command given: fvm run --rm [NAME] -- COMMAND [ARG...]");
	if (optind >= argc)
		return cli_usage_error(cmd, "no VM name given");
	*ret_name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	*ret_argi = optind;
	if (o->is_exec && optind >= argc)
		return cli_usage_error(cmd, "no command given: fvm exec NAME -- COMMAND [ARG...]");
	return 0;
}

/* Settings given for an existing VM: run never changes them (fvm config does). */
static int refuse_settings(const char *name, const char *opt)
{
	return cli_errorf("VM '%s' exists: --%s (and every setting) is fixed when a VM is created, not by 'fvm run'; "
			  "change it with 'fvm stop %s; fvm config %s --%s ...', or drop it here",
			  name, opt, name, name, opt);
}

/* Open NAME, creating it when `run` is allowed to. Return: 0 or exit status. */
static int get_vm(struct fvm_store *s, const char *name, struct run_opts *o, struct fvm_vm **vm)
{
	struct fvm_error e = { 0 };
	int r;

	char near[FVM_NAME_MAX + 1];

	if (!o->rm && fvm_vm_open(s, name, vm, &e) == 0) {
		if (o->setting)
			return refuse_settings(name, o->setting);
		o->boots = !o->is_exec && fvm_vm_running(*vm, NULL) != 1;
		return 0;
	}
	if (!o->rm && e.code == -ENOENT && (o->is_exec || cli_vm_typo(s, name, near, sizeof(near)))) {
		if (o->is_exec)
			return cli_no_vm(s, name);
		return cli_errorf("no VM named '%s': did you mean '%s'? To make a new VM '%s', run 'fvm create %s' first",
				  name, near, name, name);
	}
	if (!o->rm && e.code != -ENOENT)
		return cli_fail(&e);
	r = fvm_vm_create(s, name, &o->vm.o, vm, &e);
	if (r == -EEXIST && !o->rm) {
		/* created by a concurrent run since we looked: use it */
		e = (struct fvm_error){ 0 };
		return fvm_vm_open(s, name, vm, &e) < 0 ? cli_fail(&e) : 0;
	}
	if (r == -EEXIST && o->rm)
		return cli_errorf("VM '%s' already exists: --rm runs in a new VM that it removes afterwards; drop --rm or pick another name",
				  name);
	if (r < 0)
		return cli_fail(&e);
	if (!o->rm)
		fprintf(stderr, "fvm: created VM '%s'\n", name);
	cli_rootless_note(s);
	return 0;
}

/* The kernel's OOM killer ended a process of the VM: say so plainly, with the limit. */
static void say_oom(struct fvm_vm *vm, int status)
{
	uint64_t n = fvm_vm_exec_oom_kills(vm), lim;
	struct fvm_stats st = { 0 };
	const char *unit = "";

	if (!n)
		return;
	fvm_vm_stats(vm, &st, NULL);
	lim = st.memory_limit;
	if (lim && lim % (1u << 30) == 0)
		lim >>= 30, unit = "G";
	else if (lim && lim % (1u << 20) == 0)
		lim >>= 20, unit = "M";
	else if (lim && lim % (1u << 10) == 0)
		lim >>= 10, unit = "K";
	if (status == 128 + 9)
		fprintf(stderr, "fvm: VM '%s': killed: out of memory (--memory %llu%s)\n", fvm_vm_name(vm),
			(unsigned long long)lim, unit);
	else
		fprintf(stderr, "fvm: VM '%s': %llu process%s killed: out of memory (--memory %llu%s)\n",
			fvm_vm_name(vm), (unsigned long long)n, n == 1 ? "" : "es",
			(unsigned long long)lim, unit);
}

static int run_or_exec(int argc, char **argv, bool is_exec)
{
	struct run_opts o = { .is_exec = is_exec };
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	const char *name = NULL;
	char gen[16];
	int argi = 0, status = EXIT_FVM, r;

	vmopts_init(&o.vm);
	r = parse(argc, argv, &o, &name, &argi);
	if (r < 0)
		return cli_help(is_exec ? exec_usage : run_usage);
	if (r > 0)
		goto out;
	if (!name) {
		cli_tmp_name(gen, sizeof(gen));
		name = gen;
	}
	o.ex.argv = argi < argc ? argv + argi : NULL;
	o.ex.env = o.env;
	o.ex.join_only = is_exec;
	o.ex.detach_stop = true;   /* fvm exits next: the VM's teardown need not hold up the caller */
	if (!o.ex.argv && isatty(0))
		o.ex.stdin_open = o.ex.tty = true;   /* a login shell is interactive */
	if (o.ex.tty && !isatty(0)) {
		fprintf(stderr, "fvm: -t ignored: stdin is not a terminal\n");
		o.ex.tty = false;
	}
	if (fvm_name_check(name, &e) < 0) {
		status = cli_fail(&e);
		goto out;
	}
	s = cli_store();
	if (!s)
		goto out;
	status = get_vm(s, name, &o, &vm);
	if (status)
		goto out;
	r = fvm_vm_exec(vm, &o.ex, &status, &e);
	if (r == 0)
		say_oom(vm, status);
	if (r == 0 && o.boots)   /* after: the boot drops what a running commit took */
		cli_drift_note(vm);
	if (r == 0 && status != 0 && status != 130 && fvm_store_rootless(s) && isatty(2))
		fputs("fvm: note: in a rootless VM, writing where another host user owns the directory (root's /etc and /usr,\n"
		      "fvm: a root-owned directory in /tmp) fails: EROFS, EACCES, or EOVERFLOW \"Value too large for defined\n"
		      "fvm: data type\" (overlayfs cannot copy up what this user's namespace cannot own); run fvm as root\n"
		      "fvm: for full copy-on-write. See fvm-run(1), ROOTLESS LIMITATION.\n", stderr);
	if (r < 0) {
		cli_fail(&e);
		status = !e.exec_failed ? EXIT_FVM : e.code == -ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
	}
	if (o.rm) {
		struct fvm_error e2 = { 0 };

		if (fvm_vm_remove(vm, true, &e2) < 0)
			cli_fail(&e2);
	}
out:
	fvm_vm_free(vm);
	fvm_store_free(s);
	for (size_t i = 0; i < o.nenv; i++)
		free(o.env[i]);
	free(o.env);
	vmopts_free(&o.vm);
	return status;
}

int cmd_run(int argc, char **argv)
{
	return run_or_exec(argc, argv, false);
}

int cmd_exec(int argc, char **argv)
{
	return run_or_exec(argc, argv, true);
}
