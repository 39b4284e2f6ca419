// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * snapshot-journal.c - the journal of a snapshot or restore
 * (STORE/vms/NAME/lifecycle.json): written before the one irreversible
 * step, and lifecycle_recover(), which rolls a cut-short operation forward
 * or back; the snapshot records (snapshots/TAG.json) it writes.
 * snapshot.c has the theory of operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "store/store.h"
#include "util/util.h"

int snapshot_file(const char *tag, char *buf, size_t len)
{
	return snprintf(buf, len, "snapshots/%s.json", tag) >= (int)len ? -ENAMETOOLONG : 0;
}

/* snapshots/TAG.json: @tag (a JSON string) took the stack @a at @created. */
int snapshot_record(struct fvm_vm *vm, json_object *tag, long long created, json_object *a,
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
				vm->dir, LIFECYCLE_JOURNAL);
	if (pool >= 0 && id && json_object_is_type(id, json_type_string) &&
	    layer_id_ok(json_object_get_string(id))) {
		/* the work dirs are overlayfs' scratch space: a frozen layer needs none */
		char **mnts = NULL;
		size_t nm = 0;
		_cleanup_close_ int l = openat(pool, json_object_get_string(id),
					       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (l >= 0 && dir_names(l, &mnts, &nm) == 0)
			for (size_t i = 0; i < nm; i++) {
				_cleanup_close_ int m = openat(l, mnts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							      O_CLOEXEC);

				if (m >= 0) {
					rm_rf_at(m, "work");
					unlinkat(m, FUSEOVL_SEED_KEYS, 0);   /* a live layer's (launch/fuseovl.c) */
				}
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
				vm->dir, LIFECYCLE_JOURNAL);
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
	int r = json_object_at(vm->dirfd, LIFECYCLE_JOURNAL, &j);

	/* a running VM's snapshot copy that a kill cut short (snapshot_adopt_copy) */
	if (faccessat(vm->dirfd, LIVE_COPY, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rm_rf_at(vm->dirfd, LIVE_COPY);
	if (faccessat(vm->dirfd, FLAT_DIR, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rm_rf_at(vm->dirfd, FLAT_DIR);   /* and a flattening (vm/flatten.c) */
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': the journal of an interrupted snapshot or restore (%s/%s) cannot be read: %s; move it away",
				vm->cfg.name, vm->dir, LIFECYCLE_JOURNAL, strerror(-r));
	json_object_object_get_ex(j, "op", &op);
	what = op ? json_object_get_string(op) : "";
	if (!strcmp(what, "snapshot")) {
		/* without an id it froze nothing: only the tag is to write */
		json_object_object_get_ex(j, "id", &id);
		pool = pool_open(vm->store, false);
		if (!id || (pool >= 0 && layer_id_ok(json_object_get_string(id)) &&
			    faccessat(pool, json_object_get_string(id), F_OK, AT_SYMLINK_NOFOLLOW) == 0))
			r = snapshot_finish(vm, j, err);
		/* else its layer never left the VM: nothing happened */
	} else if (!strcmp(what, "restore")) {
		r = restore_finish(vm, j, err);
	} else {
		r = fvm_errf(err, -EINVAL, "VM '%s': %s/%s names no operation fvm knows: move it away",
			     vm->cfg.name, vm->dir, LIFECYCLE_JOURNAL);
	}
	json_object_put(j);
	if (r == 0 && unlinkat(vm->dirfd, LIFECYCLE_JOURNAL, 0) < 0 && errno != ENOENT)
		r = fvm_errf(err, -errno, "VM '%s': cannot remove %s/%s: %s", vm->cfg.name, vm->dir,
			     LIFECYCLE_JOURNAL, strerror(errno));
	return r;
}

int journal_begin(struct fvm_vm *vm, json_object *j, struct fvm_error *err)
{
	int r = json_save_at(vm->dirfd, LIFECYCLE_JOURNAL, j);

	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write %s/%s: %s", vm->cfg.name, vm->dir, LIFECYCLE_JOURNAL,
				strerror(-r));
	return 0;
}
