// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * import-member.c - one member of a hostile archive checked and made in
 * the new VM's layer: its name (never twice, never below what fvm hides),
 * its place and parents (opened with O_NOFOLLOW one by one), its kind
 * (files, directories, symlinks, FIFOs, hard links to a file this archive
 * made in the same layer, OCI whiteouts; devices and set-id modes only with
 * their flags), its owner and its size against the bounds. The rules in
 * full, and the import around it: import.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <json-c/json.h>

#include "changes/import.h"

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->path, ((const struct seen *)b)->path);
}

void import_seen_free(void *p)
{
	struct seen *s = p;

	free(s->path);
	free(s);
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
		import_seen_free(s);
		return -ENOMEM;
	}
	if (*got != s) {
		import_seen_free(s);
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

		if (!xattr_is_users(xn) || ++nx > XFER_XATTRS_MAX ||
		    xs > 65536 || (t != AE_IFREG && t != AE_IFDIR)) {
			warn(m, "extended attributes other than user.* (and the layer's own marks) are not imported");
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
int import_member(struct imp *m, struct archive_entry *e)
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

