// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * commit.c - applying a VM's changes to the host, and discarding them.
 *
 * Theory of operation. The layer was written by untrusted code, so:
 * host paths are opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * | RESOLVE_NO_XDEV) from the root of the mount the change belongs to,
 * and every operation acts on the parent directory's fd (a directory
 * swapped for a symlink mid-commit makes the resolution fail, it never
 * redirects a write); layer entries are opened the same way; device
 * nodes, set-id bits and file capabilities are refused unless allowed;
 * conflicts (changes.c) are refused unless forced; all or nothing: one
 * refusal stops the commit before any host file is touched.
 *
 * What lands is what the plan checked, even while the VM runs and changes
 * its layer: the plan is each entry's statx from the walk of the layer
 * (changes.c), the refusals are checked on it, and phase A opens each
 * entry once (open_entry(): O_PATH, no symlink followed, type checked on
 * the fd, only a regular file reopened O_RDONLY|O_NONBLOCK), requires its
 * statx on that fd to be the planned one (inode, mode, owner, size, mtime,
 * ctime: a chmod moves the ctime), copies its content from that fd and
 * gives it the plan's owner, mode and times. An entry that moved, or one
 * in a new directory that the plan did not see, stops the commit in phase
 * A (nothing on the host changed yet). Metadata changes apply the plan's
 * metadata, recorded in the journal. Set-id bits never land on a regular
 * file without allow_setid, whatever the layer says.
 *
 * Each change lands atomically: a regular file, symlink or fifo is made
 * under a temporary name in its target directory, with its content,
 * owner (mapped back from the VM's uid range), mode, times and user
 * xattrs; a directory the host lacks is built whole under a temporary
 * name. Once every temporary is written, one syncfs() per host file
 * system makes them durable (not an fsync per file in series), then each
 * is renamed over its target (RENAME_EXCHANGE where the host has another
 * type there, the old entry then removed), deletions and metadata changes
 * are applied, the file systems are synced again, and the committed
 * entries leave the layer, so the VM then sees the host's (new) file.
 *
 * The journal STORE/vms/NAME/commit.journal makes this crash-safe. It is
 * written (atomically, synced) before the first temporary is made, with
 * phase "prepared" and the temporary names, and again once all of them
 * are on disk, with phase "ready" and their inode numbers. A commit that
 * finds a journal first finishes the earlier one: "prepared" is rolled
 * back (its temporaries deleted: the host was not changed yet);
 * "ready" is rolled forward (each temporary renamed unless the target
 * already is that inode, deletions and metadata re-applied, entries
 * dropped from the layer). A host file is therefore always either its
 * old or its new self, and a rerun leaves nothing behind.
 *
 * A running VM can be committed, and nothing it does is lost: its
 * committed entries stay in its layer (overlayfs keeps using what it has
 * looked up, so unlinking them under it would send later writes to
 * orphaned inodes). They are the host's new files byte for byte, so diff
 * does not show them; files open in the VM go on as they were. A change
 * the VM makes to such a file later shows as a conflict (the host's copy
 * is newer than the VM's, by the commit itself): commit it with --force.
 * Stopping the VM, then 'fvm discard' of those paths, lets it see the
 * host's files directly again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "changes.h"
#include "dirwalk.h"
#include "hostmounts.h"
#include "snapshot.h"

enum op_kind { OP_FILE = 'F', OP_NEWDIR = 'N', OP_DELETE = 'D', OP_META = 'M' };

struct op {
	char kind;
	size_t layer;
	char *rel;               /* relative to the layer's mount */
	char tmp[64];            /* temporary name in the target's directory */
	unsigned long long ino;  /* of the temporary, once made */
	bool exchange;           /* host has another type there */
	bool failed;             /* could not be applied: stays in the layer */
	unsigned long long host_ino;   /* the host entry the plan replaces or deletes, 0: none */
	bool opaque;             /* the metadata of an opaque directory */
	const struct change *ch; /* what the plan checked (NULL: from the journal) */
	size_t nplanned;         /* OP_NEWDIR: entries the plan checked in it, itself included */
	bool have_meta;          /* OP_META: @meta is what to apply */
	struct statx meta;       /* mode, owner and times the plan checked */
};

struct commit {
	bool running;            /* the VM runs: its entries stay in the layer */
	struct fvm_vm *vm;
	const struct fvm_commit_opts *o;
	struct changeset cs;
	struct op *ops;
	size_t nops;
	char id[32];
	struct fvm_error *err;
	/* hard links inside the commit: upper inode -> the first one made, by
	 * its path from the host mount's root (no fd kept per link) */
	struct { unsigned long long ino; size_t layer; char *rel; } *links;
	size_t nlinks;
	const struct op *cur;           /* prepare(): the operation being made, at @cur_path */
	const char *cur_path;
	const struct change **byname;   /* the changes, sorted by path: what a new tree may hold */
	size_t made;                    /* entries made for the current operation */
	struct dw_stack up, out;        /* prepare(): where it is in the layer and on the host */
};

static const char *base_of(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

/* The directory holding @rel below @root, opened safely. */
static int parent_fd(int root, const char *rel)
{
	char dir[PATH_MAX];
	const char *s = strrchr(rel, '/');

	if (!s)
		return fcntl(root, F_DUPFD_CLOEXEC, 3);
	snprintf(dir, sizeof(dir), "%.*s", (int)(s - rel), rel);
	return open_beneath(root, dir, O_RDONLY | O_DIRECTORY);
}

static int fail(struct commit *c, int r, const char *what, const char *path)
{
	return fvm_errf(c->err, r, "VM '%s': commit stopped: %s %s: %s", c->vm->cfg.name, what,
			path, strerror(-r));
}

/* ---- journal ---------------------------------------------------------- */

/* The metadata a recovered OP_META applies: the plan's, not the layer's then. */
static void journal_meta(json_object *e, const struct statx *x)
{
	json_object *m = json_object_new_array();
	const long long v[] = { x->stx_mode, x->stx_uid, x->stx_gid, x->stx_atime.tv_sec, x->stx_atime.tv_nsec,
				x->stx_mtime.tv_sec, x->stx_mtime.tv_nsec };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		json_object_array_add(m, json_object_new_int64(v[i]));
	json_object_object_add(e, "meta", m);
}

static bool journal_meta_load(json_object *e, struct statx *x)
{
	json_object *m;
	long long v[7];

	if (!json_object_object_get_ex(e, "meta", &m) || !json_object_is_type(m, json_type_array) ||
	    json_object_array_length(m) != ARRAY_SIZE(v))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		v[i] = json_object_get_int64(json_object_array_get_idx(m, i));
	memset(x, 0, sizeof(*x));
	x->stx_mode = (uint16_t)v[0];
	x->stx_uid = (uint32_t)v[1];
	x->stx_gid = (uint32_t)v[2];
	x->stx_atime.tv_sec = v[3];
	x->stx_atime.tv_nsec = (uint32_t)v[4];
	x->stx_mtime.tv_sec = v[5];
	x->stx_mtime.tv_nsec = (uint32_t)v[6];
	return true;
}

static int journal_write(struct commit *c, const char *phase)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	const char *txt;
	int r;

	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "phase", json_object_new_string(phase));
	json_object_object_add(o, "ops", arr);
	for (size_t i = 0; i < c->nops; i++) {
		json_object *e = json_object_new_object();
		char k[2] = { c->ops[i].kind, 0 };

		json_object_object_add(e, "k", json_object_new_string(k));
		json_object_object_add(e, "mount", json_object_new_string(c->cs.layers[c->ops[i].layer].mount));
		json_object_object_add(e, "rel", json_object_new_string(c->ops[i].rel));
		json_object_object_add(e, "tmp", json_object_new_string(c->ops[i].tmp));
		json_object_object_add(e, "ino", json_object_new_int64((int64_t)c->ops[i].ino));
		json_object_object_add(e, "x", json_object_new_boolean(c->ops[i].exchange));
		json_object_object_add(e, "hino", json_object_new_int64((int64_t)c->ops[i].host_ino));
		if (c->ops[i].have_meta)
			journal_meta(e, &c->ops[i].meta);
		json_object_array_add(arr, e);
	}
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_fileat_atomic(c->vm->dirfd, "commit.journal", txt, strlen(txt), 0600, true);
	json_object_put(o);
	if (r == 0) {
		_cleanup_close_ int d = fcntl(c->vm->dirfd, F_DUPFD_CLOEXEC, 3);

		fsync(d);   /* the rename of the journal itself */
	}
	return r;
}

/* The journal, and the temporaries of journal writes cut short (under the lock). */
static void journal_remove(struct fvm_vm *vm)
{
	char **names = NULL;
	size_t n = 0;

	unlinkat(vm->dirfd, "commit.journal", 0);
	if (list_dir(vm->dirfd, &names, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (!strncmp(names[i], ".commit.journal.tmp.", 20))
				unlinkat(vm->dirfd, names[i], 0);
	fvm_strv_free(names);
}

static int refuse(struct commit *c, const char *path, const char *why)
{
	return fvm_errf(c->err, -EPERM, "VM '%s': not committed: %s %s; nothing was changed",
			c->vm->cfg.name, path, why);
}

/* ---- making entries on the host ---------------------------------------- */

/* Is the entry the plan checked (@x) one the host must refuse? */
static bool refused(const struct commit *c, const struct statx *x, const char **why)
{
	if ((S_ISCHR(x->stx_mode) || S_ISBLK(x->stx_mode)) && !c->o->allow_devices) {
		*why = "is a device node (use --allow-devices)";
		return true;
	}
	if (S_ISSOCK(x->stx_mode)) {
		*why = "is a socket, which cannot be committed";
		return true;
	}
	if (!c->o->allow_setid && S_ISREG(x->stx_mode) && (x->stx_mode & (S_ISUID | S_ISGID))) {
		*why = "has the set-uid or set-gid bit (use --allow-setid)";
		return true;
	}
	return false;
}

/* Does the entry open as @fd carry file capabilities that may not land? */
static bool refused_caps(const struct commit *c, int fd, const char **why)
{
	char proc[64];

	if (c->o->allow_setid || fd < 0)
		return false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (getxattr(proc, "security.capability", NULL, 0) >= 0) {
		*why = "has file capabilities (use --allow-setid)";
		return true;
	}
	return false;
}

/*
 * Is the layer's entry now (@now, on the fd commit reads it from) the one
 * the plan checked (@planned)? Anything the VM did to it since moves one
 * of these: then it is not applied.
 */
static bool same_entry(const struct statx *planned, const struct statx *now)
{
	return planned->stx_ino == now->stx_ino && planned->stx_mode == now->stx_mode &&
	       planned->stx_uid == now->stx_uid && planned->stx_gid == now->stx_gid &&
	       planned->stx_size == now->stx_size &&
	       planned->stx_mtime.tv_sec == now->stx_mtime.tv_sec &&
	       planned->stx_mtime.tv_nsec == now->stx_mtime.tv_nsec &&
	       planned->stx_ctime.tv_sec == now->stx_ctime.tv_sec &&
	       planned->stx_ctime.tv_nsec == now->stx_ctime.tv_nsec;
}

static int moved(struct commit *c, const char *path)
{
	size_t n = strlen(path);

	/* the reason first: a deep path would fill the message */
	return fvm_errf(c->err, -EBUSY,
			"VM '%s': not committed, the VM changed an entry while it was being committed; nothing was changed: "
			"run the commit again (or stop the VM first): %s%.300s", c->vm->cfg.name,
			n > 300 ? "..." : "", n > 300 ? path + n - 300 : path);
}

static int copy_data(int from, int to, uint64_t size)
{
	uint64_t left = size;

	while (left > 0) {
		ssize_t n = copy_file_range(from, NULL, to, NULL, left > (1u << 30) ? (1u << 30) : left, 0);

		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
			char buf[65536];

			while ((n = read(from, buf, sizeof(buf))) > 0)
				if (write_all(to, buf, (size_t)n) < 0)
					return -errno;
			return n < 0 ? -errno : 0;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break;   /* the file shrank under us: what we have is it */
		left -= (uint64_t)n;
	}
	return 0;
}

static void copy_xattrs(const struct commit *c, int from, int to)
{
	char names[8192];
	ssize_t n = flistxattr(from, names, sizeof(names));

	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *k = names + i;
		char val[65536];
		ssize_t v;

		if (!(strncmp(k, "user.", 5) == 0 && strncmp(k, "user.overlay.", 13)) &&
		    !(c->o->allow_setid && !strcmp(k, "security.capability")))
			continue;
		v = fgetxattr(from, k, val, sizeof(val));
		if (v >= 0)
			fsetxattr(to, k, val, (size_t)v, 0);
	}
}

/* Owner, mode and times of the new entry @name in @dfd, from @x. */
static int set_meta(const struct commit *c, int dfd, const char *name, const struct statx *x)
{
	struct timespec ts[2] = { { x->stx_atime.tv_sec, x->stx_atime.tv_nsec },
				  { x->stx_mtime.tv_sec, x->stx_mtime.tv_nsec } };
	const struct vm_config *cfg = &c->vm->cfg;

	struct stat cur;
	uid_t u = map_uid_to_host(cfg, x->stx_uid);
	gid_t g = map_uid_to_host(cfg, x->stx_gid);

	/* chown drops set-id bits and file capabilities: only when the owner
	 * really changes (the mode is set again below, capabilities after) */
	if (!cfg->rootless && fstatat(dfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (cur.st_uid != u || cur.st_gid != g) && fchownat(dfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(x->stx_mode)) {
		_cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		char proc[64];

		if (fd < 0)
			return -errno;
		mode_t mode = x->stx_mode & 07777;

		/* the plan refused set-id files; whatever happened since, none lands */
		if (S_ISREG(x->stx_mode) && !c->o->allow_setid)
			mode &= ~(mode_t)(S_ISUID | S_ISGID);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, mode) < 0)
			return -errno;
	}
	if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int make_tree(struct commit *c, int in, const char *name, const char *path,
		     const struct statx *x);

static int cmp_change_path(const void *a, const void *b)
{
	return strcmp((*(const struct change *const *)a)->path, (*(const struct change *const *)b)->path);
}

/* The change the plan checked at @path (an entry of a new directory). */
static const struct change *planned_at(const struct commit *c, const char *path)
{
	struct change key = { .path = (char *)path };
	const struct change *k = &key, **f;

	if (!c->byname)
		return NULL;
	f = bsearch(&k, c->byname, c->cs.n, sizeof(*c->byname), cmp_change_path);
	return f ? *f : NULL;
}

/* A symlink's target, read from the O_PATH fd checked (not inlined: its
 * buffer must not sit in the frames of make_tree's recursion). */
static __attribute__((noinline)) int make_symlink(struct commit *c, int in, int dfd, const char *name,
						  const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(in, "", target, sizeof(target) - 1);

	if (n < 0)
		return fail(c, -errno, "cannot read the layer's", path);
	target[n] = '\0';
	if (symlinkat(target, dfd, name) < 0)
		return fail(c, -errno, "cannot create the symlink", path);
	return 0;
}

/* The entry made for the VM path @path, as a path from its host mount's root:
 * below the temporary of the operation being made. */
static char *made_rel(const struct commit *c, const char *path)
{
	const char *rel = c->cur->rel, *slash = strrchr(rel, '/');
	char *r = NULL;

	if (asprintf(&r, "%.*s%s%s%s", slash ? (int)(slash - rel) : 0, rel, slash ? "/" : "", c->cur->tmp,
		     path + strlen(c->cur_path)) < 0)
		return NULL;
	return r;
}

static void remember_link(struct commit *c, const struct statx *x, const char *path)
{
	void *nl = realloc(c->links, (c->nlinks + 1) * sizeof(*c->links));
	char *rel = made_rel(c, path);

	if (nl)
		c->links = nl;
	if (nl && rel) {
		c->links[c->nlinks].ino = x->stx_ino;
		c->links[c->nlinks].layer = c->cur->layer;
		c->links[c->nlinks].rel = rel;
		c->nlinks++;
	} else {
		free(rel);   /* the next link is a copy: never wrong, only bigger */
	}
}

/* Make @name in @dfd a hard link to the entry already made for @x's inode. */
static int link_made(struct commit *c, const struct statx *x, int dfd, const char *name, const char *path,
		     bool *ret_done)
{
	*ret_done = false;
	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].ino == x->stx_ino && c->links[i].layer == c->cur->layer) {
			_cleanup_close_ int d = parent_fd(c->cs.layers[c->cur->layer].host_fd, c->links[i].rel);

			if (d < 0 || linkat(d, base_of(c->links[i].rel), dfd, name, 0) < 0)
				return fail(c, -errno, "cannot link", path);
			*ret_done = true;
			return 0;
		}
	return 0;
}

/* A regular file: content from the fd the plan's check was made on. */
static int make_file(struct commit *c, int in, int dfd, const char *name, const char *path,
		     const struct statx *x)
{
	_cleanup_close_ int out = -1;
	bool linked;
	int r;

	if (x->stx_nlink > 1 && ((r = link_made(c, x, dfd, name, path, &linked)) < 0 || linked))
		return r;
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return fail(c, -errno, "cannot create a temporary file for", path);
	/* the VM may still write the content (it is what it wrote); the type,
	 * owner and mode are those checked */
	r = copy_data(in, out, x->stx_size);
	if (r < 0)
		return fail(c, r, "cannot write", path);
	r = set_meta(c, dfd, name, x);
	if (r < 0)
		return fail(c, r, "cannot set owner, mode or times of", path);
	copy_xattrs(c, in, out);   /* after the owner: chown would drop capabilities */
	if (x->stx_nlink > 1)
		remember_link(c, x, path);
	return 0;
}

/*
 * Make @name in the directory at the top of c->out as a copy of @uname in
 * the one at the top of c->up: exactly the entry the plan checked
 * (@planned, the layer's statx then). It is opened once, without following
 * or blocking, and its statx on that fd must be the planned one; all that
 * lands (type, content, owner, mode) comes from that fd and that statx.
 */
static int make_entry(struct commit *c, const char *uname, const char *name, const char *path,
		      const struct statx *planned)
{
	int dfd = dw_fd(&c->out), r = 0;
	_cleanup_close_ int in = -1;
	const char *why;
	struct statx now;

	c->made++;
	if (refused(c, planned, &why))
		return refuse(c, path, why);
	in = open_entry(dw_fd(&c->up), uname, planned->stx_mode & S_IFMT, &now);
	if (in == -ENOENT || in == -EMEDIUMTYPE || (in >= 0 && !same_entry(planned, &now)))
		return moved(c, path);
	if (in < 0)
		return fail(c, in, "cannot read the layer's", path);
	if (S_ISREG(planned->stx_mode) && refused_caps(c, in, &why))
		return refuse(c, path, why);
	if (S_ISDIR(planned->stx_mode))
		return make_tree(c, TAKE_FD(in), name, path, planned);   /* no fd kept per level */
	if (S_ISREG(planned->stx_mode))
		return make_file(c, in, dfd, name, path, planned);
	if (S_ISLNK(planned->stx_mode))
		r = make_symlink(c, in, dfd, name, path);
	else if (S_ISFIFO(planned->stx_mode) && mkfifoat(dfd, name, 0600) < 0)
		r = fail(c, -errno, "cannot create the fifo", path);
	else if (!S_ISFIFO(planned->stx_mode) &&
		 mknodat(dfd, name, planned->stx_mode & ~(mode_t)07777,
			 makedev(planned->stx_rdev_major, planned->stx_rdev_minor)) < 0)
		r = fail(c, -errno, "cannot create the device", path);
	if (r == 0 && (r = set_meta(c, dfd, name, planned)) < 0)
		r = fail(c, r, "cannot set owner, mode or times of", path);
	return r;
}

static bool is_whiteout_at(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(0, 0);
}

/* Every entry of the directory at the top of c->up, made at the top of c->out. */
static int make_entries(struct commit *c, const char *path)
{
	char **names = NULL;
	size_t n = 0;
	int r = list_dir(dw_fd(&c->up), &names, &n);

	if (r < 0)
		return fail(c, r, "cannot read the layer's", path);
	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *sub = NULL;
		const struct change *ch;

		if (is_whiteout_at(dw_fd(&c->up), names[i]))
			continue;
		if (asprintf(&sub, "%s/%s", path, names[i]) < 0) {
			r = fvm_errf(c->err, -ENOMEM, "out of memory");
			break;
		}
		if (strlen(sub) >= PATH_MAX) {   /* the plan refused it: the VM made it since */
			r = moved(c, path);
			break;
		}
		if (in_store(c->vm, sub))
			continue;   /* what hides a store is fvm's, as in the plan */
		ch = planned_at(c, sub);
		/* the VM added it after the plan: it was never checked */
		r = ch && ch->pub.kind != FVM_CHANGE_DELETED ? make_entry(c, names[i], names[i], sub, &ch->up)
							     : moved(c, sub);
	}
	fvm_strv_free(names);
	return r;
}

