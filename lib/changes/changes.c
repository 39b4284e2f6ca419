// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * changes.c - what a VM changed, read from its overlay upper layers.
 *
 * Theory of operation. Each layer's upper directory is walked with
 * directory fds, in step with the host's directory at the same place
 * (opened with O_NOFOLLOW from the host mount's root, never leaving it),
 * and each entry is classified:
 *
 *   whiteout (char 0/0, or a 0-byte file with the overlay.whiteout xattr)
 *                      deleted (if the host still has the entry)
 *   directory          added (host has nothing), replaced (host has a
 *                      non-directory, or the dir is opaque: emptied and
 *                      remade, and every host entry not in it is deleted),
 *                      metadata (mode/owner differ), else just descended
 *   anything else      added, replaced (type differs), modified (content),
 *                      metadata (same size, mtime and bytes)
 *
 * Identical copy-ups (opened for writing, nothing changed) are not shown.
 * Overlay xattrs are trusted.overlay.* as root and user.overlay.* rootless.
 *
 * Conflicts: see conflict.c. Comparing an entry with the host's, and its
 * xattrs: entry.c. The layers the walk reads, opened: changeset.c.
 *
 * Every name and size read from a layer is bounded: a directory holding
 * paths of PATH_MAX or longer is not walked below, and its change says so
 * (a conflict that commit refuses even when forced); symlink targets are
 * read with a bound. The walk recurses (bounded by PATH_MAX: two bytes a
 * level at least) with small frames, its directory fds in two dw_stacks
 * (dirwalk.c) that keep a fixed number open however deep the tree; every
 * entry opened to be read is opened by open_entry(), never blocking.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

struct walk {
	long long opaque_t;     /* when the opaque directory being walked was made */
	bool in_opaque;         /* below an opaque directory: it hides the host's, too */
	struct fvm_vm *vm;
	struct changeset *cs;
	char *const *paths;
	const char *xprefix;    /* "trusted.overlay." or "user.overlay." */
	size_t layer;
	int err;
	struct dw_stack up, host;   /* where the walk is, in the layer and on the host */
	size_t max_depth;           /* levels the stack has room for (walk_depth_max()) */
};

#define TOO_LONG_WHY "holds paths longer than PATH_MAX (4096), which fvm cannot commit: discard them"
#define TOO_DEEP_WHY "holds directories too deep for fvm to walk with its stack size limit: discard them"

/* Stack bytes one level of the walk (or of commit's copy of a new tree)
 * takes at most, measured with -fstack-usage (about 900), with a margin. */
#define WALK_FRAME_BYTES 1536

/*
 * How deep the walk may recurse: DW_DEPTH_MAX (which PATH_MAX implies),
 * or less when the stack limit has no room for it (half of it is kept for
 * the rest of the program).
 */
static size_t walk_depth_max(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_STACK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur / 2 / WALK_FRAME_BYTES >= DW_DEPTH_MAX)
		return DW_DEPTH_MAX;
	return rl.rlim_cur / 2 / WALK_FRAME_BYTES;
}

/* Root mode, an id in a layer is in the range of the VM that wrote it:
 * its own, or (a frozen layer a clone stands on, snapshot.c) its source's;
 * every range is UID_RANGE ids of the region from UID_REGION_BASE. */
uid_t map_uid_to_host(const struct vm_config *cfg, uid_t uid)
{
	if (cfg->rootless)
		return uid;
	if (uid >= cfg->uid_base && uid - cfg->uid_base < cfg->uid_count)
		return uid - cfg->uid_base;
	if (uid >= UID_REGION_BASE && (unsigned long long)uid - UID_REGION_BASE <
	    (unsigned long long)UID_REGION_SLOTS * UID_RANGE)
		return (uid - UID_REGION_BASE) % UID_RANGE;
	return uid;
}

static bool want(const struct walk *w, const char *path)
{
	if (!w->paths)
		return true;
	for (char *const *p = w->paths; *p; p++)
		if (path_has_prefix(path, *p))
			return true;
	return false;
}

