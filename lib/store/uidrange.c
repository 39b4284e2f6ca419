// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * uidrange.c - allocating a root-mode VM's uid range.
 *
 * Each VM owns a range of UID_RANGE host uids (and the same gids)
 * starting at uid_base; VM uid N is host uid uid_base+N, so root in the
 * VM is an unprivileged uid on the host. Ranges are allocated in a region
 * above every login user and subordinate range (2^30 and up), never
 * shared by two VMs of any store on the machine (the registry,
 * registry.c), never overlapping /etc/subuid or /etc/subgid and never one
 * that a live process on the host is using (which catches VMs made before
 * the registry), and recorded in the VM's config.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

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
