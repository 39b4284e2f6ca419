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
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "store/store.h"
#include "util/util.h"

#define JOURNAL "lifecycle.json"

static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != LAYER_ID_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

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

/* ---- stacks as JSON ------------------------------------------------------ */

static json_object *stack_to_json(const struct layer_stack *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(s->v[i].id));
		json_object_object_add(o, "base", json_object_new_int64(s->v[i].base));
		json_object_array_add(a, o);
	}
	return a;
}

/* Parse a "layers" array; every id is checked: it names a directory. */
static int stack_from_json(json_object *a, struct layer_stack *ret)
{
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (!a || !json_object_is_type(a, json_type_array))
		return -EINVAL;
	n = json_object_array_length(a);
	if (n > STACK_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i), *id, *base;

		if (!json_object_object_get_ex(o, "id", &id) || !json_object_object_get_ex(o, "base", &base) ||
		    !json_object_is_type(id, json_type_string) || !id_ok(json_object_get_string(id)))
			return -EINVAL;
		snprintf(ret->v[i].id, sizeof(ret->v[i].id), "%s", json_object_get_string(id));
		ret->v[i].base = (unsigned)json_object_get_int64(base);
	}
	ret->n = n;
	return 0;
}

static int json_load_at(int dirfd, const char *name, json_object **ret)
{
	_cleanup_free_ char *buf = NULL;
	int r = read_small_fileat(dirfd, name, &buf, NULL);

	if (r < 0)
		return r;
	*ret = json_tokener_parse(buf);
	return *ret ? 0 : -EINVAL;
}

static int json_save_at(int dirfd, const char *name, json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	return write_fileat_atomic(dirfd, name, t, strlen(t), 0600, true);
}

/**
 * stack_load() - the frozen layers of @vm, bottom first (none: n = 0)
 */
int stack_load(struct fvm_vm *vm, struct layer_stack *ret, struct fvm_error *err)
{
	json_object *o = NULL, *a = NULL;
	int r = json_load_at(vm->dirfd, "stack.json", &o);

	memset(ret, 0, sizeof(*ret));
	if (r == -ENOENT)
		return 0;
	if (r == 0) {
		json_object_object_get_ex(o, "layers", &a);
		r = stack_from_json(a, ret);
	}
	if (o)
		json_object_put(o);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': %s/stack.json (its frozen layers) cannot be read: %s",
				vm->cfg.name, vm->dir, strerror(-r));
	return 0;
}

int stack_save(struct fvm_vm *vm, const struct layer_stack *s, struct fvm_error *err)
{
	json_object *o = json_object_new_object();
	int r;

	json_object_object_add(o, "layers", stack_to_json(s));
	r = json_save_at(vm->dirfd, "stack.json", o);
	json_object_put(o);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write %s/stack.json: %s", vm->cfg.name, vm->dir,
				strerror(-r));
	return 0;
}

