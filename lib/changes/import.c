// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * import.c - a new VM from an archive made by fvm export (or any OCI image
 * layer), the archive being hostile.
 *
 * Theory of operation. The VM is built in STORE/vms/.import-PID-RAND, a
 * name no VM can have (fvm_store_list() skips it), locked with flock(2)
 * for as long as the import runs, and renamed to its name
 * (RENAME_NOREPLACE, under the store lock) only once every member is in
 * and synced. An error removes the directory; a killed import leaves it,
 * unlocked, and the next fvm_store_open() removes it (import_sweep()) and
 * gives its uid range back. So no half-imported VM is ever visible.
 *
 * Each member is checked before it touches the disk:
 *  - its name: relative ("./" allowed), no "..", "." or empty component,
 *    at most XFER_PATH_MAX bytes, NAME_MAX a component, XFER_DEPTH_MAX
 *    deep; never twice (a tsearch tree of every path seen); never below
 *    what fvm hides from the VM (its stores);
 *  - its place: the layer of the mount that holds it on this host
 *    (xfer.c); a path with no copy-on-write layer here is skipped and
 *    listed in the report. Parents are made as a copy-up makes them, each
 *    opened with O_NOFOLLOW from the last: a symlink (or any non-directory)
 *    the archive put on the way is never followed, the member is refused;
 *  - its kind: files, directories, symlinks (whose targets only ever
 *    resolve inside the VM), FIFOs, hard links to a file this archive made
 *    earlier in the same layer, OCI whiteouts (.wh.NAME, .wh..wh..opq);
 *    device nodes and set-uid/set-gid modes only with their flags;
 *  - its owner: an id of the VM (0 = its root) inside its range, stored as
 *    the layer's id for it; rootless, where the VM has only its root, other
 *    owners become the VM's root and are counted in the report;
 *  - its size: the claimed size against the per-member and total bounds
 *    before any byte is written, and the bytes written against the claim.
 * Settings come from the manifest through the same checks as a VM's own
 * config (config_load()); those that loosen isolation (--net host,
 * published ports, host loopback, --share and --cow paths, capabilities,
 * seccomp) are dropped, and reported, unless @trust_settings.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

#define XFER_LINK_MAX 4095
#define XFER_NAME_BYTES_MAX (256u << 20)   /* the paths kept in memory, in all */
#define XFER_XATTRS_MAX 64
#define XFER_SKIPPED_LISTED 20

struct seen {
	char *path;      /* in the VM, "/..." */
	size_t layer;    /* for hard links: the layer it went to */
	bool file;       /* a regular file made here (a hard link may point at it) */
};

struct imp {
	struct fvm_store *store;
	const struct fvm_import_opts *o;
	struct fvm_vm vm;              /* the VM being built, in its temporary directory */
	struct xfer_layers xl;
	struct archive *a;
	void *seen;                    /* tsearch tree of struct seen */
	uint64_t bytes, max_bytes, max_entry;
	uint64_t claimed;              /* the data every member claimed, read or skipped */
	size_t entries, max_entries, files, whiteouts, skipped, owners_dropped;
	size_t name_bytes;             /* of every path kept to find duplicates */
	long long expect_members;      /* the manifest's count, -1 without one */
	int cache_fd;                  /* the last upper directory a member went in */
	size_t cache_layer;
	char cache_rel[PATH_MAX];
	json_object *report;           /* the report being built */
	json_object *skipped_list, *warnings;
	struct fvm_error *err;
};

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->path, ((const struct seen *)b)->path);
}

static void seen_free(void *p)
{
	struct seen *s = p;

	free(s->path);
	free(s);
}

static void warn(struct imp *m, const char *msg)
{
	json_object_array_add(m->warnings, json_object_new_string(msg));
}

static int refuse(struct imp *m, int code, const char *member, const char *why)
{
	return fvm_errf(m->err, code, "import of VM '%s': archive member '%.300s' %s; nothing was imported",
			m->vm.cfg.name, member, why);
}

/* Record @path; -EEXIST if the archive named it before. */
static int mark_seen(struct imp *m, const char *path, size_t layer, bool file)
{
	struct seen *s = calloc(1, sizeof(*s)), **got;

	if (!s || !(s->path = strdup(path))) {
		free(s);
		return -ENOMEM;
	}
	s->layer = layer;
	s->file = file;
	got = tsearch(s, &m->seen, seen_cmp);
	if (!got) {
		seen_free(s);
		return -ENOMEM;
	}
	if (*got != s) {
		seen_free(s);
		return -EEXIST;
	}
	return 0;
}

static void skip(struct imp *m, const char *path)
{
	if (m->skipped++ < XFER_SKIPPED_LISTED)
		json_object_array_add(m->skipped_list, json_object_new_string(path));
}

