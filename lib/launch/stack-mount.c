// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stack-mount.c - the lowers of a VM's overlays when it stands on a stack
 * of frozen layers (store/snapshot.c): each frozen layer below the live
 * upper, idmapped (root mode) from the uid range it was written in onto
 * the VM's own, the host's side wrapped where overlayfs needs it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "launch/launch.h"
#include "util/util.h"

/* ---- lowers for the overlays ------------------------------------------- */

/*
 * Root mode: a detached mount of @d on which files of the uid range at
 * @from show as those of the range at @to (a clone's view of its source's
 * layer).
 */
static int idmapped(int d, unsigned from, unsigned to)
{
	_cleanup_close_ int uns = idmap_userns_range(from, to, UID_RANGE);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID };
	int t;

	if (uns < 0)
		return uns;
	a.userns_fd = (__u64)uns;
	t = (int)syscall(SYS_open_tree, d, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (t < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
		int r = -errno;

		close(t);
		return r;
	}
	return t;
}

/*
 * The host's lower @lower wrapped in a read-only overlay of its own (with
 * an empty tmpfs as the second lower overlayfs wants): overlayfs refuses
 * (ELOOP, "overlapping lowerdir path") a lower that lies below another
 * lower's root on the same file system, and the frozen layers lie in the
 * store, below the host mount that holds it. Seen through this overlay,
 * the host's tree has a root of another super block, so the frozen layers
 * are no longer below it. Return: the detached overlay's fd or -errno.
 */
static int host_wrapped(const struct fvm_vm *vm, int lower)
{
	_cleanup_close_ int fs = -1, tfs = -1, tmp = -1;
	int m;

	tfs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (tfs < 0 || syscall(SYS_fsconfig, tfs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    syscall(SYS_fsconfig, tfs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    syscall(SYS_fsconfig, tfs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	tmp = (int)syscall(SYS_fsmount, tfs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV);
	fs = tmp < 0 ? -1 : (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, lower) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, tmp) < 0 ||
	    (vm->cfg.rootless && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
	if (m < 0)
		return -errno;
	return m;
}

/**
 * stack_config_lowers() - give the overlay being configured on @fs its
 * lowers: the frozen layers of @mountpoint, top first (each "lowerdir+"
 * goes below the ones before it), then the host's @lower, wrapped when
 * there are frozen layers (host_wrapped()).
 * @hold: detached mounts given as layers, to close only once the overlay
 *        is made (the last fd of a detached mount dissolves it, and
 *        overlayfs clones its layers' mounts when it is made)
 *
 * Return: 0 or -errno with @err filled.
 */
int stack_config_lowers(struct fvm_vm *vm, const char *mountpoint, int fs, int lower,
			struct stack_hold *hold, struct fvm_error *err)
{
	struct layer_stack s;
	_cleanup_close_ int pool = -1;
	int wrapped = -1;
	char esc[256], rel[LAYER_ID_LEN + 256 + 8];
	size_t added = 0;
	int r = stack_load(vm, &s, err);

	if (r < 0)
		return r;
	r = layer_escape(mountpoint, esc, sizeof(esc));
	if (r == 0 && s.n) {
		/* by path: rootless this runs in the VM's mount namespace, and
		 * overlayfs wants layers on its mounts, not on those of an fd
		 * opened before (boot-child.c reopens the VM's directory likewise) */
		_cleanup_free_ char *p = path_join(vm->store->path, "layers");

		pool = p ? open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (pool < 0)
			r = p ? -errno : -ENOMEM;
	}
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot open its frozen layers in %s/layers: %s",
				vm->cfg.name, vm->store->path, strerror(-r));
	for (size_t i = s.n; i-- > 0;) {
		_cleanup_close_ int d = -1;

		snprintf(rel, sizeof(rel), "%s/%s/upper", s.v[i].id, esc);
		d = openat(pool, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0 && errno == ENOENT)
			continue;   /* that layer has nothing of this mount */
		if (d >= 0 && !vm->cfg.rootless && s.v[i].base != vm->cfg.uid_base) {
			/* a clone's view of its source's layer: held, the caller closes it */
			int t = idmapped(d, s.v[i].base, vm->cfg.uid_base);

			close(d);
			d = -1;
			if (t >= 0)
				hold->fd[hold->n++] = t;
			errno = -t;
			if (t >= 0 && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, t) < 0)
				t = -errno;
			if (t < 0)
				return fvm_errf(err, t, "VM '%s': cannot stack its frozen layer %s/layers/%s under %s (idmapped from uid %u): %s",
						vm->cfg.name, vm->store->path, rel, mountpoint, s.v[i].base,
						strerror(-t));
		} else if (d < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, d) < 0) {
			return fvm_errf(err, -errno, "VM '%s': cannot stack its frozen layer %s/layers/%s under %s: %s",
					vm->cfg.name, vm->store->path, rel, mountpoint, strerror(errno));
		}
		added++;
	}
	if (added && (wrapped = host_wrapped(vm, lower)) < 0)
		return fvm_errf(err, wrapped, "VM '%s': cannot put the host's %s under its frozen layers: %s",
				vm->cfg.name, mountpoint, strerror(-wrapped));
	if (wrapped >= 0)
		hold->fd[hold->n++] = wrapped;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, added ? wrapped : lower) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot configure the overlay of %s (needs kernel >= 6.13 for layers by fd): %s",
				vm->cfg.name, mountpoint, strerror(errno));
	return 0;
}

void stack_hold_release(struct stack_hold *h)
{
	for (size_t i = 0; i < h->n; i++)
		close(h->fd[i]);
	h->n = 0;
}
