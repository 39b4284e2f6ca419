// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mount-plan.c - which host mounts a VM gets an overlay for.
 *
 * The mount table is read with libmount from /proc/self/mountinfo. Left
 * out: /proc, /sys and /dev and everything below them (the VM gets its own),
 * the store and everything below it (as root, every store the VM's view
 * hides), mounts below a hide or private policy (the VM sees nothing of
 * the host there: no overlay is built), mounts hidden under a later mount,
 * mounts whose root is not a directory (file bind mounts), and other
 * engines' private mounts (overlay and nsfs mounts but "/", anything below
 * /var/lib/docker, /var/lib/containers, /run/netns... see foreign()): as
 * root the VM sees the directory below them, copy-on-write. Read-only,
 * nosuid and noexec carry over to the VM's mount; nodev is always set.
 *
 * Rootless, the user cannot copy up a directory owned by someone else, so
 * a file in ~ could not be copied up through a root-owned /home. The
 * user's home, /tmp and /var/tmp therefore get overlays of their own
 * ("extra" roots), whose root directory in the upper layer is the user's.
 */
#include <errno.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libmount/libmount.h>

#include "store/store.h"

static bool special(const char *t)
{
	return path_has_prefix(t, "/proc") || path_has_prefix(t, "/sys") ||
	       path_has_prefix(t, "/dev");
}

/* where other engines keep their private mounts (containers' roots, netns) */
static const char *const runtime_roots[] = {
	"/var/lib/docker", "/var/lib/containers", "/var/lib/containerd", "/var/lib/kubelet/pods",
	"/var/lib/lxc", "/run/docker", "/run/containers", "/run/containerd", "/run/netns",
	"/var/run/netns",
};

/*
 * A mount another engine made for its own use: a container's overlay, a
 * namespace file kept open by a bind mount, anything below a runtime's
 * root. The VM gets no copy-on-write layer of it (the host's own "/" may
 * be an overlay: that one stays).
 */
static bool foreign(struct libmnt_fs *fs, const char *t)
{
	const char *type = mnt_fs_get_fstype(fs);

	if (type && strcmp(t, "/") && (!strcmp(type, "overlay") || !strcmp(type, "nsfs") ||
				       !strcmp(type, "fuse.fuse-overlayfs")))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(runtime_roots); i++)
		if (path_has_prefix(t, runtime_roots[i]))
			return true;
	return false;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add(struct host_mount **v, size_t *n, const char *target, unsigned long attrs,
	       bool extra)
{
	struct host_mount *nv;

	/* a later mount on the same path or above it hides this one (an
	 * extra root is no mount: the host mounts below it stay) */
	for (size_t i = 0; !extra && i < *n; i++)
		if (!(*v)[i].extra && path_has_prefix((*v)[i].target, target)) {
			free((*v)[i].target);
			memmove(&(*v)[i], &(*v)[i + 1], (*n - i - 1) * sizeof(**v));
			(*n)--;
			i--;
		}
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].target = strdup(target);
	if (!nv[*n].target)
		return -ENOMEM;
	nv[*n].attrs = attrs;
	nv[*n].extra = extra;
	nv[*n].kind = MK_OVERLAY;
	(*n)++;
	return 0;
}

/*
 * No overlay at or below @path (a path the VM sees nothing of the host
 * under, not even a directory the VM made): the host mounts there cost
 * nothing to boot. "/" always stays.
 */
static void drop_below(struct host_mount *v, size_t *n, const char *path)
{
	for (size_t k = 0; k < *n; k++)
		if (v[k].kind == MK_OVERLAY && path_has_prefix(v[k].target, path) &&
		    strcmp(v[k].target, "/")) {
			free(v[k].target);
			memmove(&v[k], &v[k + 1], (*n - k - 1) * sizeof(*v));
			(*n)--;
			k--;
		}
}

/*
 * The VM's path policies as entries of the mount vector: share, private and
 * ro are mounts on top of what is below them; hide is a whiteout, and a
 * hidden host mount, or one at or below a private path, gets no overlay.
 */
static int add_policies(const struct vm_config *cfg, const struct vm_view *view,
			struct host_mount **v, size_t *n, struct fvm_error *err)
{
	const struct policy *p = view->policies;
	size_t np = view->npolicies;
	int r = 0;

