// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * export.c - a stopped VM's changes and settings as one tar archive that
 * is also an OCI image layer.
 *
 * Theory of operation. The changes are read exactly as `fvm diff` reads
 * them (changes_collect(), changes.c: every layer, the store's whiteouts
 * left out), in path order, so a directory comes before what is in it.
 * Each becomes one member, named by its path in the VM without the
 * leading '/':
 *   added, modified, replaced, metadata  the VM's whole entry (file with
 *                    its bytes, directory, symlink, FIFO, device node),
 *                    its mode, mtime, user.* xattrs, and its owner in the
 *                    VM's own ids (0 = the VM's root; never a host uid)
 *   deleted          DIR/.wh.NAME, an empty file (OCI whiteout)
 *   opaque directory the directory, then DIR/.wh..wh..opq (the deletions
 *                    it implies are not listed again)
 *   hard links       a file's second name is a tar hard link to its first
 * Sockets are left out (a tar cannot hold one, and no program listens on
 * it after the export). The first member, XFER_MANIFEST (xfer.h), is the
 * manifest: fvm's version,
 * the VM's settings (its config.json without its identity: name, uid range,
 * owner), and the host it was made on (xfer_host_base()), so that import
 * can warn on another host. Paths fvm cannot represent (longer than
 * PATH_MAX, too deep to walk) make the export fail, naming them; nothing half-written is left for the caller to mistake: the CLI
 * writes to a temporary file it renames at the end.
 *
 * Entries are opened the one safe way (open_entry(), changes.c): no
 * symlink followed, never blocking, the type checked on the fd. The VM is
 * locked and must be stopped, so its layers hold still.
 */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "changes/archive-dl.h"
#include "changes/changes.h"
#include "util/util.h"

#define XATTR_LIST_MAX_BYTES 65536
#define XATTR_VALUE_MAX_BYTES 65536

struct exp {
	struct fvm_vm *vm;
	struct archive *a;
	const struct fvm_export_opts *o;
	void *links;            /* tsearch tree of struct link: first name of each multi-link file */
	uint64_t done, total;
	struct fvm_error *err;
};

struct link {
	size_t layer;
	unsigned long long ino;
	char *name;
};

static int link_cmp(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void link_free(void *p)
{
	struct link *l = p;

	free(l->name);
	free(l);
}

static int ar_fail(struct exp *x, const char *what)
{
	return fvm_errf(x->err, -EIO, "VM '%s': cannot write the archive (%s): %s", x->vm->cfg.name, what,
			archive_error_string(x->a) ? archive_error_string(x->a) : "write error");
}

/* The manifest: the first member. */
static int put_manifest(struct exp *x, size_t nchanges, size_t members)
{
	json_object *m = json_object_new_object(), *set = NULL;
	_cleanup_free_ char *cfg = NULL;
	struct archive_entry *e;
	const char *txt;
	int r = 0;

	if (!m)
		return -ENOMEM;
	if (read_small_fileat(x->vm->dirfd, "config.json", &cfg, NULL) == 0)
		set = json_tokener_parse(cfg);
	if (set && json_object_is_type(set, json_type_object)) {
		static const char *const identity[] = { "name", "created", "mode", "owner", "uid_base", "uid_count", "home",
							"ids", "subuid", "subgid" };

		for (size_t i = 0; i < ARRAY_SIZE(identity); i++)
			json_object_object_del(set, identity[i]);
	}
	json_object_object_add(m, "format", json_object_new_int(XFER_FORMAT));
	json_object_object_add(m, "fvm_version", json_object_new_string(FVM_VERSION));
	json_object_object_add(m, "name", json_object_new_string(x->vm->cfg.name));
	json_object_object_add(m, "exported", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(m, "mode", json_object_new_string(x->vm->cfg.rootless ? "rootless" : "root"));
	json_object_object_add(m, "entries", json_object_new_int64((int64_t)nchanges));
	json_object_object_add(m, "members", json_object_new_int64((int64_t)members));
	json_object_object_add(m, "settings", set ? set : json_object_new_object());
	json_object_object_add(m, "base", xfer_host_base());
	txt = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	e = archive_entry_new();
	archive_entry_set_pathname(e, XFER_MANIFEST);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(txt));
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(x->a, e) != ARCHIVE_OK ||
	    archive_write_data(x->a, txt, strlen(txt)) != (la_ssize_t)strlen(txt))
		r = ar_fail(x, "manifest");
	archive_entry_free(e);
	json_object_put(m);
	return r;
}

/* user.* xattrs of the entry (never overlay's own), onto @e; @fd is a
 * regular file's or a directory's O_RDONLY fd. */
