// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stackview.c - the merged changes of a VM that stands on frozen layers,
 * as one upper directory per mount, for diff and commit (changes.c,
 * commit.c), which read a single upper.
 *
 * Theory of operation. The view is a tree of hard links, built in
 * STORE/vms/NAME/.merged.PID.N/ESC/upper the way overlayfs looks the
 * layers up: the live upper first, then each frozen layer from the top.
 * A name the view has already (from a higher layer) hides the lower one,
 * unless both are directories and the higher one is not opaque: then the
 * two merge. A directory of a higher layer over a lower non-directory or
 * whiteout, or over an opaque directory, becomes opaque in the view (the
 * VM sees nothing of the host there either). Non-directories (whiteouts
 * included) are hard links, so the view shares their inodes, content,
 * birth and change times with the layers and costs one link per entry,
 * not a copy; directories are made anew with the layer's mode, owner,
 * times and user xattrs, and fvm records the birth time of the layer's
 * directory (when the VM made or emptied it, which conflicts compare
 * with) in the xattr user.fvm.taken, which changes.c reads on a view
 * only (farm_taken()), never on a VM's own layer. Frozen layers are
 * only read; diff and commit remove the view when done (what commit
 * drops "from the layer" is dropped from the view: on a stack, committed
 * entries stay in the VM's layers, identical to the host's new files).
 *
 * Bounded: at most FARM_DEPTH_MAX levels of directories (two fds each
 * open) and names of NAME_MAX; deeper trees are refused with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "changes/changes.h"
#include "util/util.h"

#define FARM_DEPTH_MAX 256
#define TAKEN_XATTR "user.fvm.taken"

struct farm {
	const char *opaque_xattr;   /* trusted.overlay.opaque or user.overlay.opaque */
	bool rootless;
	bool layer;                 /* a frozen layer (layers_flatten()), not a view */
	int depth;
	struct layer_copy_progress *p;   /* layers_flatten()'s, may be NULL */
};

static bool is_opaque(const struct farm *f, int fd)
{
	char v[2];

	return fgetxattr(fd, f->opaque_xattr, v, sizeof(v)) == 1 && v[0] == 'y';
}

static int set_opaque(const struct farm *f, int fd)
{
	return fsetxattr(fd, f->opaque_xattr, "y", 1, 0) < 0 ? -errno : 0;
}

static long long btime_of(int fd)
{
	struct statx x;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME | STATX_CTIME, &x) < 0)
		return 0;
	if (x.stx_mask & STATX_BTIME)
		return (long long)x.stx_btime.tv_sec * 1000000000LL + x.stx_btime.tv_nsec;
	return (long long)x.stx_ctime.tv_sec * 1000000000LL + x.stx_ctime.tv_nsec;
}

static void set_taken(const struct farm *f, int fd, long long t)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%lld", t);

	if (!f->layer)   /* a view's only: a layer's directory has its own birth time */
		fsetxattr(fd, TAKEN_XATTR, b, (size_t)n, 0);
}

/**
 * farm_taken() - the time user.fvm.taken of a view's directory says, 0 if none
 */
long long farm_taken(int dfd, const char *name)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char b[32];
	ssize_t n = fd < 0 ? -1 : fgetxattr(fd, TAKEN_XATTR, b, sizeof(b) - 1);

	if (n <= 0)
		return 0;
	b[n] = '\0';
	return strtoll(b, NULL, 10);
}

static void copy_times(int from, int to)
{
	struct stat st;

	if (fstat(from, &st) == 0) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		futimens(to, ts);
	}
}

/* The layer directory's look (mode, owner, user xattrs) on the view's;
 * its times once its entries are in (copy_times). */
