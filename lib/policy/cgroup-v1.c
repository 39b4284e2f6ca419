// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup-v1.c - a VM's cgroup on a v1 (or hybrid) host: one directory per
 * controller hierarchy (see the theory at the top of cgroup.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/policy.h"

/* ---- cgroup v1: one hierarchy per controller --------------------------- */

static int v1_create(struct vm_cgroup *cg)
{
	for (int i = 0; i < CG_NCTRL; i++) {
		int r;

		if (cg->root[i] < 0 || cg->alias[i])
			continue;
		r = cg_mkdir(cg->root[i], cg->rel);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_apply(struct vm_cgroup *cg, const struct fvm_limits *l, int *ret_ctrl,
		    const char **ret_file)
{
	int r = 0;

	if (l->memory) {
		bool memsw = cg_has(cg, CG_MEMORY, "memory.memsw.limit_in_bytes");

		*ret_ctrl = CG_MEMORY;
		/* memsw >= limit always: lift it, set the limit, then memsw to it */
		if (memsw)
			cg_write(cg, CG_MEMORY, "memory.memsw.limit_in_bytes", "-1");
		*ret_file = "memory.limit_in_bytes";
		r = cg_write_u64(cg, CG_MEMORY, *ret_file, l->memory);
		if (r == 0 && memsw) {
			*ret_file = "memory.memsw.limit_in_bytes";
			r = cg_write_u64(cg, CG_MEMORY, *ret_file, l->memory);
		}
		if (r < 0)
			return r;
	}
	if (l->cpus_milli) {
		*ret_ctrl = CG_CPU;
		*ret_file = "cpu.cfs_period_us";
		r = cg_write(cg, CG_CPU, *ret_file, "100000");
		if (r < 0)
			return r;
		*ret_file = "cpu.cfs_quota_us";
		r = cg_write_u64(cg, CG_CPU, *ret_file, (uint64_t)l->cpus_milli * 100);
		if (r < 0)
			return r;
	}
	if (l->pids) {
		*ret_ctrl = CG_PIDS;
		*ret_file = "pids.max";
		r = cg_write_u64(cg, CG_PIDS, *ret_file, l->pids);
		if (r < 0)
			return r;
	}
	if (l->io_weight) {
		*ret_ctrl = CG_BLKIO;
		*ret_file = cg_has(cg, CG_BLKIO, "blkio.weight") ? "blkio.weight" :
			    cg_has(cg, CG_BLKIO, "blkio.bfq.weight") ? "blkio.bfq.weight" : NULL;
		if (*ret_file)
			r = cg_write_u64(cg, CG_BLKIO, *ret_file, 10 + (l->io_weight - 1) * 990u / 9999u);
	}
	return r;
}

static int v1_enter(struct vm_cgroup *cg, pid_t pid)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", (int)pid);
	for (int i = 0; i < CG_NCTRL; i++) {
		int r;

		if (cg->root[i] < 0 || cg->alias[i])
			continue;
		r = cg_write(cg, i, "cgroup.procs", s);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A thread writing "0" to a v1 "tasks" file moves itself without the
 * kernel's global cgroup_threadgroup_rwsem, whose write side waits for an
 * RCU grace period (measured: 6-17 ms here, on every join after a pause).
 * Writing a pid, as @enter does, takes it. Opened by fvm as root: the
 * kernel checks the opener's credentials, so the child may already be in
 * the VM's user namespace when it writes.
 */
static int v1_open_self(struct vm_cgroup *cg)
{
	for (int i = 0; i < CG_NCTRL; i++) {
		char p[256];

		if (cg->root[i] < 0 || cg->alias[i])
			continue;
		cg_file(cg, "tasks", p, sizeof(p));
		cg->self[i] = openat(cg->root[i], p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (cg->self[i] < 0)
			return -errno;
	}
	return 0;
}

/* Bytes read and written, from blkio's "MAJ:MIN Read N" lines. */
static void v1_io(const struct vm_cgroup *cg, struct fvm_stats *ret)
{
	static const char *const files[] = {
		"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes",
		"blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive",
	};
	_cleanup_free_ char *s = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(files) && !s; i++)
		if (cg_read(cg, CG_BLKIO, files[i], &s) < 0)
			s = NULL;
	for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char op[16];
		unsigned long long v;

		if (sscanf(l, "%*u:%*u %15s %llu", op, &v) != 2)
			continue;
		if (!strcmp(op, "Read"))
			ret->io_read_bytes += v;
		else if (!strcmp(op, "Write"))
			ret->io_write_bytes += v;
	}
}

static int v1_stats(struct vm_cgroup *cg, struct fvm_stats *ret)
{
	_cleanup_free_ char *quota = NULL;
	uint64_t v = 0, period = 0;
	int r = cg_read_u64(cg, CG_MEMORY, "memory.usage_in_bytes", &ret->memory_bytes);

	if (r == 0 && cg_read_u64(cg, CG_MEMORY, "memory.limit_in_bytes", &v) == 0)
		ret->memory_limit = v >= V1_UNLIMITED ? 0 : v;
	if (cg_read_u64(cg, CG_CPUACCT, "cpuacct.usage", &v) == 0)
		ret->cpu_usec = v / 1000;
	if (cg_read(cg, CG_CPU, "cpu.cfs_quota_us", &quota) == 0 && quota[0] != '-' &&
	    cg_read_u64(cg, CG_CPU, "cpu.cfs_period_us", &period) == 0 && period)
		ret->cpus_limit_milli = (unsigned)(strtoull(quota, NULL, 10) * 1000 / period);
	if (cg_read_u64(cg, CG_PIDS, "pids.current", &v) == 0)
		ret->pids = (unsigned)v;
	if (cg_read_u64(cg, CG_PIDS, "pids.max", &v) == 0)
		ret->pids_limit = (unsigned)v;
	v1_io(cg, ret);
	return r;
}

static int v1_destroy(struct vm_cgroup *cg)
{
	int ret = 0;

	for (int i = 0; i < CG_NCTRL; i++) {
		int r;

		if (cg->root[i] < 0 || cg->alias[i])
			continue;
		r = cg_rmdir(cg->root[i], cg->rel);
		if (r < 0 && ret == 0)
			ret = r;
		unlinkat(cg->root[i], "fvm", AT_REMOVEDIR);   /* the parent too, once no VM is left */
	}
	return ret;
}

const struct cg_ops v1_ops = {
	.name = "v1",
	.create = v1_create,
	.apply = v1_apply,
	.enter = v1_enter,
	.open_self = v1_open_self,
	.stats = v1_stats,
	.destroy = v1_destroy,
};

