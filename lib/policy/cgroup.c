// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup.c - a VM's resource limits and accounting: one control group
 * per VM, whatever cgroup version the host has.
 *
 * Theory of operation. Each VM gets the cgroup fvm/HASH-NAME, where HASH
 * names the store (its device and inode), so that two stores' VMs of one
 * name never share one. On a pure cgroup v2 host (/sys/fs/cgroup is
 * cgroup2) it lives under the v2 root, with the memory, cpu, pids and io
 * controllers enabled in the root's and fvm/'s cgroup.subtree_control. On
 * a v1 or hybrid host (v1 controllers mounted one per directory under
 * /sys/fs/cgroup, perhaps beside a v2 tree without controllers, which is
 * of no use for limits) it is made under the root of each of the memory,
 * cpu, cpuacct, pids and blkio hierarchies (co-mounted ones, cpu,cpuacct,
 * are made once), or of the pids one alone for a VM whose only limit is
 * its process count, as the default VM's is (v1_wanted()); a joiner
 * enters those it was made in. Which flavour a host has is found anew by each call (one
 * statfs, a few opens) and hidden behind struct cg_ops, as in crun.
 *
 * Life of a VM's cgroup: vm_boot() makes it and writes the limits before
 * the clone; the VM's first process is in it before it does anything
 * else, so every process of the VM is inside from its start; a process
 * that joins a running VM is moved in (its intermediate process, see
 * exec.c) before the program's process is cloned. Moving a process by
 * pid takes a global lock whose write side waits for an RCU grace period
 * (6-17 ms measured); on v1 the forked process moves itself instead
 * (cgroup_enter_self(): a thread moving itself skips that lock), on v2
 * fvm moves it by pid while it waits. When init dies, the
 * kernel kills the rest of the VM and the cgroup is empty: whoever sees
 * the VM stopped, under its lock, removes it (vm_clear_runtime(); stale
 * ones are removed by the next boot).
 *
 * Root mode makes one for every VM with a limit, and every VM has a pids
 * limit unless it asks for none (FVM_PIDS_DEFAULT, as podman: a VM must
 * not exhaust the host's pid space). A VM without any limit (--pids max
 * and nothing else) gets none: making and removing it cost each boot 0.65
 * ms and the running VM 70-150 KiB, for accounting only, which
 * fvm_vm_stats() then takes from /proc as for a rootless VM. Rootless,
 * cgroups are not the user's to write (v1; v2 without a delegated
 * subtree), so a rootless VM with limits is refused with a message saying
 * so, and one without runs without a cgroup: fvm_vm_stats() then adds up
 * what /proc tells of the VM's live processes. Such a VM gets no default
 * pids limit either, and says so (config_pids(); inspect shows "pids":
 * "max" and "enforced": false): an RLIMIT_NPROC would count every process
 * of the user, on the host too, not the VM's.
 *
 * Limits: memory (v1 memory.limit_in_bytes, and memory.memsw.limit_in_bytes
 * where swap is accounted; v2 memory.max and memory.swap.max 0: the limit
 * holds for memory and swap together), cpus (v1 cpu.cfs_quota_us over a
 * 100 ms period; v2 cpu.max), pids (pids.max), io weight (v2 io.weight;
 * v1 blkio.weight or blkio.bfq.weight scaled to 10..1000, and nothing
 * where the host's I/O scheduler has no weights: a weight is a hint).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "policy/policy.h"


const char *const v1_names[CG_NCTRL] = { "memory", "cpu", "cpuacct", "pids", "blkio" };

/* ---- file access ------------------------------------------------------ */

void cg_file(const struct vm_cgroup *cg, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", cg->rel, file);
}

int cg_write(const struct vm_cgroup *cg, int ctrl, const char *file, const char *val)
{
	_cleanup_close_ int fd = -1;
	size_t n = strlen(val);
	char p[256];
	ssize_t w;

	if (cg->root[ctrl] < 0)
		return -ENOENT;
	cg_file(cg, file, p, sizeof(p));
	fd = openat(cg->root[ctrl], p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	w = write(fd, val, n);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

int cg_read(const struct vm_cgroup *cg, int ctrl, const char *file, char **ret)
{
	char p[256];

	if (cg->root[ctrl] < 0)
		return -ENOENT;
	cg_file(cg, file, p, sizeof(p));
	return read_small_fileat(cg->root[ctrl], p, ret, NULL);
}

bool cg_has(const struct vm_cgroup *cg, int ctrl, const char *file)
{
	char p[256];

	if (cg->root[ctrl] < 0)
		return false;
	cg_file(cg, file, p, sizeof(p));
	return faccessat(cg->root[ctrl], p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The text of a file holding one number; "max" (v2's no limit) reads as 0. */
uint64_t cg_parse_u64(const char *s)
{
	return strncmp(s, "max", 3) ? strtoull(s, NULL, 10) : 0;
}

/* The value of @key in the text of a flat-keyed file ("KEY VALUE" per
 * line): 0, or -ENOENT. */
int cg_parse_key(const char *s, const char *key, uint64_t *ret)
{
	size_t k = strlen(key);

	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, k) && l[k] == ' ') {
			*ret = strtoull(l + k + 1, NULL, 10);
			return 0;
		}
	return -ENOENT;
}

/* A file holding one number (cg_parse_u64()). */
int cg_read_u64(const struct vm_cgroup *cg, int ctrl, const char *file, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = cg_read(cg, ctrl, file, &s);

	if (r < 0)
		return r;
	*ret = cg_parse_u64(s);
	return 0;
}

/* The value of KEY in a flat-keyed file (cg_parse_key()). */
int cg_read_key(const struct vm_cgroup *cg, int ctrl, const char *file, const char *key,
		       uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = cg_read(cg, ctrl, file, &s);

	if (r < 0)
		return r;
	return cg_parse_key(s, key, ret);
}

int cg_write_u64(const struct vm_cgroup *cg, int ctrl, const char *file, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return cg_write(cg, ctrl, file, s);
}

/* rmdir, waiting a little for the last processes of a dying VM to leave */
int cg_rmdir(int root, const char *rel)
{
	for (int i = 0; i < 50; i++) {
		if (unlinkat(root, rel, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
	return -EBUSY;
}

int cg_mkdir(int root, const char *rel)
{
	char parent[sizeof(((struct vm_cgroup *)0)->rel)];

	snprintf(parent, sizeof(parent), "%s", rel);
	*strrchr(parent, '/') = '\0';
	/* twice: the last VM of another store may remove the parent meanwhile */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (mkdirat(root, parent, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (mkdirat(root, rel, 0755) == 0 || errno == EEXIST)
			return 0;
		if (errno != ENOENT)
			return -errno;
	}
	return -ENOENT;
}

/* ---- the VM's cgroup ---------------------------------------------------- */

#define ALL_CTRLS ((1u << CG_NCTRL) - 1)

static bool has_limits(const struct fvm_limits *l)
{
	return l->memory || l->cpus_milli || l->pids || l->io_weight;
}

void cgroup_release(struct vm_cgroup *cg)
{
	for (int i = 0; i < CG_NCTRL; i++) {
		if (cg->root[i] >= 0)
			close(cg->root[i]);
		if (cg->self[i] >= 0)
			close(cg->self[i]);
		if (cg->back[i] >= 0)
			close(cg->back[i]);
		cg->root[i] = cg->self[i] = cg->back[i] = -1;
	}
	cg->ops = NULL;
}

/* Must a process of @vm be in its cgroup, or is that only for accounting? */
bool cgroup_needed(const struct fvm_vm *vm)
{
	return has_limits(&vm->cfg.limits);
}

/**
 * cgroup_prepare_self() - let a single-threaded child of ours move itself
 * into @cg with cgroup_enter_self(), the fast way (v1)
 *
 * Return: 0, or -errno: the caller moves the child with cgroup_enter().
 */
int cgroup_prepare_self(struct vm_cgroup *cg)
{
	int r;

	if (!cg->ops)
		return -ENOENT;
	r = cg->ops->open_self(cg);
	if (r < 0)
		for (int i = 0; i < CG_NCTRL; i++)
			if (cg->self[i] >= 0) {
				close(cg->self[i]);
				cg->self[i] = -1;
			}
	return r;
}

/**
 * cgroup_enter_self() - in a forked, single-threaded child: move this
 * process into the cgroup cgroup_prepare_self() opened. Only write(2):
 * safe after fork. Return: 0 or -errno.
 */
int cgroup_enter_self(const struct vm_cgroup *cg)
{
	for (int i = 0; i < CG_NCTRL; i++)
		if (cg->self[i] >= 0 && write(cg->self[i], "0", 1) != 1)
			return -errno;
	return 0;
}

/* v1: the path of our own cgroup in hierarchy @ctrl, from a line of
 * /proc/self/cgroup ("ID:CTRL,CTRL:/PATH") in @line; false if not it */
static bool own_cgroup_line(const char *line, const char *ctrl, char *path, size_t len)
{
	const char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
	size_t k = strlen(ctrl);

	if (!p)
		return false;
	for (c++; c < p; c += strcspn(c, ",:") + 1)
		if (!strncmp(c, ctrl, k) && (c[k] == ',' || c[k] == ':')) {
			snprintf(path, len, "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
			return true;
		}
	return false;
}

/**
 * cgroup_open_back() - v1: open the caller's own cgroup's "tasks" file in
 * each hierarchy where cgroup_prepare_self() opened the VM's, so that a
 * single-threaded caller can step into the VM's cgroup for a fork
 * (cgroup_enter_self(): its child is born there, counted against the
 * VM's limits) and back out (cgroup_leave_self()).
 *
 * Return: 0 (also without a cgroup: nothing to step into), or -errno,
 * -EOPNOTSUPP on v2, where this is not done.
 */
int cgroup_open_back(struct vm_cgroup *cg)
{
	_cleanup_free_ char *own = NULL;
	int r;

	if (!cg->ops)
		return 0;
	if (cg->ops != &v1_ops)
		return -EOPNOTSUPP;
	r = read_small_fileat(AT_FDCWD, "/proc/self/cgroup", &own, NULL);
	for (int i = 0; r == 0 && i < CG_NCTRL; i++) {
		char path[300], p[400];
		bool found = false;

		if (cg->self[i] < 0)
			continue;
		for (const char *l = own; l && *l && !found; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			found = own_cgroup_line(l, v1_names[i], path, sizeof(path));
		if (!found)
			return -ENOENT;
		snprintf(p, sizeof(p), CG_MOUNT "/%s%s/tasks", v1_names[i], path);
		cg->back[i] = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (cg->back[i] < 0)
			r = -errno;
	}
	return r;
}

/* v1: step back into our own cgroup (cgroup_open_back()). Return: 0 or -errno. */
int cgroup_leave_self(const struct vm_cgroup *cg)
{
	int r = 0;

	for (int i = 0; i < CG_NCTRL; i++)
		if (cg->back[i] >= 0 && write(cg->back[i], "0", 1) != 1 && r == 0)
			r = -errno;
	return r;
}

/* A store's VMs are told apart from another store's by its device and inode. */
static int cg_name(struct fvm_vm *vm, char *buf, size_t len)
{
	struct stat st;
	uint64_t h = UINT64_C(14695981039346656037);
	uint64_t key[2];

	if (fstat(vm->store->dirfd, &st) < 0)
		return -errno;
	key[0] = (uint64_t)st.st_dev;
	key[1] = (uint64_t)st.st_ino;
	for (size_t i = 0; i < sizeof(key); i++)
		h = (h ^ ((const unsigned char *)key)[i]) * UINT64_C(1099511628211);
	snprintf(buf, len, "fvm/%016" PRIx64 "-%s", h, vm->cfg.name);
	return 0;
}

static int open_root(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sf;

	if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != CGROUP_SUPER_MAGIC)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * v1: the hierarchies the cgroup of a VM with limits @l is made in. A VM
 * limited in its process count alone (the default) gets the pids one
 * only: a memory cgroup costs the idle VM about 100 KiB of kernel memory
 * and its boot a few more directories, for accounting that /proc gives
 * too (fvm_vm_stats()). Any other limit gets every hierarchy, and so the
 * cgroup's accounting of memory, CPU time and I/O.
 */
static unsigned v1_wanted(const struct fvm_limits *l)
{
	if (l->pids && !l->memory && !l->cpus_milli && !l->io_weight)
		return 1u << CG_PIDS;
	return ALL_CTRLS;
}

/* Find the host's cgroup flavour and its roots (v1: those in @want, a
 * mask of 1 << enum cg_ctrl). -ENOENT: no cgroups to use. */
static int cg_open(struct fvm_vm *vm, struct vm_cgroup *cg, unsigned want)
{
	struct stat seen[CG_NCTRL];
	struct statfs sf;
	bool any = false;
	int r;

	*cg = (struct vm_cgroup)VM_CGROUP_INIT;
	r = cg_name(vm, cg->rel, sizeof(cg->rel));
	if (r < 0)
		return r;
	if (statfs(CG_MOUNT, &sf) < 0)
		return -ENOENT;
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		cg->root[0] = open(CG_MOUNT, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cg->root[0] < 0)
			return -errno;
		cg->ops = &v2_ops;
		return 0;
	}
	for (int i = 0; i < CG_NCTRL; i++) {
		char p[64];

		if (!(want & (1u << i)))
			continue;
		snprintf(p, sizeof(p), CG_MOUNT "/%s", v1_names[i]);
		cg->root[i] = open_root(p);
		if (cg->root[i] < 0 || fstat(cg->root[i], &seen[i]) < 0)
			continue;
		any = true;
		for (int k = 0; k < i; k++)
			if (cg->root[k] >= 0 && seen[k].st_dev == seen[i].st_dev &&
			    seen[k].st_ino == seen[i].st_ino)
				cg->alias[i] = true;
	}
	if (!any)
		return -ENOENT;
	cg->ops = &v1_ops;
	return 0;
}

/* The VM's cgroup as a path, for messages. */
static const char *cg_path(const struct vm_cgroup *cg, int ctrl, const char *file, char *buf,
			   size_t len)
{
	snprintf(buf, len, CG_MOUNT "%s%s/%s%s%s", cg->ops == &v1_ops ? "/" : "",
		 cg->ops == &v1_ops ? v1_names[ctrl] : "", cg->rel, file ? "/" : "", file ? file : "");
	return buf;
}

/**
 * cgroup_check() - can a VM with config @c have its limits here?
 *
 * Return: 0, or -EPERM (with a message) for a rootless VM with limits:
 * the host's cgroups are not the user's to write.
 */
int cgroup_check(const struct vm_config *c, struct fvm_error *err)
{
	struct statfs sf;

	if (!c->rootless || !has_limits(&c->limits))
		return 0;
	return fvm_errf(err, -EPERM,
			"VM '%s': resource limits need cgroups this user can write: run fvm as root (this host has %s)",
			c->name,
			statfs(CG_MOUNT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC ?
			"cgroup v2, not delegated to fvm" : "cgroup v1 controllers");
}

/**
 * cgroup_setup() - make @vm's cgroup and write its limits, before it boots
 *
 * Only a VM with limits gets one (see the theory above); one without boots
 * without. Rootless VMs have none.
 * Return: 0 (ret->ops NULL: no cgroup) or -errno with @err filled.
 */
int cgroup_setup(struct fvm_vm *vm, struct vm_cgroup *ret, struct fvm_error *err)
{
	bool limited = has_limits(&vm->cfg.limits);
	const char *file = NULL;
	char p[300];
	int ctrl = 0, r;

	*ret = (struct vm_cgroup)VM_CGROUP_INIT;
	r = cgroup_check(&vm->cfg, err);
	if (r < 0 || vm->cfg.rootless || !limited)
		return r;
	r = cg_open(vm, ret, v1_wanted(&vm->cfg.limits));
	if (r < 0) {
		cgroup_release(ret);
		return limited ? fvm_errf(err, r, "VM '%s': resource limits need cgroups, and %s has none this host lets fvm use: %s",
					  vm->cfg.name, CG_MOUNT, strerror(-r)) : 0;
	}
	r = ret->ops->create(ret);
	if (r < 0) {
		if (limited)
			fvm_errf(err, r, "VM '%s': cannot create its cgroup %s: %s", vm->cfg.name,
				 cg_path(ret, CG_MEMORY, NULL, p, sizeof(p)), strerror(-r));
		ret->ops->destroy(ret);
		cgroup_release(ret);
		return limited ? r : 0;
	}
	r = ret->ops->apply(ret, &vm->cfg.limits, &ctrl, &file);
	if (r < 0) {
		fvm_errf(err, r, "VM '%s': cannot set its limit in %s: %s%s%s", vm->cfg.name,
			 cg_path(ret, ctrl, file, p, sizeof(p)), strerror(-r),
			 r == -ENOENT ? " (the host's cgroups lack that controller)" : "",
			 r == -ENOENT && ctrl == CG_PIDS ?
			 ": every VM has a process limit by default, 'fvm config --pids max' removes it" : "");
		ret->ops->destroy(ret);
		cgroup_release(ret);
		return r;
	}
	return 0;
}

/*
 * v1: keep the roots of the hierarchies the VM's cgroup was made in
 * (v1_wanted() at its boot); *@ret_first: the first root there is.
 * Return: 0, or -errno if the cgroup is in none (gone).
 */
static int cg_keep_made(struct vm_cgroup *cg, int *ret_first)
{
	int r = -ENOENT;

	*ret_first = 0;
	while (*ret_first < CG_NCTRL - 1 && cg->root[*ret_first] < 0)
		++*ret_first;
	if (cg->ops != &v1_ops)
		return faccessat(cg->root[0], cg->rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	for (int i = CG_NCTRL - 1; i >= 0; i--) {
		if (cg->root[i] < 0)
			continue;
		if (faccessat(cg->root[i], cg->rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			*ret_first = i;
			r = 0;
			continue;
		}
		if (errno != ENOENT && r == -ENOENT)
			r = -errno;
		close(cg->root[i]);
		cg->root[i] = -1;
	}
	return r;
}

/**
 * cgroup_join() - open the cgroup of running @vm, for a process joining it
 *
 * Return: 0 (ret->ops NULL: the VM has no cgroup, and needs none) or
 * -errno with @err filled when a VM with limits lost its cgroup.
 */
int cgroup_join(struct fvm_vm *vm, struct vm_cgroup *ret, struct fvm_error *err)
{
	bool limited = has_limits(&vm->cfg.limits);
	int r, first = 0;

	*ret = (struct vm_cgroup)VM_CGROUP_INIT;
	if (vm->cfg.rootless || !limited)
		return 0;
	r = cg_open(vm, ret, ALL_CTRLS);
	if (r == 0)
		r = cg_keep_made(ret, &first);
	if (r < 0) {
		char p[300];

		if (ret->ops && limited)
			cg_path(ret, first, NULL, p, sizeof(p));
		else
			snprintf(p, sizeof(p), CG_MOUNT);
		cgroup_release(ret);
		return limited ? fvm_errf(err, r, "VM '%s': its cgroup %s is gone, and with it its limits: restart it with 'fvm stop %s'",
					  vm->cfg.name, p, vm->cfg.name) : 0;
	}
	return 0;
}

/**
 * cgroup_enter() - move process @pid into @vm's cgroup @cg (if it has one)
 *
 * Return: 0, or -errno with @err filled. Without limits a failure only
 * costs accounting, and is let go.
 */
int cgroup_enter(struct fvm_vm *vm, struct vm_cgroup *cg, pid_t pid, struct fvm_error *err)
{
	char p[300];
	int ctrl = 0, r;

	if (!cg->ops)
		return 0;
	r = cg->ops->enter(cg, pid);
	while (r < 0 && ctrl < CG_NCTRL - 1 && cg->root[ctrl] < 0)
		ctrl++;   /* the first hierarchy it is in, for the message */
	if (r < 0 && has_limits(&vm->cfg.limits))
		return fvm_errf(err, r, "VM '%s': cannot move a process into its cgroup %s: %s",
				vm->cfg.name, cg_path(cg, ctrl, "cgroup.procs", p, sizeof(p)),
				strerror(-r));
	return 0;
}

/**
 * cgroup_remove() - remove @vm's cgroup, if it has one and it is empty;
 * the caller holds the VM's lock and knows it stopped
 */
void cgroup_remove(struct fvm_vm *vm)
{
	struct vm_cgroup cg;

	if (vm->cfg.rootless)
		return;
	if (cg_open(vm, &cg, ALL_CTRLS) == 0)
		cg.ops->destroy(&cg);
	cgroup_release(&cg);
}

/* Resource use as the VM's cgroup counts it: 0, or -errno when the VM has
 * no cgroup or it cannot be read. */
int cgroup_stats(struct fvm_vm *vm, struct fvm_stats *ret)
{
	struct vm_cgroup cg = VM_CGROUP_INIT;
	int r = cgroup_join(vm, &cg, NULL);

	if (r == 0 && !cg.ops)
		r = -ENOENT;
	if (r == 0)
		r = cg.ops->stats(&cg, ret);
	cgroup_release(&cg);
	return r;
}

/**
 * cgroup_oom_kills() - how many processes of @vm the kernel's OOM killer
 * ended, as its cgroup counts them (v2 memory.events, v1
 * memory.oom_control: "oom_kill N")
 *
 * Return: the count; 0 without a cgroup or a memory limit, or when the
 * counter cannot be read.
 */
uint64_t cgroup_oom_kills(struct fvm_vm *vm)
{
	_cleanup_(cgroup_release) struct vm_cgroup cg = VM_CGROUP_INIT;
	uint64_t n = 0;

	if (!vm->cfg.limits.memory || cgroup_join(vm, &cg, NULL) < 0 || !cg.ops)
		return 0;
	if (cg_read_key(&cg, CG_MEMORY, cg.ops == &v1_ops ? "memory.oom_control" : "memory.events",
			"oom_kill", &n) < 0)
		return 0;
	return n;
}

/**
 * cgroup_pids_full() - is @vm at its limit of processes?
 *
 * Return: true when its cgroup has a pids limit and pids.current is at it,
 * or one below (where a process that just failed to fork has exited).
 */
bool cgroup_pids_full(struct fvm_vm *vm)
{
	_cleanup_(cgroup_release) struct vm_cgroup cg = VM_CGROUP_INIT;
	uint64_t cur = 0, max = 0;

	if (cgroup_join(vm, &cg, NULL) < 0 || !cg.ops ||
	    cg_read_u64(&cg, CG_PIDS, "pids.current", &cur) < 0 ||
	    cg_read_u64(&cg, CG_PIDS, "pids.max", &max) < 0)
		return false;
	/* the joiner that failed to fork is gone by now: one slot is free again */
	return max > 0 && cur + 1 >= max;
}