static void copy_dir_meta(const struct farm *f, int from, int to)
{
	struct stat st;
	char names[4096], val[4096];
	ssize_t n;

	if (fstat(from, &st) == 0) {
		if (fchown(to, st.st_uid, st.st_gid) < 0) {
			/* rootless: only our own ids exist, and they are ours already */
		}
		/* rootless, fvm must keep the right to walk it (changes.c ignores it) */
		fchmod(to, (st.st_mode & 07777) | (f->rootless ? 0700 : 0));
	}
	n = flistxattr(from, names, sizeof(names));
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *k = names + i;
		ssize_t vn;

		/* a layer keeps every xattr, overlayfs' too; a view the user's */
		if ((!f->layer && (strncmp(k, "user.", 5) || !strncmp(k, "user.overlay.", 13))) ||
		    !strcmp(k, TAKEN_XATTR))
			continue;
		vn = fgetxattr(from, k, val, sizeof(val));
		if (vn >= 0)
			fsetxattr(to, k, val, (size_t)vn, 0);
	}
	set_taken(f, to, btime_of(from));
}

static int merge_dir(struct farm *f, int dst, int src);

/* One entry @name of the layer directory @src into the view's @dst. */
static int merge_entry(struct farm *f, int dst, int src, const char *name)
{
	struct stat ds, ss;
	_cleanup_close_ int sd = -1, dd = -1;
	int r;

	if (fstatat(src, name, &ss, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstatat(dst, name, &ds, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		if (!S_ISDIR(ss.st_mode)) {
			if (linkat(src, name, dst, name, 0) < 0)
				return -errno;
			layer_progress_tick(f->p, S_ISREG(ss.st_mode) ? (uint64_t)ss.st_size : 0);
			return 0;
		}
		if (mkdirat(dst, name, 0700) < 0)
			return -errno;
		layer_progress_tick(f->p, 0);
		dd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		sd = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dd < 0 || sd < 0)
			return -errno;
		copy_dir_meta(f, sd, dd);
		if (is_opaque(f, sd) && (r = set_opaque(f, dd)) < 0)
			return r;
		r = merge_dir(f, dd, sd);
		copy_times(sd, dd);
		return r;
	}
	if (!S_ISDIR(ds.st_mode))
		return 0;   /* a higher file or whiteout hides it */
	dd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dd < 0)
		return -errno;
	if (is_opaque(f, dd))
		return 0;   /* a higher opaque directory hides it */
	if (!S_ISDIR(ss.st_mode))
		return set_opaque(f, dd);   /* a higher directory over a file or whiteout */
	sd = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sd < 0)
		return -errno;
	r = merge_dir(f, dd, sd);
	copy_times(sd, dd);
	if (r == 0 && is_opaque(f, sd)) {
		/* emptied in the lower layer: that is when the host's entries went */
		r = set_opaque(f, dd);
		set_taken(f, dd, btime_of(sd));
	}
	return r;
}

static int merge_dir(struct farm *f, int dst, int src)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	if (++f->depth > FARM_DEPTH_MAX) {
		f->depth--;
		return -ELOOP;
	}
	r = dir_names(src, &names, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = merge_entry(f, dst, src, names[i]);
	fvm_strv_free(names);
	f->depth--;
	return r;
}

