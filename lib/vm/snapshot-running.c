// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * snapshot-running.c - fvm_vm_snapshot(), of a stopped VM (a rename,
 * store/snapshot.c) or of a running one (a copy, made while its
 * processes are stopped), and the copy a clone of a running VM stands on.
 *
 * Theory of operation. A running VM's live uppers are in use by its
 * mounted overlays, which cannot take another upper, so its live layers
 * cannot become a frozen layer in place. Instead, under the VM's lock
 * (no `fvm run` joins meanwhile): its processes are stopped (freeze.c),
 * rootless the system's dirty data is written back (fuse-overlayfs may
 * hold a VM's writes in its page cache), the live uppers are copied to
 * STORE/vms/NAME/LIVE_COPY (store/layer-copy.c), the VM is scanned again
 * (a process that joined meanwhile may have written: the copy is made
 * again), and its processes run on. The copy is synced and, under the
 * store's lock, becomes a frozen layer that the snapshot (or the clone)
 * stands on, on top of the VM's stack (snapshot_adopt_copy()). The VM
 * itself goes on as it was, on its stack and its live layers: its own
 * stack does not change until it is stopped, so a later snapshot of it
 * copies what it has written since the last stop again. A kill of fvm
 * at any step thaws the VM (freeze.c) and leaves at worst LIVE_COPY,
 * which the next snapshot operation removes (lifecycle_recover()), or a
 * layer no one names, which layers_gc() removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/util.h"
#include "vm/vm.h"

static void progress_relay(uint64_t bytes, uint64_t entries, void *userdata)
{
	const struct fvm_snapshot_opts *o = userdata;
	struct fvm_progress p = { .entries_done = (size_t)entries, .bytes_done = bytes };

	o->on_progress(&p, o->userdata);
}

/**
 * snapshot_progress() - @p set to count from 0 and report to @opts'
 * on_progress (@opts may be NULL, or have none: then @p only counts)
 */
void snapshot_progress(struct layer_copy_progress *p, const struct fvm_snapshot_opts *opts)
{
	*p = (struct layer_copy_progress){ 0 };
	if (opts && opts->on_progress) {
		p->fn = progress_relay;
		p->userdata = (void *)opts;
	}
}

/* Copy the live layers once more, into a fresh LIVE_COPY, counted from 0 in @p. */
static int copy_once(struct fvm_vm *vm, struct layer_copy_progress *p, struct fvm_error *err)
{
	_cleanup_close_ int fd = -1;

	p->bytes = p->entries = 0;
	rm_rf_at(vm->dirfd, LIVE_COPY);
	if (mkdirat(vm->dirfd, LIVE_COPY, 0700) < 0 ||
	    (fd = openat(vm->dirfd, LIVE_COPY, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot make %s/%s: %s", vm->cfg.name, vm->dir, LIVE_COPY,
				strerror(errno));
	return layers_copy_live(vm, fd, p, err);
}

/**
 * live_copy() - copy the live layers of the running @vm (caller holds its
 * lock) to STORE/vms/NAME/LIVE_COPY as they are at one instant, its
 * processes stopped meanwhile; @p counts and reports the copy's entries
 * and bytes. *@ret_copied is false if it had no live changes (then
 * nothing is made). Return: 0 or -errno (no copy left).
 */
int live_copy(struct fvm_vm *vm, struct layer_copy_progress *p, bool *ret_copied, struct fvm_error *err)
{
	struct vm_freeze z;
	int r = stack_room(vm, err), attempt = 0;

	*ret_copied = false;
	if (r < 0)
		return r;
	r = vm_freeze(vm, &z, err);
	while (r == 0) {
		if (vm->cfg.rootless)
			sync();   /* a fuse-overlayfs' writeback cache: into the upper */
		if (live_layers_empty(vm))
			break;
		r = copy_once(vm, p, err);
		if (r == 0)
			r = vm_freeze_again(vm, &z, err);
		if (r == 0) {
			*ret_copied = true;
			break;
		}
		if (r > 0 && ++attempt < 3)
			r = 0;   /* someone came in while we copied: again */
		else if (r > 0)
			r = fvm_errf(err, -EAGAIN, "VM '%s': programs kept joining it while its layer was copied: try again",
				     vm->cfg.name);
	}
	vm_thaw(&z);
	if (r == 0 && *ret_copied) {
		_cleanup_close_ int fd = openat(vm->dirfd, LIVE_COPY, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0 || syncfs(fd) < 0)
			r = fvm_errf(err, -errno, "VM '%s': cannot sync %s/%s: %s", vm->cfg.name, vm->dir,
				     LIVE_COPY, strerror(errno));
	}
	if (r < 0) {
		rm_rf_at(vm->dirfd, LIVE_COPY);
		*ret_copied = false;
	}
	return r;
}

/* The snapshot @tag of the running @vm (caller holds its lock). */
static int snapshot_running(struct fvm_vm *vm, const char *tag, struct layer_copy_progress *p,
			    struct fvm_error *err)
{
	_cleanup_close_ int slock = -1;
	struct layer_stack s;
	bool copied;
	int r = live_copy(vm, p, &copied, err);

	if (r < 0)
		return r;
	slock = store_lock(vm->store, err);
	r = slock < 0 ? slock : snapshot_adopt_copy(vm, tag, copied, &s, err);
	if (r < 0)
		rm_rf_at(vm->dirfd, LIVE_COPY);
	return r;
}

static int snapshot_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const char *tag = arg;
	char t[TAG_MAX + 1];
	_cleanup_close_ int lock = -1;
	struct layer_copy_progress p;
	bool running = false;
	int r;

	snapshot_progress(&p, &(struct fvm_snapshot_opts){ cb->on_progress, cb->userdata });
	lock = snapshot_lock(vm, "snapshot", &running, err);
	if (lock < 0)
		return lock;
	r = snapshot_tag_pick(vm, tag, t, sizeof(t), err);
	if (r == 0 && !running && !live_layers_empty(vm))
		r = stack_make_room(vm, &p, err);
	if (r == 0)
		r = running ? snapshot_running(vm, t, &p, err) : stack_freeze(vm, t, err);
	if (r < 0 && running)
		layers_gc(vm->store);   /* a layer the kill-free failure left */
	if (r == 0 && cb->ret_len)
		snprintf(cb->ret, cb->ret_len, "%s", t);
	return r;
}

/* --ids sub: in a child that reaches the layers' files of its other ids (vm_ids_run()) */
FVM_PUBLIC int fvm_vm_snapshot(struct fvm_vm *vm, const char *tag, char *ret_tag, size_t len,
			       const struct fvm_snapshot_opts *opts, struct fvm_error *err)
{
	const struct ids_call cb = { .on_progress = opts ? opts->on_progress : NULL,
				     .userdata = opts ? opts->userdata : NULL,
				     .ret = ret_tag, .ret_len = ret_tag ? (len > TAG_MAX + 1 ? TAG_MAX + 1 : len) : 0 };

	return vm_ids_run(vm, snapshot_do, tag, &cb, err);
}