/* Owner and mode of a member, checked; the owner as the layer's ids. */
static int owner_of(struct imp *m, struct archive_entry *e, const char *name, unsigned *u, unsigned *g)
{
	const struct vm_config *cfg = &m->vm.cfg;
	int ru = xfer_id_to_layer(cfg, m->store, (unsigned)archive_entry_uid(e), false, u);
	int rg = xfer_id_to_layer(cfg, m->store, (unsigned)archive_entry_gid(e), true, g);

	if (archive_entry_uid(e) < 0 || archive_entry_uid(e) > UINT32_MAX ||
	    archive_entry_gid(e) < 0 || archive_entry_gid(e) > UINT32_MAX)
		return refuse(m, -ERANGE, name, "has an owner id out of range");
	if ((ru < 0 || rg < 0) && !cfg->rootless)
		return refuse(m, -ERANGE, name, "has an owner outside the VM's 65536 ids");
	if (ru < 0 || rg < 0)
		m->owners_dropped++;
	return 0;
}

/* mode, owner, times, xattrs onto the new entry @name under @dfd */
static int set_meta(struct imp *m, int dfd, const char *name, struct archive_entry *e, unsigned u,
		    unsigned g, const char *member)
{
	mode_t t = archive_entry_filetype(e);
	struct timespec ts[2] = { { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
				  { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
	const char *xn;
	const void *xv;
	size_t xs, nx = 0;

	if (!m->vm.cfg.rootless && fchownat(dfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return fvm_errf(m->err, -errno, "import of VM '%s': cannot set the owner of %s: %m", m->vm.cfg.name, member);
	if (t != AE_IFLNK) {
		mode_t mode = archive_entry_perm(e) & 07777;

		if (m->vm.cfg.rootless && t == AE_IFDIR)
			mode |= 0700;   /* the store's owner must reach the layer's directories */
		if (fchmodat(dfd, name, mode, 0) < 0)
			return fvm_errf(m->err, -errno, "import of VM '%s': cannot set the mode of %s: %m", m->vm.cfg.name, member);
	}
	for (archive_entry_xattr_reset(e); archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK;) {
		_cleanup_close_ int fd = -1;
		char proc[64];

		if (strncmp(xn, "user.", 5) || !strncmp(xn, "user.overlay.", 13) || ++nx > XFER_XATTRS_MAX ||
		    xs > 65536 || (t != AE_IFREG && t != AE_IFDIR)) {
			warn(m, "extended attributes other than user.* (and overlay's own) are not imported");
			continue;
		}
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (fd < 0 || setxattr(proc, xn, xv, xs, 0) < 0)
			warn(m, "an extended attribute could not be set (the store's file system refuses user.* xattrs)");
	}
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* The bytes of a file member into @fd: no more than it claimed. The
 * blocks of a sparse member (GNU or pax) come with holes between them,
 * which stay holes; they only ever go forward. */
static int copy_data(struct imp *m, int fd, la_int64_t claimed, const char *member)
{
	const void *buf;
	size_t n;
	la_int64_t off, got = 0;
	int r;

	while ((r = archive_read_data_block(m->a, &buf, &n, &off)) == ARCHIVE_OK) {
		if (off < got || off > claimed || (la_int64_t)n > claimed - off)
			return refuse(m, -EFBIG, member, "holds more bytes than its header says");
		if (off > got && lseek(fd, off, SEEK_SET) < 0)
			return fvm_errf(m->err, -errno, "import of VM '%s': cannot write %s into its layer: %m",
					m->vm.cfg.name, member);
		got = off;
		if (write_all(fd, buf, n) < 0)
			return fvm_errf(m->err, -errno, "import of VM '%s': cannot write %s into its layer: %m",
					m->vm.cfg.name, member);
		got += (la_int64_t)n;
		m->bytes += n;
		if (m->o && m->o->progress)
			m->o->progress(m->bytes, m->entries, m->o->userdata);
	}
	if (r != ARCHIVE_EOF)
		return fvm_errf(m->err, -EIO, "import of VM '%s': the archive is damaged at %s: %s", m->vm.cfg.name,
				member, archive_error_string(m->a) ? archive_error_string(m->a) : "read error");
	/* a sparse member's last hole (libarchive reports a plain file cut short as damaged) */
	if (got < claimed && ftruncate(fd, claimed) < 0)
		return fvm_errf(m->err, -errno, "import of VM '%s': cannot write %s into its layer: %m",
				m->vm.cfg.name, member);
	return 0;
}

static int make_hardlink(struct imp *m, int dfd, const char *base, size_t layer, struct archive_entry *e,
			 const char *member)
{
	char tp[PATH_MAX], proc[64];
	struct seen key = { .path = tp }, **got;
	const char *rel;
	size_t li;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (xfer_member_path(archive_entry_hardlink(e), tp, sizeof(tp)) < 0)
		return refuse(m, -EINVAL, member, "is a hard link to a path outside the archive");
	got = tfind(&key, &m->seen, seen_cmp);
	if (!got || !(*got)->file || (*got)->layer != layer || xfer_mount_of(&m->xl, tp, &li, &rel) < 0 || li != layer)
		return refuse(m, -EXDEV, member, "is a hard link to no file this archive made before it in the same layer");
	fd = open_beneath_mount(m->xl.upper[layer], rel, O_PATH);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(m, -EXDEV, member, "is a hard link to a file that is no longer there");
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dfd, base, AT_SYMLINK_FOLLOW) < 0)
		return fvm_errf(m->err, -errno, "import of VM '%s': cannot link %s: %m", m->vm.cfg.name, member);
	m->files++;
	return 0;
}

static const char *xprefix(const struct imp *m)
{
	return m->vm.cfg.rootless ? "user.overlay." : "trusted.overlay.";
}

/* A whiteout member: NAME deleted, or (.wh..wh..opq) its directory opaque. */
static int make_whiteout(struct imp *m, int dfd, const char *base, const char *member)
{
	if (!strcmp(base, ".wh..wh..opq")) {
		char attr[64];

		snprintf(attr, sizeof(attr), "%sopaque", xprefix(m));
		if (fsetxattr(dfd, attr, "y", 1, 0) < 0)
			return fvm_errf(m->err, -errno, "import of VM '%s': cannot mark the directory of %s opaque: %m",
					m->vm.cfg.name, member);
	} else if (mknodat(dfd, base + 4, S_IFCHR | 0, makedev(0, 0)) < 0) {
		return errno == EEXIST ? refuse(m, -EEXIST, member, "deletes a path the archive also makes")
				       : fvm_errf(m->err, -errno, "import of VM '%s': cannot make the whiteout %s: %m",
						  m->vm.cfg.name, member);
	}
	m->whiteouts++;
	return 0;
}

static int cannot_make(struct imp *m, const char *member)
{
	int r = -errno;

	if (r == -EEXIST)
		return refuse(m, r, member, "names a path the archive made already (as a parent directory)");
	return fvm_errf(m->err, r, "import of VM '%s': cannot make %s in its layer: %s", m->vm.cfg.name,
			member, strerror(-r));
}

static int make_file(struct imp *m, int dfd, const char *base, struct archive_entry *e, const char *member)
{
	la_int64_t size = archive_entry_size(e);
	_cleanup_close_ int fd = -1;
	int r;

	if (!archive_entry_size_is_set(e))
		return refuse(m, -EFBIG, member, "claims a size over the import's bound for one file (--max-file-size)");
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cannot_make(m, member);
	r = copy_data(m, fd, size, member);
	if (r == 0)
		m->files++;
	return r;
}

/* Make the member @e, of kind @t, as @base under the upper directory @dfd. */
static int make_entry(struct imp *m, int dfd, const char *base, size_t layer, struct archive_entry *e,
		      mode_t t, const char *member)
{
	unsigned u = 0, g = 0;
	int r = owner_of(m, e, member, &u, &g);
	const char *target;
	struct stat st;

	if (r < 0)
		return r;
	if (archive_entry_hardlink(e))
		return make_hardlink(m, dfd, base, layer, e, member);
	switch (t) {
	case AE_IFREG:
		r = make_file(m, dfd, base, e, member);
		if (r < 0)
			return r;
		break;
	case AE_IFDIR:
		/* made already as the parent of an earlier member: only its metadata */
		if (mkdirat(dfd, base, 0700) < 0 &&
		    !(errno == EEXIST && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)))
			return cannot_make(m, member);
		break;
	case AE_IFLNK:
		target = archive_entry_symlink(e);
		if (!target || !*target || strlen(target) > XFER_LINK_MAX)
			return refuse(m, -EINVAL, member, "is a symlink with no or too long a target");
		if (symlinkat(target, dfd, base) < 0)
			return cannot_make(m, member);
		break;
	case AE_IFIFO:
		if (mkfifoat(dfd, base, 0600) < 0)
			return cannot_make(m, member);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		if (!m->o || !m->o->allow_devices)
			return refuse(m, -EPERM, member, "is a device node: import it with --allow-devices if you mean it");
		if (mknodat(dfd, base, (t == AE_IFCHR ? S_IFCHR : S_IFBLK) | 0600, archive_entry_rdev(e)) < 0)
			return cannot_make(m, member);
		break;
	default:
		return refuse(m, -EINVAL, member, "is of a kind fvm does not import");
	}
	return set_meta(m, dfd, base, e, u, g, member);
}

/*
 * The upper directory @rel of @layer, as xfer_upper_dir() makes it; the
 * last one is kept open, since members come directory by directory. It
 * stays the same directory: nothing an import makes replaces or removes
 * an entry (every member is made new, a name met twice is refused).
 */
static int upper_dir_cached(struct imp *m, size_t layer, const char *rel)
{
	int fd;

	if (m->cache_fd >= 0 && m->cache_layer == layer && !strcmp(m->cache_rel, rel))
		return fcntl(m->cache_fd, F_DUPFD_CLOEXEC, 3);
	fd = xfer_upper_dir(&m->xl, layer, rel, m->err);
	if (fd >= 0 && strlen(rel) < sizeof(m->cache_rel)) {
		if (m->cache_fd >= 0)
			close(m->cache_fd);
		m->cache_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		m->cache_layer = layer;
		snprintf(m->cache_rel, sizeof(m->cache_rel), "%s", rel);
	}
	return fd;
}

/*
 * The path of the VM member @e is about (the deleted path of a whiteout,
 * the opaque directory's marker, else its own), and its layer, recorded
 * so that no later member names it again. Return: 0, 1 to skip the member
 * (no layer here, or a directory at a mount point, whose layer root keeps
 * the host's look), or -errno.
 */
static int claim(struct imp *m, struct archive_entry *e, const char *path, const char *parent,
		 const char *base, size_t *ret_layer)
{
	const char *name = archive_entry_pathname(e), *rel = "";
	char key[PATH_MAX + NAME_MAX + 2];
	mode_t t = archive_entry_filetype(e);
	bool wh = !strncmp(base, ".wh.", 4);
	int r;

	if (wh && strcmp(base, ".wh..wh..opq"))
		snprintf(key, sizeof(key), "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", base + 4);
	else
		snprintf(key, sizeof(key), "%s", path);
	if (in_store(&m->vm, key)) {
		skip(m, key);
		return 1;
	}
	r = xfer_mount_of(&m->xl, key, ret_layer, &rel);
	if (r < 0 || !*rel) {
		if (r < 0 || t != AE_IFDIR)
			skip(m, key);
		return 1;
	}
	m->name_bytes += strlen(key) + 1;
	if (m->name_bytes > XFER_NAME_BYTES_MAX)
		return refuse(m, -E2BIG, name, "takes the names of the archive over 256 MiB in all");
	r = mark_seen(m, key, *ret_layer, t == AE_IFREG && !wh && !archive_entry_hardlink(e));
	if (r == -EEXIST)
		return refuse(m, r, name, "names a path an earlier member named already");
	return r < 0 ? fvm_errf(m->err, r, "out of memory") : 0;
}

/*
 * Bound the data @e claims, whatever becomes of the member: the data of a
 * member that is skipped, a whiteout, a directory or a link is read (and
 * decompressed) all the same to get to the next one, so an archive of
 * small files next to a skipped "file" of a terabyte of zeros, gzip'ed to
 * a gigabyte, would keep the host busy for as long as it likes.
 */
static int claim_size(struct imp *m, struct archive_entry *e, const char *member)
{
	la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;

	if (size < 0 || (uint64_t)size > m->max_entry)
		return refuse(m, -EFBIG, member, "claims a size over the import's bound for one file (--max-file-size)");
	if (m->claimed + (uint64_t)size > m->max_bytes)
		return refuse(m, -EFBIG, member, "takes the archive over the import's bound in total (--max-size)");
	m->claimed += (uint64_t)size;
	return 0;
}

/* Place one member (other than the manifest). */
static int import_member(struct imp *m, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	char path[PATH_MAX], parent[PATH_MAX];
	const char *base;
	mode_t t = archive_entry_filetype(e);
	bool wh;
	size_t layer;
	_cleanup_close_ int dfd = -1;
	int r;

	if (m->o && m->o->progress && m->entries % 256 == 0)
		m->o->progress(m->bytes, m->entries, m->o->userdata);
	if (++m->entries > m->max_entries)
		return refuse(m, -E2BIG, name ? name : "?", "is one member too many (--max-entries)");
	r = claim_size(m, e, name ? name : "?");
	if (r < 0)
		return r;
	r = xfer_member_path(name, path, sizeof(path));
	if (r < 0)
		return refuse(m, r, name ? name : "?",
			      r == -EINVAL ? "is not a plain relative path (absolute, '..', '.' or control characters)"
					   : "has too long or too deep a name");
	base = strrchr(path, '/') + 1;
	wh = !strncmp(base, ".wh.", 4);
	/* .wh.. and .wh... would delete "." and ".." */
	if (wh && strcmp(base, ".wh..wh..opq") &&
	    (!strncmp(base, ".wh..wh.", 8) || !base[4] || !strcmp(base + 4, ".") || !strcmp(base + 4, "..")))
		return refuse(m, -EINVAL, name, "is a whiteout fvm does not know");
	if (!archive_entry_hardlink(e) && (archive_entry_perm(e) & 06000) && t == AE_IFREG && !wh &&
	    (!m->o || !m->o->allow_setid))
		return refuse(m, -EPERM, name, "is set-uid or set-gid: import it with --allow-setid if you mean it");
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path - 1 > 0 ? base - path - 1 : 1), path);
	r = claim(m, e, path, parent, base, &layer);
	if (r != 0)
		return r < 0 ? r : 0;
	/* the directory it goes in, made as a copy-up would, never through a symlink */
	{
		const char *prel = "";
		size_t pl = (size_t)-1;

		/* the parent is in the same layer, but when the member is at its root */
		if (xfer_mount_of(&m->xl, parent, &pl, &prel) < 0 || pl != layer)
			prel = "";
		dfd = upper_dir_cached(m, layer, prel);
		if (dfd == -ENOTDIR)
			return refuse(m, dfd, name, "is below a symlink, a file or a deletion (of the archive, or a symlink or file of this host)");
		if (dfd < 0)
			return fvm_errf(m->err, dfd, "import of VM '%s': cannot make the directory of %s in its layer: %s",
					m->vm.cfg.name, name, m->err && m->err->msg[0] ? m->err->msg : strerror(-dfd));
	}
	if (wh)
		return make_whiteout(m, dfd, base, name);
	return make_entry(m, dfd, base, layer, e, t, name);
}

/* Drop what loosens isolation from the archive's settings, saying so. */
static void sanitize_settings(struct imp *m, json_object *set)
{
	json_object *v, *pol, *keep;
	const char *net = NULL;

	if (m->o && m->o->trust_settings)
		return;
	if (json_object_object_get_ex(set, "net", &v))
		net = json_object_get_string(v);
	if (net && !strcmp(net, "host")) {
		json_object_object_add(set, "net", json_object_new_string("none"));
		warn(m, "setting not imported: --net host (the VM gets --net none; 'fvm config NAME --net host' to give it)");
	}
	if (json_object_object_get_ex(set, "publish", &v) && json_object_array_length(v)) {
		json_object_object_del(set, "publish");
		warn(m, "setting not imported: published ports (--publish)");
	}
	if (json_object_object_get_ex(set, "host_loopback", &v) && json_object_get_boolean(v)) {
		json_object_object_del(set, "host_loopback");
		warn(m, "setting not imported: --host-loopback on");
	}
	/* --gui and --device came after this list: the host's display or
	 * compositor (x11-host reads every key typed on the host), a window on
	 * it, or a host device node are the importer's to give */
	if (json_object_object_get_ex(set, "gui", &v) && strcmp(json_object_get_string(v), "none")) {
		json_object_object_add(set, "gui", json_object_new_string("none"));
		warn(m, "setting not imported: --gui (the VM gets none; 'fvm config NAME --gui x11' to give it a nested display)");
	}
	if (json_object_object_get_ex(set, "devices", &v)) {
		if (json_object_is_type(v, json_type_array) && json_object_array_length(v))
			warn(m, "setting not imported: --device nodes of the host");
		json_object_object_del(set, "devices");
	}
	/* no process limit, or one over the default, lets the VM fork the host
	 * to its knees (rootless there is no cgroup to hold one: nothing to say) */
	if (json_object_object_get_ex(set, "limits", &v) && json_object_is_type(v, json_type_object)) {
		json_object *p;

		if (json_object_object_get_ex(v, "pids", &p) &&
		    (!json_object_is_type(p, json_type_int) || json_object_get_int64(p) > FVM_PIDS_DEFAULT)) {
			json_object_object_del(v, "pids");
			if (!m->store->rootless)
				warn(m, "setting not imported: a process limit over the default (the VM gets --pids 2048; 'fvm config NAME --pids N' to raise it)");
		}
	}
	if (json_object_object_get_ex(set, "hardening", &v)) {
		json_object *c, *sc;

		if ((json_object_object_get_ex(v, "capabilities", &c) && strcmp(json_object_get_string(c), "default")) ||
		    (json_object_object_get_ex(v, "seccomp", &sc) && strcmp(json_object_get_string(sc), "default")))
			warn(m, "setting not imported: --caps/--seccomp (the VM gets the default hardening)");
		json_object_object_del(set, "hardening");
	}
	if (json_object_object_get_ex(set, "policies", &pol) && json_object_is_type(pol, json_type_array)) {
		keep = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(pol) && i < MAX_POLICIES; i++) {
			json_object *e = json_object_array_get_idx(pol, i), *mode;
			const char *k = json_object_object_get_ex(e, "mode", &mode) ? json_object_get_string(mode) : "";

			if (k && (!strcmp(k, "share") || !strcmp(k, "cow"))) {
				warn(m, "setting not imported: a --share or --cow path policy");
				continue;
			}
			json_object_array_add(keep, json_object_get(e));
		}
		json_object_object_add(set, "policies", keep);
	}
}

