// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * idmap.c - user namespace id mappings.
 *
 * Root mode: each VM owns a range of UID_RANGE host uids (and the same
 * gids) starting at uid_base; VM uid N is host uid uid_base+N, so root in
 * the VM is an unprivileged uid on the host. Ranges are allocated in a
 * region above every login user and subordinate range (2^30 and up), never
 * shared by two VMs of any store on the machine (the registry, registry.c),
 * never overlapping /etc/subuid or /etc/subgid and never one that a live
 * process on the host is using (which catches VMs made before the
 * registry), and recorded in the VM's config.
 *
 * Rootless: the caller's uid and gid map to 0 in the VM; nothing else is
 * mapped, so host files of other owners show as the overflow id (nobody).
 *
 * Shares (root mode): a --share is not idmapped with the VM's own user
 * namespace (that would make the VM's root the host's root on the shared
 * tree), but with one made for it (idmap_userns_open), which maps the
 * VM's root and nothing else to the shared directory's owner: the VM's
 * writes land as that owner's, as a rootless VM of that user would make
 * them; other owners' files show as nobody and stay out of its reach.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fvm-internal.h"
#include "ns.h"
#include "registry.h"

static void mark(bool *used, unsigned long long lo, unsigned long long hi)
{
	/* mark every slot that [lo, hi) touches */
	for (unsigned s = 0; s < UID_REGION_SLOTS; s++) {
		unsigned long long a = UID_REGION_BASE + (unsigned long long)s * UID_RANGE;

		if (lo < a + UID_RANGE && hi > a)
			used[s] = true;
	}
}

static void mark_subid_file(bool *used, const char *file)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;

	if (read_small_fileat(AT_FDCWD, file, &buf, NULL) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, count;
		char *c = strchr(line, ':');

		if (c && sscanf(c + 1, "%llu:%llu", &start, &count) == 2)
			mark(used, start, start + count);
	}
}

static void mark_processes(bool *used)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300];
		_cleanup_free_ char *buf = NULL;
		char *u;
		unsigned long long ids[4];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		if (read_small_fileat(AT_FDCWD, path, &buf, NULL) < 0)
			continue;
		u = strstr(buf, "\nUid:");
		if (u && sscanf(u + 5, "%llu %llu %llu %llu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4)
			for (int i = 0; i < 4; i++)
				mark(used, ids[i], ids[i] + 1);
	}
	closedir(d);
}

/* Mark every slot known to be taken: this store's VMs, the machine's
 * registry, subordinate ids, live processes. */
static int mark_all(struct fvm_store *store, bool *used, const struct reg_entry *reg, size_t nreg,
		    struct fvm_error *err)
{
	_cleanup_strv_ char **names = NULL;
	int r = fvm_store_list(store, &names, err);

	if (r < 0)
		return r;
	for (char **n = names; *n; n++) {
		struct fvm_vm *vm;

		/* a VM whose config cannot be read keeps its slot unknown: skip it */
		if (fvm_vm_open(store, *n, &vm, NULL) < 0)
			continue;
		if (!vm->cfg.rootless)
			mark(used, vm->cfg.uid_base, (unsigned long long)vm->cfg.uid_base + 1);
		fvm_vm_free(vm);
	}
	for (size_t i = 0; i < nreg; i++)
		mark(used, reg[i].base, reg[i].base + 1);
	mark_subid_file(used, "/etc/subuid");
	mark_subid_file(used, "/etc/subgid");
	mark_processes(used);
	return 0;
}

/**
 * idmap_allocate() - pick a free uid range for new root-mode VM @name
 *
 * The caller holds the store lock; the machine's registry (registry.c) is
 * locked while a slot is picked and recorded, so no two stores pick one.
 * The caller releases it (registry_release) if the VM is not made after all.
 */
int idmap_allocate(struct fvm_store *store, const char *name, uid_t *ret_base,
		   struct fvm_error *err)
{
	_cleanup_free_ bool *used = calloc(UID_REGION_SLOTS, sizeof(bool));
	struct reg_entry *reg = NULL, *nv;
	size_t nreg = 0;
	int dir = -1, r;
	_cleanup_close_ int lock = -1;

