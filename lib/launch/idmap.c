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
 * Rootless (--ids single): the caller's uid and gid map to 0 in the VM;
 * nothing else is mapped, so host files of other owners show as the
 * overflow id (nobody). Rootless with --ids sub: 0 is the caller's, ids
 * 1..65535 the caller's subordinate ids, written by the distribution's
 * newuidmap and newgidmap (store/subid.c); setgroups stays allowed, as
 * newgidmap leaves it for a range /etc/subgid grants.
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

#include "store/store.h"
#include "launch/launch.h"


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
int idmap_write(pid_t pid, const struct vm_config *cfg, uid_t caller_uid, gid_t caller_gid,
		struct fvm_error *err)
{
	char uids[64], gids[64];
	int r;

	if (cfg->rootless && cfg->ids == FVM_IDS_SUB)
		return subid_write_maps(pid, cfg, caller_uid, caller_gid, err);
	if (cfg->rootless) {
		snprintf(uids, sizeof(uids), "0 %u 1\n", (unsigned)caller_uid);
		snprintf(gids, sizeof(gids), "0 %u 1\n", (unsigned)caller_gid);
		r = write_proc(pid, "setgroups", "deny");
		if (r < 0)
			goto fail;
	} else {
		snprintf(uids, sizeof(uids), "0 %u %u\n", (unsigned)cfg->uid_base, cfg->uid_count);
		snprintf(gids, sizeof(gids), "0 %u %u\n", (unsigned)cfg->uid_base, cfg->uid_count);
	}
	r = write_proc(pid, "uid_map", uids);
	if (r == 0)
		r = write_proc(pid, "gid_map", gids);
	if (r == 0)
		return 0;
fail:
	return fvm_errf(err, r, "VM '%s': cannot write the id maps of its user namespace: %s",
			cfg->name, strerror(-r));
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