/* config.json of the new VM: the archive's settings, its new identity. */
static int write_config(struct imp *m, json_object *manifest, time_t now)
{
	json_object *set = NULL, *v;
	const char *txt;
	int r;

	if (manifest && json_object_object_get_ex(manifest, "settings", &v) && json_object_is_type(v, json_type_object))
		set = json_tokener_parse(json_object_to_json_string(v));   /* a copy */
	if (!set)
		set = json_object_new_object();
	if (!json_object_object_get_ex(set, "net", &v))
		json_object_object_add(set, "net", json_object_new_string("none"));
	if (!json_object_object_get_ex(set, "hostname", &v))
		json_object_object_add(set, "hostname", json_object_new_string(m->vm.cfg.name));
	if (hostname_check(json_object_object_get_ex(set, "hostname", &v) ? json_object_get_string(v) : "", NULL) < 0) {
		json_object_object_add(set, "hostname", json_object_new_string(m->vm.cfg.name));
		warn(m, "setting not imported: a hostname that is not 1-64 letters, digits, '-' or '.' (the VM's name instead)");
	}
	sanitize_settings(m, set);
	json_object_object_add(set, "name", json_object_new_string(m->vm.cfg.name));
	json_object_object_add(set, "created", json_object_new_int64((int64_t)now));
	json_object_object_add(set, "mode", json_object_new_string(m->store->rootless ? "rootless" : "root"));
	{
		/* the importer's home, as at create (store/view.c): never the archive's */
		_cleanup_free_ char *home = caller_home();

		json_object_object_del(set, "home");
		if (home)
			json_object_object_add(set, "home", json_object_new_string(home));
	}
	/* ids are the importer's (single: owners are dropped), never the archive's */
	json_object_object_del(set, "ids");
	json_object_object_del(set, "subuid");
	json_object_object_del(set, "subgid");
	if (m->store->rootless) {
		json_object_object_add(set, "owner", json_object_new_int64(m->store->uid));
	} else {
		json_object_object_add(set, "uid_base", json_object_new_int64(m->vm.cfg.uid_base));
		json_object_object_add(set, "uid_count", json_object_new_int64(UID_RANGE));
	}
	txt = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_fileat_atomic(m->vm.dirfd, "config.json", txt, strlen(txt), 0644, false);
	json_object_put(set);
	if (r < 0)
		return fvm_errf(m->err, r, "import of VM '%s': cannot write its config: %s", m->vm.cfg.name, strerror(-r));
	{
		uid_t base = m->vm.cfg.uid_base;   /* config_load() checks the result as any VM's config */

		config_release(&m->vm.cfg);
		memset(&m->vm.cfg.created, 0, sizeof(m->vm.cfg) - offsetof(struct vm_config, created));
		r = config_load(&m->vm, m->err);
		if (r == 0 && !m->store->rootless && m->vm.cfg.uid_base != base)
			r = -EBADMSG;
	}
	return r < 0 ? fvm_errf(m->err, r, "import of VM '%s': the archive's settings are not valid: %s",
				m->vm.cfg.name, m->err && m->err->msg[0] ? m->err->msg : strerror(-r)) : 0;
}

