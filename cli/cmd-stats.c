// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-stats.c - fvm stats: resource use and limits of VMs. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "listing.h"

static const char usage[] =
	"Usage: fvm stats [--json] [NAME...]\n"
	"\n"
	"Show the resource use of VMs (all of them, or those named): memory and its\n"
	"limit, CPU time and the CPU limit, processes and their limit, block I/O read\n"
	"and written. Root mode counts through each VM's cgroup (a VM with limits);\n"
	"rootless or without limits, the sums over the VM's live processes.\n"
	"\n"
	"Options:\n"
	"      --json   a JSON array of {vm, running, source, memory_bytes, memory_limit,\n"
	"               cpu_usec, cpus_limit, pids, pids_limit, io_read_bytes,\n"
	"               io_write_bytes}; a limit of 0 means none\n"
	"  -h, --help   show this help\n"
	"See fvm-stats(1).\n";

static void limit(uint64_t v, bool bytes, char *buf, size_t len)
{
	if (!v)
		snprintf(buf, len, "-");
	else if (bytes)
		cli_size(v, false, buf, len);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

static int show(struct fvm_store *s, const char *name, json_object *arr)
{
	struct fvm_error e = { 0 };
	struct fvm_vm *vm = cli_open_vm(s, name);
	struct fvm_stats st;
	char mem[16], meml[16], pidl[16], rd[16], wr[16], cpul[16];

	if (!vm)
		return EXIT_FVM;
	if (fvm_vm_stats(vm, &st, &e) < 0) {
		fvm_vm_free(vm);
		return cli_fail(&e);
	}
	fvm_vm_free(vm);
	if (arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "vm", json_object_new_string(name));
		json_object_object_add(o, "running", json_object_new_boolean(st.running));
		json_object_object_add(o, "source", json_object_new_string(!st.running ? "none" :
						st.from_cgroup ? "cgroup" : "proc"));
		json_object_object_add(o, "memory_bytes", json_object_new_int64((int64_t)st.memory_bytes));
		json_object_object_add(o, "memory_limit", json_object_new_int64((int64_t)st.memory_limit));
		json_object_object_add(o, "cpu_usec", json_object_new_int64((int64_t)st.cpu_usec));
		json_object_object_add(o, "cpus_limit", json_object_new_double(st.cpus_limit_milli / 1000.0));
		json_object_object_add(o, "pids", json_object_new_int64(st.pids));
		json_object_object_add(o, "pids_limit", json_object_new_int64(st.pids_limit));
		json_object_object_add(o, "io_read_bytes", json_object_new_int64((int64_t)st.io_read_bytes));
		json_object_object_add(o, "io_write_bytes", json_object_new_int64((int64_t)st.io_write_bytes));
		json_object_array_add(arr, o);
		return 0;
	}
	cli_size(st.memory_bytes, false, mem, sizeof(mem));
	limit(st.memory_limit, true, meml, sizeof(meml));
	limit(st.pids_limit, false, pidl, sizeof(pidl));
	cli_size(st.io_read_bytes, false, rd, sizeof(rd));
	cli_size(st.io_write_bytes, false, wr, sizeof(wr));
	if (st.cpus_limit_milli)
		snprintf(cpul, sizeof(cpul), "%.2f", st.cpus_limit_milli / 1000.0);
	else
		snprintf(cpul, sizeof(cpul), "-");
	printf("%-20s %-8s %9s %9s %10.2f %6s %6u %6s %9s %9s\n", name,
	       st.running ? "running" : "stopped", mem, meml, (double)st.cpu_usec / 1e6, cpul, st.pids,
	       pidl, rd, wr);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	char header[160];

	snprintf(header, sizeof(header), "%-20s %-8s %9s %9s %10s %6s %6s %6s %9s %9s\n", "VM", "STATE",
		 "MEM", "MEMLIMIT", "CPU(s)", "CPUS", "PIDS", "PIDMAX", "READ", "WRITTEN");
	return cli_list_vms(argc, argv, "stats", usage, header, show);
}
