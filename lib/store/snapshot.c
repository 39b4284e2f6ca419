// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * snapshot.c - a VM's stack of frozen layers: snapshot, restore, forget.
 *
 * Theory of operation. A VM's changes are its live layers
 * (STORE/vms/NAME/layers/ESC/{upper,work}, layer.c) on top of a stack of
 * frozen ones, listed bottom first in STORE/vms/NAME/stack.json. A frozen
 * layer is STORE/layers/ID: what was once a VM's whole layers/ directory,
 * moved there by one rename(2), so freezing costs the same for ten files
 * as for a million. Frozen layers are never written again: at boot each
 * is an overlay lower of its mount, above the host's (mount.c asks
 * stack_config_lowers()), and so they can be shared by the snapshots of
 * the VM and by its clones. As root a layer's files are owned in the uid
 * range of the VM that wrote it ("base"); a clone with another range
 * sees it through an idmapped mount that maps that range onto its own.
 *
 *   snapshot TAG  the live layers become STORE/layers/ID, the stack grows
 *                 by ID, snapshots/TAG.json records the new stack; the
 *                 next boot starts with empty live layers. A VM without
 *                 live changes adds no layer: TAG records the stack as it is.
 *   restore TAG   the live layers are dropped, the stack becomes TAG's.
 *   forget TAG    snapshots/TAG.json goes; layers_gc() then removes every
 *                 frozen layer that no VM, snapshot or journal of the store
 *                 names.
 *
 * The stack is bounded by STACK_MAX (overlayfs allows 500 lowers; a
 * lookup walks them all): at the bound the two lowest layers of a stopped
 * VM are merged first (vm/flatten.c); a snapshot that still does not fit
 * is refused, naming the ways out. A running VM cannot give up its live layers (overlayfs cannot
 * swap the upper of a mounted overlay, and its processes would go on
 * writing into a "frozen" layer): its snapshot is a copy of them, made
 * while its processes are stopped (vm/snapshot-running.c), which
 * snapshot_adopt_copy() makes a frozen layer on top of its stack, the
 * VM's own stack unchanged.
 *
 * Crash safety. Each operation writes its intent to
 * STORE/vms/NAME/lifecycle.json (atomically, synced) before its one
 * irreversible step, and lifecycle_recover(), run under the VM's lock by
 * every later snapshot operation, by boot, commit and discard, finishes
 * it: a snapshot whose layer reached STORE/layers is rolled forward (the
 * stack and the tag written), one whose layer did not is rolled back (the
 * journal dropped: the live layers are untouched); a restore is always
 * rolled forward. So a kill at any step leaves the old or the new state.
 * layers_gc() runs under the store's lock, as do the steps that add a
 * layer to the store, so it never takes a layer a journal is about to name.
 *
 * Files: stack.c (stack.json, layer ids, the pool, adoption), layer-gc.c,
 * snapshot-journal.c (the journal, lifecycle_recover()), stack-discard.c
 * (discard and commit on a stack), this one (snapshot, restore, list,
 * remove).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "store/store.h"
#include "util/util.h"

/* A tag names a file: bounded, no '/', no leading '.' or '-', nothing unprintable. */
static int tag_check(const struct fvm_vm *vm, const char *tag, struct fvm_error *err)
{
	size_t n = tag ? strnlen(tag, TAG_MAX + 1) : 0;
	bool ok = n >= 1 && n <= TAG_MAX && tag[0] != '.' && tag[0] != '-';

	for (size_t i = 0; ok && i < n; i++)
		ok = (tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= 'A' && tag[i] <= 'Z') ||
		     (tag[i] >= '0' && tag[i] <= '9') || tag[i] == '.' || tag[i] == '_' || tag[i] == '-';
	if (ok)
		return 0;
	return fvm_errf(err, -EINVAL, "VM '%s': bad snapshot tag: use 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit",
			vm->cfg.name, TAG_MAX);
}

/* ---- snapshot ---------------------------------------------------------- */

