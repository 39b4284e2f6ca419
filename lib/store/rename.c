// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rename.c - finishing a VM's rename (vm/clone.c starts it):
 * STORE/vms/NAME/rename.json records {from, to} (synced), then one
 * rename(2) of the directory is the step that commits; the config's name
 * (and hostname, if it was the name) and the uid range registry follow,
 * and the record goes. rename_finish(), run by fvm_vm_open() before the
 * config is read, completes a rename cut short after the directory moved
 * and forgets one cut short before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "store/store.h"

/* config.json of @dirfd says @to where it said @from (name; hostname if it was the name). */
static int config_rename(int dirfd, const char *from, const char *to)
{
	json_object *o, *h = NULL, *nm = NULL;
	const char *t;
	int r = json_object_at(dirfd, "config.json", &o);

	if (r < 0)
		return r;
	json_object_object_get_ex(o, "name", &nm);
	if (nm && !strcmp(json_object_get_string(nm), to)) {
		json_object_put(o);
		return 0;   /* done already */
	}
	json_object_object_add(o, "name", json_object_new_string(to));
	if (json_object_object_get_ex(o, "hostname", &h) && !strcmp(json_object_get_string(h), from))
		json_object_object_add(o, "hostname", json_object_new_string(to));
	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_PRETTY);
	r = write_fileat_atomic(dirfd, "config.json", t, strlen(t), 0600, true);
	json_object_put(o);
	return r;
}

/**
 * rename_finish() - complete or forget a rename of the VM directory
 * @dirfd (named @dirname in STORE/vms) that was cut short
 *
 * Return: 0 or -errno.
 */
int rename_finish(struct fvm_store *store, int dirfd, const char *dirname)
{
	json_object *o = NULL, *from = NULL, *to = NULL;
	int r = json_object_at(dirfd, "rename.json", &o);

	if (r == -ENOENT)
		return 0;
	if (r == -EBADMSG)
		r = 0;   /* unreadable: as if the directory never moved */
	if (r < 0)
		return r;
	if (o) {
		json_object_object_get_ex(o, "from", &from);
		json_object_object_get_ex(o, "to", &to);
	}
	if (from && to && !strcmp(json_object_get_string(to), dirname)) {
		r = config_rename(dirfd, json_object_get_string(from), dirname);
		if (r == 0 && !store->rootless)
			r = registry_rename(store->path, json_object_get_string(from), dirname, NULL);
	}
	/* else the directory never moved: the rename did not happen */
	if (o)
		json_object_put(o);
	if (r == 0 && unlinkat(dirfd, "rename.json", 0) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}
