// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-stop.c - fvm stop: end every process of a VM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm stop [-t SECONDS] NAME...\n"
	"\n"
	"Stop each VM: SIGTERM to every process in it, SIGKILL to those left after\n"
	"SECONDS. Its changes stay, and so does its service's log; its service (see\n"
	"fvm start) is stopped with it, never restarted. Stopping a stopped VM is not\n"
	"an error.\n"
	"\n"
	"Options:\n"
	"  -t, --time SECONDS   grace period before SIGKILL (default: 10)\n"
	"  -h, --help           show this help\n"
	"See fvm-stop(1).\n";

static int stop_one(struct fvm_vm *vm, void *ctx, struct fvm_error *e)
{
	/* first, so that its supervisor does not start the service again */
	if (fvm_vm_service_stop(vm, e) < 0)
		return -1;
	return fvm_vm_stop(vm, *(unsigned *)ctx, e);
}

int cmd_stop(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned timeout = 10;
	int c;

	while ((c = getopt_long(argc, argv, ":t:h", lopts, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 3600)
				return cli_usage_error("stop", "bad -t '%s': a number of seconds from 0 to 3600", optarg);
			timeout = (unsigned)v;
			break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("stop", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("stop", "no VM name given");
	return cli_each_vm(argc, argv, optind, stop_one, &timeout);
}
