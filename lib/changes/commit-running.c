// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * commit-running.c - commits of a running VM: the committed entries stay in
 * its layer (see the theory at the top of commit.c) and are recorded in
 * committed.json; the next boot drops those the VM has not touched since.
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

void record_running_commit(struct commit *c)
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

/* The VM path of @op, in @buf. */
