// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * conflict.c - did the host change what the VM changed, since?
 *
 * Conflicts: overlayfs copies a host file up at the VM's first write, so
 * the upper entry's birth time is the moment the VM took its copy. The
 * host changed it since if the host entry's ctime is later; the host made
 * it since (the VM added a path the host also added, or replaced the file)
 * if the host entry's birth time is later; the host deleted a file the VM
 * modified if the upper entry carries overlay's origin xattr (written at
 * copy-up: the file came from the host) and the host no longer has it.
 * Where the file system gives no birth time, the upper ctime stands in
 * (later, so fewer conflicts are found, never false ones).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

long long ts_ns(const struct statx_timestamp *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* When the VM took its copy: birth time of the upper entry, else its ctime. */
long long taken_at(const struct statx *up)
{
	return (up->stx_mask & STATX_BTIME) ? ts_ns(&up->stx_btime) : ts_ns(&up->stx_ctime);
}

const char *conflict_of(const struct change *c, bool from_host)
{
	long long t = taken_at(&c->up);
	json_object *v;

	/* what a commit of the running VM wrote on the host is not the host's change */
	if (c->committed && json_object_object_get_ex(c->committed, c->path, &v) &&
	    json_object_get_int64(v) > t)
		t = json_object_get_int64(v);

	if (!c->host_exists)
		return from_host ? "the host deleted it after the VM changed it" : NULL;
	if ((c->host.stx_mask & STATX_BTIME) && ts_ns(&c->host.stx_btime) > t)
		return "the host created it after the VM wrote it";
	if (ts_ns(&c->host.stx_ctime) > t)
		return "the host changed it after the VM copied it";
	return NULL;
}

struct tree_changed {
	long long t;
	unsigned *budget;
	bool changed;
};

static int changed_entry(void *ud, int dfd, const char *name, int *ret_fd)
{
	struct tree_changed *tc = ud;
	struct statx x;

	if (tc->changed)
		return 0;
	if (!(*tc->budget)--) {
		tc->changed = true;
		return 0;
	}
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &x) < 0)
		return 0;
	if (ts_ns(&x.stx_ctime) > tc->t || ((x.stx_mask & STATX_BTIME) && ts_ns(&x.stx_btime) > tc->t))
		tc->changed = true;
	else if (S_ISDIR(x.stx_mode))
		*ret_fd = dw_open_dir(dfd, name);
	return 0;
}

/*
 * Did the host change anything in the tree @name under @dfd after @t
 * (ns)? For changes that replace a whole host directory. Bounded: past
 * 100,000 entries the answer is yes (a conflict to look at, never a
 * silent loss); a fixed number of fds however deep (dirwalk.c).
 */
bool host_tree_changed(int dfd, const char *name, long long t, unsigned *budget)
{
	static const struct dw_ops ops = { .entry = changed_entry };
	struct tree_changed tc = { .t = t, .budget = budget };

	dw_tree(dfd, name, &ops, &tc);
	return tc.changed;
}
