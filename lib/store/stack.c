// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stack.c - a VM's stack of frozen layers as a file, and the store's pool
 * of frozen layers (STORE/layers): stack.json read and written, layer ids
 * made and checked, a finished layer moved into the pool, the stack's
 * bound. snapshot.c has the theory of operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "store/store.h"
#include "util/util.h"

bool layer_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != LAYER_ID_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* ---- stacks as JSON ------------------------------------------------------ */

json_object *stack_to_json(const struct layer_stack *s)
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
int stack_from_json(json_object *a, struct layer_stack *ret)
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
		    !json_object_is_type(id, json_type_string) || !layer_id_ok(json_object_get_string(id)))
			return -EINVAL;
		snprintf(ret->v[i].id, sizeof(ret->v[i].id), "%s", json_object_get_string(id));
		ret->v[i].base = (unsigned)json_object_get_int64(base);
	}
	ret->n = n;
	return 0;
}

/**
 * stack_load() - the frozen layers of @vm, bottom first (none: n = 0)
 */
int stack_load(struct fvm_vm *vm, struct layer_stack *ret, struct fvm_error *err)
{
	json_object *o = NULL, *a = NULL;
	int r = json_object_at(vm->dirfd, "stack.json", &o);

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

int layer_new_id(char *buf)
{
	unsigned char b[8];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	return 0;
}


int stack_full(struct fvm_vm *vm, struct fvm_error *err)
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
	r = layer_new_id(ret_id);
	if (r < 0)
		return fvm_errf(err, r, "cannot name a new layer: %s", strerror(-r));
	if (renameat(vm->dirfd, dir, pool, ret_id) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot move %s/%s to %s/layers/%s: %s", vm->cfg.name,
				vm->dir, dir, vm->store->path, ret_id, strerror(errno));
	fsync(pool);
	return 0;
}
