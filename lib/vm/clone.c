// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * clone.c - a new VM from an existing one (clone), and a VM's new name
 * (rename).
 *
 * Clone. The source's live layers are frozen first (snapshot.c, as a
 * snapshot without a tag), so that source and clone stand on the same
 * frozen layers and each gets an empty upper of its own: nothing either
 * writes from then on reaches the other, and no file is copied. Of a
 * running source they are copied instead, its processes stopped
 * (snapshot-running.c), and only the clone stands on the copy. The
 * clone is built like a new VM (vm.c): under a temporary name in
 * STORE/vms, with the source's settings, its own name, creation time,
 * hostname (when the source's was its name) and, as root, its own uid
 * range; the source's layers keep their owners and are idmapped onto the
 * clone's range when it boots. One rename(2) (RENAME_NOREPLACE) makes it
 * exist. A crash before it leaves a directory STORE/vms/.new.NAME.PID
 * that is no VM (layers_gc() does not count it) and, as root, a range
 * recorded for a VM that does not exist (as fvm_vm_create() would).
 * --private directories are not layers and are not cloned: the clone
 * starts with empty ones.
 *
 * Rename. STORE/vms/NAME/rename.json records {from, to} (synced), then
 * one rename(2) of the directory is the step that commits; the config's
 * name (and hostname, if it was the name) and the uid range registry
 * follow, and the record goes. rename_finish(), run by fvm_vm_open()
 * before the config is read, completes a rename cut short after the
 * directory moved and forgets one cut short before. The stopped VM's
 * cgroup, named by its name, goes first: the helper that removes the
 * cgroup of a VM a run stopped leaves a renamed VM's alone (exec.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "policy/policy.h"
#include "store/store.h"
#include "vm/vm.h"

/* --ids sub: in a child that reaches its layers' files of its other ids (vm_ids_run()) */
static int recover_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	(void)arg;
	(void)cb;
	return lifecycle_recover(vm, err);
}

/* Open @name, lock it, finish what was cut short, and check it is stopped (rename). */
static int open_stopped(struct fvm_store *store, const char *name, const char *what,
			struct fvm_vm **ret, int *ret_lock, struct fvm_error *err)
{
	struct fvm_vm *vm = NULL;
	int lock, r = fvm_vm_open(store, name, &vm, err);

	if (r < 0)
		return r;
	lock = vm_lock(vm, err);
	r = lock < 0 ? lock : vm_ids_run(vm, recover_do, NULL, NULL, err);
	if (r == 0 && vm_running(vm, NULL) == 0)
		r = fvm_errf(err, -EBUSY, "VM '%s' is running: stop it with 'fvm stop %s' to %s it",
			     name, name, what);
	if (r < 0) {
		if (lock >= 0)
			close(lock);
		fvm_vm_free(vm);
		return r;
	}
	*ret = vm;
	*ret_lock = lock;
	return 0;
}