/* Warnings where this host differs from the one the archive was made on. */
static void compare_base(struct imp *m, json_object *manifest)
{
	json_object *theirs, *ours = xfer_host_base();
	static const char *const keys[] = { "id", "version_id", "arch", "packages_digest" };
	bool differs = false;

	if (!manifest || !json_object_object_get_ex(manifest, "base", &theirs) || !ours) {
		json_object_put(ours);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_object *a, *b;
		const char *sa, *sb;
		char msg[300];

		sa = json_object_object_get_ex(theirs, keys[i], &a) ? json_object_get_string(a) : "";
		sb = json_object_object_get_ex(ours, keys[i], &b) ? json_object_get_string(b) : "";
		if (!strcmp(sa ? sa : "", sb ? sb : ""))
			continue;
		differs = true;
		snprintf(msg, sizeof(msg), "this host differs from the one the VM was exported on: %s is '%.100s' here, '%.100s' there%s",
			 keys[i], sb, sa, i == 3 ? " (another package set: files the VM changed may not match this host's)" : "");
		warn(m, msg);
	}
	json_object_object_add(m->report, "host_differs", json_object_new_boolean(differs));
	json_object_put(ours);
}

/* The manifest member, bounded, as JSON; NULL if it is not one. */
static json_object *read_manifest(struct imp *m)
{
	_cleanup_free_ char *buf = malloc(SMALL_FILE_MAX + 1);
	size_t o = 0;
	la_ssize_t n;

	if (!buf)
		return NULL;
	while (o < SMALL_FILE_MAX && (n = archive_read_data(m->a, buf + o, SMALL_FILE_MAX - o)) > 0)
		o += (size_t)n;
	buf[o] = '\0';
	return json_tokener_parse(buf);
}

