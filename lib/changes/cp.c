// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cp.c - copying files between a VM and the host (fvm cp), without
 * entering the VM.
 *
 * Theory of operation. A path of the VM is looked up in the VM's view as
 * overlayfs would show it, from the layer of its mount (xfer.c): at each
 * component the upper directory first (a whiteout there: the path does
 * not exist; an opaque directory: the host's entries below it do not
 * count), then the host's directory. No symlink is followed on the way,
 * neither the VM's nor the host's: a path through one is refused (-ELOOP)
 * and the user names the real path. The host's side never leaves the
 * layer's mount (RESOLVE_NO_XDEV): what is mounted below it (the host's
 * /proc, say) is not what the VM sees there. A symlink at the end is copied as a
 * symlink. The host's side of the copy is the caller's own: its parent
 * directories are the caller's choice, its last component is never
 * followed if it is a symlink, and every file lands by temporary file and
 * rename, so an existing name is replaced, never written through.
 *
 * fvm_vm_open_file() looks a file up the same way and gives an fd of it
 * (fvm try shows a change's content from it).
 *
 * Out of the VM: the merged view is read (running or not: a file the VM
 * writes meanwhile may be copied half-written, and never more of it than
 * its size when looked up); what lands on the host is the caller's, with
 * the VM's permission bits as the caller's umask leaves them (a VM's 0777
 * is no world-writable host file) and without set-id bits; a host
 * directory the copy goes into keeps its mode; device nodes, FIFOs and sockets are
 * left out. Into the VM: the VM must be stopped (overlayfs does not allow
 * changing an upper layer under a mounted overlay) and stays locked;
 * directories on the way are copied up as overlayfs would (xfer.c), a
 * directory the VM had deleted comes back opaque (the host's old entries
 * stay deleted), and what is copied is the VM root's, without set-id bits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "changes/changes.h"
#include "util/util.h"

#define CP_DEPTH_MAX 256

struct cp {
	struct fvm_vm *vm;
	struct xfer_layers xl;
	size_t layer;
	const char *xattr_opaque;   /* "trusted.overlay.opaque" or "user.overlay.opaque" */
	mode_t keep;                /* out of the VM: the permission bits the caller's umask leaves */
	struct fvm_error *err;
};

/* where an entry of the VM's view is: its directory in the upper and on the host */
struct vloc {
	int up, low;         /* parent directories (-1: none); owned */
	bool in_up;          /* the entry is the upper's */
	bool merge;          /* a directory of both (not opaque): both are listed */
	struct stat st;      /* the entry's, from where it is */
};

static void vloc_free(struct vloc *l)
{
	if (l->up >= 0)
		close(l->up);
	if (l->low >= 0)
		close(l->low);
	l->up = l->low = -1;
}

static bool whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool opaque_dir(const struct cp *c, int dfd, const char *name)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char v[2];

	return fd >= 0 && fgetxattr(fd, c->xattr_opaque, v, sizeof(v)) == 1 && v[0] == 'y';
}

/*
 * Look @name up under the view's directory (@l->up, @l->low); fill @l's
 * entry. Return: 0, -ENOENT, or -errno.
 */
