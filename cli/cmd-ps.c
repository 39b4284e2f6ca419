// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-ps.c - fvm ps: the processes of running VMs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "listing.h"

static const char usage[] =
	"Usage: fvm ps [--json] [NAME...]\n"
	"\n"
	"List the processes of the running VMs (all of them, or those named): the VM,\n"
	"the pid inside it (its init is 1), the pid on the host, and the command.\n"
	"\n"
	"Options:\n"
	"      --json   a JSON array of {vm, pid, host_pid, host_uid, command}\n"
	"  -h, --help   show this help\n"
	"See fvm-ps(1).\n";

static int show(struct fvm_store *s, const char *name, json_object *arr)
{
	struct fvm_error e = { 0 };
	struct fvm_vm *vm = cli_open_vm(s, name);
	struct fvm_proc *p = NULL;
	size_t n = 0;

	if (!vm)
		return EXIT_FVM;
	if (fvm_vm_processes(vm, &p, &n, &e) < 0) {
		fvm_vm_free(vm);
		return cli_fail(&e);
	}
	for (size_t i = 0; i < n; i++) {
		if (arr) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "vm", json_object_new_string(name));
			json_object_object_add(o, "pid", json_object_new_int(p[i].vm_pid));
			json_object_object_add(o, "host_pid", json_object_new_int(p[i].host_pid));
			json_object_object_add(o, "host_uid", json_object_new_int64(p[i].host_uid));
			json_object_object_add(o, "command", json_object_new_string(p[i].comm));
			json_object_array_add(arr, o);
		} else {
			printf("%-20s %7d %9d  ", name, (int)p[i].vm_pid, (int)p[i].host_pid);
			cli_put_escaped(stdout, p[i].comm);   /* the VM's to write */
			putchar('\n');
		}
	}
	free(p);
	fvm_vm_free(vm);
	return 0;
}

int cmd_ps(int argc, char **argv)
{
	char header[80];

	snprintf(header, sizeof(header), "%-20s %7s %9s  %s\n", "VM", "PID", "HOSTPID", "COMMAND");
	return cli_list_vms(argc, argv, "ps", usage, header, show);
}
