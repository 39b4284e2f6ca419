// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stack-discard.c - discard and commit of a VM that stands on frozen
 * layers: what they mean for its stack. snapshot.c has the theory of
 * operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "store/store.h"
#include "util/util.h"


/* Does a frozen layer hold @rel (or a whiteout, a file or an opaque dir above it)? */
static bool frozen_holds(int upper, const char *rel, const char *opaque_xattr)
{
	char p[4096];
	size_t len = strlen(rel);

	if (len >= sizeof(p))
		return true;
	memcpy(p, rel, len + 1);
	for (char *s = p;; s++) {
		struct stat st;
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (*p && fstatat(upper, p, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			_cleanup_close_ int fd = -1;
			char v[2];

			if (!c || !S_ISDIR(st.st_mode))
				return true;
			fd = openat(upper, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 && fgetxattr(fd, opaque_xattr, v, sizeof(v)) == 1 && v[0] == 'y')
				return true;
		} else if (*p) {
			return false;
		}
		if (!c)
			return false;
		*s = c;
	}
}

/**
 * stack_discard() - the part of discard that concerns @vm's frozen layers
 * (caller holds the VM's lock): all changes (@paths NULL) drops the stack
 * too (the snapshots stay, and can be restored); a path that a frozen
 * layer holds cannot be discarded alone (the layer is shared), so that is
 * refused, naming the ways that work. The live layers are the caller's.
 */
int stack_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err)
{
	static const struct layer_stack none;
	struct layer_stack s;
	_cleanup_close_ int pool = -1;
	const char *ox = vm->cfg.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
	int r = lifecycle_recover(vm, err);

	if (r == 0)
		r = stack_load(vm, &s, err);
	if (r < 0 || s.n == 0)
		return r;
	if (!paths) {
		if (vm_running(vm, NULL) == 0)
			return fvm_errf(err, -EBUSY, "VM '%s' is running on its frozen layers (snapshots): stop it with 'fvm stop %s' to discard all its changes",
					vm->cfg.name, vm->cfg.name);
		r = stack_save(vm, &none, err);
		if (r == 0)
			layers_gc(vm->store);
		return r;
	}
	pool = pool_open(vm->store, false);
	for (char *const *p = paths; pool >= 0 && *p; p++)
		for (size_t i = 0; i < s.n; i++) {
			_cleanup_close_ int l = openat(pool, s.v[i].id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char **mnts = NULL;
			size_t nm = 0;
			bool held = false;

			if (l < 0 || dir_names(l, &mnts, &nm) < 0)
				continue;
			for (size_t k = 0; !held && k < nm; k++) {
				char mp[4096], rel[300];
				const char *under;
				_cleanup_close_ int u = -1;

				if (layer_unescape(mnts[k], mp, sizeof(mp)) < 0 || !(under = path_under(*p, mp)))
					continue;
				snprintf(rel, sizeof(rel), "%s/upper", mnts[k]);
				u = openat(l, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				held = u >= 0 && (!*under || frozen_holds(u, under, ox));
			}
			fvm_strv_free(mnts);
			if (held)
				return fvm_errf(err, -EBUSY, "VM '%s': %s is changed in its frozen layers (snapshots), which discard does not touch: 'fvm discard %s' drops all its changes, 'fvm restore %s TAG' goes back to a snapshot",
						vm->cfg.name, *p, vm->cfg.name, vm->cfg.name);
		}
	return 0;
}

/**
 * stack_after_commit() - after a whole commit of the stopped @vm (caller
 * holds its lock; the commit refuses all if it refuses one change, so
 * every change landed): the VM's merged view is the host's now, so it
 * leaves its frozen layers (they stay for its snapshots) and its live
 * layers go, as a commit without a stack drops what it committed. Without
 * it, a directory a frozen layer made opaque would show as replaced for
 * ever. Best effort: the commit itself succeeded.
 */
void stack_after_commit(struct fvm_vm *vm)
{
	static const struct layer_stack none;
	struct layer_stack s;

	if (stack_load(vm, &s, NULL) < 0 || s.n == 0 || vm_running(vm, NULL) == 0)
		return;
	rm_rf_at(vm->dirfd, ".layers.dropped");
	if (stack_save(vm, &none, NULL) == 0 &&
	    renameat(vm->dirfd, "layers", vm->dirfd, ".layers.dropped") == 0)
		rm_rf_at(vm->dirfd, ".layers.dropped");
	layers_gc(vm->store);
}
