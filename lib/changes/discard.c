// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * discard.c - dropping a VM's changes (all, or below given paths) from
 * its layers, but never what hides a store or a --hide: those whiteouts,
 * and the directories that lead to them, stay.
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

static int discard_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	char *const *paths = *(char *const *const *)arg;
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct changeset cs = { .live = true };
	int r;

	(void)cb;
	if (lock < 0)
		return lock;
	r = check_paths(vm, paths, err);
	if (r == 0)
		r = stack_discard(vm, paths, err);   /* the frozen layers (store/stack-discard.c) */
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

/**
 * fvm_vm_discard() - drop the VM's changes under @paths (NULL: all of
 * them); the VM then sees the host's files there again. What hides the
 * store from the VM is kept. --ids sub: in a child
 * that reaches the files of the VM's other ids (vm_ids_run()).
 */
FVM_PUBLIC int fvm_vm_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err)
{
	return vm_ids_run(vm, discard_do, &paths, NULL, err);
}
