// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * common.c - error printing and store access shared by the subcommands.
 * Only the CLI prints: the library hands back a struct fvm_error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "suggest.h"

/* The library's message: it may quote what a VM wrote (paths in its layers), so escaped. */
int cli_fail(const struct fvm_error *e)
{
	fputs("fvm: ", stderr);
	cli_put_escaped(stderr, e->msg[0] ? e->msg : strerror(-e->code));
	fputc('\n', stderr);
	return EXIT_FVM;
}

int cli_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("fvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FVM;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("fvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'fvm %s --help'.\n", cmd);
	return EXIT_FVM;
}

struct fvm_store *cli_store(void)
{
	struct fvm_error e = { 0 };
	struct fvm_store *s;

	if (fvm_store_open(NULL, &s, &e) < 0) {
		cli_fail(&e);
		return NULL;
	}
	return s;
}

struct fvm_vm *cli_open_vm(struct fvm_store *s, const char *name)
{
	struct fvm_error e = { 0 };
	struct fvm_vm *vm;

	if (fvm_vm_open(s, name, &vm, &e) < 0) {
		if (e.code == -ENOENT)
			cli_no_vm(s, name);
		else
			cli_fail(&e);
		return NULL;
	}
	return vm;
}

/**
 * cli_vm_typo() - the VM of @s whose name @name is likely a typo of
 * @s:    an open store
 * @name: a name no VM has
 * @buf:  receives the existing VM's name; @len bytes
 * @len:  its size
 *
 * Return: @buf, or NULL when no name is close (see suggest.c).
 */
const char *cli_vm_typo(struct fvm_store *s, const char *name, char *buf, size_t len)
{
	char **names = NULL;
	const char *best;
	size_t n = 0;

	if (fvm_store_list(s, &names, NULL) < 0)
		return NULL;
	while (names[n])
		n++;
	best = cli_suggest(name, (const char *const *)names, n);
	if (best)
		snprintf(buf, len, "%s", best);
	fvm_strv_free(names);
	return best ? buf : NULL;
}

/* There is no VM @name: say so, with the one meant if it looks mistyped. */
int cli_no_vm(struct fvm_store *s, const char *name)
{
	char near[FVM_NAME_MAX + 1];

	if (cli_vm_typo(s, name, near, sizeof(near)))
		return cli_errorf("no VM named '%s': did you mean '%s'? ('fvm ls' lists the VMs of %s)",
				  name, near, fvm_store_path(s));
	return cli_errorf("no VM named '%s' in %s: 'fvm ls' lists the VMs", name, fvm_store_path(s));
}

bool cli_want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
		if (argv[i][0] != '-')
			return false;   /* options end at the VM name */
	}
	return false;
}

int cli_help(const char *usage)
{
	fputs(usage, stdout);
	return 0;
}

/*
 * cli_size() - @bytes for people, in @buf: "512B", "1.5K", "3.0G" (units
 * of 1024), or with @iec "512 B", "1.5 KiB", "3.0 GiB".
 */
void cli_size(uint64_t bytes, bool iec, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	const char *u = units;
	double v = (double)bytes;

	while (v >= 1024 && u[1]) {
		v /= 1024;
		u++;
	}
	if (iec)
		snprintf(buf, len, *u == 'B' ? "%.0f %c" : "%.1f %ciB", v, *u);
	else
		snprintf(buf, len, *u == 'B' ? "%.0f%c" : "%.1f%c", v, *u);
}

int parse_net(const char *s, enum fvm_net *ret)
{
	if (!strcmp(s, "none"))
		*ret = FVM_NET_NONE;
	else if (!strcmp(s, "host"))
		*ret = FVM_NET_HOST;
	else if (!strcmp(s, "private"))
		*ret = FVM_NET_PRIVATE;
	else
		return cli_errorf("unknown network mode '%s': use 'none' (loopback only), 'host' or 'private'", s);
	return 0;
}

/* Said once, when a rootless VM is made: what it can and cannot change. */
void cli_rootless_note(const struct fvm_store *s)
{
	if (fvm_store_rootless(s))
		fputs("fvm: note: a rootless VM copies on write the whole host, root's system files through\n"
		      "fvm: fuse-overlayfs (--cow auto, where /dev/fuse opens); with --cow kernel, or without\n"
		      "fvm: FUSE, they are read-only inside it (fvm inspect shows each tree's backend).\n", stderr);
}

/* A rootless VM has no cgroup: say that the default process limit does not hold. */
void cli_rootless_limits_note(const struct fvm_store *s)
{
	if (fvm_store_rootless(s))
		fprintf(stderr, "fvm: note: no limit on the VM's processes: the default of %u needs a cgroup,\n"
			"fvm: which this host does not let this user make (run fvm as root for it).\n",
			FVM_PIDS_DEFAULT);
}

/* getopt returned '?' (unknown option) or ':' (missing argument). */
int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "%s: option '%s' needs an argument", cmd, arg);
	if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '='))
		return cli_usage_error(cmd, "%s: option '%.*s' takes no argument", cmd,
				       (int)(strchr(arg, '=') - arg), arg);
	/* a short option: inside a group (-rf), optind has not moved past it yet */
	if (optopt > 0 && optopt < 128)
		return cli_usage_error(cmd, "%s: unknown option '-%c'", cmd, optopt);
	return cli_usage_error(cmd, "%s: unknown option '%s'", cmd, arg);
}

/**
 * cli_each_vm() - apply @op to every VM named in argv[first..argc), going
 * on past failures (each one said on stderr).
 * Return: 0, or EXIT_FVM if any name failed.
 */
int cli_each_vm(int argc, char **argv, int first,
		int (*op)(struct fvm_vm *vm, void *ctx, struct fvm_error *e), void *ctx)
{
	struct fvm_store *s = cli_store();
	int status = 0;

	if (!s)
		return EXIT_FVM;
	for (int i = first; i < argc; i++) {
		struct fvm_error e = { 0 };
		struct fvm_vm *vm = cli_open_vm(s, argv[i]);

		if (!vm) {
			status = EXIT_FVM;
			continue;
		}
		if (op(vm, ctx, &e) < 0)
			status = cli_fail(&e);
		fvm_vm_free(vm);
	}
	fvm_store_free(s);
	return status;
}

/* A fresh name for a throwaway VM: tmp-XXXXXX. */
void cli_tmp_name(char *buf, size_t len)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct timespec ts;
	unsigned long x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^ (unsigned long)ts.tv_sec;
	snprintf(buf, len, "tmp-");
	for (int i = 0; i < 6; i++, x /= 36)
		buf[4 + i] = al[x % 36];
	buf[10] = '\0';
}

/* --caps default|all and --seccomp default|allow-userns|off, shared by create, run and try. */
int parse_hardening(int c, const char *arg, struct fvm_vm_opts *o)
{
	if (c == 'C' && (!strcmp(arg, "default") || !strcmp(arg, "all"))) {
		o->all_caps = !strcmp(arg, "all");
		return 0;
	}
	if (c == 'S' && (!strcmp(arg, "default") || !strcmp(arg, "off") ||
			 !strcmp(arg, "allow-userns"))) {
		o->no_seccomp = !strcmp(arg, "off");
		o->allow_userns = !strcmp(arg, "allow-userns");
		return 0;
	}
	return cli_errorf(c == 'C' ? "bad --caps '%s': use 'default' (a reduced set) or 'all'"
				   : "bad --seccomp '%s': use 'default' (a deny-list), 'allow-userns' (the same, but nested user namespaces allowed) or 'off'",
			  arg);
}
