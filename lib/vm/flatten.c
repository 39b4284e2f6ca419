// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * flatten.c - room on a full stack: the two lowest frozen layers of a
 * stopped VM merged into one.
 *
 * Theory of operation. A VM stands on at most STACK_MAX frozen layers. A
 * snapshot or clone of a stopped VM with live changes at the bound first
 * merges its two lowest layers, L0 under L1, into one new layer, as
 * overlayfs shows them (changes/stackview.c, layers_flatten(): L1's
 * whiteouts and opaque directories hide L0's entries, a directory over a
 * whiteout becomes opaque), in STORE/vms/NAME/FLAT_DIR, out of hard links
 * (one link per entry, no file copied: frozen layers are never written).
 * It is synced, then under the store's lock it joins the store's layers
 * (one rename(2)) and the VM's stack.json, written atomically, names it in
 * place of L0 and L1: the step that commits. A kill before it leaves the
 * old stack (FLAT_DIR is removed by the next snapshot operation); a kill
 * after the rename and before stack.json leaves a layer no one names,
 * which layers_gc() removes. L0 and L1 stay as long as a snapshot or a
 * clone stands on them. Two layers written by VMs of different uid ranges
 * (a clone's on its source's) cannot be one layer: then the snapshot is
 * refused, as without flattening.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changes/changes.h"
#include "store/store.h"
#include "util/util.h"
#include "vm/vm.h"

/* The merged layer in FLAT_DIR, synced. */
static int flatten_build(struct fvm_vm *vm, const struct layer_stack *s, struct layer_copy_progress *p,
			 struct fvm_error *err)
{
	_cleanup_close_ int fd = -1;
	int r;

	rm_rf_at(vm->dirfd, FLAT_DIR);
	if (mkdirat(vm->dirfd, FLAT_DIR, 0700) < 0 ||
	    (fd = openat(vm->dirfd, FLAT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot make %s/%s: %s", vm->cfg.name, vm->dir, FLAT_DIR,
				strerror(errno));
	r = layers_flatten(vm, s->v[0].id, s->v[1].id, fd, p, err);
	if (r == 0 && syncfs(fd) < 0)
		r = fvm_errf(err, -errno, "VM '%s': cannot sync %s/%s: %s", vm->cfg.name, vm->dir, FLAT_DIR,
			     strerror(errno));
	return r;
}

/**
 * stack_make_room() - if the stopped @vm's stack is full, merge its two
 * lowest frozen layers into one (caller holds the VM's lock; takes the
 * store's); @p (may be NULL) counts the merge's entries and bytes.
 * Return: 0, -E2BIG if they cannot be merged, or -errno.
 */
int stack_make_room(struct fvm_vm *vm, struct layer_copy_progress *p, struct fvm_error *err)
{
	struct layer_stack s, n = { .n = 1 };
	_cleanup_close_ int slock = -1;
	int r = stack_load(vm, &s, err);

	if (r < 0 || s.n < STACK_MAX)
		return r;
	if (s.v[0].base != s.v[1].base)
		return stack_room(vm, err);   /* the refusal, naming the ways out */
	r = flatten_build(vm, &s, p, err);
	if (r == 0 && (slock = store_lock(vm->store, err)) < 0)
		r = slock;
	if (r == 0)
		r = layer_adopt(vm, FLAT_DIR, n.v[0].id, err);
	if (r == 0) {
		n.v[0].base = s.v[0].base;
		for (size_t i = 2; i < s.n; i++)
			n.v[n.n++] = s.v[i];
		r = stack_save(vm, &n, err);
	}
	rm_rf_at(vm->dirfd, FLAT_DIR);
	if (slock >= 0)
		close(TAKE_FD(slock));
	layers_gc(vm->store);   /* L0 and L1 if nothing else stands on them; a layer a failure left */
	return r;
}