/* The temporary directory the VM is built in, locked; its uid range. */
static int make_tmpdir(struct imp *m, char *tmp, size_t len)
{
	_cleanup_close_ int lock = store_lock(m->store, m->err);
	unsigned rnd = 0;

	if (lock < 0)
		return lock;
	if (faccessat(m->store->vmsfd, m->vm.cfg.name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return fvm_errf(m->err, -EEXIST, "VM '%s' already exists in %s: import under another name (fvm import FILE NAME), or remove it with 'fvm rm %s'",
				m->vm.cfg.name, m->store->path, m->vm.cfg.name);
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned)time(NULL);
	snprintf(tmp, len, ".import-%d-%08x", (int)getpid(), rnd);
	if (mkdirat(m->store->vmsfd, tmp, 0700) < 0)
		return fvm_errf(m->err, -errno, "cannot create %s/vms/%s: %m", m->store->path, tmp);
	m->vm.dirfd = openat(m->store->vmsfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (m->vm.dirfd < 0 || flock(m->vm.dirfd, LOCK_EX) < 0 ||
	    asprintf(&m->vm.dir, "%s/vms/%s", m->store->path, tmp) < 0)
		return fvm_errf(m->err, -errno, "cannot open %s/vms/%s: %m", m->store->path, tmp);
	if (!m->store->rootless)
		return idmap_allocate(m->store, m->vm.cfg.name, &m->vm.cfg.uid_base, m->err);
	return 0;
}

/* Every member after the manifest, then the VM under its name. */
static int import_all(struct imp *m, struct archive_entry *first, const char *tmp)
{
	struct archive_entry *e = first;
	int r = 0, ar;

	for (;;) {
		if (e) {
			r = import_member(m, e);
			if (r < 0)
				return r;
		}
		ar = archive_read_next_header(m->a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
			return fvm_errf(m->err, -EIO, "import of VM '%s': the archive is damaged after %zu members: %s",
					m->vm.cfg.name, m->entries, archive_error_string(m->a) ? archive_error_string(m->a) : "read error");
	}
	if (m->expect_members >= 0 && (long long)m->entries != m->expect_members)
		return fvm_errf(m->err, -EBADMSG, "import of VM '%s': the archive holds %zu members, its manifest says %lld: it is truncated or was changed; nothing was imported",
				m->vm.cfg.name, m->entries, m->expect_members);
	if (syncfs(m->vm.dirfd) < 0)
		return fvm_errf(m->err, -errno, "import of VM '%s': cannot sync %s: %m", m->vm.cfg.name, m->vm.dir);
	{
		_cleanup_close_ int lock = store_lock(m->store, m->err);

		if (lock < 0)
			return lock;
		if (renameat2(m->store->vmsfd, tmp, m->store->vmsfd, m->vm.cfg.name, RENAME_NOREPLACE) < 0)
			return fvm_errf(m->err, -errno, "cannot create %s/vms/%s: %m%s", m->store->path, m->vm.cfg.name,
					errno == EEXIST ? " (a VM of that name was made meanwhile)" : "");
	}
	return 0;
}

static void report_finish(struct imp *m, char **ret)
{
	json_object *o = m->report;

	json_object_object_add(o, "name", json_object_new_string(m->vm.cfg.name));
	json_object_object_add(o, "members", json_object_new_int64((int64_t)m->entries));
	json_object_object_add(o, "files", json_object_new_int64((int64_t)m->files));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)m->bytes));
	json_object_object_add(o, "whiteouts", json_object_new_int64((int64_t)m->whiteouts));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)m->skipped));
	json_object_object_add(o, "skipped_paths", json_object_get(m->skipped_list));
	if (m->owners_dropped) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%zu entries belonged to users other than the VM's root, which a rootless VM does not have: they are its root's now",
			 m->owners_dropped);
		warn(m, msg);
	}
	if (m->skipped) {
		char msg[300];

		snprintf(msg, sizeof(msg), "%zu entries not imported: this VM has no copy-on-write layer at their paths (%s)",
			 m->skipped, m->store->rootless ? "a rootless VM cannot change the system's files: import as root" :
							  "hidden, shared or private paths");
		warn(m, msg);
	}
	json_object_object_add(o, "warnings", json_object_get(m->warnings));
	*ret = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int open_reader(struct imp *m, int fd)
{
	m->a = archive_read_new();
	if (!m->a)
		return fvm_errf(m->err, -ENOMEM, "out of memory");
	/* tar only (pax, ustar, GNU), compressed with gzip or zstd or not at all */
	if (archive_read_support_format_tar(m->a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(m->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(m->a) != ARCHIVE_OK ||
	    archive_read_open_fd(m->a, fd, 65536) != ARCHIVE_OK)
		return fvm_errf(m->err, -EINVAL, "cannot read the archive: %s (fvm import reads tar, plain or compressed with gzip or zstd)",
				archive_error_string(m->a) ? archive_error_string(m->a) : "unknown format");
	return 0;
}

/* The manifest (or none: a plain OCI layer) and the VM's name. */
static int read_head(struct imp *m, struct archive_entry **first, json_object **manifest)
{
	const char *name = m->o ? m->o->name : NULL;
	json_object *v;
	int ar = archive_read_next_header(m->a, first);

	if (ar == ARCHIVE_EOF)
		*first = NULL;
	else if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
		return fvm_errf(m->err, -EINVAL, "cannot read the archive: %s",
				archive_error_string(m->a) ? archive_error_string(m->a) : "not a tar archive");
	if (*first && archive_entry_pathname(*first) && !strcmp(archive_entry_pathname(*first), XFER_MANIFEST)) {
		*manifest = read_manifest(m);
		*first = NULL;
		if (!*manifest || !json_object_is_type(*manifest, json_type_object))
			return fvm_errf(m->err, -EBADMSG, "the archive's manifest (%s) is not a JSON object", XFER_MANIFEST);
		if (!json_object_object_get_ex(*manifest, "format", &v) || json_object_get_int(v) > XFER_FORMAT)
			return fvm_errf(m->err, -EPROTO, "the archive was made by a newer fvm (format %d): update fvm to import it",
					json_object_get_int(v));
		if (json_object_object_get_ex(*manifest, "members", &v) && json_object_is_type(v, json_type_int))
			m->expect_members = json_object_get_int64(v);
		if (!name && json_object_object_get_ex(*manifest, "name", &v))
			name = json_object_get_string(v);
	} else {
		warn(m, "the archive has no fvm manifest: imported as a plain OCI layer, with default settings");
	}
	json_object_object_add(m->report, "manifest", json_object_new_boolean(*manifest != NULL));
	if (!name)
		return fvm_errf(m->err, -EINVAL, "the archive names no VM: give a name (fvm import FILE NAME)");
	if (fvm_name_check(name, m->err) < 0)
		return -EINVAL;
	snprintf(m->vm.cfg.name, sizeof(m->vm.cfg.name), "%s", name);
	return 0;
}

/**
 * fvm_store_import() - a new VM in @store from the archive read from @fd
 *
 * Return: 0 with the report in *@ret_report, or -errno with @err filled and
 * nothing left in the store.
 */
FVM_PUBLIC int fvm_store_import(struct fvm_store *store, int fd, const struct fvm_import_opts *opts,
				char **ret_report, struct fvm_error *err)
{
	struct imp m = { .store = store, .o = opts, .err = err };
	struct archive_entry *first = NULL;
	json_object *manifest = NULL;
	char tmp[64] = "";
	bool allocated = false;
	int r;

	m.vm.store = store;
	m.vm.dirfd = -1;
	m.expect_members = -1;
	m.cache_fd = -1;
	m.max_bytes = opts && opts->max_bytes ? opts->max_bytes : FVM_IMPORT_MAX_BYTES;
	m.max_entry = opts && opts->max_file_bytes ? opts->max_file_bytes : FVM_IMPORT_MAX_FILE_BYTES;
	m.max_entries = opts && opts->max_entries ? opts->max_entries : FVM_IMPORT_MAX_ENTRIES;
	m.report = json_object_new_object();
	m.skipped_list = json_object_new_array();
	m.warnings = json_object_new_array();
	import_sweep(store);
	r = open_reader(&m, fd);
	if (r == 0)
		r = read_head(&m, &first, &manifest);
	if (r == 0) {
		compare_base(&m, manifest);
		r = make_tmpdir(&m, tmp, sizeof(tmp));
		allocated = r == 0 && !store->rootless;
	}
	if (r == 0)
		r = write_config(&m, manifest, time(NULL));
	if (r == 0)
		r = xfer_layers_init(&m.xl, &m.vm, err);
	if (r == 0)
		r = import_all(&m, first, tmp);
	if (r == 0 && ret_report)
		report_finish(&m, ret_report);
	if (r < 0 && tmp[0]) {
		if (allocated)
			registry_release(store->path, m.vm.cfg.name, m.vm.cfg.uid_base, NULL);
		rm_rf_at(store->vmsfd, tmp);
	}
	if (m.cache_fd >= 0)
		close(m.cache_fd);
	xfer_layers_free(&m.xl);
	if (m.a)
		archive_read_free(m.a);
	tdestroy(m.seen, seen_free);
	if (manifest)
		json_object_put(manifest);
	json_object_put(m.report);
	json_object_put(m.skipped_list);
	json_object_put(m.warnings);
	vm_view_drop(&m.vm);
	config_release(&m.vm.cfg);
	fvm_strv_free(m.vm.stores);
	if (m.vm.dirfd >= 0)
		close(m.vm.dirfd);
	free(m.vm.dir);
	return r;
}
