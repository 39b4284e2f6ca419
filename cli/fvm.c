// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fvm.c - the fvm command: finds the subcommand and hands it argv. Each
 * subcommand lives in its own cmd-*.c, parses its options and calls libfvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "suggest.h"

static const struct cmd cmds[] = {
	{ "create", cmd_create, "create a VM" },
	{ "config", cmd_config, "show or change a stopped VM's settings" },
	{ "run", cmd_run, "run a program in a VM (creating and starting it if needed)" },
	{ "exec", cmd_exec, "run a program in a running VM" },
	{ "start", cmd_start, "start a VM in the background (with a service, if given)" },
	{ "stop", cmd_stop, "stop a VM: every process in it" },
	{ "logs", cmd_logs, "show what a VM's service wrote" },
	{ "ps", cmd_ps, "list the processes of running VMs" },
	{ "stats", cmd_stats, "show the memory, CPU, processes and I/O of VMs" },
	{ "ls", cmd_ls, "list VMs" },
	{ "inspect", cmd_inspect, "show a VM's config and state as JSON" },
	{ "rm", cmd_rm, "remove a VM and its changes" },
	{ "diff", cmd_diff, "show what a VM changed" },
	{ "commit", cmd_commit, "apply a VM's changes to the host, safely" },
	{ "discard", cmd_discard, "drop a VM's changes" },
	{ "try", cmd_try, "run a command in a throwaway VM, then keep or drop its changes" },
	{ "export", cmd_export, "write a VM's changes and settings as a tar archive (an OCI layer)" },
	{ "import", cmd_import, "make a VM from an archive of fvm export" },
	{ "cp", cmd_cp, "copy files between a VM and the host" },
	{ "oci", cmd_oci, "the OCI runtime for podman, containerd, CRI-O (fvm-oci)" },
	{ "snapshot", cmd_snapshot, "freeze a stopped VM's changes under a tag (--rm: forget one)" },
	{ "snapshots", cmd_snapshots, "list a VM's snapshots" },
	{ "restore", cmd_restore, "take a stopped VM back to a snapshot" },
	{ "clone", cmd_clone, "make a new VM with a stopped VM's changes and settings" },
	{ "rename", cmd_rename, "rename a stopped VM" },
};

/* An unknown command: say so, with the one meant if it looks mistyped. */
static int unknown_command(const char *name)
{
	const char *names[sizeof(cmds) / sizeof(cmds[0])];
	const char *near;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		names[i] = cmds[i].name;
	near = cli_suggest(name, names, sizeof(cmds) / sizeof(cmds[0]));
	if (near)
		return cli_errorf("unknown command '%.64s': did you mean '%s'? See 'fvm --help'", name, near);
	return cli_errorf("unknown command '%.64s': see 'fvm --help'", name);
}

static int usage(FILE *f)
{
	fputs("Usage: fvm COMMAND [OPTIONS] [ARGS]\n"
	      "\n"
	      "Feather-weight virtual machines: run programs as if on this machine, with its\n"
	      "files and programs, while what they change stays in the VM.\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -h, --help     show this help\n"
	      "      --version  show the version\n"
	      "\n"
	      "Run 'fvm COMMAND --help' for a command's options; 'man fvm' for the whole story.\n"
	      "VMs live in $FVM_HOME (default ~/.local/share/fvm, /var/lib/fvm for root).\n"
	      "Exit status: the program's own; 125 if fvm failed, 126 if the program cannot\n"
	      "be executed, 127 if it is not found.\n", f);
	return f == stdout ? 0 : EXIT_FVM;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	/* started with stdio closed: a store fd must not take its number, and
	 * so the place of a VM program's stdin, stdout or stderr */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			return EXIT_FVM;
	if (!name)
		return usage(stderr);
	if (!strcmp(name, "-h") || !strcmp(name, "--help"))
		return usage(stdout);
	if (!strcmp(name, "--version")) {
		printf("fvm %s\n", FVM_VERSION);
		return 0;
	}
	if (!strcmp(name, "help")) {
		char *h[] = { argc > 2 ? argv[2] : NULL, "--help", NULL };

		if (argc <= 2)
			return usage(stdout);
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(argv[2], cmds[i].name))
				return cmds[i].run(2, h);
		return unknown_command(argv[2]);
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	return unknown_command(name);
}
