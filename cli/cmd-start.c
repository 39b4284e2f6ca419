// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-start.c - fvm start: boot a VM and keep it running in the background,
 * with a service (a command kept running, its output logged) if one is given. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm start NAME...\n"
	"       fvm start [--restart no|on-failure[:N]] [-u USER[:GROUP]] NAME -- COMMAND [ARG...]\n"
	"\n"
	"Start each VM: its init stays up, with no process in it, until 'fvm stop'.\n"
	"Programs then join it with 'fvm exec' or 'fvm run'. Starting a running VM\n"
	"keeps it running after its current programs exit.\n"
	"\n"
	"With COMMAND (after '--'), start the VM and run COMMAND in it as its service:\n"
	"as root (or --user), stdin /dev/null, stdout and stderr into the VM's log ('fvm logs\n"
	"NAME'), kept in the store, out of the VM's reach: 1 MiB, then rotated (one\n"
	"older file kept). A supervisor process on the host runs it; it ends with\n"
	"the VM. 'fvm ls' and 'fvm inspect' show the service and its state.\n"
	"\n"
	"Options:\n"
	"      --restart no|on-failure[:N]  no (default): a service that ends stays\n"
	"                         ended; on-failure: one that exits non-zero (or is\n"
	"                         killed) starts again after 1, 2, 4... up to 30 s,\n"
	"                         at most N times in a row (default 5; a run of\n"
	"                         10 s or more resets the count), then 'failed'\n"
	"  -u, --user USER[:GROUP]  run the service as this user of the VM, a name\n"
	"                         or a number, looked up in the VM's own /etc/passwd\n"
	"                         and /etc/group (as 'fvm run --user'); an unknown one\n"
	"                         is refused; as root only (a rootless VM has root)\n"
	"  -h, --help             show this help\n"
	"See fvm-start(1).\n";

static int start_one(struct fvm_vm *vm, void *ctx, struct fvm_error *e)
{
	return fvm_vm_start(vm, e);
}

static int parse_restart(const char *arg, struct fvm_service_opts *o)
{
	char *end;
	unsigned long n;

	if (!strcmp(arg, "no")) {
		o->restart = FVM_RESTART_NO;
		return 0;
	}
	if (strncmp(arg, "on-failure", 10) || (arg[10] && arg[10] != ':'))
		goto bad;
	o->restart = FVM_RESTART_ON_FAILURE;
	if (!arg[10])
		return 0;
	n = strtoul(arg + 11, &end, 10);
	if (end == arg + 11 || *end || arg[11] == '-' || n < 1 || n > FVM_SERVICE_RESTARTS_MAX)
		goto bad;
	o->max_restarts = (unsigned)n;
	return 0;
bad:
	return cli_usage_error("start", "bad --restart '%s': use 'no', 'on-failure' or 'on-failure:N' (N from 1 to %u restarts in a row)",
			       arg, FVM_SERVICE_RESTARTS_MAX);
}

static int start_service(const char *name, struct fvm_service_opts *o)
{
	struct fvm_store *s = cli_store();
	struct fvm_vm *vm = s ? cli_open_vm(s, name) : NULL;
	struct fvm_error e = { 0 };
	int status = EXIT_FVM;

	if (vm && fvm_vm_service_start(vm, o, &e) < 0)
		cli_fail(&e);
	else if (vm)
		status = 0;
	fvm_vm_free(vm);
	fvm_store_free(s);
	return status;
}

int cmd_start(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "restart", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fvm_service_opts so = { .restart = FVM_RESTART_NO };
	bool restart_given = false, user_given = false;
	int c, dash = -1;

	while ((c = getopt_long(argc, argv, "+:hu:", lopts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_help(usage);
		case 'r':
			if (parse_restart(optarg, &so))
				return EXIT_FVM;
			restart_given = true;
			break;
		case 'u':
			so.user = optarg;
			user_given = true;
			break;
		default: return cli_bad_option("start", c, argv);
		}
	}
	if (optind >= argc || !strcmp(argv[optind], "--"))
		return cli_usage_error("start", "no VM name given");
	for (int i = optind; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dash = i;
			break;
		}
	if (dash < 0) {
		if (restart_given)
			return cli_usage_error("start", "--restart is for a service: fvm start --restart on-failure NAME -- COMMAND [ARG...]");
		if (user_given)
			return cli_usage_error("start", "--user is for a service: fvm start --user USER NAME -- COMMAND [ARG...]");
		return cli_each_vm(argc, argv, optind, start_one, NULL);
	}
	if (dash != optind + 1)
		return cli_usage_error("start", "a service is for one VM: fvm start NAME -- COMMAND [ARG...]");
	if (dash + 1 >= argc)
		return cli_usage_error("start", "no command after '--': fvm start NAME -- COMMAND [ARG...]");
	so.argv = argv + dash + 1;
	return start_service(argv[optind], &so);
}
