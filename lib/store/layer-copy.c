// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * layer-copy.c - a copy of a VM's live layers, for a snapshot or a clone
 * of a running VM (vm/snapshot-running.c).
 *
 * Theory of operation. A running VM's live uppers are the upper layers of
 * mounted overlays: they cannot become lower layers under the live mount,
 * so a snapshot of a running VM freezes a copy of them. The caller has
 * stopped every process of the VM (vm/freeze.c), so nothing changes the
 * layers while this walks them: the copy is the VM's state at one instant.
 * Each STORE/vms/NAME/layers/ESC/upper is copied to DST/ESC/upper (the
 * work dirs are overlayfs' scratch space and are not copied) with what
 * overlayfs and fuse-overlayfs read back from a layer: the type (whiteouts
 * are character devices 0/0, fuse-overlayfs' .wh. files are files), mode,
 * owner, times, every extended attribute the caller may read (opaque
 * directories, redirects, fuse-overlayfs' recorded owners) and hard links
 * within the layer. File data goes by copy_file_range(), so a file system
 * that can share extents does. The layer was written by the VM and is
 * hostile: every entry is opened relative to its directory without
 * following symlinks, a symlink is copied as a symlink, never read
 * through, and the depth is bounded (COPY_DEPTH_MAX, like the merged view
 * of stackview.c); names are the kernel's (NAME_MAX).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "store/store.h"
#include "util/util.h"

#define COPY_DEPTH_MAX 256

struct seen {
	dev_t dev;
	ino_t ino;
	char *path;   /* relative to the copy's root */
};

struct lcopy {
	int root;              /* DST/ESC/upper being filled */
	bool rootless;
	int depth;
	char path[PATH_MAX];   /* of the directory being copied, below root */
	struct seen *links;
	size_t nlinks;
	struct layer_copy_progress *p;
};

/**
 * layer_progress_tick() - one entry (of @bytes of file data) made: counted
 * in @p (may be NULL), reported every 64 entries and after a large file
 */
void layer_progress_tick(struct layer_copy_progress *p, uint64_t bytes)
{
	if (!p)
		return;
	p->bytes += bytes;
	p->entries++;
	if (p->fn && (p->entries % 64 == 0 || bytes >= (8u << 20)))
		p->fn(p->bytes, p->entries, p->userdata);
}

/** layer_progress_end() - the work @p (may be NULL) counts is done: report it */
void layer_progress_end(struct layer_copy_progress *p)
{
	if (p && p->fn)
		p->fn(p->bytes, p->entries, p->userdata);
}

/* Every extended attribute of @from on @to; those of overlayfs must land. */
static int copy_xattrs(int from, int to)
{
	char names[65536];
	ssize_t n = flistxattr(from, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *k = names + i;
		char val[65536];
		ssize_t v = fgetxattr(from, k, val, sizeof(val));

		if (v < 0 || fsetxattr(to, k, val, (size_t)v, 0) == 0)
			continue;
		if (strstr(k, "overlay."))
			return -errno;   /* what the layer means */
		/* others (security.*, as the caller may not set them) are best effort */
	}
	return 0;
}

/* Owner, mode, xattrs, times of @from on @to (open fds of the same type). */
static int copy_meta(const struct lcopy *c, int from, int to, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int r;

	if (fchown(to, st->st_uid, st->st_gid) < 0 && !c->rootless)
		return -errno;   /* rootless: only the user's own ids exist, and they are its */
	/* after the chown, which drops set-id bits; rootless, fvm keeps its
	 * right to walk and fill what it copies (readers of layers add it too) */
	if (fchmod(to, (st->st_mode & 07777) | (c->rootless && S_ISDIR(st->st_mode) ? 0700 : 0)) < 0)
		return -errno;
	r = copy_xattrs(from, to);
	if (r == 0 && futimens(to, ts) < 0)
		r = -errno;
	return r;
}

static int copy_dir(struct lcopy *c, int src, int dst);

/* A file: a hard link to its copy if the layer links it twice, else a copy. */
static int copy_file(struct lcopy *c, int src, int dst, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = -1, out = -1;
	char rel[PATH_MAX];
	struct stat ist;
	int r;

	if (snprintf(rel, sizeof(rel), "%s%s%s", c->path, *c->path ? "/" : "", name) >= (int)sizeof(rel))
		rel[0] = '\0';
	for (size_t i = 0; st->st_nlink > 1 && *rel && i < c->nlinks; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
			return linkat(c->root, c->links[i].path, dst, name, 0) < 0 ? -errno : 0;
	in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &ist) < 0)
		return -errno;
	if (!S_ISREG(ist.st_mode) || ist.st_ino != st->st_ino)
		return -ESTALE;   /* the VM is stopped: nothing may change under us */
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	r = copy_fd_data(in, out, (uint64_t)ist.st_size);
	if (r == 0)
		r = copy_meta(c, in, out, &ist);
	if (r == 0 && ist.st_nlink > 1 && *rel) {
		struct seen *v = realloc(c->links, (c->nlinks + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->links = v;
		if (!(v[c->nlinks].path = strdup(rel)))
			return -ENOMEM;
		v[c->nlinks].dev = ist.st_dev;
		v[c->nlinks].ino = ist.st_ino;
		c->nlinks++;
	}
	layer_progress_tick(c->p, (uint64_t)ist.st_size);
	return r;
}

/* A symlink, a whiteout, a device node, a FIFO, a socket: made anew. */
static int copy_special(struct lcopy *c, int src, int dst, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(src, name, target, sizeof(target));

		if (n < 0)
			return -errno;
		if ((size_t)n >= sizeof(target))
			return -ENAMETOOLONG;
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return -errno;
	} else if (mknodat(dst, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0) {
		return -errno;
	}
	if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && !c->rootless)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW);
	layer_progress_tick(c->p, 0);
	return 0;
}

static int copy_subdir(struct lcopy *c, int src, int dst, const char *name)
{
	_cleanup_close_ int s = -1, d = -1;
	size_t plen = strlen(c->path);
	struct stat st;
	int r;

	if (mkdirat(dst, name, 0700) < 0)
		return -errno;
	s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0 || fstat(s, &st) < 0)
		return -errno;
	if (plen + strlen(name) + 2 < sizeof(c->path))
		snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s", plen ? "/" : "", name);
	else
		c->path[0] = '\0';   /* too deep to name: its files are copied, not linked */
	r = copy_dir(c, s, d);
	c->path[plen] = '\0';
	if (r == 0)
		r = copy_meta(c, s, d, &st);   /* last: its times, a read-only mode */
	layer_progress_tick(c->p, 0);
	return r;
}

static int copy_dir(struct lcopy *c, int src, int dst)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	if (++c->depth > COPY_DEPTH_MAX) {
		c->depth--;
		return -ELOOP;
	}
	r = dir_names(src, &names, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct stat st;

		if (fstatat(src, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = copy_subdir(c, src, dst, names[i]);
		else if (S_ISREG(st.st_mode))
			r = copy_file(c, src, dst, names[i], &st);
		else
			r = copy_special(c, src, dst, names[i], &st);
	}
	fvm_strv_free(names);
	c->depth--;
	return r;
}

/* One mount's upper, @l/@mnt/upper, to @dst/@mnt/upper. */
static int copy_upper(struct lcopy *c, int l, int dst, const char *mnt)
{
	char rel[300];
	_cleanup_close_ int s = -1, d = -1;
	struct stat st;
	int r;

	if (snprintf(rel, sizeof(rel), "%s/upper", mnt) >= (int)sizeof(rel))
		return -ENAMETOOLONG;
	s = openat(l, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(s, &st) < 0 || mkdirat(dst, mnt, 0700) < 0 || mkdirat(dst, rel, 0700) < 0)
		return -errno;
	d = openat(dst, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return -errno;
	c->root = d;
	c->path[0] = '\0';
	r = copy_dir(c, s, d);
	if (r == 0)
		r = copy_meta(c, s, d, &st);
	return r;
}

/**
 * layers_copy_live() - copy the live layers of @vm (caller holds its lock
 * and keeps its processes stopped) into the empty directory @dst, one
 * ESC/upper per mount; @p (may be NULL) counts and reports the work.
 */
int layers_copy_live(struct fvm_vm *vm, int dst, struct layer_copy_progress *p, struct fvm_error *err)
{
	_cleanup_close_ int l = openat(vm->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct lcopy c = { .rootless = vm->cfg.rootless, .p = p };
	char **mnts = NULL;
	size_t nm = 0;
	int r = 0;

	if (l < 0)
		return errno == ENOENT ? 0 : fvm_errf(err, -errno, "VM '%s': cannot open %s/layers: %s",
						     vm->cfg.name, vm->dir, strerror(errno));
	r = dir_names(l, &mnts, &nm);
	for (size_t i = 0; r == 0 && i < nm; i++) {
		r = copy_upper(&c, l, dst, mnts[i]);
		if (r < 0)
			fvm_errf(err, r, "VM '%s': cannot copy its live layer %s/layers/%s/upper: %s",
				 vm->cfg.name, vm->dir, mnts[i],
				 r == -ELOOP ? "directories nested too deep" : strerror(-r));
	}
	for (size_t i = 0; i < c.nlinks; i++)
		free(c.links[i].path);
	free(c.links);
	fvm_strv_free(mnts);
	if (r == 0)
		layer_progress_end(p);
	return r;
}