static void put_xattrs(int fd, struct archive_entry *e)
{
	static char list[XATTR_LIST_MAX_BYTES], val[XATTR_VALUE_MAX_BYTES];
	ssize_t n = flistxattr(fd, list, sizeof(list));

	for (ssize_t k = 0; n > 0 && k < n; k += (ssize_t)strlen(list + k) + 1) {
		const char *name = list + k;
		ssize_t vn;

		if (!xattr_is_users(name))
			continue;
		vn = fgetxattr(fd, name, val, sizeof(val));
		if (vn >= 0)
			archive_entry_xattr_add_entry(e, name, val, (size_t)vn);
	}
}

/* The bytes of a regular file of the layer, after its header. */
static int put_data(struct exp *x, int fd, const char *path)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read_all(fd, buf, sizeof(buf))) > 0) {
		if (archive_write_data(x->a, buf, (size_t)n) != n)
			return ar_fail(x, path);
		x->done += (uint64_t)n;
		if (x->o && x->o->progress)
			x->o->progress(x->done, x->total, x->o->userdata);
	}
	return n < 0 ? fvm_errf(x->err, -errno, "VM '%s': cannot read %s from its layer: %m", x->vm->cfg.name, path) : 0;
}

/* A second name of a multi-link file: a tar hard link to its first name. */
static bool as_hardlink(struct exp *x, const struct change *c, const char *name, struct archive_entry *e)
{
	struct link key = { .layer = c->layer, .ino = c->up.stx_ino }, *l, **found;

	if (!S_ISREG(c->up.stx_mode) || c->up.stx_nlink < 2)
		return false;
	found = tfind(&key, &x->links, link_cmp);
	if (found) {
		archive_entry_set_hardlink(e, (*found)->name);
		archive_entry_set_size(e, 0);
		return true;
	}
	l = calloc(1, sizeof(*l));
	if (l && (l->name = strdup(name))) {
		*l = (struct link){ c->layer, c->up.stx_ino, l->name };
		if (tsearch(l, &x->links, link_cmp))
			return false;
		free(l->name);
	}
	free(l);
	return false;
}

