// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stats.c - a VM's resource use: from its cgroup where it has one, else
 * summed over its live processes in /proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "store/store.h"
#include "vm/vm.h"

/* /proc/PID/FILE, read whole */
static int proc_read(pid_t pid, const char *file, char **ret)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, file);
	return read_small_fileat(AT_FDCWD, p, ret, NULL);
}

/* What /proc tells of the VM's live processes: a VM without a cgroup. */
static int proc_stats(struct fvm_vm *vm, struct fvm_stats *ret, struct fvm_error *err)
{
	_cleanup_free_ struct fvm_proc *procs = NULL;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	size_t n = 0;
	int r = fvm_vm_processes(vm, &procs, &n, err);

	if (r < 0)
		return r;
	ret->pids = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *stat = NULL, *statm = NULL, *io = NULL;
		unsigned long long ticks, rss, rd = 0, wr = 0;

		if (proc_read(procs[i].host_pid, "stat", &stat) == 0 && proc_stat_ticks(stat, &ticks) == 0 &&
		    tick > 0)
			ret->cpu_usec += ticks * 1000000ULL / (unsigned long long)tick;
		if (proc_read(procs[i].host_pid, "statm", &statm) == 0 && proc_statm_rss(statm, &rss) == 0 &&
		    page > 0)
			ret->memory_bytes += rss * (unsigned long long)page;
		if (proc_read(procs[i].host_pid, "io", &io) == 0) {
			proc_io_bytes(io, &rd, &wr);
			ret->io_read_bytes += rd;
			ret->io_write_bytes += wr;
		}
	}
	return 0;
}

/**
 * fvm_vm_stats() - resource use and limits of @vm
 *
 * From the VM's cgroup where it has one with memory accounting (root
 * mode, a VM with a limit beyond its process count; on a v1 host the
 * default VM's cgroup is in the pids hierarchy alone, see cgroup.c):
 * memory charged to the VM (page cache included), CPU time of every
 * process it ever had, I/O that reached block devices. Without one
 * (rootless, a VM without any limit, or one limited in its process
 * count alone on a v1 host), the sums over its
 * live processes in /proc: resident memory (shared pages counted per
 * process), their CPU time, their I/O. A stopped VM has zero use and the
 * limits of its config.
 *
 * Return: 0 or -errno with @err filled; *@ret untouched on failure.
 */
FVM_PUBLIC int fvm_vm_stats(struct fvm_vm *vm, struct fvm_stats *ret, struct fvm_error *err)
{
	struct fvm_stats s = {
		.memory_limit = vm->cfg.limits.memory,
		.pids_limit = vm->cfg.limits.pids,
		.cpus_limit_milli = vm->cfg.limits.cpus_milli,
	};
	int r = 0;

	s.running = vm_running(vm, NULL) == 0;
	if (s.running && !vm->cfg.rootless) {
		struct fvm_stats c = { .running = true };

		if (cgroup_stats(vm, &c) == 0) {
			c.from_cgroup = true;
			s = c;
		}
	}
	if (s.running && !s.from_cgroup)
		r = proc_stats(vm, &s, err);
	if (r < 0)
		return r;
	*ret = s;
	return 0;
}