/* A directory the host lacks: @name at the top of c->out becomes a copy of
 * the upper one open as @in (taken; its statx @x checked), built with a
 * fixed number of fds however deep (dirwalk.c). */
static int make_tree(struct commit *c, int in, const char *name, const char *path,
		     const struct statx *x)
{
	int out, r, q;

	if (mkdirat(dw_fd(&c->out), name, 0700) < 0) {
		close(in);
		return fail(c, -errno, "cannot create the directory", path);
	}
	out = dw_open_dir(dw_fd(&c->out), name);
	if (out < 0) {
		close(in);
		return fail(c, -errno, "cannot open the new directory", path);
	}
	r = dw_push(&c->out, out);
	if (r < 0) {
		close(in);
		return fail(c, r, "cannot open the new directory", path);
	}
	r = dw_push(&c->up, in);
	if (r < 0) {
		dw_pop(&c->out);
		return fail(c, r, "cannot read the layer's", path);
	}
	r = make_entries(c, path);
	q = dw_pop(&c->up);
	if (dw_pop(&c->out) < 0 || q < 0)
		r = r ? r : moved(c, path);
	if (r < 0)
		return r;
	r = set_meta(c, dw_fd(&c->out), name, x);
	return r < 0 ? fail(c, r, "cannot set owner, mode or times of", path) : 0;
}

