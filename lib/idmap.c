// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * idmap.c - user namespace id mappings.
 *
 * Root mode: each VM owns a range of UID_RANGE host uids (and the same
 * gids) starting at uid_base; VM uid N is host uid uid_base+N, so root in
 * the VM is an unprivileged uid on the host. Ranges are allocated in a
 * region above every login user and subordinate range (2^30 and up), never
 * shared by two VMs of a store, never overlapping /etc/subuid or /etc/subgid
 * and never one that a live process on the host is using (which catches
 * VMs of other stores), and recorded in the VM's config.
 *
 * Rootless: the caller's uid and gid map to 0 in the VM; nothing else is
 * mapped, so host files of other owners show as the overflow id (nobody).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fvm-internal.h"

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

/**
 * idmap_allocate() - pick a free uid range for a new root-mode VM
 *
 * The caller holds the store lock, so two creates cannot pick one slot.
 */
int idmap_allocate(struct fvm_store *store, uid_t *ret_base, struct fvm_error *err)
{
	_cleanup_free_ bool *used = calloc(UID_REGION_SLOTS, sizeof(bool));
	_cleanup_strv_ char **names = NULL;
	int r;

	if (!used)
		return -ENOMEM;
	r = fvm_store_list(store, &names, err);
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
	mark_subid_file(used, "/etc/subuid");
	mark_subid_file(used, "/etc/subgid");
	mark_processes(used);
	for (unsigned s = 0; s < UID_REGION_SLOTS; s++)
		if (!used[s]) {
			*ret_base = UID_REGION_BASE + s * UID_RANGE;
			return 0;
		}
	return fvm_errf(err, -ENOSPC, "no free uid range left for a new VM in %s: remove unused VMs with 'fvm rm'",
			store->path);
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
