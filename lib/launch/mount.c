// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mount.c - the VM's file system view.
 *
 * Theory of operation. Everything is built with the fd-based mount API
 * (fsopen/fsconfig/fsmount, open_tree, mount_setattr, move_mount), so no
 * mount ever appears in the host's mount table and nothing needs cleaning
 * up on the host: the VM's mounts live only in its own mount namespace
 * and vanish with it.
 *
 *  1. For every host mount (mount-plan.c) an overlay is made whose lower
 *     layer is that mount and whose upper/work are the VM's layer. As root
 *     the lower is an idmapped clone of the host mount (host uid N shows as
 *     uid_base+N), so the VM's root owns what the host's root owns; this
 *     must happen in the host's user namespace, so the parent does it and
 *     passes the mount fds to the VM's first process. Rootless, the VM's
 *     first process makes the overlays itself inside its user namespace.
 *     Layers are passed to overlayfs as fds ("lowerdir+", kernel >= 6.13)
 *     so no path is looked up twice. The overlay of a read-only host
 *     mount is read-only too, and made of lowers only where it can be
 *     (the VM's layer stacked on the host's, lowers_only_fits()): no work
 *     dir to remake, nothing to sync when it goes. As root, the idmapped
 *     clone each lower was is not closed but sent along to the VM's first
 *     process, which lets go of them all in one lazy unmount (closing
 *     each would wait for an RCU grace period, see mount_make()). Copy-
 *     on-write stays the rule for every tree the host can write: a
 *     read-only host mount is no plain clone, which would show the host's
 *     live tree without the VM's hides and earlier changes.
 *     A share (policy share) is the host's
 *     tree itself, bound in; as root it is idmapped with a user namespace
 *     of its own, not the VM's: the VM's root is the shared directory's
 *     owner there and no other id is mapped (share_userns, idmap.c), and a
 *     tree of the host's root is refused, never the host's root in the VM.
 *     A hide or ro policy inside a share gets every directory between the
 *     share and its path bound on itself (pin_share_path), so that the VM
 *     cannot rename the protected entry out of the policy's path.
 *  2. In the new mount namespace (made private first: nothing propagates
 *     back to the host) the overlay of "/" is attached on a staging directory, then
 *     every other overlay on its mount point, each target resolved with
 *     openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the new root, so
 *     a symlink the VM left in its layer cannot redirect a mount.
 *  3. /proc (a new instance for the VM's pid namespace, with /proc/sys and
 *     friends read-only), /dev (a small tmpfs with bind-mounted null, zero,
 *     full, random, urandom, tty; a devpts instance of its own; a private
 *     tmpfs /dev/shm; an mqueue instance) and /sys (read-only) are added.
 *  4. pivot_root into the new root and detach the old one.
 *
 * This file makes the layers' mounts (step 1: overlays, shares, private
 * trees, covers); root.c assembles them into the root (steps 2 to 4).
 *
 * Failing closed. Rootless, the base of the VM's tree is the host's, read-
 * only (rootless_base): where an overlay is missing, the VM would see the
 * host's live tree. So an overlay that cannot be made stops the boot for
 * a tree the user can write (boot-child.c overlay_required), a mount the user
 * cannot list gets an empty cover, and host paths are opened following no
 * symlink (hostpath.c). As root a missing overlay leaves the mount point
 * showing the directory below it through the root overlay: copy-on-write,
 * the VM's own. An attach that fails because the VM removed or replaced
 * the mount point in its layer (ENOENT, ELOOP, ENOTDIR) leaves the VM's
 * own entry there; any other failure stops the boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch/launch.h"
#include "launch/mountapi.h"

