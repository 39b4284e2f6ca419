// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * layer-gc.c - the frozen layers of a store that nothing names any more
 * removed: every VM's stack, snapshots and journal are read for the ids
 * they name. snapshot.c has the theory of operation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "store/store.h"
#include "util/util.h"

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

	if (json_object_at(dfd, name, &o) == 0) {
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
	mark_file(d, LIFECYCLE_JOURNAL, "layers", ids, n);
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
		if (layer_id_ok(layers[i])) {
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