/* ---- planning ----------------------------------------------------------- */

static int add_op(struct commit *c, char kind, const struct change *ch, bool exchange)
{
	struct op *nv, *op;

	if (c->nops % 256 == 0) {
		nv = realloc(c->ops, (c->nops + 256) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->ops = nv;
	}
	op = &c->ops[c->nops];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->layer = ch->layer;
	op->rel = strdup(ch->rel);
	if (!op->rel)
		return -ENOMEM;
	op->exchange = exchange;
	op->host_ino = ch->host_exists ? ch->host.stx_ino : 0;
	op->ch = ch;
	op->nplanned = 1;
	if (kind == OP_META) {
		op->meta = ch->up;
		op->have_meta = true;
	}
	if (kind != OP_META)   /* a temporary, or where a deletion is moved aside */
		snprintf(op->tmp, sizeof(op->tmp), ".fvm-commit-%s-%zu", c->id, c->nops);
	c->nops++;
	return 0;
}


/*
 * Is the VM's entry, as the plan saw it (@ch->up: the statx of the walk,
 * which is what commit will make, see make_entry()), one that may not
 * reach the host?
 */
static int check_entry(struct commit *c, const struct change *ch)
{
	_cleanup_close_ int up = -1, fd = -1;
	const char *why;

	if (ch->too_long)   /* the reason first: the path may fill the message */
		return fvm_errf(c->err, -EPERM,
				"VM '%s': not committed: a directory %s ('fvm discard %s PATH'); nothing was changed: %.300s%s",
				c->vm->cfg.name, ch->pub.conflict_why, c->vm->cfg.name, ch->path,
				strlen(ch->path) > 300 ? "..." : "");
	if (refused(c, &ch->up, &why))
		return refuse(c, ch->path, why);
	if (!S_ISREG(ch->up.stx_mode) || c->o->allow_setid)
		return 0;
	/* capabilities, for the plan's message (make_entry checks them again on its fd) */
	up = parent_fd(c->cs.layers[ch->layer].upper_fd, ch->rel);
	fd = up < 0 ? -1 : open_entry(up, base_of(ch->rel), 0, NULL);   /* O_PATH is enough for xattrs */
	if (fd >= 0 && refused_caps(c, fd, &why))
		return refuse(c, ch->path, why);
	return 0;
}

/* Turn the changes into operations; refuse conflicts and forbidden entries. */
static int plan(struct commit *c)
{
	const char *newdir = NULL;
	size_t conflicts = 0;
	const char *first = NULL;

	for (size_t i = 0; i < c->cs.n; i++) {
		struct change *ch = &c->cs.v[i];
		bool dir = ch->pub.type == 'd';
		int r = 0;

		if (c->o->plan && c->o->plan(&ch->pub, c->o->userdata))
			return -ECANCELED;
		/* a new directory is copied whole: its entries are part of it,
		 * each checked here as the plan saw it */
		if (newdir && path_has_prefix(ch->path, newdir)) {
			if (ch->pub.kind == FVM_CHANGE_DELETED)
				continue;   /* nothing to make (a whiteout make_tree skips) */
			c->ops[c->nops - 1].nplanned++;
			r = check_entry(c, ch);
			if (r < 0)
				return r;
			continue;
		}
		newdir = NULL;
		if (ch->pub.conflict && !c->o->force) {
			conflicts++;
			if (!first)
				first = ch->path;
		}
		/* nothing may remove or replace a directory that holds a store */
		if (store_below(c->vm, ch->path) &&
		    (ch->pub.kind == FVM_CHANGE_DELETED || (ch->pub.kind == FVM_CHANGE_REPLACED && !dir)))
			return refuse(c, ch->path, "holds what fvm hides from the VM (its store, or a --hide path), which a commit never removes");
		if (ch->pub.kind != FVM_CHANGE_DELETED) {
			r = check_entry(c, ch);
			if (r < 0)
				return r;
		}
		switch (ch->pub.kind) {
		case FVM_CHANGE_DELETED:
			r = add_op(c, OP_DELETE, ch, false);
			break;
		case FVM_CHANGE_METADATA:
			r = add_op(c, OP_META, ch, false);
			break;
		case FVM_CHANGE_ADDED:
		case FVM_CHANGE_MODIFIED:
		case FVM_CHANGE_REPLACED:
			if (dir && ch->host_exists && S_ISDIR(ch->host.stx_mode)) {
				/* opaque: entries are handled one by one; the dir itself is
				 * metadata, and must leave the layer once they are done */
				r = add_op(c, OP_META, ch, false);
				if (r == 0)
					c->ops[c->nops - 1].opaque = ch->opaque;
			} else if (dir) {
				r = add_op(c, OP_NEWDIR, ch, ch->host_exists);
				if (r == 0)   /* overlayfs made it opaque over the host's old entry */
					c->ops[c->nops - 1].opaque = true;
				newdir = ch->path;
			} else {
				r = add_op(c, OP_FILE, ch, ch->host_exists && S_ISDIR(ch->host.stx_mode));
			}
			break;
		default:
			break;
		}
		if (r < 0)
			return fvm_errf(c->err, r, "out of memory");
	}
	if (conflicts && !c->o->dry_run)
		return fvm_errf(c->err, -EBUSY,
				"VM '%s': %zu change%s in conflict with the host (first: %s); nothing was committed. "
				"See 'fvm diff %s', commit other paths, or use --force",
				c->vm->cfg.name, conflicts, conflicts == 1 ? " is" : "s are", first, c->vm->cfg.name);
	return 0;
}

/* Refuse before writing anything when a host file system lacks the space. */
static int check_space(struct commit *c)
{
	for (size_t l = 0; l < c->cs.nlayers; l++) {
		uint64_t need = 0;
		struct statvfs sv;

		for (size_t i = 0; i < c->nops; i++) {
			const struct op *op = &c->ops[i];

			if (op->layer != l || (op->kind != OP_FILE && op->kind != OP_NEWDIR))
				continue;
			if (op->kind == OP_NEWDIR) {
				_cleanup_close_ int p = parent_fd(c->cs.layers[l].upper_fd, op->rel);

				need += p >= 0 ? tree_size_at(p, base_of(op->rel)) : 0;
			} else {
				need += op->ch->up.stx_size;   /* the plan's size: never a path looked up again */
			}
		}
		if (!need || c->cs.layers[l].host_fd < 0 || fstatvfs(c->cs.layers[l].host_fd, &sv) < 0)
			continue;
		if (need > (uint64_t)sv.f_bavail * sv.f_frsize) {
			char a[32], b[32];

			format_size(need, a, sizeof(a));
			format_size((uint64_t)sv.f_bavail * sv.f_frsize, b, sizeof(b));
			return fvm_errf(c->err, -ENOSPC,
					"VM '%s': committing needs %s on %s, which has %s free; nothing was committed",
					c->vm->cfg.name, a, c->cs.layers[l].mount, b);
		}
	}
	return 0;
}

/* ---- the phases ------------------------------------------------------- */

static void progress(struct commit *c, size_t done, size_t total)
{
	if (c->o && c->o->progress && (done % 256 == 0 || done == total))
		c->o->progress(done, total, c->o->userdata);
}

/* A metadata change: is the layer's entry still the one the plan checked? */
static int verify_meta(struct commit *c, const struct op *op, const char *path)
{
	_cleanup_close_ int up = parent_fd(c->cs.layers[op->layer].upper_fd, op->rel), fd = -1;
	struct statx now;

	if (!op->ch)
		return 0;
	fd = up < 0 ? -ENOENT : open_entry(up, base_of(op->rel), op->ch->up.stx_mode & S_IFMT, &now);
	return fd >= 0 && same_entry(&op->ch->up, &now) ? 0 : moved(c, path);
}

/* One new entry (file or tree) of @op under its temporary name. */
static int prepare_one(struct commit *c, struct op *op, int hp, int up, const char *path)
{
	struct stat st;
	int r;

	c->made = 0;
	c->cur = op;
	c->cur_path = path;
	r = dw_push(&c->up, fcntl(up, F_DUPFD_CLOEXEC, 3));
	if (r == 0)
		r = dw_push(&c->out, fcntl(hp, F_DUPFD_CLOEXEC, 3));
	if (r < 0)
		r = fail(c, r, "cannot open the layer's directory of", path);
	else
		r = make_entry(c, base_of(op->rel), op->tmp, path, &op->ch->up);
	dw_free(&c->up);
	dw_free(&c->out);
	if (r < 0)
		return r;
	if (c->made != op->nplanned)   /* the VM removed some of it since the plan */
		return moved(c, path);
	if (fstatat(hp, op->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, -errno, "cannot stat the temporary of", path);
	op->ino = st.st_ino;
	return 0;
}

/* Phase A: every new entry under its temporary name, every metadata change
 * checked again: all exactly as planned, or nothing. */
static int prepare(struct commit *c)
{
	for (size_t i = 0; i < c->nops; i++) {
		struct op *op = &c->ops[i];
		const struct layer_ref *l = &c->cs.layers[op->layer];
		_cleanup_close_ int hp = -1, up = -1;
		char path[PATH_MAX];
		int r;

		progress(c, i, 2 * c->nops);
		snprintf(path, sizeof(path), "%s%s%s", l->mount, strcmp(l->mount, "/") ? "/" : "", op->rel);
		if (op->kind == OP_META && (r = verify_meta(c, op, path)) < 0)
			return r;
		if (op->kind != OP_FILE && op->kind != OP_NEWDIR)
			continue;
		hp = l->host_fd >= 0 ? parent_fd(l->host_fd, op->rel) : -1;
		if (hp < 0 && errno == ENOENT)
			return fvm_errf(c->err, -ENOENT,
					"VM '%s': the host has no directory for %s: commit its new parent directory with it; nothing was changed",
					c->vm->cfg.name, path);
		if (hp < 0)
			return fail(c, -errno, "cannot open (without following symlinks) the host directory of", path);
		up = parent_fd(l->upper_fd, op->rel);
		if (up < 0)
			return moved(c, path);
		r = prepare_one(c, op, hp, up, path);
		if (r < 0)
			return r;
	}
	return 0;
}

static void sync_hosts(struct commit *c)
{
	for (size_t l = 0; l < c->cs.nlayers; l++)
		if (c->cs.layers[l].host_fd >= 0)
			syncfs(c->cs.layers[l].host_fd);
}

/*
 * Undo phase A: remove the temporaries (the host's files were not
 * touched). Return: false if some could not be reached (a directory of
 * the host was swapped meanwhile): then the journal stays, for the next
 * commit to try again.
 */
static bool rollback(struct commit *c)
{
	bool all = true;

	for (size_t i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];
		_cleanup_close_ int hp = -1;

		if (!op->tmp[0] || op->kind == OP_DELETE || c->cs.layers[op->layer].host_fd < 0)
			continue;
		hp = parent_fd(c->cs.layers[op->layer].host_fd, op->rel);
		if (hp >= 0)
			rm_rf_at(hp, op->tmp);
		else if (errno != ENOENT)
			all = false;
	}
	return all;
}

/* Host-side metadata of a kept entry: the layer's, as the plan checked it
 * (never a fresh look at the layer: the VM may have changed it since). */
static int apply_meta(struct commit *c, const struct op *op, int hp)
{
	struct stat st;

	if (!op->have_meta)
		return 0;
	if (fstatat(hp, base_of(op->rel), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != (op->meta.stx_mode & S_IFMT))
		return -ESTALE;   /* the host put another type there since */
	return set_meta(c, hp, base_of(op->rel), &op->meta);
}

/*
 * Phase B for one operation: put it in place. Idempotent, so that a
 * crashed commit can be rolled forward: a target that already is the
 * temporary's inode is done.
 */
static int apply_one(struct commit *c, const struct op *op)
{
	const struct layer_ref *l = &c->cs.layers[op->layer];
	_cleanup_close_ int hp = l->host_fd >= 0 ? parent_fd(l->host_fd, op->rel) : -1;
	const char *name = base_of(op->rel);
	struct stat st;

	if (hp < 0)
		return -errno;
	switch (op->kind) {
	case OP_DELETE: {
		/*
		 * Move it aside first and check it is what the plan saw: a host
		 * that swapped another entry in since (say, a directory for a
		 * symlink) gets it back untouched, and the commit says so.
		 */
		const char *aside = op->tmp;

		if (fstatat(hp, name, &st, AT_SYMLINK_NOFOLLOW) < 0)   /* gone already (rerun) */
			return errno == ENOENT ? rm_rf_at(hp, aside) : -errno;
		if (renameat2(hp, name, hp, aside, RENAME_NOREPLACE) < 0)
			return -errno;
		if (fstatat(hp, aside, &st, AT_SYMLINK_NOFOLLOW) < 0 || (op->host_ino && st.st_ino != op->host_ino)) {
			renameat2(hp, aside, hp, name, RENAME_NOREPLACE);
			return -ESTALE;
		}
		return rm_rf_at(hp, aside);
	}
	case OP_META:
		return apply_meta(c, op, hp);
	default:
		break;
	}
	if (fstatat(hp, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == op->ino) {
		rm_rf_at(hp, op->tmp);   /* done; the old entry (exchange) may be left */
		return 0;
	}
	if (fstatat(hp, op->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != op->ino)
		return -ESTALE;
	if (op->exchange) {
		if (renameat2(hp, op->tmp, hp, name, RENAME_EXCHANGE) < 0)
			return -errno;
		/* the old entry is now at the temporary name: is it the planned one? */
		if (fstatat(hp, op->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != op->host_ino) {
			renameat2(hp, op->tmp, hp, name, RENAME_EXCHANGE);   /* give it back */
			return -ESTALE;
		}
		return rm_rf_at(hp, op->tmp);
	}
	return renameat(hp, op->tmp, hp, name) < 0 ? -errno : 0;
}

/* Phase C: the committed entry leaves the layer. */
static void drop_from_layer(struct commit *c, const struct op *op)
{
	_cleanup_close_ int up = parent_fd(c->cs.layers[op->layer].upper_fd, op->rel);
	const char *name = base_of(op->rel);
	struct stat st;

	if (up < 0 || fstatat(up, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (op->kind == OP_META && S_ISDIR(st.st_mode))
		unlinkat(up, name, AT_REMOVEDIR);   /* only if nothing is left in it */
	else
		rm_rf_at(up, name);
}

/*
 * A running VM keeps its committed entries (see the theory above); note
 * them in STORE/vms/NAME/committed.json with the time of the commit, so
 * that the host's change made by the commit is no conflict, and the next
 * boot drops the entries the VM has not touched since.
 */
static void record_running_commit(struct commit *c)
{
	_cleanup_free_ char *buf = NULL;
	struct timespec now;
	json_object *o = NULL;
	const char *txt;

	clock_gettime(CLOCK_REALTIME, &now);
	if (read_small_fileat(c->vm->dirfd, "committed.json", &buf, NULL) == 0)
		o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		if (o)
			json_object_put(o);
		o = json_object_new_object();
	}
	for (size_t i = 0; i < c->nops; i++) {
		const struct layer_ref *l = &c->cs.layers[c->ops[i].layer];
		char path[PATH_MAX];

		if (c->ops[i].failed)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", l->mount, strcmp(l->mount, "/") ? "/" : "", c->ops[i].rel);
		json_object_object_add(o, path, json_object_new_int64((int64_t)now.tv_sec * 1000000000LL + now.tv_nsec));
	}
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	write_fileat_atomic(c->vm->dirfd, "committed.json", txt, strlen(txt), 0600, true);
	json_object_put(o);
}

static int prune_entry(void *ud, int dfd, const char *name, int *ret_fd)
{
	long long t = *(const long long *)ud;
	struct statx x;

	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &x) < 0)
		return 0;
	if (S_ISDIR(x.stx_mode))
		*ret_fd = dw_open_dir(dfd, name);
	else if ((long long)x.stx_ctime.tv_sec * 1000000000LL + x.stx_ctime.tv_nsec <= t)
		unlinkat(dfd, name, 0);
	return 0;
}

static int prune_leave(void *ud, int dfd, const char *name)
{
	(void)ud;
	unlinkat(dfd, name, AT_REMOVEDIR);   /* only if nothing the VM changed is left */
	return 0;
}

/* Remove @name under @dfd, and what is in it, where the VM did not change
 * it after @t; directories go only once empty. A fixed number of fds
 * however deep (dirwalk.c). */
static void prune_untouched(int dfd, const char *name, long long t)
{
	static const struct dw_ops ops = { .entry = prune_entry, .leave = prune_leave };

	dw_tree(dfd, name, &ops, &t);
}

/**
 * commit_prune_recorded() - at boot (the VM is stopped): drop from the
 * layer what a commit of the running VM left there and the VM has not
 * changed since, so the VM sees the host's file again.
 */
void commit_prune_recorded(struct fvm_vm *vm)
{
	_cleanup_free_ char *buf = NULL;
	struct changeset cs = { .live = true };
	json_object *o;

	if (read_small_fileat(vm->dirfd, "committed.json", &buf, NULL) < 0)
		return;
	o = json_tokener_parse(buf);
	if (o && json_object_is_type(o, json_type_object) && layers_open(vm, &cs, NULL) == 0) {
		json_object_object_foreach(o, path, val) {
			long long t = json_object_get_int64(val);

			for (size_t i = 0; i < cs.nlayers; i++) {
				const char *rel = path_under(path, cs.layers[i].mount);
				_cleanup_close_ int up = -1;

				if (!rel || !*rel)
					continue;
				up = parent_fd(cs.layers[i].upper_fd, rel);
				if (up >= 0)
					prune_untouched(up, base_of(rel), t);
				break;
			}
		}
	}
	if (o)
		json_object_put(o);
	changes_free(&cs);
	unlinkat(vm->dirfd, "committed.json", 0);
}

/* The VM path of @op (a static buffer: one at a time). */
static const char *op_path(const struct commit *c, const struct op *op)
{
	static char path[PATH_MAX];
	const char *m = c->cs.layers[op->layer].mount;

	snprintf(path, sizeof(path), "%s%s%s", m, strcmp(m, "/") ? "/" : "", op->rel);
	return path;
}

/* A running VM's committed opaque directory: merged again from now on. */
static void unmark_opaque(struct commit *c, const struct op *op)
{
	_cleanup_close_ int up = parent_fd(c->cs.layers[op->layer].upper_fd, op->rel);
	_cleanup_close_ int fd = up < 0 ? -1 :
		openat(up, base_of(op->rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		fremovexattr(fd, c->vm->cfg.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque");
}

static int apply_all(struct commit *c)
{
	int r = 0;

	for (size_t i = 0; i < c->nops; i++) {
		int q = apply_one(c, &c->ops[i]);

		c->ops[i].failed = q < 0;
		progress(c, c->nops + i, 2 * c->nops);
		if (q < 0 && r == 0) {
			const struct layer_ref *l = &c->cs.layers[c->ops[i].layer];

			r = fvm_errf(c->err, q, "VM '%s': cannot apply %s%s%s: %s; run 'fvm commit %s' again to finish",
				     c->vm->cfg.name, l->mount, strcmp(l->mount, "/") ? "/" : "", c->ops[i].rel,
				     strerror(-q), c->vm->cfg.name);
		}
	}
	sync_hosts(c);
	for (size_t i = c->nops; i-- > 0;) {
		if (c->ops[i].failed)
			continue;
		if (!c->running)
			drop_from_layer(c, &c->ops[i]);
		else if (c->ops[i].opaque && !store_below(c->vm, op_path(c, &c->ops[i])))
			unmark_opaque(c, &c->ops[i]);   /* its content now is the host's (but
							 * never where it hides the store or a --hide) */
	}
	if (c->running)
		record_running_commit(c);
	progress(c, 2 * c->nops, 2 * c->nops);
	return r;
}

/* ---- recovery ----------------------------------------------------------- */

static size_t layer_index(struct commit *c, const char *mount)
{
	for (size_t i = 0; i < c->cs.nlayers; i++)
		if (!strcmp(c->cs.layers[i].mount, mount))
			return i;
	return (size_t)-1;
}

/* Is ".." a component of @rel? ("a..b" is a fine name) */
static bool has_dotdot(const char *rel)
{
	size_t n = strlen(rel);

	return !strcmp(rel, "..") || !strncmp(rel, "../", 3) || strstr(rel, "/../") ||
	       (n >= 3 && !strcmp(rel + n - 3, "/.."));
}

/* Read a journal left by a commit that did not finish into c->ops. */
static int journal_load(struct commit *c, bool *ready)
{
	_cleanup_free_ char *buf = NULL;
	json_object *o, *ops, *ph;
	int r = read_small_fileat(c->vm->dirfd, "commit.journal", &buf, NULL);

	if (r == -EFBIG) {
		/* bigger than the bound for small files: read it anyway, it is ours */
		_cleanup_close_ int fd = openat(c->vm->dirfd, "commit.journal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (1 << 30) || !(buf = malloc((size_t)st.st_size + 1)))
			return -EIO;
		if (read_all(fd, buf, (size_t)st.st_size) != st.st_size)
			return -EIO;
		buf[st.st_size] = '\0';
		r = 0;
	}
	if (r < 0)
		return r;
	o = json_tokener_parse(buf);
	if (!o || !json_object_object_get_ex(o, "ops", &ops) || !json_object_object_get_ex(o, "phase", &ph)) {
		if (o)
			json_object_put(o);
		return -EBADMSG;
	}
	*ready = !strcmp(json_object_get_string(ph), "ready");
	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		json_object *e = json_object_array_get_idx(ops, i), *k, *m, *rel, *tmp, *ino, *x;
		struct op *op;
		size_t li;

		if (!json_object_object_get_ex(e, "k", &k) || !json_object_object_get_ex(e, "mount", &m) ||
		    !json_object_object_get_ex(e, "rel", &rel) || !json_object_object_get_ex(e, "tmp", &tmp) ||
		    !json_object_object_get_ex(e, "ino", &ino) || !json_object_object_get_ex(e, "x", &x))
			continue;
		li = layer_index(c, json_object_get_string(m));
		if (li == (size_t)-1 || c->nops % 256 == 0) {
			struct op *nv = li == (size_t)-1 ? c->ops : realloc(c->ops, (c->nops + 256) * sizeof(*nv));

			if (!nv) {
				json_object_put(o);
				return -ENOMEM;
			}
			c->ops = nv;
			if (li == (size_t)-1)
				continue;
		}
		op = &c->ops[c->nops++];
		memset(op, 0, sizeof(*op));
		op->kind = json_object_get_string(k)[0];
		op->layer = li;
		op->rel = strdup(json_object_get_string(rel));
		snprintf(op->tmp, sizeof(op->tmp), "%s", json_object_get_string(tmp));
		op->ino = (unsigned long long)json_object_get_int64(ino);
		op->exchange = json_object_get_boolean(x);
		{
			json_object *hino;

			if (json_object_object_get_ex(e, "hino", &hino))
				op->host_ino = (unsigned long long)json_object_get_int64(hino);
		}
		op->have_meta = op->kind == OP_META && journal_meta_load(e, &op->meta);
		/* names come from our own journal, but bound them all the same;
		 * a metadata change without the plan's metadata is not applied */
		if (!op->rel || has_dotdot(op->rel) || strchr(op->tmp, '/') || (!op->tmp[0] && op->kind != OP_META) ||
		    (op->kind == OP_META && !op->have_meta)) {
			free(op->rel);
			c->nops--;
		}
	}
	json_object_put(o);
	return 0;
}

static void ops_free(struct commit *c)
{
	for (size_t i = 0; i < c->nops; i++)
		free(c->ops[i].rel);
	free(c->ops);
	c->ops = NULL;
	c->nops = 0;
	for (size_t i = 0; i < c->nlinks; i++)
		free(c->links[i].rel);
	free(c->links);
	c->links = NULL;
	c->nlinks = 0;
}

/* Finish (roll forward) or undo (roll back) a commit that was cut short. */
static int recover(struct commit *c)
{
	bool ready = false;
	int r;

	if (faccessat(c->vm->dirfd, "commit.journal", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	r = journal_load(c, &ready);
	if (r < 0)
		return fvm_errf(c->err, r, "VM '%s': the journal of an interrupted commit (%s/commit.journal) cannot be read: %s; "
				"check the host paths it names, then move it away",
				c->vm->cfg.name, c->vm->dir, strerror(-r));
	if (ready)
		r = apply_all(c);
	else if (!rollback(c))
		r = fvm_errf(c->err, -EAGAIN, "VM '%s': an interrupted commit left temporaries that cannot be reached now: run 'fvm commit %s' again",
			     c->vm->cfg.name, c->vm->cfg.name);
	if (r == 0)
		journal_remove(c->vm);
	ops_free(c);
	return r;
}

/* ---- public ------------------------------------------------------------- */

/**
 * fvm_vm_commit() - apply the VM's changes (under opts->paths, or all) to
 * the host, safely: see the theory of operation above.
 *
 * Return: 0, -EBUSY on conflicts, -EPERM for a refused entry, -ENOSPC, or
 * another -errno; nothing is changed on the host unless 0 is returned or
 * the message says to run the commit again to finish.
 */
FVM_PUBLIC int fvm_vm_commit(struct fvm_vm *vm, const struct fvm_commit_opts *opts, struct fvm_error *err)
{
	static const struct fvm_commit_opts none = { 0 };
	struct commit c = { .vm = vm, .o = opts ? opts : &none, .err = err };
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct timespec ts;
	int r;

	if (lock < 0)
		return lock;
	r = lifecycle_recover(vm, err);   /* a snapshot or restore cut short (snapshot.c) */
	if (r < 0)
		return r;
	c.running = vm_running(vm, NULL) == 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(c.id, sizeof(c.id), "%lx%05lx", (unsigned long)ts.tv_sec, (unsigned long)(ts.tv_nsec / 10000));
	r = layers_open(vm, &c.cs, err);
	if (r == 0 && !c.o->dry_run)
		r = recover(&c);
	changes_free(&c.cs);
	if (r == 0)
		r = changes_collect(vm, c.o->paths, &c.cs, err);
	if (r == 0)
		r = plan(&c);
	if (r == 0 && c.cs.n && !(c.byname = malloc(c.cs.n * sizeof(*c.byname))))
		r = fvm_errf(err, -ENOMEM, "out of memory");
	if (r == 0 && c.byname) {
		for (size_t i = 0; i < c.cs.n; i++)
			c.byname[i] = &c.cs.v[i];
		qsort(c.byname, c.cs.n, sizeof(*c.byname), cmp_change_path);
	}
	if (r == 0)
		r = check_space(&c);
	if (r == 0 && !c.o->dry_run && c.nops) {
		r = journal_write(&c, "prepared");
		if (r < 0)
			fvm_errf(err, r, "VM '%s': cannot write %s/commit.journal: %s", vm->cfg.name, vm->dir,
				 strerror(-r));
		if (r == 0) {
			r = prepare(&c);
			if (r == 0) {
				sync_hosts(&c);
				r = journal_write(&c, "ready");
			}
			if (r < 0 && rollback(&c))
				journal_remove(vm);   /* else it stays: the next commit rolls back */
		}
		if (r == 0) {
			r = apply_all(&c);
			if (r == 0)
				journal_remove(vm);
		}
	}
	ops_free(&c);
	free(c.byname);
	changes_free(&c.cs);
	if (r == 0 && !c.o->dry_run && !c.o->paths && !c.running)
		stack_after_commit(vm);   /* all of it landed: off its frozen layers (snapshot.c) */
	return r;
}

/*
 * Drop @name in the upper directory @dfd (VM path @path), but never what
 * hides a store: the whiteout stays, and so do the directories leading to
 * it, emptied of everything else.
 */
static int discard_at(struct fvm_vm *vm, int dfd, const char *name, const char *path)
{
	_cleanup_close_ int fd = -1;
	char **names = NULL;
	size_t n = 0;
	int r;

	if (in_store(vm, path))
		return 0;
	if (!store_below(vm, path) && strcmp(name, "."))
		return rm_rf_at(dfd, name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)   /* gone, or the VM's whiteout or file that hides a store: keep it */
		return 0;
	r = list_dir(fd, &names, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "", names[i]);
		r = discard_at(vm, fd, names[i], sub);
	}
	fvm_strv_free(names);
	return r;
}

/**
 * fvm_vm_discard() - drop the VM's changes under @paths (NULL: all of
 * them); the VM then sees the host's files there again. What hides the
 * store from the VM is kept.
 */
FVM_PUBLIC int fvm_vm_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err)
{
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct changeset cs = { .live = true };
	int r;

	if (lock < 0)
		return lock;
	r = check_paths(vm, paths, err);
	if (r == 0)
		r = stack_discard(vm, paths, err);   /* the frozen layers (snapshot.c) */
	if (r == 0)
		r = layers_open(vm, &cs, err);
	for (size_t i = 0; r == 0 && i < cs.nlayers; i++) {
		const struct layer_ref *l = &cs.layers[i];
		bool whole = !paths;

		for (char *const *p = paths; p && *p; p++)
			whole |= path_has_prefix(l->mount, *p);   /* the layer's mount is under P */
		if (whole) {
			r = discard_at(vm, l->upper_fd, ".", l->mount);
			continue;
		}
		for (char *const *p = paths; r == 0 && *p; p++) {
			const char *rel = path_under(*p, l->mount);
			bool deeper = false;
			_cleanup_close_ int up = -1;

			for (size_t k = 0; k < i; k++)
				deeper |= path_has_prefix(*p, cs.layers[k].mount);
			if (!rel || !*rel || deeper)
				continue;
			up = parent_fd(l->upper_fd, rel);
			if (up >= 0)
				r = discard_at(vm, up, base_of(rel), *p);
		}
	}
	changes_free(&cs);
	if (r < 0 && err && !err->msg[0])
		fvm_errf(err, r, "VM '%s': cannot discard changes: %s", vm->cfg.name, strerror(-r));
	return r;
}