/* Attach the detached mount @mnt on @target (below @rootfd). */
static int attach(int mnt, int rootfd, const char *target)
{
	_cleanup_close_ int t = open_beneath(rootfd, target, O_PATH);

	if (t < 0)
		return -errno;
	if (sys_move_mount(mnt, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* A new detached mount of @fstype with "key=value" options (NULL-terminated pairs). */
static int fs_new(const char *fstype, const char *const *opts, unsigned attrs)
{
	_cleanup_close_ int fs = sys_fsopen(fstype, FSOPEN_CLOEXEC);
	int m;

	if (fs < 0)
		return -errno;
	for (size_t i = 0; opts && opts[i]; i += 2)
		if (sys_fsconfig(fs, opts[i + 1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG,
				 opts[i], opts[i + 1], 0) < 0)
			return -errno;
	if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	m = sys_fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	return m < 0 ? -errno : m;
}

int mount_fs_at(int rootfd, const char *target, const char *fstype, const char *const *opts,
		unsigned attrs)
{
	_cleanup_close_ int m = fs_new(fstype, opts, attrs);

	if (m < 0)
		return m;
	return attach(m, rootfd, target);
}

/* mount_tmpfs_at() - a new tmpfs with @opts on @target below @rootfd (gui.c) */
int mount_tmpfs_at(int rootfd, const char *target, const char *const *opts, unsigned attrs)
{
	return mount_fs_at(rootfd, target, "tmpfs", opts, attrs);
}

/* mount_attach_at() - attach detached mount @mnt on @target below @rootfd (gui.c) */
int mount_attach_at(int mnt, int rootfd, const char *target)
{
	return attach(mnt, rootfd, target);
}

/* Bind @src (a host path) on @target below @rootfd, optionally read-only. */
int mount_bind_at(const char *src, int rootfd, const char *target, bool recursive, bool ro)
{
	_cleanup_close_ int t = sys_open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					      (recursive ? AT_RECURSIVE : 0));

	if (t < 0)
		return -errno;
	if (ro) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						    MOUNT_ATTR_NODEV };

		if (sys_mount_setattr(t, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a) < 0)
			return -errno;
	}
	return attach(t, rootfd, target);
}

/* Lower layer of @hm: an idmapped clone as root (read-only: overlayfs
 * never writes a lower, and the VM's first process holds it for a while,
 * see mount_make()), the plain directory rootless; the path is resolved
 * following no symlink (hostpath.c) */
static int lower_open(const struct host_mount *hm, int idmap_userns)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY,
				.userns_fd = (__u64)idmap_userns };
	_cleanup_close_ int d = -1;
	int t;

	if (idmap_userns < 0) {
		t = host_path_open(hm->target, O_RDONLY | O_DIRECTORY);
		return t < 0 ? (errno = -t, -1) : t;
	}
	d = host_path_open(hm->target, O_PATH | O_DIRECTORY);
	if (d < 0)
		return errno = -d, -1;
	t = sys_open_tree(d, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (t < 0)
		return -1;
	if (sys_mount_setattr(t, "", AT_EMPTY_PATH, &a) < 0) {
		int e = errno;

		close(t);
		errno = e;
		return -1;
	}
	return t;
}

/**
 * rootless_base() - the host's tree, read-only, as the base of a rootless
 * VM. Rootless, "/" cannot be an overlay lower: it has submounts that are
 * locked in our user namespace, and overlayfs refuses such a lower. So
 * the base is a recursive read-only clone, and the places the user can
 * write (home, /tmp, /var/tmp, other mounts) get overlays on top of it.
 */
int rootless_base(int *ret_mnt)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	int t = sys_open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

	if (t < 0)
		return -errno;
	if (sys_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0) {
		int r = -errno;

		close(t);
		return r;
	}
	*ret_mnt = t;
	return 0;
}

/* Whiteout @path in the layer of @hm when it lies below it (a store, a
 * hide policy). A whiteout that cannot be made fails the overlay: never
 * an overlay that shows what it should hide. */
static int hide_below(struct fvm_vm *vm, const struct host_mount *hm, int upper, int lower,
		      const char *path, struct fvm_error *err)
{
	const char *rel = path ? path_under(path, hm->target) : NULL;
	int r = rel && *rel ? layer_hide(upper, lower, rel, &vm->cfg) : 0;

	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot hide %s in its layer of %s: %s", vm->cfg.name,
				path, hm->target, strerror(-r));
	return 0;
}

/* Is @hm the deepest overlay that holds @path? */
static bool deepest_overlay(const struct host_mount *all, size_t n, const struct host_mount *hm,
			    const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (&all[i] != hm && all[i].kind == MK_OVERLAY && path_has_prefix(path, all[i].target) &&
		    strlen(all[i].target) > strlen(hm->target))
			return false;
	return true;
}

/**
 * layer_hide_all() - the whiteouts fvm puts in the layer of @hm before it
 * is mounted (by the kernel or by fuse-overlayfs): every store fvm knows
 * of and the hide policies that fall in it. Return: 0 or -errno, @err filled.
 */
