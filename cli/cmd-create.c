// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-create.c - fvm create: make a new, stopped VM. */
#include <getopt.h>
#include <stdio.h>

#include "common.h"

static const char usage[] =
	"Usage: fvm create [OPTIONS] NAME\n"
	"\n"
	"Create the VM NAME: a config and empty copy-on-write layers in the store.\n"
	"It costs no disk until a program in it writes.\n"
	"\n"
	"Options:\n"
	"      --net none|host    none: its own network with loopback only (default);\n"
	"                         host: the host's network\n"
	"      --hostname NAME    hostname inside the VM (default: the VM's name)\n"
	"      --caps default|all capabilities of root in the VM: a reduced set\n"
	"                         (default), or all of them (still only in the VM)\n"
	"      --seccomp default|off  deny kernel modules, kexec, bpf, keyrings, the\n"
	"                         clock, mounts, TIOCSTI... (default), or no filter\n"
	"  -h, --help             show this help\n"
	"\n"
	"NAME: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.\n"
	"See fvm-create(1).\n";

int cmd_create(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "net", required_argument, NULL, 'N' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "caps", required_argument, NULL, 'C' },
		{ "seccomp", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fvm_vm_opts opts = { .net = FVM_NET_NONE };
	struct fvm_error e = { 0 };
	struct fvm_store *s;
	int c, r;

	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
		switch (c) {
		case 'N':
			if (parse_net(optarg, &opts.net))
				return EXIT_FVM;
			break;
		case 'H': opts.hostname = optarg; break;
		case 'C':
		case 'S':
			if (parse_hardening(c, optarg, &opts))
				return EXIT_FVM;
			break;
		case 'h': return cli_help(usage);
		default: return cli_bad_option("create", c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("create", optind >= argc ? "no VM name given" : "one VM name only");
	if (fvm_name_check(argv[optind], &e) < 0)
		return cli_fail(&e);
	s = cli_store();
	if (!s)
		return EXIT_FVM;
	r = fvm_vm_create(s, argv[optind], &opts, &e);
	if (r == 0)
		cli_rootless_note(s);
	fvm_store_free(s);
	if (r < 0)
		return cli_fail(&e);
	return 0;
}
