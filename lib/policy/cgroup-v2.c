// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup-v2.c - a VM's cgroup on a pure cgroup v2 host: one tree, the
 * controllers enabled down to it (see the theory at the top of cgroup.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/policy.h"

/* ---- cgroup v2: one tree ----------------------------------------------- */

/* Hand the controllers fvm uses that @dir ("" is the root) has down to its children. */
static void v2_delegate(const struct vm_cgroup *cg, const char *dir)
{
	static const char *const want[] = { "memory", "cpu", "pids", "io" };
	_cleanup_free_ char *have = NULL;
	char p[256];

	snprintf(p, sizeof(p), "%s%scgroup.controllers", dir, *dir ? "/" : "");
	if (read_small_fileat(cg->root[0], p, &have, NULL) < 0)
		return;
	snprintf(p, sizeof(p), "%s%scgroup.subtree_control", dir, *dir ? "/" : "");
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t n = strlen(want[i]);
		char add[16];
		_cleanup_close_ int fd = -1;
		bool found = false;

		for (char *w = strstr(have, want[i]); w && !found; w = strstr(w + 1, want[i]))
			found = (w == have || w[-1] == ' ') && (w[n] == ' ' || w[n] == '\n' || !w[n]);
		if (!found)
			continue;
		fd = openat(cg->root[0], p, O_WRONLY | O_CLOEXEC);
		snprintf(add, sizeof(add), "+%s", want[i]);
		/* a controller that cannot be enabled shows as a missing file when a limit needs it */
		if (fd >= 0 && write(fd, add, strlen(add)) < 0)
			continue;
	}
}

static int v2_create(struct vm_cgroup *cg)
{
	int r;

	v2_delegate(cg, "");
	if (mkdirat(cg->root[0], "fvm", 0755) < 0 && errno != EEXIST)
		return -errno;
	v2_delegate(cg, "fvm");
	r = cg_mkdir(cg->root[0], cg->rel);
	return r;
}

static int v2_apply(struct vm_cgroup *cg, const struct fvm_limits *l, int *ret_ctrl,
		    const char **ret_file)
{
	char v[64];
	int r = 0;

	*ret_ctrl = 0;
	if (l->memory) {
		*ret_file = "memory.max";
		r = cg_write_u64(cg, 0, *ret_file, l->memory);
		if (r == 0 && cg_has(cg, 0, "memory.swap.max")) {
			*ret_file = "memory.swap.max";
			r = cg_write(cg, 0, *ret_file, "0");
		}
		if (r < 0)
			return r;
	}
	if (l->cpus_milli) {
		*ret_file = "cpu.max";
		snprintf(v, sizeof(v), "%" PRIu64 " 100000", (uint64_t)l->cpus_milli * 100);
		r = cg_write(cg, 0, *ret_file, v);
		if (r < 0)
			return r;
	}
	if (l->pids) {
		*ret_file = "pids.max";
		r = cg_write_u64(cg, 0, *ret_file, l->pids);
		if (r < 0)
			return r;
	}
	if (l->io_weight) {
		if (cg_has(cg, 0, "io.weight")) {
			*ret_file = "io.weight";
			snprintf(v, sizeof(v), "default %u", l->io_weight);
			r = cg_write(cg, 0, *ret_file, v);
		} else if (cg_has(cg, 0, "io.bfq.weight")) {
			*ret_file = "io.bfq.weight";
			r = cg_write_u64(cg, 0, *ret_file, 1 + (l->io_weight - 1) * 999u / 9999u);
		}
	}
	return r;
}

/* v2 moves only whole processes, under the global lock; clone3's
 * CLONE_INTO_CGROUP would avoid it (not done yet) */
static int v2_open_self(struct vm_cgroup *cg)
{
	return -EOPNOTSUPP;
}

static int v2_enter(struct vm_cgroup *cg, pid_t pid)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", (int)pid);
	return cg_write(cg, 0, "cgroup.procs", s);
}

static int v2_stats(struct vm_cgroup *cg, struct fvm_stats *ret)
{
	_cleanup_free_ char *io = NULL, *cpu = NULL;
	uint64_t v = 0;
	int r = cg_read_u64(cg, 0, "memory.current", &ret->memory_bytes);

	if (cg_read_u64(cg, 0, "memory.max", &v) == 0)
		ret->memory_limit = v;
	if (cg_read_key(cg, 0, "cpu.stat", "usage_usec", &v) == 0)
		ret->cpu_usec = v;
	if (cg_read(cg, 0, "cpu.max", &cpu) == 0 && strncmp(cpu, "max", 3)) {
		unsigned long long q, p;

		if (sscanf(cpu, "%llu %llu", &q, &p) == 2 && p)
			ret->cpus_limit_milli = (unsigned)(q * 1000 / p);
	}
	if (cg_read_u64(cg, 0, "pids.current", &v) == 0)
		ret->pids = (unsigned)v;
	if (cg_read_u64(cg, 0, "pids.max", &v) == 0)
		ret->pids_limit = (unsigned)v;
	/* "MAJ:MIN rbytes=N wbytes=N rios=N ..." per device */
	if (cg_read(cg, 0, "io.stat", &io) == 0)
		for (char *sp, *t = strtok_r(io, " \n", &sp); t; t = strtok_r(NULL, " \n", &sp)) {
			if (!strncmp(t, "rbytes=", 7))
				ret->io_read_bytes += strtoull(t + 7, NULL, 10);
			else if (!strncmp(t, "wbytes=", 7))
				ret->io_write_bytes += strtoull(t + 7, NULL, 10);
		}
	return r;
}

static int v2_destroy(struct vm_cgroup *cg)
{
	int r = cg_rmdir(cg->root[0], cg->rel);

	unlinkat(cg->root[0], "fvm", AT_REMOVEDIR);   /* the parent too, once no VM is left */
	return r;
}

const struct cg_ops v2_ops = {
	.name = "v2",
	.create = v2_create,
	.apply = v2_apply,
	.enter = v2_enter,
	.open_self = v2_open_self,
	.stats = v2_stats,
	.destroy = v2_destroy,
};