int layer_hide_all(struct fvm_vm *vm, const struct host_mount *all, size_t n,
		   const struct host_mount *hm, int upper, int lower, struct fvm_error *err)
{
	size_t nstores;
	char **stores = vm_stores_hidden(vm, &nstores);   /* every store fvm knows of */
	int r = 0;

	if (!stores)
		return fvm_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < nstores; i++)
		r = hide_below(vm, hm, upper, lower, stores[i], err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (all[i].kind == MK_HIDE && deepest_overlay(all, n, hm, all[i].target))
			r = hide_below(vm, hm, upper, lower, all[i].target, err);
	return r;
}

/* An empty, read-only, unreadable tmpfs: what the VM sees where it may not see the host's. */
static int cover_make(int *ret_mnt)
{
	static const char *const emptyopts[] = { "size", "4k", "mode", "0000", NULL };
	int m = fs_new("tmpfs", emptyopts, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			MOUNT_ATTR_NOEXEC);

	if (m < 0)
		return m;
	*ret_mnt = m;
	return 0;
}

/**
 * mount_cover() - an empty, read-only, unreadable tmpfs: what the VM sees
 * where it may not see the host's (see cover_make)
 */
int mount_cover(int *ret_mnt)
{
	return cover_make(ret_mnt);
}

/*
 * Rootless, overlayfs refuses (EINVAL) a lower layer with mounts below it:
 * in a user namespace they are locked, and the kernel will not show what
 * they cover. Name the mount below and the ways out.
 */
static int locked_error(const struct fvm_vm *vm, const struct host_mount *all, size_t n,
			const struct host_mount *hm, struct fvm_error *err)
{
	const char *sub = NULL, *t = hm->target;

	for (size_t i = 0; !sub && i < n; i++)
		if (all[i].kind == MK_OVERLAY && !all[i].extra && strcmp(all[i].target, t) &&
		    path_has_prefix(all[i].target, t))
			sub = all[i].target;
	return fvm_errf(err, -EINVAL,
			"VM '%s': cannot make %s copy-on-write rootless: %s%s is a mount below it (the kernel refuses an overlay over mounts it locks in a user namespace); run fvm as root, or choose for the whole tree with 'fvm config %s' (--private %s: empty and the VM's own, --hide %s, or --share %s: the host's live tree), or unmount %s",
			vm->cfg.name, t, sub ? sub : "something", sub ? "" : " (see findmnt -R)",
			vm->cfg.name, t, t, t, sub ? sub : "it");
}

/*
 * A read-only host mount gives a read-only overlay, and one of lowers only
 * where it can be: the VM's layer (its earlier changes, fvm's whiteouts)
 * stacked as the top lower, no upper and no work dir. The VM sees the
 * same tree, read-only as the host's, at a fraction of the cost: with an
 * upper, overlayfs empties and remakes its work dir and probes the upper's
 * file system at every mount (four inodes made and removed; on an ext4
 * without journal each new inode is searched for past the recently freed
 * ones, 3-6 ms per mount measured after a few boots, 20 us without), and
 * an unmount may sync the store. The layer must lie on another file
 * system than the host mount: overlayfs refuses (ELOOP) a lower below
 * another lower's root on one file system, which an upper may be.
 */
static bool lowers_only_fits(const struct host_mount *hm, int upper, int lower)
{
	struct stat u, l;

	return (hm->attrs & MOUNT_ATTR_RDONLY) && fstat(upper, &u) == 0 && fstat(lower, &l) == 0 &&
	       u.st_dev != l.st_dev;
}

/*
 * overlay_make() - a detached copy-on-write overlay of one host mount
 * @idmap_userns: the VM's user namespace as root (idmapped lower), -1 rootless
 * @ret_spent:    as root, receives the idmapped clone the lower was (see
 *                mount_make()); -1 otherwise
 *
 * The store (and root's default store) and the hide policies that fall in
 * this layer are whited out in it first.
 */
static int overlay_make(struct fvm_vm *vm, const struct host_mount *all, size_t n,
			const struct host_mount *hm, int idmap_userns, int *ret_mnt, int *ret_spent,
			struct fvm_error *err)
{
	_cleanup_close_ int lower = -1, upper = -1, work = -1, fs = -1, lock = -1;
	_cleanup_(stack_hold_release) struct stack_hold hold = { .n = 0 };
	unsigned attrs = (unsigned)hm->attrs | MOUNT_ATTR_NODEV;
	const char *step;
	bool lowers_only;
	int m, r;