	for (size_t i = 0; r == 0 && i < np; i++) {
		struct host_mount *nv;

		/* checked at create, but a component may be a symlink by now */
		r = policy_check_host(cfg->name, p[i].kind, p[i].path, err);
		if (r < 0)
			break;
		/* below a hidden or private path the VM sees nothing of the
		 * host: no overlay there (a host mount below a private
		 * directory would otherwise show in a dir the VM made) */
		if (p[i].kind == FVM_POLICY_HIDE || p[i].kind == FVM_POLICY_PRIVATE)
			drop_below(*v, n, p[i].path);
		nv = realloc(*v, (*n + 1) * sizeof(**v));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		*v = nv;
		nv[*n].target = strdup(p[i].path);
		if (!nv[*n].target) {
			r = -ENOMEM;
			break;
		}
		nv[*n].attrs = 0;
		nv[*n].extra = false;
		nv[*n].kind = p[i].kind == FVM_POLICY_HIDE ? MK_HIDE : p[i].kind == FVM_POLICY_RO ? MK_RO :
			      p[i].kind == FVM_POLICY_SHARE ? MK_SHARE : MK_PRIVATE;
		(*n)++;
	}
	return r;
}

static unsigned long fs_attrs(struct libmnt_fs *fs)
{
	unsigned long flags = 0, attrs = 0;
	const char *o = mnt_fs_get_vfs_options(fs);

	if (o && mnt_optstr_get_flags(o, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) == 0) {
		if (flags & MS_RDONLY)
			attrs |= MOUNT_ATTR_RDONLY;
		if (flags & MS_NOSUID)
			attrs |= MOUNT_ATTR_NOSUID;
		if (flags & MS_NOEXEC)
			attrs |= MOUNT_ATTR_NOEXEC;
	}
	return attrs;
}

/**
 * host_mounts_read() - the copy-on-write roots of a VM, parents first
 * @store_path: excluded with everything below it
 * @view:       the VM's view (store/view.c): its policies become entries;
 *              rootless, the owner's home (cfg->home) gets its own overlay
 *
 * and then the VM's path policies (config.c) as further entries.
 *
 * Return: 0 and a vector whose first entry is "/", or -errno.
 */
int host_mounts_read(const char *store_path, const struct vm_config *cfg, const struct vm_view *view,
		     struct host_mount **ret, size_t *ret_n, struct fvm_error *err)
{
	const char *home = cfg->home;
	bool rootless = cfg->rootless;
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	_cleanup_free_ char *real_home = NULL;
	struct host_mount *v = NULL;
	size_t n = 0;
	int r = 0;

	if (!tb || !it) {
		r = fvm_errf(err, -EIO, "cannot read the host's mount table /proc/self/mountinfo");
		goto out;
	}
	while (r == 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);

		if (!t || *t != '/' || special(t) || path_has_prefix(t, store_path) || foreign(fs, t))
			continue;
		if (strcmp(t, "/") && !is_dir(t))
			continue;
		r = add(&v, &n, t, fs_attrs(fs), false);
	}
	if (r == 0 && (n == 0 || strcmp(v[0].target, "/")))
		r = fvm_errf(err, -EIO, "the host's mount table has no root mount");
	/* the home as the kernel names it: an overlay at a path through a
	 * symlink (/home -> /usr/home) would not attach, and the VM would
	 * see the read-only base there */
	if (home && *home == '/') {
		real_home = realpath(home, NULL);
		if (real_home)
			home = real_home;
	}
	if (r == 0 && rootless) {
		const char *extras[] = { home, "/tmp", "/var/tmp" };

		for (size_t i = 0; r == 0 && i < ARRAY_SIZE(extras); i++) {
			const char *e = extras[i];
			bool dup = false;

			if (!e || *e != '/' || !strcmp(e, "/") || !is_dir(e) || special(e) ||
			    path_has_prefix(e, store_path))
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= !strcmp(v[j].target, e);
			if (!dup)
				r = add(&v, &n, e, 0, true);
		}
	}
	/*
	 * As root, every store fvm hides is a whiteout in the layer of each
	 * overlay that holds it, "/" at least (mount.c layer_hide_all): a
	 * host mount at or below one (a store on a file system of its own)
	 * could never be reached in the VM, and gets no overlay. Rootless,
	 * the base below the overlays is the host's tree, where no whiteout
	 * goes: there the plan keeps them as they were.
	 */
	for (size_t i = 0; r == 0 && !rootless && i < view->nhidden; i++)
		drop_below(v, &n, view->hidden[i]);
	if (r == 0)
		r = add_policies(cfg, view, &v, &n, err);
	/* parents first: an ancestor's path is always shorter (stable sort:
	 * a policy on a mount point comes after that mount's overlay) */
	for (size_t i = 1; r == 0 && i < n; i++)
		for (size_t j = i; j > 0 && strlen(v[j - 1].target) > strlen(v[j].target); j--) {
			struct host_mount t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	if (r < 0) {
		host_mounts_free(v, n);
		if (err && !err->msg[0])
			fvm_errf(err, r, "out of memory");
		goto out;
	}
	*ret = v;
	*ret_n = n;
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return r;
}

void host_mounts_free(struct host_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].target);
	free(m);
}
