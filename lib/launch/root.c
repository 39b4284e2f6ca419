// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * root.c - the VM's root assembled in its new mount namespace and pivoted
 * into (step 2 to 4 of mount.c's theory): the root overlay on a staging
 * directory, every other overlay on its mount point (targets resolved
 * beneath the new root, no symlinks), the ro and hide policies applied in
 * place (a share's directories pinned so the VM cannot rename a protected
 * entry out of them), the store covered, /proc, /dev and /sys made, then
 * pivot_root. Runs in the VM's first process. The overlays themselves:
 * mount.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/launch.h"
#include "launch/mountapi.h"

/* policy ro: what the VM sees at @target, made read-only in place */
static int ro_remount(int rootfd, const char *target)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
	_cleanup_close_ int at = open_beneath(rootfd, target, O_PATH);
	_cleanup_close_ int t = -1;

	if (at < 0)
		return errno == ENOENT ? 0 : -errno;   /* the VM removed it: nothing to protect */
	if (!strcmp(target, "/"))   /* the root itself: its mount and all below, in place */
		return sys_mount_setattr(rootfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0 ? -errno : 0;
	t = sys_open_tree(at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (t < 0 || sys_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
		return -errno;
	return mount_attach_at(t, rootfd, target);
}

/* The mount that serves @target: the most specific of the others above it
 * that is no hide or ro policy (an overlay, a share, a private directory),
 * the later one where two have the same path (it is attached on top). */
static const struct host_mount *serving_mount(const struct host_mount *mounts, size_t n,
					      const char *target)
{
	const struct host_mount *best = NULL;

	for (size_t j = 0; j < n; j++) {
		const struct host_mount *m = &mounts[j];

		if (m->kind == MK_RO || m->kind == MK_HIDE || !strcmp(m->target, target) ||
		    !path_has_prefix(target, m->target))
			continue;
		if (!best || strlen(m->target) >= strlen(best->target))   /* later: on top */
			best = m;
	}
	return best;
}

/* Bind the directory @path (below @rootfd, no symlinks) on itself, unless
 * it is a mount point already. */
static int pin_dir(int rootfd, const char *path)
{
	_cleanup_close_ int at = open_beneath(rootfd, path, O_PATH | O_DIRECTORY);
	_cleanup_close_ int t = -1;
	struct statx stx;

	if (at < 0)
		return -errno;
	if (statx(at, "", AT_EMPTY_PATH, 0, &stx) == 0 &&
	    (stx.stx_attributes_mask & stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 0;
	t = sys_open_tree(at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (t < 0)
		return -errno;
	return mount_attach_at(t, rootfd, path);
}

/*
 * A hide or ro policy below a share: there the VM writes the host's own
 * tree, and a directory between the share and the target that it renamed
 * would take the protected entry out of the policy's path from the next
 * boot on (--share ~ --profile untrusted: mv ~/.config ~/c, and the next
 * boot shows ~/c/google-chrome). So each directory in between is bound on
 * itself (a mount point cannot be renamed or removed in the VM), and a
 * symlink in between, which the VM may have left there, stops the boot
 * rather than leave the policy unapplied (-ELOOP). The target itself is
 * the policy's to look up. Return: 0 or -errno.
 */
static int pin_share_path(int rootfd, const struct host_mount *share, const char *target)
{
	char p[PATH_MAX];
	char *s;
	int r;

	if (strlen(target) >= sizeof(p))
		return -ENAMETOOLONG;
	strcpy(p, target);
	s = p + strlen(share->target);
	while (*s == '/')
		s++;
	for (; (s = strchr(s, '/')); *s++ = '/') {
		*s = '\0';
		r = pin_dir(rootfd, p);
		if (r == -ENOENT)
			return 0;   /* absent: nothing below it to protect */
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * policy hide, where no layer could take the whiteout (rootless, outside
 * every overlay): cover it, an empty read-only directory or /dev/null.
 */
static int hide_cover(int rootfd, const char *target)
{
	static const char *const emptyopts[] = { "size", "4k", "mode", "0000", NULL };
	struct stat st;
	_cleanup_close_ int at = open_beneath(rootfd, target, O_PATH);

	if (at < 0 || fstat(at, &st) < 0)
		return 0;   /* absent: hidden already */
	if (S_ISDIR(st.st_mode))
		return mount_fs_at(rootfd, target, "tmpfs", emptyopts,
				   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	return mount_bind_at("/dev/null", rootfd, target, false, true);
}

static int setup_proc(int rootfd)
{
	static const char *const ro[] = { "sys", "sysrq-trigger", "irq", "bus", "fs" };
	static const char *const hidden[] = { "kcore", "keys", "timer_list", "sched_debug" };
	_cleanup_close_ int proc = -1;
	int r = mount_fs_at(rootfd, "proc", "proc", NULL,
			    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);

	if (r < 0)
		return r;
	proc = open_beneath(rootfd, "proc", O_PATH | O_DIRECTORY);
	if (proc < 0)
		return -errno;
	/* kernel knobs stay the host's: read-only, whatever the VM's caps */
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++) {
		_cleanup_close_ int t = sys_open_tree(proc, ro[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						      AT_RECURSIVE);
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

		if (t < 0)
			continue;   /* not in this kernel */
		if (sys_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0 ||
		    mount_attach_at(t, proc, ro[i]) < 0)
			return -errno;
	}
	for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
		mount_bind_at("/dev/null", proc, hidden[i], false, true);   /* absent is fine */
	return 0;
}

static int setup_dev(int rootfd, const struct fvm_vm *vm)
{
	bool rootless = vm->cfg.rootless;
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	static const char *const devopts[] = { "mode", "0755", "size", "512k", NULL };
	static const char *const shmopts[] = { "mode", "1777", NULL };
	static const char *const ptsroot[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620",
					       "gid", "5", NULL };
	static const char *const ptsless[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620",
					       NULL };
	_cleanup_close_ int dev = -1;
	int r = mount_fs_at(rootfd, "dev", "tmpfs", devopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);

	if (r < 0)
		return r;
	dev = open_beneath(rootfd, "dev", O_RDONLY | O_DIRECTORY);
	if (dev < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		char src[32];
		int f = openat(dev, nodes[i], O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);

		if (f < 0)
			return -errno;
		close(f);
		snprintf(src, sizeof(src), "/dev/%s", nodes[i]);
		r = mount_bind_at(src, dev, nodes[i], false, false);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0)
			return -errno;
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0 ||
	    mkdirat(dev, "mqueue", 0755) < 0)
		return -errno;
	r = mount_fs_at(dev, "pts", "devpts", rootless ? ptsless : ptsroot,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return r;
	r = mount_fs_at(dev, "shm", "tmpfs", shmopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (r < 0)
		return r;
	r = mount_fs_at(dev, "mqueue", "mqueue", NULL,
			MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return r;
	r = gui_devices_bind(vm, dev);   /* --device nodes */
	if (r < 0)
		return r;
	/* the tmpfs itself is done: nothing more may be created in it */
	{
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

		if (sys_mount_setattr(dev, "", AT_EMPTY_PATH, &a) < 0)
			return -errno;
	}
	return 0;
}

static int setup_sys(int rootfd, enum fvm_net net)
{
	/* sysfs shows the net devices of the mounter's netns: fresh for a
	 * private network, the host's (a read-only bind) for --net host */
	if (net != FVM_NET_HOST)
		return mount_fs_at(rootfd, "sys", "sysfs", NULL,
				   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				   MOUNT_ATTR_NOEXEC);
	return mount_bind_at("/sys", rootfd, "sys", true, true);
}

/* Every mount but the root's on its target, and the ro and hide policies applied. */
static int attach_all(struct fvm_vm *vm, const struct host_mount *mounts, const int *ovl_fds,
		      size_t n, int rootfd, struct fvm_error *err)
{
	int r;

	for (size_t i = 1; i < n; i++) {
		if (mounts[i].kind == MK_RO || mounts[i].kind == MK_HIDE) {
			const struct host_mount *sv = serving_mount(mounts, n, mounts[i].target);

			r = sv && sv->kind == MK_SHARE ? pin_share_path(rootfd, sv, mounts[i].target) : 0;
			if (r == 0)
				r = mounts[i].kind == MK_RO ? ro_remount(rootfd, mounts[i].target) :
							      hide_cover(rootfd, mounts[i].target);
			if (r < 0)
				return fvm_errf(err, r, "VM '%s': cannot apply its policy %s %s: %s", vm->cfg.name,
						mounts[i].kind == MK_RO ? "ro" : "hide", mounts[i].target,
						strerror(-r));
			continue;
		}
		if (ovl_fds[i] < 0)
			continue;
		r = mount_attach_at(ovl_fds[i], rootfd, mounts[i].target);
		if (r < 0 && r != -ENOENT && r != -ELOOP && r != -ENOTDIR)
			return fvm_errf(err, r, "VM '%s': cannot attach the overlay of %s: %s",
					vm->cfg.name, mounts[i].target, strerror(-r));
		/* a mount point the VM replaced or removed stays the VM's own */
	}
	return 0;
}

/* A store that no layer hides (rootless, outside every overlay): covered
 * with an empty read-only tmpfs. */
static int cover_store(struct fvm_vm *vm, const struct host_mount *mounts, size_t n, int rootfd)
{
	static const char *const emptyopts[] = { "size", "4k", "mode", "0000", NULL };
	const struct host_mount *sv = serving_mount(mounts, n, vm->store->path);
	_cleanup_close_ int st = -1;
	int r;

	/* in a share, the VM must not move the store out from under its cover */
	if (sv && sv->kind == MK_SHARE && (r = pin_share_path(rootfd, sv, vm->store->path)) < 0)
		return r;
	st = open_beneath(rootfd, vm->store->path, O_PATH | O_DIRECTORY);
	if (st >= 0 && (r = mount_fs_at(rootfd, vm->store->path, "tmpfs", emptyopts,
				       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		return r;
	return 0;
}

/* The spent lowers (mount_make()) attached on the staging directory @run,
 * under the root about to go there: they leave with the old tree's lazy
 * unmount after pivot_root, which waits for no RCU grace period, where
 * closing each detached one would wait once per mount. */
static int stack_spent(int run, const int *spent, size_t n)
{
	for (size_t i = 0; spent && i < n; i++)
		if (spent[i] >= 0 && sys_move_mount(spent[i], "", run, "",
						    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return -errno;
	return 0;
}

/**
 * root_setup() - build the VM's root from @ovl_fds and pivot into it
 * @spent: n fds (-1 for none) of mounts to let go of with the old tree
 *
 * The new root is assembled on a directory of the (private) copy of the
 * host's tree, such as /tmp, which is then pivoted away: the store cannot
 * serve, as the VM's root uid has no access to it, and an fd opened before
 * the clone names the host's mount, not our copy of it.
 *
 * Runs in the VM's first process, in its new mount namespace.
 */
int root_setup(struct fvm_vm *vm, const struct host_mount *mounts, const int *ovl_fds,
	       const int *spent, size_t n, struct fvm_error *err)
{
	static const char *const staging[] = { "/tmp", "/var/tmp", "/mnt", "/media" };
	_cleanup_close_ int rootfd = -1, run = -1;
	const char *step, *stage = NULL;
	int r;

	step = "make its mount namespace private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto fail_errno;
	step = "find a directory to build the root on";
	for (size_t i = 0; run < 0 && i < ARRAY_SIZE(staging); i++) {
		stage = staging[i];
		run = open(stage, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (run < 0)
		goto fail_errno;
	step = "put the spent lower layers aside";
	if ((r = stack_spent(run, spent, n)) < 0)
		goto fail;
	step = "attach the root overlay";
	if (sys_move_mount(ovl_fds[0], "", run, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		goto fail_errno;
	/* by name again: the walk now crosses into the overlay on top */
	rootfd = open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		goto fail_errno;
	if ((r = attach_all(vm, mounts, ovl_fds, n, rootfd, err)) < 0)
		return r;
	step = "hide the store";
	if ((r = cover_store(vm, mounts, n, rootfd)) < 0)
		goto fail;
	step = "mount /proc";
	if ((r = setup_proc(rootfd)) < 0)
		goto fail;
	step = "build /dev";
	if ((r = setup_dev(rootfd, vm)) < 0)
		goto fail;
	step = "mount /sys";
	if ((r = setup_sys(rootfd, vm->cfg.net)) < 0)
		goto fail;
	if (gui_mount(vm, rootfd, err) < 0)
		return err ? err->code : -EIO;
	step = "pivot into the VM's root";
	if (fchdir(rootfd) < 0 || sys_pivot_root(".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		goto fail_errno;
	return 0;
fail_errno:
	r = -errno;
fail:
	return fvm_errf(err, r, "VM '%s': cannot %s: %s", vm->cfg.name, step, strerror(-r));
}