	/* rootless, a mount we cannot read cannot be a lower: the VM gets an
	 * empty cover there, never the host's live tree (it could name and
	 * connect to a socket in a directory it may only search) */
	if (idmap_userns < 0 && access(hm->target, R_OK | X_OK) < 0)
		return cover_make(ret_mnt);
	r = layer_open(vm, hm->target, &upper, &work, err);
	if (r < 0)
		return r;
	/* rootless: a fuse-overlayfs of an earlier boot may still serve this
	 * layer (fuseovl.c); wait for it before the layer is written, as a
	 * fuse boot does */
	if (vm->cfg.rootless && (lock = layer_lock(vm, hm->target, err)) < 0)
		return lock;
	step = "open the lower layer";
	lower = lower_open(hm, idmap_userns);
	if (lower < 0)
		goto fail;
	r = layer_hide_all(vm, all, n, hm, upper, lower, err);
	if (r < 0)
		return r;
	step = "create the overlay";
	fs = sys_fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		goto fail;
	step = "configure the overlay (needs kernel >= 6.13 for layers by fd)";
	lowers_only = lowers_only_fits(hm, upper, lower);
	/* read-only, lowers only: the VM's layer on top, as a lower */
	if (lowers_only && sys_fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, upper) < 0)
		goto fail;
	/* the VM's frozen layers (snapshots, clones, snapshot.c), then the host's */
	r = stack_config_lowers(vm, hm->target, fs, lower, &hold, err);
	if (r < 0)
		return r;
	if (!lowers_only && (sys_fsconfig(fs, FSCONFIG_SET_FD, "upperdir", NULL, upper) < 0 ||
			     sys_fsconfig(fs, FSCONFIG_SET_FD, "workdir", NULL, work) < 0))
		goto fail;
	if (vm->cfg.rootless && sys_fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
		goto fail;
	if (!vm->cfg.rootless && sys_fsconfig(fs, FSCONFIG_SET_STRING, "metacopy", "off", 0) < 0)
		goto fail;
	/* where the layer must stay an upper (lowers_only_fits()), the
	 * overlay is read-only down to its superblock: its upper is never
	 * written, and its unmount does not sync the store's file system */
	if ((hm->attrs & MOUNT_ATTR_RDONLY) && !lowers_only &&
	    sys_fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
		goto fail;
	step = "mount the overlay";
	if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	m = sys_fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (m < 0)
		goto fail;
	*ret_mnt = m;
	if (idmap_userns >= 0 && ret_spent)
		*ret_spent = TAKE_FD(lower);
	return 0;
fail:
	r = -errno;
	if (idmap_userns < 0 && r == -EINVAL)
		return locked_error(vm, all, n, hm, err);
	return fvm_errf(err, r, "VM '%s': cannot %s for %s: %s", vm->cfg.name, step, hm->target,
			strerror(-r));
}

/*
 * As root, the user namespace a share of @d is idmapped with: the VM's
 * root (host kuid/kgid uid_base) is the directory's owner and group as
 * fstat() sees them on @d, and no other id is mapped (idmap.c). A tree of
 * the host's root is refused (share_owner_error).
 */
static int share_userns(const struct fvm_vm *vm, const char *target, int d, int *ret_fd,
			struct fvm_error *err)
{
	struct stat st;
	int r, fd;

	if (fstat(d, &st) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot share %s: %s", vm->cfg.name, target,
				strerror(errno));
	r = share_owner_error(vm->cfg.name, target, &st, err);
	if (r < 0)
		return r;
	fd = idmap_userns_open(st.st_uid, st.st_gid, vm->cfg.uid_base, vm->cfg.uid_base);
	if (fd < 0)
		return fvm_errf(err, fd, "VM '%s': cannot share %s: cannot make the user namespace that maps its owner %u:%u to the VM's root: %s",
				vm->cfg.name, target, (unsigned)st.st_uid, (unsigned)st.st_gid,
				strerror(-fd));
	*ret_fd = fd;
	return 0;
}

/* policy share: the host's own tree at that path, looked up again at each
 * boot following no symlink; as root idmapped to its owner (share_userns) */
static int share_make(const struct fvm_vm *vm, const struct host_mount *hm, int *ret_mnt,
		      struct fvm_error *err)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	_cleanup_close_ int d = host_path_open(hm->target, O_PATH);
	_cleanup_close_ int uns = -1;
	int t, r;

	if (d == -ELOOP) {
		char link[PATH_MAX] = "a component";

		host_path_symlink(hm->target, link, sizeof(link));
		return fvm_errf(err, -ELOOP, "VM '%s': cannot share %s: %s is a symlink on the host now, and fvm follows none; put the directory back, or change the policy with 'fvm config %s --share PATH'",
				vm->cfg.name, hm->target, link, vm->cfg.name);
	}
	if (d < 0)
		return fvm_errf(err, d, "VM '%s': cannot share %s: %s on the host (change the policy with 'fvm config %s')",
				vm->cfg.name, hm->target, strerror(-d), vm->cfg.name);
	if (!vm->cfg.rootless) {
		r = share_userns(vm, hm->target, d, &uns, err);
		if (r < 0)
			return r;
		a.attr_set |= MOUNT_ATTR_IDMAP;
		a.userns_fd = (__u64)uns;
	}
	t = sys_open_tree(d, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (t < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot share %s: %s", vm->cfg.name, hm->target,
				strerror(errno));
	if (sys_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0) {
		r = -errno;
		close(t);
		return fvm_errf(err, r, "VM '%s': cannot share %s%s: %s", vm->cfg.name, hm->target,
				uns >= 0 ? " (idmapped to its owner)" : "", strerror(-r));
	}
	*ret_mnt = t;
	return 0;
}

/* policy private: STORE/vms/NAME/private/ESC, the VM's own directory */
static int private_make(struct fvm_vm *vm, const struct host_mount *hm, int *ret_mnt,
			struct fvm_error *err)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	_cleanup_close_ int d = -1;
	char esc[256], rel[300];
	int t, r = layer_escape(hm->target, esc, sizeof(esc));

	snprintf(rel, sizeof(rel), "private/%s", esc);
	if (r == 0)
		r = mkdirat_p(vm->dirfd, "private", 0700);
	if (r == 0 && mkdirat(vm->dirfd, rel, 0755) == 0 && !vm->cfg.rootless &&
	    fchownat(vm->dirfd, rel, vm->cfg.uid_base, vm->cfg.uid_base, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r == 0 && (d = openat(vm->dirfd, rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = -errno;
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot make its private directory for %s in %s/private: %s",
				vm->cfg.name, hm->target, vm->dir, strerror(-r));
	t = sys_open_tree(d, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (t < 0 || sys_mount_setattr(t, "", AT_EMPTY_PATH, &a) < 0) {
		r = -errno;
		if (t >= 0)
			close(t);
		return fvm_errf(err, r, "VM '%s': cannot mount its private %s: %s", vm->cfg.name,
				hm->target, strerror(-r));
	}
	*ret_mnt = t;
	return 0;
}

/**
 * mount_make() - the detached mount for entry @i of the VM's mount vector:
 * an overlay, a shared host tree or a private directory; none (-1) for ro
 * and hide entries, which root_setup() and the layers handle.
 * @idmap_userns: the VM's user namespace as root, -1 rootless
 * @ret_spent:    (may be NULL) as root, the detached idmapped clone an
 *                overlay's lower was, of no further use: closing it would
 *                dissolve it, and each dissolve waits for an RCU grace
 *                period (30-190 us measured, per mount). The VM's first
 *                process attaches these in the tree it leaves behind
 *                (root_setup()), whose lazy unmount frees them all without
 *                waiting. -1 when there is none.
 */
int mount_make(struct fvm_vm *vm, const struct host_mount *all, size_t n, size_t i,
	       int idmap_userns, int *ret_mnt, int *ret_spent, struct fvm_error *err)
{
	*ret_mnt = -1;
	if (ret_spent)
		*ret_spent = -1;
	switch (all[i].kind) {
	case MK_OVERLAY:
		return overlay_make(vm, all, n, &all[i], idmap_userns, ret_mnt, ret_spent, err);
	case MK_SHARE:
		return share_make(vm, &all[i], ret_mnt, err);
	case MK_PRIVATE:
		return private_make(vm, &all[i], ret_mnt, err);
	default:
		return 0;
	}
}