/* STORE/layers, made if @create */
int pool_open(struct fvm_store *store, bool create)
{
	int fd;

	if (create && mkdirat(store->dirfd, "layers", 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(store->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ---- garbage collection ------------------------------------------------- */

static void mark_stack(json_object *a, char ***ids, size_t *n)
{
	struct layer_stack s;

	if (stack_from_json(a, &s) == 0)
		for (size_t i = 0; i < s.n; i++)
			strv_push(ids, n, s.v[i].id);
}

static void mark_file(int dfd, const char *name, const char *key, char ***ids, size_t *n)
{
	json_object *o = NULL, *a;

	if (json_load_at(dfd, name, &o) == 0) {
		if (json_object_object_get_ex(o, key, &a))
			mark_stack(a, ids, n);
		if (json_object_object_get_ex(o, "id", &a) && json_object_is_type(a, json_type_string))
			strv_push(ids, n, json_object_get_string(a));
	}
	if (o)
		json_object_put(o);
}

/* Every layer id a VM dir names: its stack, its snapshots, its journal. */
static void mark_vm(int vmsfd, const char *name, char ***ids, size_t *n)
{
	_cleanup_close_ int d = openat(vmsfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int sd = -1;
	char **tags = NULL;
	size_t nt = 0;

	if (d < 0)
		return;
	mark_file(d, "stack.json", "layers", ids, n);
	mark_file(d, JOURNAL, "layers", ids, n);
	sd = openat(d, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sd >= 0 && dir_names(sd, &tags, &nt) == 0)
		for (size_t i = 0; i < nt; i++)
			mark_file(sd, tags[i], "layers", ids, n);
	fvm_strv_free(tags);
}

static bool named(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/**
 * layers_gc() - remove the frozen layers nothing in @store names any more
 * (takes the store's lock). Any VM directory counts, a half-made or
 * half-removed one too: a layer is kept rather than lost. Best effort.
 */
void layers_gc(struct fvm_store *store)
{
	_cleanup_close_ int lock = store_lock(store, NULL);
	_cleanup_close_ int pool = pool_open(store, false);
	char **vms = NULL, **layers = NULL, **ids = NULL;
	size_t nv = 0, nl = 0, ni = 0;

	if (lock < 0 || pool < 0 || dir_names(store->vmsfd, &vms, &nv) < 0 ||
	    dir_names(pool, &layers, &nl) < 0)
		goto out;
	/* a VM being made holds the store's lock, as we do: a .new. one is
	 * what a crash left, no VM */
	for (size_t i = 0; i < nv; i++)
		if (strncmp(vms[i], ".new.", 5))
			mark_vm(store->vmsfd, vms[i], &ids, &ni);
	for (size_t i = 0; i < nl; i++) {
		char gone[64];

		if (named(ids, ni, layers[i]))
			continue;
		/* out of the way first: a removal cut short is never taken for a layer */
		if (id_ok(layers[i])) {
			snprintf(gone, sizeof(gone), ".gc.%s", layers[i]);
			if (renameat(pool, layers[i], pool, gone) < 0)
				continue;
		} else if (strncmp(layers[i], ".gc.", 4)) {
			continue;
		} else {
			snprintf(gone, sizeof(gone), "%s", layers[i]);
		}
		rm_rf_at(pool, gone);
	}
out:
	fvm_strv_free(vms);
	fvm_strv_free(layers);
	fvm_strv_free(ids);
}

/* ---- the journal ---------------------------------------------------------- */

static int snapshot_file(const char *tag, char *buf, size_t len)
{
	return snprintf(buf, len, "snapshots/%s.json", tag) >= (int)len ? -ENAMETOOLONG : 0;
}

/* snapshots/TAG.json: @tag (a JSON string) took the stack @a at @created. */
static int snapshot_record(struct fvm_vm *vm, json_object *tag, long long created, json_object *a,
			   struct fvm_error *err)
{
	json_object *o = json_object_new_object();
	_cleanup_close_ int sd = -1;
	char f[TAG_MAX + 32];
	int r = 0;

	json_object_object_add(o, "tag", json_object_get(tag));
	json_object_object_add(o, "created", json_object_new_int64(created));
	json_object_object_add(o, "layers", json_object_get(a));
	if (mkdirat(vm->dirfd, "snapshots", 0700) < 0 && errno != EEXIST)
		r = -errno;
	if (r == 0 && (sd = openat(vm->dirfd, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				   O_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0 && (r = snapshot_file(json_object_get_string(tag), f, sizeof(f))) == 0)
		r = json_save_at(sd, f + strlen("snapshots/"), o);
	json_object_put(o);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot record its snapshot in %s/snapshots: %s",
				vm->cfg.name, vm->dir, strerror(-r));
	return 0;
}

/* Roll a snapshot forward: its layer is in the store. Idempotent. */
static int snapshot_finish(struct fvm_vm *vm, json_object *j, struct fvm_error *err)
{
	json_object *a = NULL, *tag = NULL, *id = NULL, *cr = NULL;
	struct layer_stack s;
	_cleanup_close_ int pool = pool_open(vm->store, false);
	int r;

	json_object_object_get_ex(j, "layers", &a);
	json_object_object_get_ex(j, "tag", &tag);
	json_object_object_get_ex(j, "id", &id);
	json_object_object_get_ex(j, "created", &cr);
	r = stack_from_json(a, &s);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': its %s/%s is damaged: move it away", vm->cfg.name,
				vm->dir, JOURNAL);
	if (pool >= 0 && id && json_object_is_type(id, json_type_string) &&
	    id_ok(json_object_get_string(id))) {
		/* the work dirs are overlayfs' scratch space: a frozen layer needs none */
		char **mnts = NULL;
		size_t nm = 0;
		_cleanup_close_ int l = openat(pool, json_object_get_string(id),
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (l >= 0 && dir_names(l, &mnts, &nm) == 0)
			for (size_t i = 0; i < nm; i++) {
				_cleanup_close_ int m = openat(l, mnts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							      O_CLOEXEC);

				if (m >= 0)
					rm_rf_at(m, "work");
			}
		fvm_strv_free(mnts);
	}
	r = stack_save(vm, &s, err);
	if (r == 0 && tag && json_object_is_type(tag, json_type_string))
		r = snapshot_record(vm, tag, cr ? json_object_get_int64(cr) : 0, a, err);
	return r;
}

/* Roll a restore forward: drop the live layers, take the tag's stack. Idempotent. */
static int restore_finish(struct fvm_vm *vm, json_object *j, struct fvm_error *err)
{
	json_object *a = NULL;
	struct layer_stack s;
	int r;

	json_object_object_get_ex(j, "layers", &a);
	r = stack_from_json(a, &s);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': its %s/%s is damaged: move it away", vm->cfg.name,
				vm->dir, JOURNAL);
	rm_rf_at(vm->dirfd, ".layers.dropped");   /* what a crash may have left */
	if (renameat(vm->dirfd, "layers", vm->dirfd, ".layers.dropped") < 0 && errno != ENOENT)
		return fvm_errf(err, -errno, "VM '%s': cannot drop its changes in %s/layers: %s",
				vm->cfg.name, vm->dir, strerror(errno));
	unlinkat(vm->dirfd, "committed.json", 0);   /* about entries of the dropped layers */
	r = stack_save(vm, &s, err);
	if (r == 0)
		rm_rf_at(vm->dirfd, ".layers.dropped");
	return r;
}

/**
 * lifecycle_recover() - finish (or undo) a snapshot or restore of @vm that
 * was cut short; the caller holds the VM's lock.
 */
int lifecycle_recover(struct fvm_vm *vm, struct fvm_error *err)
{
	json_object *j = NULL, *op = NULL, *id = NULL;
	_cleanup_close_ int pool = -1;
	const char *what;
	int r = json_load_at(vm->dirfd, JOURNAL, &j);

	/* a running VM's snapshot copy that a kill cut short (snapshot_adopt_copy) */
	if (faccessat(vm->dirfd, LIVE_COPY, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rm_rf_at(vm->dirfd, LIVE_COPY);
	if (faccessat(vm->dirfd, FLAT_DIR, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rm_rf_at(vm->dirfd, FLAT_DIR);   /* and a flattening (vm/flatten.c) */
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': the journal of an interrupted snapshot or restore (%s/%s) cannot be read: %s; move it away",
				vm->cfg.name, vm->dir, JOURNAL, strerror(-r));
	json_object_object_get_ex(j, "op", &op);
	what = op ? json_object_get_string(op) : "";
	if (!strcmp(what, "snapshot")) {
		/* without an id it froze nothing: only the tag is to write */
		json_object_object_get_ex(j, "id", &id);
		pool = pool_open(vm->store, false);
		if (!id || (pool >= 0 && id_ok(json_object_get_string(id)) &&
			    faccessat(pool, json_object_get_string(id), F_OK, AT_SYMLINK_NOFOLLOW) == 0))
			r = snapshot_finish(vm, j, err);
		/* else its layer never left the VM: nothing happened */
	} else if (!strcmp(what, "restore")) {
		r = restore_finish(vm, j, err);
	} else {
		r = fvm_errf(err, -EINVAL, "VM '%s': %s/%s names no operation fvm knows: move it away",
			     vm->cfg.name, vm->dir, JOURNAL);
	}
	json_object_put(j);
	if (r == 0 && unlinkat(vm->dirfd, JOURNAL, 0) < 0 && errno != ENOENT)
		r = fvm_errf(err, -errno, "VM '%s': cannot remove %s/%s: %s", vm->cfg.name, vm->dir,
			     JOURNAL, strerror(errno));
	return r;
}

static int journal_begin(struct fvm_vm *vm, json_object *j, struct fvm_error *err)
{
	int r = json_save_at(vm->dirfd, JOURNAL, j);

	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write %s/%s: %s", vm->cfg.name, vm->dir, JOURNAL,
				strerror(-r));
	return 0;
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

static int new_id(char *buf)
{
	unsigned char b[8];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	return 0;
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
	r = vm_ids_enter(vm, err);   /* --ids sub: the layers' files of its other ids */
	if (r == 0)
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

static int stack_full(struct fvm_vm *vm, struct fvm_error *err)
{
	return fvm_errf(err, -E2BIG, "VM '%s' stands on %d frozen layers, the most fvm stacks (it flattens the lowest two only of a stopped VM, when one VM wrote both): go back to an older snapshot with 'fvm restore %s TAG', or 'fvm commit %s' (its changes to the host) or 'fvm discard %s' (dropped) to start from the host again",
			vm->cfg.name, STACK_MAX, vm->cfg.name, vm->cfg.name, vm->cfg.name);
}

/**
 * stack_room() - 0 if one more frozen layer fits on @vm's stack, else a
 * -E2BIG that names the ways out.
 */
int stack_room(struct fvm_vm *vm, struct fvm_error *err)
{
	struct layer_stack s;
	int r = stack_load(vm, &s, err);

	return r < 0 ? r : s.n >= STACK_MAX ? stack_full(vm, err) : 0;
}

/**
 * layer_adopt() - move STORE/vms/NAME/@dir, a finished layer, into the
 * store's frozen layers under a new id, in @ret_id (one rename(2), synced);
 * the caller holds the store's lock.
 */
int layer_adopt(struct fvm_vm *vm, const char *dir, char *ret_id, struct fvm_error *err)
{
	_cleanup_close_ int pool = pool_open(vm->store, true);
	int r;

	if (pool < 0)
		return fvm_errf(err, pool, "cannot make %s/layers: %s", vm->store->path, strerror(-pool));
	r = new_id(ret_id);
	if (r < 0)
		return fvm_errf(err, r, "cannot name a new layer: %s", strerror(-r));
	if (renameat(vm->dirfd, dir, pool, ret_id) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot move %s/%s to %s/layers/%s: %s", vm->cfg.name,
				vm->dir, dir, vm->store->path, ret_id, strerror(errno));
	fsync(pool);
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
		r = new_id(s.v[s.n].id);
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
			unlinkat(vm->dirfd, JOURNAL, 0);
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
	r = json_load_at(vm->dirfd, f, &o);
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

FVM_PUBLIC int fvm_vm_restore(struct fvm_vm *vm, const char *tag, struct fvm_error *err)
{
	_cleanup_close_ int lock = -1;
	struct layer_stack s;
	json_object *j;
	int r = tag_check(vm, tag, err);

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

FVM_PUBLIC int fvm_vm_snapshot_remove(struct fvm_vm *vm, const char *tag, struct fvm_error *err)
{
	_cleanup_close_ int lock = -1;
	struct layer_stack s;
	char f[TAG_MAX + 32];
	int r = tag_check(vm, tag, err);

	if (r < 0)
		return r;
	lock = vm_lock(vm, err);
	if (lock < 0)
		return lock;
	r = vm_ids_enter(vm, err);   /* --ids sub: the frozen layer's files of its other ids */
	if (r == 0)
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

/* ---- discard on a stack ------------------------------------------------- */

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