/* Is a wanted path at or below @path (so the walk must go down)? */
static bool toward(const struct walk *w, const char *path)
{
	if (!w->paths)
		return true;
	for (char *const *p = w->paths; *p; p++)
		if (path_has_prefix(*p, path) || path_has_prefix(path, *p))
			return true;
	return false;
}

static bool xattr_is(int dfd, const char *name, const struct walk *w, const char *key, const char *val)
{
	return layer_xattr_is(dfd, name, w->xprefix, w->vm->cfg.rootless, key, val);
}

static char type_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	default: return '?';
	}
}

static bool is_whiteout(const struct statx *x)
{
	return S_ISCHR(x->stx_mode) && x->stx_rdev_major == 0 && x->stx_rdev_minor == 0;
}

static void mark_conflict(struct walk *w, const char *path, const char *why)
{
	struct change *c = w->cs->n ? &w->cs->v[w->cs->n - 1] : NULL;

	if (c && !strcmp(c->path, path)) {
		c->pub.conflict = true;
		c->pub.conflict_why = why;
	}
}

static int add(struct walk *w, const char *path, size_t rel_off, enum fvm_change_kind kind,
	       const struct statx *up, const struct statx *host, bool implied)
{
	struct changeset *cs = w->cs;
	struct change *c;

	if (!want(w, path))
		return 0;
	if (cs->n % 256 == 0) {
		struct change *nv = realloc(cs->v, (cs->n + 256) * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		cs->v = nv;
	}
	c = &cs->v[cs->n];
	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	if (!c->path)
		return -ENOMEM;
	c->rel = c->path + rel_off;
	c->layer = w->layer;
	c->committed = cs->committed;
	c->implied = implied;
	if (up)
		c->up = *up;
	if (host) {
		c->host = *host;
		c->host_exists = true;
	}
	c->pub.path = c->path;
	c->pub.kind = kind;
	if (kind == FVM_CHANGE_DELETED) {
		c->pub.type = '-';
	} else {
		c->pub.type = type_of(up->stx_mode);
		c->pub.size = up->stx_size;
		c->pub.mode = up->stx_mode & 07777;
		c->pub.uid = map_uid_to_host(&w->vm->cfg, up->stx_uid);
		c->pub.gid = map_uid_to_host(&w->vm->cfg, up->stx_gid);
		if (host) {
			c->pub.mode_changed = !same_mode(&w->vm->cfg, up, host);
			c->pub.owner_changed = !same_owner(&w->vm->cfg, up, host);
		}
	}
	cs->n++;
	return 0;
}

static int walk_dir(struct walk *w, bool opaque, char *path, size_t plen, size_t rel_off);

static int walk_dir(struct walk *w, bool opaque, char *path, size_t plen, size_t rel_off);

/* Host entries under an opaque directory that the VM does not have: deleted. */
static int implied_deletions(struct walk *w, int host_dfd, char **upv, size_t upn, char *path,
			     size_t plen, size_t rel_off)
{
	char **hv = NULL;
	size_t hn = 0;
	int r = list_dir(host_dfd, &hv, &hn);

	for (size_t i = 0; r == 0 && i < hn; i++) {
		struct statx hx;

		if (list_has(upv, upn, hv[i]))
			continue;
		if (plen + 1 + strlen(hv[i]) >= PATH_MAX)
			continue;
		snprintf(path + plen, PATH_MAX - plen, "%s%s", plen > 1 ? "/" : "", hv[i]);
		if (in_store(w->vm, path) || store_below(w->vm, path))
			continue;   /* never delete what the VM could not see */
		if (statx(host_dfd, hv[i], AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &hx) == 0) {
			unsigned budget = 100000;

			r = add(w, path, rel_off, FVM_CHANGE_DELETED, NULL, &hx, true);
			if (r == 0 && host_tree_changed(host_dfd, hv[i], w->opaque_t, &budget))
				mark_conflict(w, path, "the host changed it after the VM deleted it");
		}
	}
	path[plen] = '\0';
	fvm_strv_free(hv);
	return r;
}

/* The change of @path, if it is one (searched from the end: a directory's
 * own change comes before those of its entries). */
static struct change *change_of(struct walk *w, const char *path)
{
	for (size_t i = w->cs->n; i-- > 0;)
		if (!strcmp(w->cs->v[i].path, path))
			return &w->cs->v[i];
	return NULL;
}

/*
 * The directory @path holds names that make paths of PATH_MAX or more:
 * fvm does not walk there, so its change says so (a conflict no --force
 * commits), and it can be discarded.
 */
static int too_long(struct walk *w, char *path, size_t rel_off, const char *why)
{
	struct statx ux, hx;
	int up = dw_fd(&w->up), host = dw_fd(&w->host);
	bool hexists = host >= 0 && statx(host, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &hx) == 0;
	struct change *c = change_of(w, path);
	int r;

	if (!c && want(w, path)) {
		if (statx(up, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &ux) < 0)
			return -errno;
		r = add(w, path, rel_off, hexists ? FVM_CHANGE_METADATA : FVM_CHANGE_ADDED, &ux,
			hexists ? &hx : NULL, false);
		if (r < 0)
			return r;
		c = &w->cs->v[w->cs->n - 1];
	}
	if (c) {
		c->too_long = true;
		c->pub.conflict = true;
		c->pub.conflict_why = why;
	}
	return 0;
}

/* What a symlink of the layer points at (not inlined: its buffer must not
 * sit in the frames of the walk's recursion). */
static __attribute__((noinline)) int read_target(int up_dfd, const char *name, struct change *c)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(up_dfd, name, buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	c->target = strdup(buf);
	c->pub.link_target = c->target;
	return c->target ? 0 : -ENOMEM;
}

/*
 * Go down into the directory @name (its statx @ux; @hexists and @hx: the
 * host's entry) with both trees in step, walk it, and climb back.
 */
static int descend(struct walk *w, const char *name, const struct statx *ux, bool hexists,
		   const struct statx *hx, bool opaque, char *path, size_t plen, size_t rel_off)
{
	int sub_up = dw_open_dir(dw_fd(&w->up), name), sub_host = -1, r, q;
	long long saved = w->opaque_t;

	if (sub_up < 0)
		return errno == ENOENT ? 0 : -errno;
	if (hexists && S_ISDIR(hx->stx_mode) && dw_fd(&w->host) >= 0)
		sub_host = dw_open_dir(dw_fd(&w->host), name);
	r = dw_push(&w->up, sub_up);
	if (r < 0) {
		if (sub_host >= 0)
			close(sub_host);
		return r;
	}
	r = dw_push(&w->host, sub_host);
	if (r < 0) {
		dw_pop(&w->up);
		return r;
	}
	if (opaque)
		w->opaque_t = taken_at(ux);
	r = walk_dir(w, opaque && sub_host >= 0, path, plen, rel_off);
	w->opaque_t = saved;
	q = dw_pop(&w->host);
	if (dw_pop(&w->up) < 0 || q < 0)
		r = r ? r : -ESTALE;
	return r;
}

/* A directory of the layer: what it is, then what is in it. */
static int walk_subdir(struct walk *w, const char *name, const struct statx *ux, bool hexists,
		       const struct statx *hx, char *path, size_t plen, size_t rel_off)
{
	int up_dfd = dw_fd(&w->up), host_dfd = dw_fd(&w->host), r = 0;
	/* below an opaque directory, a directory the VM made hides the host's
	 * too, marked or not: overlayfs does not look below an opaque one */
	bool opaque = xattr_is(up_dfd, name, w, "opaque", "y") || w->in_opaque;

	if (!toward(w, path))
		return 0;
	if (!hexists || !S_ISDIR(hx->stx_mode)) {
		r = add(w, path, rel_off, hexists ? FVM_CHANGE_REPLACED : FVM_CHANGE_ADDED, ux,
			hexists ? hx : NULL, false);
		if (r == 0 && hexists && (ts_ns(&hx->stx_ctime) > taken_at(ux) ||
					  ((hx->stx_mask & STATX_BTIME) && ts_ns(&hx->stx_btime) > taken_at(ux))))
			mark_conflict(w, path, "the host changed it after the VM replaced it");
	} else if (opaque) {
		unsigned budget = 100000;
		_cleanup_close_ int sub_host = dw_open_dir(host_dfd, name);
		char **hv = NULL;
		size_t hn = 0;
		bool changed = false;

		r = add(w, path, rel_off, FVM_CHANGE_REPLACED, ux, hx, false);
		/* the dir's own ctime moves with the VM's copy-up: look inside */
		if (sub_host >= 0 && list_dir(sub_host, &hv, &hn) == 0)
			for (size_t k = 0; !changed && k < hn; k++)
				changed = host_tree_changed(sub_host, hv[k], taken_at(ux), &budget);
		fvm_strv_free(hv);
		if (r == 0 && changed)
			mark_conflict(w, path, "the host changed what is in it after the VM emptied it");
	} else if (!same_mode(&w->vm->cfg, ux, hx) || !same_owner(&w->vm->cfg, ux, hx)) {
		r = add(w, path, rel_off, FVM_CHANGE_METADATA, ux, hx, false);
	}
	if (r == 0 && opaque && w->cs->n && !strcmp(w->cs->v[w->cs->n - 1].path, path))
		w->cs->v[w->cs->n - 1].opaque = true;
	if (r == 0)
		r = descend(w, name, ux, hexists, hx, opaque, path, plen, rel_off);
	return r;
}

/* A whiteout of the layer over the host's entry @hx: deleted. */
static int walk_deleted(struct walk *w, const char *path, size_t rel_off, const struct statx *ux,
			const struct statx *hx)
{
	int r = add(w, path, rel_off, FVM_CHANGE_DELETED, ux, hx, false);

	if (r == 0 && w->cs->n && !strcmp(w->cs->v[w->cs->n - 1].path, path)) {
		/* the host changed what the VM deleted */
		struct change *c = &w->cs->v[w->cs->n - 1];

		c->pub.conflict = conflict_of(c, false) != NULL;
		c->pub.conflict_why = c->pub.conflict ? "the host changed it after the VM deleted it" : NULL;
	}
	return r;
}

static int walk_entry(struct walk *w, const char *name, char *path, size_t plen, size_t rel_off)
{
	int up_dfd = dw_fd(&w->up), host_dfd = dw_fd(&w->host);
	struct statx ux, hx;
	bool hexists = false, tree_changed = false;
	int r = 0;

	if (statx(up_dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &ux) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (w->cs->farm[0] && S_ISDIR(ux.stx_mode)) {
		/* a merged view's directory: when the VM made it, in its layer */
		long long t = farm_taken(up_dfd, name);

		if (t > 0) {
			ux.stx_btime.tv_sec = t / 1000000000LL;
			ux.stx_btime.tv_nsec = (unsigned)(t % 1000000000LL);
			ux.stx_mask |= STATX_BTIME;
		}
	}
	if (host_dfd >= 0)
		hexists = statx(host_dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &hx) == 0;
	/* the store's own whiteouts are fvm's, not the VM's changes, and so
	 * are the directories fvm makes for package managers (fuseovl.c) */
	if (in_store(w->vm, path) ||
	    (w->vm->cfg.rootless && S_ISDIR(ux.stx_mode) && fuseovl_seed_unused(up_dfd, name)))
		return 0;
	if (is_whiteout(&ux) ||
	    (S_ISREG(ux.stx_mode) && ux.stx_size == 0 && xattr_is(up_dfd, name, w, "whiteout", NULL)))
		return hexists ? walk_deleted(w, path, rel_off, &ux, &hx) : 0;

	if (S_ISDIR(ux.stx_mode))
		return walk_subdir(w, name, &ux, hexists, &hx, path, plen, rel_off);

	if (!hexists) {
		/* came from the host (copy-up)? only possible where the host has the directory */
		bool copied = host_dfd >= 0 && xattr_is(up_dfd, name, w, "origin", NULL);

		r = add(w, path, rel_off, copied ? FVM_CHANGE_MODIFIED : FVM_CHANGE_ADDED, &ux, NULL, false);
		if (r == 0 && copied && want(w, path)) {
			w->cs->v[w->cs->n - 1].pub.conflict = true;
			w->cs->v[w->cs->n - 1].pub.conflict_why = "the host deleted it after the VM changed it";
		}
	} else if ((ux.stx_mode & S_IFMT) != (hx.stx_mode & S_IFMT)) {
		unsigned budget = 100000;

		r = add(w, path, rel_off, FVM_CHANGE_REPLACED, &ux, &hx, false);
		if (r == 0 && S_ISDIR(hx.stx_mode) && host_tree_changed(host_dfd, name, taken_at(&ux), &budget))
			tree_changed = true;
	} else if ((S_ISREG(ux.stx_mode) && ux.stx_size == hx.stx_size &&
		    ts_ns(&ux.stx_mtime) == ts_ns(&hx.stx_mtime) &&
		    (ux.stx_size == 0 || same_content(up_dfd, host_dfd, name))) ||
		   S_ISFIFO(ux.stx_mode) || S_ISSOCK(ux.stx_mode) ||
		   (S_ISLNK(ux.stx_mode) && same_target(up_dfd, host_dfd, name))) {
		bool meta = !same_mode(&w->vm->cfg, &ux, &hx) || !same_owner(&w->vm->cfg, &ux, &hx);

		if (meta)
			r = add(w, path, rel_off, FVM_CHANGE_METADATA, &ux, &hx, false);
	} else {
		r = add(w, path, rel_off, FVM_CHANGE_MODIFIED, &ux, &hx, false);
	}
	if (r == 0 && w->cs->n && hexists && !strcmp(w->cs->v[w->cs->n - 1].path, path)) {
		struct change *c = &w->cs->v[w->cs->n - 1];

		c->pub.conflict_why = tree_changed ? "the host changed it after the VM replaced it" :
						     conflict_of(c, false);
		c->pub.conflict = c->pub.conflict_why != NULL;
	}
	if (r == 0 && S_ISLNK(ux.stx_mode) && w->cs->n && !strcmp(w->cs->v[w->cs->n - 1].path, path))
		r = read_target(up_dfd, name, &w->cs->v[w->cs->n - 1]);
	return r;
}

/*
 * The directory at the top of w->up (and w->host: the host's directory
 * here, -1 when the host has none). @opaque: the upper one is opaque over
 * the host's (then host entries the VM lacks are deletions). Recursion is
 * bounded: every level adds at least two bytes to @path, which stays
 * below PATH_MAX (a directory holding longer paths is reported, not
 * walked); fds are bounded by the stacks (dirwalk.c).
 */
static int walk_dir(struct walk *w, bool opaque, char *path, size_t plen, size_t rel_off)
{
	bool saved = w->in_opaque, long_seen = false;
	char **names = NULL;
	size_t n = 0;
	int r = list_dir(dw_fd(&w->up), &names, &n);

	w->in_opaque = opaque || saved;
	for (size_t i = 0; r == 0 && i < n; i++) {
		size_t len = strlen(names[i]);

		if (plen + 1 + len >= PATH_MAX || w->up.depth > w->max_depth) {
			if (!long_seen)
				r = too_long(w, path, rel_off, plen + 1 + len >= PATH_MAX ? TOO_LONG_WHY : TOO_DEEP_WHY);
			long_seen = true;
			continue;
		}
		snprintf(path + plen, PATH_MAX - plen, "%s%s", plen > 1 ? "/" : "", names[i]);
		r = walk_entry(w, names[i], path, plen + (plen > 1 ? 1 : 0) + len, rel_off);
		path[plen] = '\0';
	}
	w->in_opaque = saved;
	if (r == 0 && opaque && dw_fd(&w->host) >= 0)
		r = implied_deletions(w, dw_fd(&w->host), names, n, path, plen, rel_off);
	fvm_strv_free(names);
	return r;
}

/* Does a deeper layer own @path (so this layer's entries there are hidden)? */
static bool owned_by_deeper(const struct changeset *cs, size_t layer, const char *path)
{
	for (size_t i = 0; i < layer; i++)
		if (path_has_prefix(path, cs->layers[i].mount))
			return true;
	return false;
}

/**
 * changes_collect() - every change of @vm under @paths (NULL: all),
 * each layer's entries in a pre-order walk (a directory before what is in it)
 */
int changes_collect(struct fvm_vm *vm, char *const *paths, struct changeset *cs,
		    struct fvm_error *err)
{
	struct walk w = { .vm = vm, .cs = cs, .paths = paths,
			  .xprefix = vm->cfg.rootless ? "user.overlay." : "trusted.overlay.",
			  .max_depth = walk_depth_max() };
	char path[PATH_MAX];
	int r;

	memset(cs, 0, sizeof(*cs));
	{
		_cleanup_free_ char *buf = NULL;

		if (read_small_fileat(vm->dirfd, "committed.json", &buf, NULL) == 0)
			cs->committed = json_tokener_parse(buf);
	}
	r = check_paths(vm, paths, err);
	if (r < 0)
		return r;
	r = layers_open(vm, cs, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cs->nlayers; i++) {
		const struct layer_ref *l = &cs->layers[i];
		size_t start = cs->n, keep = start;

		if (!toward(&w, l->mount))
			continue;
		w.layer = i;
		snprintf(path, sizeof(path), "%s", l->mount);
		r = dw_push(&w.up, fcntl(l->upper_fd, F_DUPFD_CLOEXEC, 3));
		if (r == 0)
			r = dw_push(&w.host, l->host_fd >= 0 ? fcntl(l->host_fd, F_DUPFD_CLOEXEC, 3) : -1);
		if (r == 0)
			r = walk_dir(&w, false, path, strlen(path), strcmp(l->mount, "/") ? strlen(l->mount) + 1 : 1);
		dw_free(&w.up);
		dw_free(&w.host);
		if (r == -EACCES && cs->n == start) {
			/* a layer root we cannot list (older stores): nothing the VM wrote */
			r = 0;
			continue;
		}
		if (r == -ESTALE)
			return fvm_errf(err, r, "VM '%s': its layer of %s changed while it was read (directories moved): "
					"run it again, or stop the VM first", vm->cfg.name, l->mount);
		if (r < 0)
			return fvm_errf(err, r, "VM '%s': cannot read its layer of %s: %s", vm->cfg.name,
					l->mount, strerror(-r));
		/* entries of a layer under a deeper layer's mount are not what the VM sees */
		for (size_t k = start; k < cs->n; k++) {
			if (owned_by_deeper(cs, i, cs->v[k].path)) {
				free(cs->v[k].path);
				free(cs->v[k].target);
				continue;
			}
			cs->v[keep++] = cs->v[k];
		}
		cs->n = keep;
	}
	return 0;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

struct diff_args {
	char *const *paths;
};

static int diff_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const struct diff_args *a = arg;
	struct changeset cs = { 0 };
	int r = changes_collect(vm, a->paths, &cs, err);

	if (r < 0)
		return r;
	if (cs.n)
		qsort(cs.v, cs.n, sizeof(*cs.v), path_cmp);
	for (size_t i = 0; r == 0 && i < cs.n; i++)
		r = cb->change(&cs.v[i].pub, cb->userdata);
	changes_free(&cs);
	return r;
}

/**
 * fvm_vm_diff() - call @fn for every change of @vm under @paths (NULL: all),
 * in path order. A non-zero return from @fn stops the walk and is returned.
 * --ids sub: read by a child that reaches the files of the VM's other
 * ids, @fn called here (vm_ids_run()).
 */
FVM_PUBLIC int fvm_vm_diff(struct fvm_vm *vm, char *const *paths, fvm_change_fn fn, void *userdata,
		struct fvm_error *err)
{
	const struct diff_args a = { paths };
	const struct ids_call cb = { .change = fn, .userdata = userdata };

	return vm_ids_run(vm, diff_do, &a, &cb, err);
}
