// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * layer-gc.c - the frozen layers of a store that nothing names any more
 * removed: every VM's stack, snapshots and journal are read for the ids
 * they name. snapshot.c has the theory of operation.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "store/store.h"
#include "util/util.h"

/* What the store's VMs name: layer ids, and the uid ranges those layers are owned in. */
struct marks {
	char **ids;
	size_t n;
	unsigned *bases;
	size_t nb;
	bool short_;   /* a mark could not be kept (ENOMEM): remove nothing */
};

static void mark_id(struct marks *m, const char *id)
{
	if (strv_push(&m->ids, &m->n, id) < 0)
		m->short_ = true;
}

static void mark_stack(json_object *a, struct marks *m)
{
	struct layer_stack s;

	if (stack_from_json(a, &s) < 0)
		return;
	for (size_t i = 0; i < s.n; i++) {
		unsigned *v = realloc(m->bases, (m->nb + 1) * sizeof(*v));

		mark_id(m, s.v[i].id);
		if (!v) {
			m->short_ = true;
			continue;
		}
		m->bases = v;
		m->bases[m->nb++] = s.v[i].base;
	}
}

static void mark_file(int dfd, const char *name, const char *key, struct marks *m)
{
	json_object *o = NULL, *a;
	int r = json_object_at(dfd, name, &o);

	if (r < 0 && r != -ENOENT)
		m->short_ = true;   /* unreadable, or torn: what it names is not known */
	if (r == 0) {
		if (json_object_object_get_ex(o, key, &a))
			mark_stack(a, m);
		if (json_object_object_get_ex(o, "id", &a) && json_object_is_type(a, json_type_string))
			mark_id(m, json_object_get_string(a));
	}
	if (o)
		json_object_put(o);
}

/* Every layer id a VM dir names: its stack, its snapshots, its journal. */
static void mark_vm(int vmsfd, const char *name, struct marks *m)
{
	_cleanup_close_ int d = openat(vmsfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int sd = -1;
	char **tags = NULL;
	size_t nt = 0;

	if (d < 0) {
		m->short_ |= errno != ENOENT;
		return;
	}
	mark_file(d, "stack.json", "layers", m);
	mark_file(d, LIFECYCLE_JOURNAL, "layers", m);
	sd = openat(d, "snapshots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sd < 0)
		m->short_ |= errno != ENOENT;
	else if (dir_names(sd, &tags, &nt) < 0)
		m->short_ = true;
	for (size_t i = 0; i < nt; i++)
		mark_file(sd, tags[i], "layers", m);
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
 * half-removed one too: a layer is kept rather than lost, and nothing is
 * removed when any of them could not be read whole (a file torn or
 * unreadable, ENOMEM): what it names is not known. Root mode: the
 * uid ranges of removed VMs that the registry held for their layers
 * (REGISTRY_HELD, registry.c) go once no layer named is owned in them.
 * Best effort.
 */
void layers_gc(struct fvm_store *store)
{
	_cleanup_close_ int lock = store_lock(store, NULL);
	_cleanup_close_ int pool = pool_open(store, false);
	char **vms = NULL, **layers = NULL;
	struct marks m = { 0 };
	size_t nv = 0, nl = 0;

	/* no pool: no layer to remove, but held ranges to release */
	if (lock < 0 || (pool < 0 && errno != ENOENT) || dir_names(store->vmsfd, &vms, &nv) < 0 ||
	    (pool >= 0 && dir_names(pool, &layers, &nl) < 0))
		goto out;
	/* a VM being made holds the store's lock, as we do: a .new. one is
	 * what a crash left, no VM */
	for (size_t i = 0; i < nv; i++)
		if (strncmp(vms[i], ".new.", 5))
			mark_vm(store->vmsfd, vms[i], &m);
	/* a layer or a range missing from the marks would be taken for unused */
	for (size_t i = 0; !m.short_ && i < nl; i++) {
		char gone[64];

		if (named(m.ids, m.n, layers[i]))
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
	if (!store->rootless && !m.short_)
		registry_release_held(store->path, m.bases, m.nb, NULL);
out:
	fvm_strv_free(vms);
	fvm_strv_free(layers);
	fvm_strv_free(m.ids);
	free(m.bases);
}