static int name_free(struct fvm_store *store, const char *name, struct fvm_error *err)
{
	int r = fvm_name_check(name, err);

	if (r == 0 && faccessat(store->vmsfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		r = fvm_errf(err, -EEXIST, "VM '%s' already exists in %s: pick another name, or remove it with 'fvm rm %s'",
			     name, store->path, name);
	return r;
}

/* The clone's directory @tmp: @src's settings as @dst's, and the stack @s. */
static int clone_fill(struct fvm_vm *src, const char *dst, const char *tmp, const struct layer_stack *s,
		      uid_t *ret_base, struct fvm_error *err)
{
	struct fvm_store *store = src->store;
	struct fvm_vm d = { .store = store };
	int r;

	d.dirfd = fcntl(src->dirfd, F_DUPFD_CLOEXEC, 3);
	snprintf(d.cfg.name, sizeof(d.cfg.name), "%s", src->cfg.name);
	r = d.dirfd < 0 ? -errno : config_load(&d, err);   /* a copy of its own */
	close(d.dirfd);
	if (r < 0)
		return r;
	d.dirfd = openat(store->vmsfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d.dirfd < 0 || asprintf(&d.dir, "%s/vms/%s", store->path, tmp) < 0) {
		r = fvm_errf(err, -errno, "cannot open %s/vms/%s: %s", store->path, tmp, strerror(errno));
		goto out;
	}
	if (!strcmp(d.cfg.hostname, src->cfg.name))
		snprintf(d.cfg.hostname, sizeof(d.cfg.hostname), "%s", dst);
	snprintf(d.cfg.name, sizeof(d.cfg.name), "%s", dst);
	d.cfg.created = (long long)time(NULL);
	if (!store->rootless) {
		r = idmap_allocate(store, dst, &d.cfg.uid_base, err);
		if (r < 0)
			goto out;
	}
	r = config_save(&d, err);
	if (r == 0)
		r = stack_save(&d, s, err);
	if (r == 0)
		*ret_base = d.cfg.uid_base;
	else if (!store->rootless)
		registry_release(store->path, dst, d.cfg.uid_base, NULL);
out:
	config_release(&d.cfg);
	if (d.dirfd >= 0)
		close(d.dirfd);
	free(d.dir);
	return r;
}

/* @src's changes as a stack of frozen layers: the live layers frozen
 * (stopped), or copied while its processes are stopped (running); the
 * store's lock is taken and left in *@slock. */
static int clone_stack(struct fvm_vm *vm, bool running, struct layer_copy_progress *p, struct layer_stack *ret,
		       int *slock, struct fvm_error *err)
{
	bool copied = false;
	int r = 0;

	if (running)
		r = live_copy(vm, p, &copied, err);
	else if (!live_layers_empty(vm) && (r = stack_make_room(vm, p, err)) == 0)
		r = stack_freeze(vm, NULL, err);
	if (r < 0)
		return r;
	*slock = store_lock(vm->store, err);
	if (*slock < 0)
		r = *slock;
	else if (running)
		r = snapshot_adopt_copy(vm, NULL, copied, ret, err);
	else
		r = stack_load(vm, ret, err);
	if (r < 0 && running)
		rm_rf_at(vm->dirfd, LIVE_COPY);
	return r;
}

/* The clone of @vm as @arg (the name); in vm_ids_run()'s child for --ids sub. */
static int clone_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	struct fvm_store *store = vm->store;
	const char *dst = arg;
	_cleanup_close_ int lock = -1, slock = -1;
	char tmp[FVM_NAME_MAX + 32];
	struct layer_copy_progress p;
	struct layer_stack s;
	bool running = false;
	uid_t base = 0;
	int r;

	snapshot_progress(&p, &(struct fvm_snapshot_opts){ cb->on_progress, cb->userdata });
	lock = snapshot_lock(vm, "clone", &running, err);
	r = lock < 0 ? lock : clone_stack(vm, running, &p, &s, &slock, err);
	if (r == 0)
		r = name_free(store, dst, err);
	snprintf(tmp, sizeof(tmp), ".new.%s.%d", dst, (int)getpid());
	if (r == 0) {
		rm_rf_at(store->vmsfd, tmp);
		if (mkdirat(store->vmsfd, tmp, 0700) < 0)
			r = fvm_errf(err, -errno, "cannot create %s/vms/%s: %s", store->path, tmp, strerror(errno));
		else
			r = clone_fill(vm, dst, tmp, &s, &base, err);
		if (r == 0 && renameat2(store->vmsfd, tmp, store->vmsfd, dst, RENAME_NOREPLACE) < 0)
			r = fvm_errf(err, -errno, "cannot create %s/vms/%s: %s", store->path, dst, strerror(errno));
		if (r < 0) {
			if (base)
				registry_release(store->path, dst, base, NULL);
			rm_rf_at(store->vmsfd, tmp);
		}
	}
	if (slock >= 0)
		close(TAKE_FD(slock));
	if (r < 0 && running)
		layers_gc(store);   /* the copy's layer, if it was made */
	return r;
}

FVM_PUBLIC int fvm_vm_clone(struct fvm_store *store, const char *src, const char *dst,
			    const struct fvm_snapshot_opts *opts, struct fvm_error *err)
{
	struct ids_call cb = { .on_progress = opts ? opts->on_progress : NULL,
			       .userdata = opts ? opts->userdata : NULL };
	struct fvm_vm *vm = NULL;
	int r = name_free(store, dst, err);

	if (r == 0)
		r = fvm_vm_open(store, src, &vm, err);
	if (r < 0)
		return r;
	r = vm_ids_run(vm, clone_do, dst, &cb, err);
	fvm_vm_free(vm);
	return r;
}

FVM_PUBLIC int fvm_vm_rename(struct fvm_store *store, const char *old, const char *new,
			     struct fvm_error *err)
{
	struct fvm_vm *vm = NULL;
	_cleanup_close_ int lock = -1, slock = -1;
	char rec[2 * FVM_NAME_MAX + 32];
	int r = name_free(store, new, err);

	if (r < 0)
		return r;
	r = open_stopped(store, old, "rename", &vm, &lock, err);
	if (r < 0)
		return r;
	cgroup_remove(vm);   /* stopped, under its lock; see the theory above */
	slock = store_lock(store, err);
	r = slock < 0 ? slock : name_free(store, new, err);
	snprintf(rec, sizeof(rec), "{\"from\":\"%s\",\"to\":\"%s\"}", old, new);   /* names are checked: no quotes */
	if (r == 0 && (r = write_fileat_atomic(vm->dirfd, "rename.json", rec, strlen(rec), 0600, true)) < 0)
		fvm_errf(err, r, "VM '%s': cannot write %s/rename.json: %s", old, vm->dir, strerror(-r));
	if (r == 0 && renameat2(store->vmsfd, old, store->vmsfd, new, RENAME_NOREPLACE) < 0) {
		r = fvm_errf(err, -errno, "VM '%s': cannot rename %s/vms/%s to %s: %s", old, store->path, old,
			     new, strerror(errno));
		unlinkat(vm->dirfd, "rename.json", 0);
	}
	if (r == 0 && (r = rename_finish(store, vm->dirfd, new)) < 0)
		fvm_errf(err, r, "VM '%s' is now '%s', but its config could not follow: %s; 'fvm ls' finishes it",
			 old, new, strerror(-r));
	fvm_vm_free(vm);
	return r;
}