/* Merge the layers directory @layers (ESC/upper for each mount) into @farm. */
static int merge_layers(struct farm *f, int farm, int layers)
{
	char **mnts = NULL;
	size_t nm = 0;
	int r = dir_names(layers, &mnts, &nm);

	for (size_t i = 0; r == 0 && i < nm; i++) {
		char rel[300];
		_cleanup_close_ int src = -1, dst = -1, m = -1;
		bool fresh = false;

		if (mnts[i][0] != '%' || strlen(mnts[i]) > 255)
			continue;
		snprintf(rel, sizeof(rel), "%s/upper", mnts[i]);
		src = openat(layers, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (src < 0)
			continue;
		if (mkdirat(farm, mnts[i], 0700) < 0 && errno != EEXIST)
			return -errno;
		m = openat(farm, mnts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (m < 0)
			return -errno;
		if (mkdirat(m, "upper", 0700) == 0)
			fresh = true;
		else if (errno != EEXIST)
			return -errno;
		dst = openat(m, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dst < 0)
			return -errno;
		if (fresh)
			copy_dir_meta(f, src, dst);   /* the root as the topmost layer has it */
		r = merge_dir(f, dst, src);
		if (fresh)
			copy_times(src, dst);
	}
	fvm_strv_free(mnts);
	return r;
}

/**
 * stack_farm() - build the merged view of @vm's live and frozen layers
 * @ret_name: its name in the VM's directory ("" when the VM has no frozen
 *            layers: then the live layers are the view)
 *
 * Return: 0, or -errno with @err filled (and nothing left behind).
 */
int stack_farm(struct fvm_vm *vm, char *ret_name, size_t len, struct fvm_error *err)
{
	static unsigned seq;
	struct farm f = { .opaque_xattr = vm->cfg.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque",
			  .rootless = vm->cfg.rootless };
	struct layer_stack s;
	_cleanup_close_ int farm = -1, pool = -1, live = -1;
	char name[64];
	int r = stack_load(vm, &s, err);

	ret_name[0] = '\0';
	if (r < 0 || s.n == 0)
		return r;
	snprintf(name, sizeof(name), ".merged.%d.%u", (int)getpid(), seq++);
	rm_rf_at(vm->dirfd, name);
	if (mkdirat(vm->dirfd, name, 0700) < 0 ||
	    (farm = openat(vm->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot make %s/%s: %s", vm->cfg.name, vm->dir, name,
				strerror(errno));
	pool = pool_open(vm->store, false);
	r = pool < 0 ? pool : 0;
	live = openat(vm->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r == 0 && live >= 0)
		r = merge_layers(&f, farm, live);
	for (size_t i = s.n; r == 0 && i-- > 0;) {
		_cleanup_close_ int l = openat(pool, s.v[i].id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		r = l < 0 ? -errno : merge_layers(&f, farm, l);
	}
	if (r < 0) {
		rm_rf_at(vm->dirfd, name);
		return fvm_errf(err, r, "VM '%s': cannot merge its frozen layers for reading%s: %s", vm->cfg.name,
				r == -ELOOP ? " (directories nested deeper than 256 levels)" : "", strerror(-r));
	}
	snprintf(ret_name, len, "%s", name);
	return 0;
}

/**
 * layers_flatten() - the frozen layers @lower and @upper of @vm's store
 * merged into one in the empty directory @dst (ESC/upper per mount); @p
 * (may be NULL) counts the entries made and the bytes of the files linked; as
 * overlayfs shows @upper over @lower: the same rules as the view
 * (whiteouts and opaque directories of @upper hide @lower's entries, a
 * directory over a whiteout or a file becomes opaque), every xattr kept,
 * files hard-linked (frozen layers are never written: sharing inodes is
 * safe), so it costs one link per entry, no copy. Both layers must be
 * owned in one uid range. Return: 0, or -errno with @err filled.
 */
int layers_flatten(struct fvm_vm *vm, const char *lower, const char *upper, int dst,
		   struct layer_copy_progress *p, struct fvm_error *err)
{
	struct farm f = { .opaque_xattr = vm->cfg.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque",
			  .rootless = vm->cfg.rootless, .layer = true, .p = p };
	_cleanup_close_ int pool = pool_open(vm->store, false);
	const char *ids[] = { upper, lower };
	int r = pool < 0 ? pool : 0;

	for (size_t i = 0; r == 0 && i < 2; i++) {
		_cleanup_close_ int l = openat(pool, ids[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		r = l < 0 ? -errno : merge_layers(&f, dst, l);
	}
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot merge its frozen layers %s and %s into one%s: %s",
				vm->cfg.name, lower, upper,
				r == -ELOOP ? " (directories nested deeper than 256 levels)" : "", strerror(-r));
	layer_progress_end(p);
	return 0;
}
