// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * commit-entries.c - making a change's entries on the host under a
 * temporary name: the refusals checked on the plan's statx, the checks
 * that the layer's entry is still the planned one, content, owner, mode,
 * times, xattrs and hard links, and new directories built whole (see the
 * theory at the top of commit.c).
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

#include "changes/changes.h"
#include "util/util.h"

/* Is the entry the plan checked (@x) one the host must refuse? */
bool commit_refused(const struct commit *c, const struct statx *x, const char **why)
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
bool commit_refused_caps(const struct commit *c, int fd, const char **why)
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
bool commit_same_entry(const struct statx *planned, const struct statx *now)
{
	return planned->stx_ino == now->stx_ino && planned->stx_mode == now->stx_mode &&
	       planned->stx_uid == now->stx_uid && planned->stx_gid == now->stx_gid &&
	       planned->stx_size == now->stx_size &&
	       planned->stx_mtime.tv_sec == now->stx_mtime.tv_sec &&
	       planned->stx_mtime.tv_nsec == now->stx_mtime.tv_nsec &&
	       planned->stx_ctime.tv_sec == now->stx_ctime.tv_sec &&
	       planned->stx_ctime.tv_nsec == now->stx_ctime.tv_nsec;
}

int commit_moved(struct commit *c, const char *path)
{
	size_t n = strlen(path);

	/* the reason first: a deep path would fill the message */
	return fvm_errf(c->err, -EBUSY,
			"VM '%s': not committed, the VM changed an entry while it was being committed; nothing was changed: "
			"run the commit again (or stop the VM first): %s%.300s", c->vm->cfg.name,
			n > 300 ? "..." : "", n > 300 ? path + n - 300 : path);
}

static void copy_xattrs(const struct commit *c, int from, int to)
{
	char names[8192];
	ssize_t n = flistxattr(from, names, sizeof(names));

	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *k = names + i;
		char val[65536];
		ssize_t v;

		if (!xattr_is_users(k) &&
		    !(c->o->allow_setid && !strcmp(k, "security.capability")))
			continue;
		v = fgetxattr(from, k, val, sizeof(val));
		if (v >= 0)
			fsetxattr(to, k, val, (size_t)v, 0);
	}
}

/* Owner, mode and times of the new entry @name in @dfd, from @x. */
int commit_set_meta(const struct commit *c, int dfd, const char *name, const struct statx *x)
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
		/* rootless, what lands is the user's: an entry of another VM id
		 * (--ids sub) never becomes set-id as the user */
		if (cfg->rootless && (x->stx_uid != c->vm->store->uid || x->stx_gid != c->vm->store->gid))
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

int cmp_change_path(const void *a, const void *b)
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
		return commit_fail(c, -errno, "cannot read the layer's", path);
	target[n] = '\0';
	if (symlinkat(target, dfd, name) < 0)
		return commit_fail(c, -errno, "cannot create the symlink", path);
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
				return commit_fail(c, -errno, "cannot link", path);
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
		return commit_fail(c, -errno, "cannot create a temporary file for", path);
	/* the VM may still write the content (it is what it wrote); the type,
	 * owner and mode are those checked */
	r = copy_fd_data(in, out, x->stx_size);
	if (r < 0)
		return commit_fail(c, r, "cannot write", path);
	c->pr.bytes_done += x->stx_size;
	r = commit_set_meta(c, dfd, name, x);
	if (r < 0)
		return commit_fail(c, r, "cannot set owner, mode or times of", path);
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
int commit_make_entry(struct commit *c, const char *uname, const char *name, const char *path,
		      const struct statx *planned)
{
	int dfd = dw_fd(&c->out), r = 0;
	_cleanup_close_ int in = -1;
	const char *why;
	struct statx now;

	c->made++;
	c->pr.entries_done++;
	if (c->o->on_progress && c->pr.entries_done % 32 == 0)
		c->o->on_progress(&c->pr, c->o->userdata);
	if (commit_refused(c, planned, &why))
		return commit_refuse(c, path, why);
	in = open_entry(dw_fd(&c->up), uname, planned->stx_mode & S_IFMT, &now);
	if (in == -ENOENT || in == -EMEDIUMTYPE || (in >= 0 && !commit_same_entry(planned, &now)))
		return commit_moved(c, path);
	if (in < 0)
		return commit_fail(c, in, "cannot read the layer's", path);
	if (S_ISREG(planned->stx_mode) && commit_refused_caps(c, in, &why))
		return commit_refuse(c, path, why);
	if (S_ISDIR(planned->stx_mode))
		return make_tree(c, TAKE_FD(in), name, path, planned);   /* no fd kept per level */
	if (S_ISREG(planned->stx_mode))
		return make_file(c, in, dfd, name, path, planned);
	if (S_ISLNK(planned->stx_mode))
		r = make_symlink(c, in, dfd, name, path);
	else if (S_ISFIFO(planned->stx_mode) && mkfifoat(dfd, name, 0600) < 0)
		r = commit_fail(c, -errno, "cannot create the fifo", path);
	else if (!S_ISFIFO(planned->stx_mode) &&
		 mknodat(dfd, name, planned->stx_mode & ~(mode_t)07777,
			 makedev(planned->stx_rdev_major, planned->stx_rdev_minor)) < 0)
		r = commit_fail(c, -errno, "cannot create the device", path);
	if (r == 0 && (r = commit_set_meta(c, dfd, name, planned)) < 0)
		r = commit_fail(c, r, "cannot set owner, mode or times of", path);
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
		return commit_fail(c, r, "cannot read the layer's", path);
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
			r = commit_moved(c, path);
			break;
		}
		if (in_store(c->vm, sub))
			continue;   /* what hides a store is fvm's, as in the plan */
		ch = planned_at(c, sub);
		/* the VM added it after the plan: it was never checked */
		r = ch && ch->pub.kind != FVM_CHANGE_DELETED ? commit_make_entry(c, names[i], names[i], sub, &ch->up)
							     : commit_moved(c, sub);
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
		return commit_fail(c, -errno, "cannot create the directory", path);
	}
	out = dw_open_dir(dw_fd(&c->out), name);
	if (out < 0) {
		close(in);
		return commit_fail(c, -errno, "cannot open the new directory", path);
	}
	r = dw_push(&c->out, out);
	if (r < 0) {
		close(in);
		return commit_fail(c, r, "cannot open the new directory", path);
	}
	r = dw_push(&c->up, in);
	if (r < 0) {
		dw_pop(&c->out);
		return commit_fail(c, r, "cannot read the layer's", path);
	}
	r = make_entries(c, path);
	q = dw_pop(&c->up);
	if (dw_pop(&c->out) < 0 || q < 0)
		r = r ? r : commit_moved(c, path);
	if (r < 0)
		return r;
	r = commit_set_meta(c, dw_fd(&c->out), name, x);
	return r < 0 ? commit_fail(c, r, "cannot set owner, mode or times of", path) : 0;
}