/* Has the VM no live changes? (no layers dir, or only empty uppers) */
bool live_layers_empty(struct fvm_vm *vm)
{
	_cleanup_close_ int l = openat(vm->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **mnts = NULL;
	size_t nm = 0;
	bool empty = true;

	if (l < 0)
		return errno == ENOENT;
	if (dir_names(l, &mnts, &nm) < 0)
		return false;
	for (size_t i = 0; empty && i < nm; i++) {
		char rel[300];
		_cleanup_close_ int u = -1;
		char **e = NULL;
		size_t ne = 0;

		snprintf(rel, sizeof(rel), "%s/upper", mnts[i]);
		u = openat(l, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (u < 0)
			continue;
		empty = dir_names(u, &e, &ne) == 0 && ne == 0;
		fvm_strv_free(e);
	}
	fvm_strv_free(mnts);
	return empty;
}


/**
 * snapshot_lock() - lock @vm for a snapshot operation and finish what a
 * crash cut short; a running VM is refused unless @ret_running, which
 * then says whether it runs. Return: the lock's fd or -errno.
 */
int snapshot_lock(struct fvm_vm *vm, const char *what, bool *ret_running, struct fvm_error *err)
{
	int lock = vm_lock(vm, err), r;
	bool running;

	if (lock < 0)
		return lock;
	r = lifecycle_recover(vm, err);
	running = r == 0 && vm_running(vm, NULL) == 0;
	if (running && !ret_running)
		r = fvm_errf(err, -EBUSY, "VM '%s' is running: stop it with 'fvm stop %s' to %s it",
			     vm->cfg.name, vm->cfg.name, what);
	if (r < 0) {
		close(lock);
		return r;
	}
	if (ret_running)
		*ret_running = running;
	return lock;
}

/**
 * snapshot_tag_pick() - @tag checked and free, or (NULL) the next free
 * "snapN", into @buf of @len bytes.
 */
int snapshot_tag_pick(struct fvm_vm *vm, const char *tag, char *buf, size_t len, struct fvm_error *err)
{
	char f[TAG_MAX + 32];
	int r = tag ? tag_check(vm, tag, err) : 0;

	if (r < 0)
		return r;
	if (!tag) {
		for (unsigned i = 1;; i++) {
			snprintf(buf, len, "snap%u", i);
			snapshot_file(buf, f, sizeof(f));
			if (faccessat(vm->dirfd, f, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				return 0;
		}
	}
	snprintf(buf, len, "%s", tag);
	if (snapshot_file(tag, f, sizeof(f)) == 0 && faccessat(vm->dirfd, f, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return fvm_errf(err, -EEXIST, "VM '%s' has a snapshot '%s' already: pick another tag, or remove it with 'fvm snapshot --rm %s %s'",
				vm->cfg.name, tag, vm->cfg.name, tag);
	return 0;
}

/**
 * snapshot_adopt_copy() - make the copy of @vm's live layers in
 * STORE/vms/NAME/LIVE_COPY a frozen layer (one rename(2), the step that
 * commits) and, with @tag, record the snapshot @tag of @vm's stack and
 * that layer; NULL @tag: only the layer, for a clone. @vm's own stack
 * stays as it is: it runs on its live layers. Without @copied (the VM had
 * no live changes) no layer is added. *@ret is the new stack. The caller
 * holds the VM's and the store's locks (layers_gc() must not take the
 * layer before a snapshot or a clone names it). A kill after the rename
 * leaves a layer nothing names, which layers_gc() removes.
 */
int snapshot_adopt_copy(struct fvm_vm *vm, const char *tag, bool copied, struct layer_stack *ret,
			struct fvm_error *err)
{
	json_object *t, *a;
	int r = stack_load(vm, ret, err);

	if (r < 0 || !copied)
		goto record;
	if (ret->n >= STACK_MAX)
		return stack_full(vm, err);
	r = layer_adopt(vm, LIVE_COPY, ret->v[ret->n].id, err);
	if (r < 0)
		return r;
	ret->v[ret->n++].base = vm->cfg.rootless ? 0 : vm->cfg.uid_base;
record:
	if (r < 0 || !tag)
		return r;
	t = json_object_new_string(tag);
	a = stack_to_json(ret);
	r = snapshot_record(vm, t, (long long)time(NULL), a, err);
	json_object_put(t);
	json_object_put(a);
	return r;
}

/**
 * stack_freeze() - snapshot the stopped @vm (caller holds its lock; a
 * @tag is free, snapshot_tag_pick()): its
 * live layers become a frozen layer on top of its stack; with @tag, a
 * snapshot records the new stack. Takes the store's lock.
 */
int stack_freeze(struct fvm_vm *vm, const char *tag, struct fvm_error *err)
{
	_cleanup_close_ int lock = -1, pool = -1;
	struct layer_stack s;
	json_object *j;
	struct timespec now;
	int r = stack_load(vm, &s, err);

	if (r < 0)
		return r;
	clock_gettime(CLOCK_REALTIME, &now);
	j = json_object_new_object();
	json_object_object_add(j, "op", json_object_new_string("snapshot"));
	if (tag)
		json_object_object_add(j, "tag", json_object_new_string(tag));
	json_object_object_add(j, "created", json_object_new_int64(now.tv_sec));
	if (!live_layers_empty(vm)) {
		if (s.n >= STACK_MAX) {
			json_object_put(j);
			return stack_full(vm, err);
		}
		r = layer_new_id(s.v[s.n].id);
		s.v[s.n++].base = vm->cfg.rootless ? 0 : vm->cfg.uid_base;
		if (r == 0)
			json_object_object_add(j, "id", json_object_new_string(s.v[s.n - 1].id));
	}
	json_object_object_add(j, "layers", stack_to_json(&s));
	lock = store_lock(vm->store, err);
	if (r == 0 && lock < 0)
		r = lock;
	pool = r < 0 ? -1 : pool_open(vm->store, true);
	if (r == 0 && pool < 0)
		r = fvm_errf(err, pool, "cannot make %s/layers: %s", vm->store->path, strerror(-pool));
	if (r == 0)
		r = journal_begin(vm, j, err);
	if (r == 0 && json_object_object_get_ex(j, "id", NULL)) {
		/* the one step that commits: the live layers join the store */
		if (renameat(vm->dirfd, "layers", pool, s.v[s.n - 1].id) < 0) {
			r = fvm_errf(err, -errno, "VM '%s': cannot move %s/layers to %s/layers/%s: %s",
				     vm->cfg.name, vm->dir, vm->store->path, s.v[s.n - 1].id, strerror(errno));
			unlinkat(vm->dirfd, LIFECYCLE_JOURNAL, 0);
		} else {
			fsync(pool);
		}
	}
	if (r == 0)
		r = lifecycle_recover(vm, err);   /* the roll forward, as after a crash */
	json_object_put(j);
	return r;
}

/* The stack of snapshot @tag of @vm. */
static int snapshot_load(struct fvm_vm *vm, const char *tag, struct layer_stack *ret, long long *ret_created,
			 struct fvm_error *err)
{
	json_object *o = NULL, *a = NULL, *c = NULL;
	char f[TAG_MAX + 32];
	int r = tag_check(vm, tag, err);

	if (r < 0)
		return r;
	snapshot_file(tag, f, sizeof(f));
	r = json_object_at(vm->dirfd, f, &o);
	if (r == -ENOENT)
		return fvm_errf(err, -ENOENT, "VM '%s' has no snapshot '%s': 'fvm snapshots %s' lists them",
				vm->cfg.name, tag, vm->cfg.name);
	if (r == 0) {
		json_object_object_get_ex(o, "layers", &a);
		json_object_object_get_ex(o, "created", &c);
		r = stack_from_json(a, ret);
		if (ret_created)
			*ret_created = c ? json_object_get_int64(c) : 0;
	}
	if (o)
		json_object_put(o);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': its snapshot %s/%s cannot be read: %s", vm->cfg.name, vm->dir,
				f, strerror(-r));
	return 0;
}

static int restore_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	const char *tag = arg;
	_cleanup_close_ int lock = -1;
	struct layer_stack s;
	json_object *j;
	int r = tag_check(vm, tag, err);

	(void)cb;

	if (r < 0)
		return r;
	lock = snapshot_lock(vm, "restore", NULL, err);
	if (lock < 0)
		return lock;
	r = snapshot_load(vm, tag, &s, NULL, err);
	if (r < 0)
		return r;
	j = json_object_new_object();
	json_object_object_add(j, "op", json_object_new_string("restore"));
	json_object_object_add(j, "layers", stack_to_json(&s));
	r = journal_begin(vm, j, err);
	json_object_put(j);
	if (r == 0)
		r = lifecycle_recover(vm, err);
	if (r == 0)
		layers_gc(vm->store);
	return r;
}

/* --ids sub: in a child that reaches the layers' files of its other ids (vm_ids_run()) */
FVM_PUBLIC int fvm_vm_restore(struct fvm_vm *vm, const char *tag, struct fvm_error *err)
{
	return vm_ids_run(vm, restore_do, tag, NULL, err);
}

static int snapshot_remove_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb,
			      struct fvm_error *err)
{
	const char *tag = arg;
	_cleanup_close_ int lock = -1;
	struct layer_stack s;
	char f[TAG_MAX + 32];
	int r = tag_check(vm, tag, err);

	(void)cb;
	if (r < 0)
		return r;
	lock = vm_lock(vm, err);
	if (lock < 0)
		return lock;
	r = lifecycle_recover(vm, err);
	if (r == 0)
		r = snapshot_load(vm, tag, &s, NULL, err);
	if (r < 0)
		return r;
	snapshot_file(tag, f, sizeof(f));
	if (unlinkat(vm->dirfd, f, 0) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot remove %s/%s: %s", vm->cfg.name, vm->dir, f,
				strerror(errno));
	layers_gc(vm->store);
	return 0;
}

/* --ids sub: in a child that reaches the frozen layer's files of its other ids */
FVM_PUBLIC int fvm_vm_snapshot_remove(struct fvm_vm *vm, const char *tag, struct fvm_error *err)
{
	return vm_ids_run(vm, snapshot_remove_do, tag, NULL, err);
}

struct snap_entry {
	char tag[TAG_MAX + 1];
	long long created;
	struct layer_stack s;
};

static int by_created(const void *a, const void *b)
{
	const struct snap_entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->tag, y->tag);
}

FVM_PUBLIC int fvm_vm_snapshots(struct fvm_vm *vm, fvm_snapshot_fn fn, void *userdata,
				struct fvm_error *err)
{
	_cleanup_close_ int sd = openat(vm->dirfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int pool = pool_open(vm->store, false);
	_cleanup_free_ struct snap_entry *v = NULL;
	char **names = NULL;
	size_t n = 0, k = 0;
	int r = 0;

	if (sd < 0)
		return errno == ENOENT ? 0 : fvm_errf(err, -errno, "VM '%s': cannot open %s/snapshots: %s",
						     vm->cfg.name, vm->dir, strerror(errno));
	r = dir_names(sd, &names, &n);
	if (r == 0 && n && !(v = calloc(n, sizeof(*v))))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		size_t len = strlen(names[i]);

		if (len <= 5 || strcmp(names[i] + len - 5, ".json") || len - 5 > TAG_MAX)
			continue;
		snprintf(v[k].tag, sizeof(v[k].tag), "%.*s", (int)(len - 5), names[i]);
		if (snapshot_load(vm, v[k].tag, &v[k].s, &v[k].created, NULL) == 0)
			k++;
	}
	fvm_strv_free(names);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot list its snapshots: %s", vm->cfg.name, strerror(-r));
	if (k)
		qsort(v, k, sizeof(*v), by_created);
	for (size_t i = 0; r == 0 && i < k; i++) {
		struct fvm_snapshot pub = { .tag = v[i].tag, .created = (time_t)v[i].created,
					    .depth = (unsigned)v[i].s.n };

		/* its own layer: the top of its stack, unless it froze nothing new
		 * (then it shares the top with the snapshot before it) */
		if (v[i].s.n && pool >= 0 && !(i && v[i - 1].s.n == v[i].s.n &&
					       !strcmp(v[i - 1].s.v[v[i].s.n - 1].id, v[i].s.v[v[i].s.n - 1].id)))
			pub.size = tree_size_at(pool, v[i].s.v[v[i].s.n - 1].id);
		r = fn(&pub, userdata);
	}
	return r;
}