static int put_whiteout(struct exp *x, const char *path, bool opaque)
{
	_cleanup_free_ char *name = NULL;
	const char *slash = strrchr(path, '/');
	struct archive_entry *e;
	int r = 0;

	if (opaque)
		r = asprintf(&name, "%s/.wh..wh..opq", path + 1);
	else
		r = asprintf(&name, "%.*s%s.wh.%s", (int)(slash - path - 1 > 0 ? slash - path - 1 : 0),
			     path + 1, slash > path ? "/" : "", slash + 1);
	if (r < 0)
		return -ENOMEM;
	e = archive_entry_new();
	archive_entry_set_pathname(e, name[0] == '/' ? name + 1 : name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	r = archive_write_header(x->a, e) == ARCHIVE_OK ? 0 : ar_fail(x, path);
	archive_entry_free(e);
	return r;
}

static int put_entry(struct exp *x, const struct changeset *cs, const struct change *c)
{
	const struct vm_config *cfg = &x->vm->cfg;
	_cleanup_close_ int fd = -1;
	struct archive_entry *e;
	mode_t t = c->up.stx_mode & S_IFMT;
	int r = 0;

	fd = open_beneath_mount(cs->layers[c->layer].upper_fd, c->rel, t == S_IFDIR ? O_RDONLY | O_DIRECTORY : O_PATH);
	if (fd < 0)
		r = -errno;
	if (fd >= 0 && t == S_IFREG) {
		/* checked on the O_PATH fd, then reopened to be read */
		struct stat st;
		char proc[64];
		int rd = -EMEDIUMTYPE;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			rd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (rd == -1)
			rd = -errno;

		close(fd);
		fd = rd;
		r = rd;
	}
	if (fd < 0)
		return fvm_errf(x->err, r, "VM '%s': cannot open %s in its layer: %s",
				cfg->name, c->path, strerror(-r));
	r = 0;
	e = archive_entry_new();
	archive_entry_set_pathname(e, c->path + 1);
	archive_entry_set_mode(e, c->up.stx_mode);
	archive_entry_set_uid(e, xfer_id_to_vm(cfg, x->vm->store, c->up.stx_uid, false));
	archive_entry_set_gid(e, xfer_id_to_vm(cfg, x->vm->store, c->up.stx_gid, true));
	archive_entry_set_mtime(e, c->up.stx_mtime.tv_sec, c->up.stx_mtime.tv_nsec);
	if (t == S_IFLNK)
		archive_entry_set_symlink(e, c->target ? c->target : "");
	if (t == S_IFCHR || t == S_IFBLK)
		archive_entry_set_rdev(e, makedev(c->up.stx_rdev_major, c->up.stx_rdev_minor));
	if (t == S_IFREG || t == S_IFDIR)
		put_xattrs(fd, e);
	if (t == S_IFREG && !as_hardlink(x, c, c->path + 1, e))
		archive_entry_set_size(e, (la_int64_t)c->up.stx_size);
	if (archive_write_header(x->a, e) != ARCHIVE_OK)
		r = ar_fail(x, c->path);
	else if (t == S_IFREG && !archive_entry_hardlink(e))
		r = put_data(x, fd, c->path);
	archive_entry_free(e);
	if (r == 0 && c->opaque)
		r = put_whiteout(x, c->path, true);
	return r;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

static int set_filter(struct archive *a, enum fvm_compress c)
{
	switch (c) {
	case FVM_COMPRESS_NONE:
		return archive_write_add_filter_none(a);
	case FVM_COMPRESS_GZIP:
		return archive_write_add_filter_gzip(a);
	case FVM_COMPRESS_ZSTD:
		return archive_write_add_filter_zstd(a);
	default:
		return ARCHIVE_FATAL;
	}
}

/* Changes with no member: deletions an opaque directory implies, and
 * sockets (a tar cannot hold one, and no program listens on it after). */
static bool skipped(const struct change *c)
{
	if (c->pub.kind == FVM_CHANGE_DELETED)
		return c->implied;
	return S_ISSOCK(c->up.stx_mode);
}

static int write_all_changes(struct exp *x, struct changeset *cs)
{
	int r;

	for (size_t i = 0; i < cs->n; i++) {
		const struct change *c = &cs->v[i];

		if (c->too_long)
			return fvm_errf(x->err, -ENAMETOOLONG, "VM '%s': %s %s, which an export cannot hold either",
					x->vm->cfg.name, c->path, c->pub.conflict_why);
		if (c->pub.type != '-' && S_ISREG(c->up.stx_mode))
			x->total += c->pub.size;
	}
	{
		size_t members = 0;   /* after the manifest: import checks the count */

		for (size_t i = 0; i < cs->n; i++)
			members += skipped(&cs->v[i]) ? 0 : 1u + cs->v[i].opaque;
		r = put_manifest(x, cs->n, members);
	}
	for (size_t i = 0; r == 0 && i < cs->n; i++) {
		const struct change *c = &cs->v[i];

		if (skipped(c))
			continue;
		if (c->pub.kind == FVM_CHANGE_DELETED)
			r = put_whiteout(x, c->path, false);
		else
			r = put_entry(x, cs, c);
	}
	return r;
}

struct export_args {
	int fd;
	const struct fvm_export_opts *opts;
};

/* The export, with the progress callback of @cb (in vm_ids_run()'s child: relayed). */
static int export_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const struct export_args *a = arg;
	struct fvm_export_opts o = { .compress = a->opts ? a->opts->compress : FVM_COMPRESS_NONE,
				     .progress = cb->bytes, .userdata = cb->userdata };
	const struct fvm_export_opts *opts = &o;
	int fd = a->fd;
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct exp x = { .vm = vm, .o = opts, .err = err };
	struct changeset cs;
	int r;

	if (lock < 0)
		return lock;
	r = archive_dl_load(err);
	if (r < 0)
		return r;
	if (vm_running(vm, NULL) == 0)
		return fvm_errf(err, -EBUSY, "VM '%s' is running: stop it first ('fvm stop %s'), so that its changes hold still while they are exported",
				vm->cfg.name, vm->cfg.name);
	r = changes_collect(vm, NULL, &cs, err);
	if (r < 0)
		return r;
	if (cs.n)
		qsort(cs.v, cs.n, sizeof(*cs.v), path_cmp);
	x.a = archive_write_new();
	if (!x.a || archive_write_set_format_pax(x.a) != ARCHIVE_OK ||
	    set_filter(x.a, opts ? opts->compress : FVM_COMPRESS_NONE) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(x.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(x.a, fd) != ARCHIVE_OK) {
		r = x.a ? ar_fail(&x, "setup") : fvm_errf(err, -ENOMEM, "out of memory");
	} else {
		r = write_all_changes(&x, &cs);
		if (archive_write_close(x.a) != ARCHIVE_OK && r == 0)
			r = ar_fail(&x, "end");
	}
	if (x.a)
		archive_write_free(x.a);
	tdestroy(x.links, link_free);
	changes_free(&cs);
	return r;
}

/**
 * fvm_vm_export() - write the changes and settings of the stopped @vm to
 * @fd; --ids sub: by a child that reaches the files of the VM's other
 * ids, the progress callback called here (vm_ids_run())
 *
 * Return: 0, -EBUSY when it runs, or another -errno with @err filled.
 */
FVM_PUBLIC int fvm_vm_export(struct fvm_vm *vm, int fd, const struct fvm_export_opts *opts,
			     struct fvm_error *err)
{
	const struct export_args a = { fd, opts };
	const struct ids_call cb = { .bytes = opts ? opts->progress : NULL, .userdata = opts ? opts->userdata : NULL };

	return vm_ids_run(vm, export_do, &a, &cb, err);
}