static int view_lookup(const struct cp *c, struct vloc *l, const char *name)
{
	struct stat us, ls;
	bool up = l->up >= 0 && fstatat(l->up, name, &us, AT_SYMLINK_NOFOLLOW) == 0;
	bool low = l->low >= 0 && fstatat(l->low, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;

	if (up && whiteout(&us))
		return -ENOENT;
	if (up) {
		l->in_up = true;
		l->st = us;
		l->merge = S_ISDIR(us.st_mode) && low && S_ISDIR(ls.st_mode) && !opaque_dir(c, l->up, name);
		return 0;
	}
	if (!low)
		return -ENOENT;
	l->in_up = false;
	l->merge = false;
	l->st = ls;
	return 0;
}

/* Go down into the directory @name of the view. */
static int view_descend(const struct cp *c, struct vloc *l, const char *name)
{
	int nu = -1, nl = -1;

	if (!S_ISDIR(l->st.st_mode))
		return S_ISLNK(l->st.st_mode) ? -ELOOP : -ENOTDIR;
	if (l->in_up)
		nu = openat(l->up, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!l->in_up || l->merge)
		nl = open_beneath_mount(l->low, name, O_RDONLY | O_DIRECTORY);   /* never into another mount */
	if (nu < 0 && nl < 0)
		return -errno;
	vloc_free(l);
	l->up = nu;
	l->low = nl;
	return 0;
}

/*
 * @l at the parent of @rel (relative to the layer's mount) in the view,
 * its last component in @ret_base. Return: 0 or -errno (-ELOOP for a
 * symlink on the way).
 */
static int view_parent(struct cp *c, const char *rel, struct vloc *l, char *base, size_t blen)
{
	char buf[PATH_MAX];
	char *save = NULL, *part, *next;
	int up = xfer_upper(&c->xl, c->layer, c->err), low = xfer_lower(&c->xl, c->layer), r;

	if (up < 0)
		return up;
	l->up = fcntl(up, F_DUPFD_CLOEXEC, 3);
	l->low = low >= 0 ? open_beneath_mount(low, "", O_RDONLY | O_DIRECTORY) : -1;
	l->in_up = true;
	l->merge = true;
	snprintf(buf, sizeof(buf), "%s", rel);
	base[0] = '\0';
	for (part = strtok_r(buf, "/", &save); part; part = next) {
		next = strtok_r(NULL, "/", &save);
		if (strlen(part) >= blen)
			return -ENAMETOOLONG;   /* cut, it would name another entry */
		if (!next) {
			snprintf(base, blen, "%s", part);
			break;
		}
		r = view_lookup(c, l, part);
		if (r == 0)
			r = view_descend(c, l, part);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- out of the VM -------------------------------------------------- */

/* The process's umask, read without changing it (umask(2) would, for
 * every thread); 022 when /proc cannot tell. */
static mode_t caller_umask(void)
{
	_cleanup_free_ char *txt = NULL;
	const char *l;

	if (read_small_fileat(AT_FDCWD, "/proc/self/status", &txt, NULL) < 0 || !(l = strstr(txt, "\nUmask:")))
		return 022;
	return (mode_t)strtoul(l + 7, NULL, 8) & 0777;
}

static int out_entry(struct cp *c, struct vloc *l, const char *name, int dfd, const char *dname, int depth);

/* The names of a directory of the view: the upper's (no whiteouts) and, merged, the host's. */
static int out_names(const struct vloc *l, char ***ret, size_t *ret_n)
{
	char **v = NULL, **h = NULL;
	size_t n = 0, hn = 0;
	int r = 0;

	if (l->up >= 0 && (r = list_dir(l->up, &v, &n)) < 0)
		return r;
	if (l->low >= 0 && list_dir(l->low, &h, &hn) == 0)
		for (size_t i = 0; r == 0 && i < hn; i++) {
			struct stat st;

			if (l->up < 0 || fstatat(l->up, h[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
				r = strv_push(&v, &n, h[i]);
		}
	fvm_strv_free(h);
	*ret = v;
	*ret_n = n;
	return r;
}

static int out_dir(struct cp *c, struct vloc *l, const char *name, int dfd, const char *dname, int depth)
{
	struct vloc sub = { .up = -1, .low = -1 };
	mode_t mode = l->st.st_mode;
	_cleanup_close_ int out = -1;
	char **names = NULL;
	size_t n = 0;
	bool made;
	int r;

	if (depth > CP_DEPTH_MAX)
		return -ELOOP;
	out = put_dir(dfd, dname, &made);
	if (out < 0)
		return out;
	sub.up = l->in_up ? openat(l->up, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	sub.low = (!l->in_up || l->merge) ? open_beneath_mount(l->low, name, O_RDONLY | O_DIRECTORY) : -1;
	r = out_names(&sub, &names, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct vloc e = { .up = sub.up >= 0 ? fcntl(sub.up, F_DUPFD_CLOEXEC, 3) : -1,
				  .low = sub.low >= 0 ? fcntl(sub.low, F_DUPFD_CLOEXEC, 3) : -1 };

		if (view_lookup(c, &e, names[i]) == 0)
			r = out_entry(c, &e, names[i], out, names[i], depth + 1);
		vloc_free(&e);
	}
	fvm_strv_free(names);
	vloc_free(&sub);
	/* a directory of the host's that was there keeps its mode; a new one
	 * gets the VM's as the caller's umask leaves it (never world-writable
	 * because the VM says so), and stays the caller's to enter */
	if (r == 0 && made && fchmod(out, (mode & c->keep) | 0700) < 0)
		r = -errno;
	return r;
}

static int out_entry(struct cp *c, struct vloc *l, const char *name, int dfd, const char *dname, int depth)
{
	int from = l->in_up ? l->up : l->low;

	if (S_ISDIR(l->st.st_mode))
		return out_dir(c, l, name, dfd, dname, depth);
	if (S_ISLNK(l->st.st_mode))
		return put_symlink(from, name, dfd, dname, -1, -1);
	if (S_ISREG(l->st.st_mode)) {
		_cleanup_close_ int fd = open_entry(from, name, S_IFREG, NULL);

		return fd < 0 ? fd : put_file(fd, &l->st, dfd, dname, -1, -1, c->keep);
	}
	return depth ? 0 : -ENOTSUP;   /* devices, FIFOs, sockets: left out */
}

/* The host's directory and name a copy goes to: @host, or @base in the directory @host. */
static int host_target(const char *host, const char *base, char *name, size_t len, struct fvm_error *err)
{
	struct stat st;
	_cleanup_free_ char *copy = strdup(host);
	int dfd;

	if (!copy)
		return -ENOMEM;
	if (fstatat(AT_FDCWD, host, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return fvm_errf(err, -ELOOP, "%s is a symlink: fvm cp does not follow it; remove it or name another path", host);
	if (fstatat(AT_FDCWD, host, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		dfd = open(host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		snprintf(name, len, "%s", base);
	} else {
		snprintf(copy, strlen(host) + 1, "%s", host);
		if (strlen(basename(copy)) >= len)   /* cut, it would be another name */
			return fvm_errf(err, -ENAMETOOLONG, "%s: %s", host, strerror(ENAMETOOLONG));
		snprintf(name, len, "%s", basename(copy));
		snprintf(copy, strlen(host) + 1, "%s", host);
		dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0)
		return fvm_errf(err, -errno, "cannot open the directory of %s: %m", host);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		close(dfd);
		return fvm_errf(err, -ELOOP, "%s/%s is a symlink: fvm cp does not follow it; remove it or name another path",
				host, name);
	}
	return dfd;
}

static int cp_open(struct cp *c, struct fvm_vm *vm, const char *vm_path, const char **ret_rel,
		   struct fvm_error *err)
{
	char *const paths[] = { (char *)vm_path, NULL };
	int r = check_paths(vm, paths, err);
	c->vm = vm;
	c->err = err;
	c->xattr_opaque = vm->cfg.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
	c->keep = 0777 & ~caller_umask();
	if (r < 0)
		return r;
	if (in_store(vm, vm_path))
		return fvm_errf(err, -ENOENT, "VM '%s' has no %s", vm->cfg.name, vm_path);
	r = xfer_layers_init(&c->xl, vm, err);
	if (r < 0)
		return r;
	*ret_rel = "";
	r = xfer_mount_of(&c->xl, vm_path, &c->layer, ret_rel);
	if (r < 0 || !**ret_rel)
		return fvm_errf(err, -ENOTSUP, "VM '%s': %s is %s: fvm cp copies only within its copy-on-write layers (there the VM sees the host's own files, or none)",
				vm->cfg.name, vm_path, r < 0 ? "not copy-on-write in this VM" : "a mount point");
	return 0;
}

static int view_error(struct cp *c, const char *vm_path, int r)
{
	if (r == -ELOOP)
		return fvm_errf(c->err, r, "VM '%s': %s goes through a symlink: fvm cp follows none in the VM; name the real path",
				c->vm->cfg.name, vm_path);
	return fvm_errf(c->err, r, "VM '%s': %s: %s", c->vm->cfg.name, vm_path, strerror(-r));
}

/* @vm_path of @vm located in its view: @l at its parent, its name in @base. */
static int cp_locate(struct cp *c, struct fvm_vm *vm, const char *vm_path, struct vloc *l, char *base,
		     size_t blen, struct fvm_error *err)
{
	const char *rel = NULL;
	int r;

	err->msg[0] = '\0';
	r = cp_open(c, vm, vm_path, &rel, err);
	if (r == 0)
		r = view_parent(c, rel, l, base, blen);
	if (r == 0)
		r = view_lookup(c, l, base);
	if (r < 0 && !err->msg[0])
		r = view_error(c, vm_path, r);
	return r;
}

/* what fvm_vm_copy_out(), _copy_in() and _open_file() were called with */
struct cp_args {
	const char *vm_path;
	const char *host_path;
};

static int copy_out_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const char *vm_path = ((const struct cp_args *)arg)->vm_path;
	const char *host_path = ((const struct cp_args *)arg)->host_path;
	struct cp c = { 0 };
	struct vloc l = { .up = -1, .low = -1 };
	char base[NAME_MAX + 1], name[NAME_MAX + 1];
	_cleanup_close_ int dfd = -1;
	struct fvm_error local = { 0 };
	int r;

	err = err ? err : &local;
	r = cp_locate(&c, vm, vm_path, &l, base, sizeof(base), err);
	if (r == 0) {
		dfd = host_target(host_path, base, name, sizeof(name), err);
		r = dfd < 0 ? dfd : out_entry(&c, &l, base, dfd, name, 0);
		if (r < 0 && !err->msg[0])
			r = fvm_errf(err, r, "VM '%s': cannot copy %s to %s: %s%s", vm->cfg.name, vm_path, host_path,
				     strerror(-r), r == -ENOTSUP ? " (fvm cp copies files, directories and symlinks)" : "");
	}
	vloc_free(&l);
	xfer_layers_free(&c.xl);
	(void)cb;
	return r;
}

/**
 * fvm_vm_copy_out() - copy @vm_path of @vm to @host_path (see fvm.h);
 * --ids sub: in a child that reaches the files of the VM's other ids
 * (vm_ids_run()), as fvm_vm_copy_in() and fvm_vm_open_file()
 */
FVM_PUBLIC int fvm_vm_copy_out(struct fvm_vm *vm, const char *vm_path, const char *host_path,
			       struct fvm_error *err)
{
	const struct cp_args a = { .vm_path = vm_path, .host_path = host_path };

	return vm_ids_run(vm, copy_out_do, &a, NULL, err);
}

/* ---- into the VM ---------------------------------------------------- */

static int in_entry(struct cp *c, int sdfd, const char *sname, const char *rel, int depth);

/* The upper directory for @rel, a directory of the VM's view now: a whiteout
 * there gives way to an opaque directory (what the VM deleted stays deleted). */
static int in_dir_at(struct cp *c, const char *rel)
{
	char pbuf[PATH_MAX], *slash;
	struct stat st;
	_cleanup_close_ int parent = -1;
	bool was_deleted = false;
	int fd;

	snprintf(pbuf, sizeof(pbuf), "%s", rel);
	slash = strrchr(pbuf, '/');
	if (slash)
		*slash = '\0';
	parent = xfer_upper_dir(&c->xl, c->layer, slash ? pbuf : "", c->err);
	if (parent < 0)
		return parent;
	if (fstatat(parent, slash ? slash + 1 : pbuf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
		if (!whiteout(&st) && !S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode))
			return -ENOTDIR;
		/* the VM's own non-directory there is replaced, as cp -R over it would fail: refuse */
		if (!whiteout(&st))
			return -ENOTDIR;
		if (unlinkat(parent, slash ? slash + 1 : pbuf, 0) < 0)
			return -errno;
		was_deleted = true;
	}
	fd = xfer_upper_dir(&c->xl, c->layer, rel, c->err);
	if (fd >= 0 && was_deleted && fsetxattr(fd, c->xattr_opaque, "y", 1, 0) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int in_dir(struct cp *c, int sdfd, const char *sname, const struct stat *st, const char *rel, int depth)
{
	_cleanup_close_ int src = openat(sdfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (depth > CP_DEPTH_MAX)
		return -ELOOP;
	if (src < 0)
		return -errno;
	out = in_dir_at(c, rel);
	if (out < 0)
		return out;
	r = list_dir(src, &names, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char sub[PATH_MAX];

		if (snprintf(sub, sizeof(sub), "%s/%s", rel, names[i]) >= (int)sizeof(sub))
			r = -ENAMETOOLONG;
		else
			r = in_entry(c, src, names[i], sub, depth + 1);
	}
	fvm_strv_free(names);
	if (r == 0 && !c->vm->cfg.rootless && fchown(out, c->vm->cfg.uid_base, c->vm->cfg.uid_base) < 0)
		r = -errno;
	if (r == 0 && fchmod(out, (st->st_mode & 01777) | (c->vm->cfg.rootless ? 0700 : 0)) < 0)
		r = -errno;
	return r;
}

static int in_entry(struct cp *c, int sdfd, const char *sname, const char *rel, int depth)
{
	const struct vm_config *cfg = &c->vm->cfg;
	int uid = cfg->rootless ? -1 : (int)cfg->uid_base;
	struct stat st;
	char pbuf[PATH_MAX], *slash;
	_cleanup_close_ int dfd = -1;

	if (fstatat(sdfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (strlen(rel) >= sizeof(pbuf))
		return -ENAMETOOLONG;
	if (S_ISDIR(st.st_mode))
		return in_dir(c, sdfd, sname, &st, rel, depth);
	if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return depth ? 0 : -ENOTSUP;
	snprintf(pbuf, sizeof(pbuf), "%s", rel);
	slash = strrchr(pbuf, '/');
	if (slash)
		*slash = '\0';
	dfd = xfer_upper_dir(&c->xl, c->layer, slash ? pbuf : "", c->err);
	if (dfd < 0)
		return dfd;
	if (S_ISLNK(st.st_mode))
		return put_symlink(sdfd, sname, dfd, slash ? slash + 1 : pbuf, uid, uid);
	{
		_cleanup_close_ int fd = open_entry(sdfd, sname, S_IFREG, NULL);

		return fd < 0 ? fd : put_file(fd, &st, dfd, slash ? slash + 1 : pbuf, uid, uid, 01777);
	}
}

static int copy_in_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const char *vm_path = ((const struct cp_args *)arg)->vm_path;
	const char *host_path = ((const struct cp_args *)arg)->host_path;
	struct fvm_error local = { 0 };
	_cleanup_close_ int lock = vm_lock(vm, err = err ? err : &local);
	_cleanup_free_ char *hcopy = strdup(host_path), *full = NULL;
	_cleanup_close_ int sdfd = -1;
	struct cp c = { 0 };
	struct vloc l = { .up = -1, .low = -1 };
	const char *rel = NULL, *hbase;
	char base[NAME_MAX + 1];
	int r;

	if (lock < 0)
		return lock;
	if (!hcopy)
		return -ENOMEM;
	err->msg[0] = '\0';
	if (vm_running(vm, NULL) == 0)
		return fvm_errf(err, -EBUSY, "VM '%s' is running: stop it first ('fvm stop %s'); fvm cp into a VM changes its layer, which must not change under a mounted overlay",
				vm->cfg.name, vm->cfg.name);
	hbase = basename(hcopy);
	r = cp_open(&c, vm, vm_path, &rel, err);
	if (r == 0)
		r = view_parent(&c, rel, &l, base, sizeof(base));
	/* an existing directory of the VM: copy into it */
	if (r == 0 && view_lookup(&c, &l, base) == 0 && S_ISDIR(l.st.st_mode)) {
		if (asprintf(&full, "%s/%s", rel, hbase) < 0)
			r = -ENOMEM;
		rel = full;
	}
	if (r < 0 && !err->msg[0])
		r = view_error(&c, vm_path, r);
	if (r == 0) {
		_cleanup_free_ char *dcopy = strdup(host_path);

		sdfd = dcopy ? open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		r = sdfd < 0 ? fvm_errf(err, -errno, "cannot open the directory of %s: %m", host_path)
			     : in_entry(&c, sdfd, hbase, rel, 0);
		if (r < 0 && !err->msg[0])
			r = fvm_errf(err, r, "VM '%s': cannot copy %s to %s: %s%s", vm->cfg.name, host_path, vm_path,
				     strerror(-r), r == -ENOTDIR ? " (something on the way in the VM is no directory, or a symlink)" :
				     r == -ENOTSUP ? " (fvm cp copies files, directories and symlinks)" : "");
	}
	vloc_free(&l);
	xfer_layers_free(&c.xl);
	(void)cb;
	return r;
}

/**
 * fvm_vm_copy_in() - copy @host_path into the stopped @vm at @vm_path (see fvm.h)
 */
FVM_PUBLIC int fvm_vm_copy_in(struct fvm_vm *vm, const char *host_path, const char *vm_path,
			      struct fvm_error *err)
{
	const struct cp_args a = { .vm_path = vm_path, .host_path = host_path };

	return vm_ids_run(vm, copy_in_do, &a, NULL, err);
}

/* The file's fd in *@cb->ret_fd (vm_ids_run() hands it back from its child). */
static int open_file_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const char *vm_path = ((const struct cp_args *)arg)->vm_path;
	int *ret_fd = cb->ret_fd;
	struct cp c = { 0 };
	struct vloc l = { .up = -1, .low = -1 };
	char base[NAME_MAX + 1];
	struct fvm_error local = { 0 };
	int r;

	err = err ? err : &local;
	r = cp_locate(&c, vm, vm_path, &l, base, sizeof(base), err);
	if (r == 0 && !S_ISREG(l.st.st_mode))
		r = fvm_errf(err, S_ISLNK(l.st.st_mode) ? -ELOOP : -EINVAL, "VM '%s': %s is no regular file",
			     vm->cfg.name, vm_path);
	if (r == 0) {
		int fd = open_entry(l.in_up ? l.up : l.low, base, S_IFREG, NULL);

		if (fd >= 0)
			*ret_fd = fd;
		else
			r = view_error(&c, vm_path, fd);
	}
	vloc_free(&l);
	xfer_layers_free(&c.xl);
	return r;
}

/**
 * fvm_vm_open_file() - a read-only fd of the regular file @vm_path of @vm (see fvm.h)
 */
FVM_PUBLIC int fvm_vm_open_file(struct fvm_vm *vm, const char *vm_path, int *ret_fd, struct fvm_error *err)
{
	const struct cp_args a = { .vm_path = vm_path };
	const struct ids_call cb = { .ret_fd = ret_fd };

	return vm_ids_run(vm, open_file_do, &a, &cb, err);
}