	if (!used)
		return -ENOMEM;
	if (strpbrk(store->path, "\t\n"))
		return fvm_errf(err, -EINVAL, "the store path %s holds a tab or a newline, which the uid range registry cannot record: set FVM_HOME to another path",
				store->path);
	lock = registry_open(&dir, &reg, &nreg, err);
	if (lock < 0)
		return lock;
	r = mark_all(store, used, reg, nreg, err);
	for (unsigned s = 0; r == 0 && s < UID_REGION_SLOTS; s++) {
		if (used[s])
			continue;
		nv = realloc(reg, (nreg + 1) * sizeof(*reg));
		if (!nv || !(nv[nreg].store = strdup(store->path)) || !(nv[nreg].name = strdup(name))) {
			if (nv) {
				reg = nv;
				free(reg[nreg].store);
			}
			r = fvm_errf(err, -ENOMEM, "out of memory");
			break;
		}
		reg = nv;
		reg[nreg].base = UID_REGION_BASE + (unsigned long long)s * UID_RANGE;
		r = registry_save(dir, reg, ++nreg, err);
		if (r == 0)
			*ret_base = (uid_t)reg[nreg - 1].base;
		goto out;
	}
	if (r == 0)
		r = fvm_errf(err, -ENOSPC, "no free uid range left for a new VM on this machine: remove unused VMs with 'fvm rm'");
out:
	registry_free(reg, nreg);
	close(dir);
	return r;
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return errno ? -errno : -EIO;
	return 0;
}

/**
 * idmap_write() - write the uid and gid maps of @pid's new user namespace
 *
 * Called from the parent user namespace (the host), as the kernel requires.
 */
int idmap_write(pid_t pid, const struct vm_config *cfg, uid_t caller_uid, gid_t caller_gid)
{
	char uids[64], gids[64];
	int r;

	if (cfg->rootless) {
		snprintf(uids, sizeof(uids), "0 %u 1\n", (unsigned)caller_uid);
		snprintf(gids, sizeof(gids), "0 %u 1\n", (unsigned)caller_gid);
		r = write_proc(pid, "setgroups", "deny");
		if (r < 0)
			return r;
	} else {
		snprintf(uids, sizeof(uids), "0 %u %u\n", (unsigned)cfg->uid_base, cfg->uid_count);
		snprintf(gids, sizeof(gids), "0 %u %u\n", (unsigned)cfg->uid_base, cfg->uid_count);
	}
	r = write_proc(pid, "uid_map", uids);
	if (r < 0)
		return r;
	return write_proc(pid, "gid_map", gids);
}

/* Write @pid's maps (@count ids each way) and open its user namespace. */
static int userns_of(pid_t pid, unsigned disk_uid, unsigned disk_gid, unsigned kuid, unsigned kgid,
		     unsigned count)
{
	char uids[64], gids[64], p[64];
	int r, fd;

	snprintf(uids, sizeof(uids), "%u %u %u\n", disk_uid, kuid, count);
	snprintf(gids, sizeof(gids), "%u %u %u\n", disk_gid, kgid, count);
	r = write_proc(pid, "uid_map", uids);
	if (r == 0)
		r = write_proc(pid, "gid_map", gids);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int idmap_userns_range_ids(unsigned disk_uid, unsigned disk_gid, unsigned kuid, unsigned kgid,
				  unsigned count);

/**
 * idmap_userns_open() - a user namespace for an idmapped mount that maps
 * on-disk uid @disk_uid (gid @disk_gid) to host kuid @kuid (kgid @kgid),
 * and no other id
 *
 * On such a mount a file owned by @disk_uid belongs to @kuid, every other
 * owner shows as the overflow id, and a process whose fsuid is @kuid
 * creates files owned by @disk_uid on disk; any other fsuid cannot create
 * there (EOVERFLOW). Made by a short-lived child, born in the new
 * namespace, which waits until its maps are written and the namespace
 * opened, then exits (also if we die: the pipe closes). Needs
 * CAP_SETUID/CAP_SETGID over the ids in our user namespace (root mode).
 *
 * Return: the namespace's fd (close-on-exec), or -errno.
 */
int idmap_userns_open(uid_t disk_uid, gid_t disk_gid, uid_t kuid, gid_t kgid)
{
	return idmap_userns_range_ids(disk_uid, disk_gid, kuid, kgid, 1);
}

/**
 * idmap_userns_range() - as idmap_userns_open(), for @count ids from @from
 * (uids and gids alike) to @to: a layer one root-mode VM wrote, seen by
 * another (a clone) as its own.
 */
int idmap_userns_range(unsigned from, unsigned to, unsigned count)
{
	return idmap_userns_range_ids(from, from, to, to, count);
}

static int idmap_userns_range_ids(unsigned disk_uid, unsigned disk_gid, unsigned kuid, unsigned kgid,
				  unsigned count)
{
	int pfd[2], r, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = sys_clone(CLONE_NEWUSER);
	if (pid == 0) {
		char b;

		close(pfd[1]);
		while (read(pfd[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	r = pid < 0 ? -errno : 0;
	close(pfd[0]);
	if (r == 0)
		r = userns_of(pid, disk_uid, disk_gid, kuid, kgid, count);
	close(pfd[1]);   /* the child's read returns: it exits */
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	return r;
}
