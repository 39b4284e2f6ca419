/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * changes.h - a VM's changes as read from its layers, for diff, commit
 * and discard.
 */
#ifndef FVM_CHANGES_H
#define FVM_CHANGES_H

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "fvm-internal.h"

struct json_object;

/* one layer of the VM, with fds on its upper root and the host's mount */
struct layer_ref {
	char *mount;       /* mount point, as the VM and the host see it */
	int upper_fd;      /* layers/ESC/upper */
	int host_fd;       /* the host's directory at @mount, -1 if gone */
};

struct change {
	struct fvm_change pub;   /* pub.path == path */
	char *path;              /* absolute path in the VM */
	const char *rel;         /* path relative to the layer's mount (inside @path) */
	size_t layer;
	struct statx up;         /* the VM's entry (not for deletions) */
	struct statx host;       /* the host's entry, when host_exists */
	bool host_exists;
	bool opaque;             /* an opaque directory (emptied and remade) */
	bool implied;            /* a deletion implied by an opaque parent */
	bool too_long;           /* a directory holding paths longer than PATH_MAX */
	struct json_object *committed;   /* the changeset's, borrowed */
	char *target;            /* symlink target */
};

struct changeset {
	struct json_object *committed;   /* committed.json: path -> when a running commit applied it */
	struct layer_ref *layers;
	size_t nlayers;
	struct change *v;
	size_t n;
	bool live;         /* layers_open(): the live uppers, never a merged view */
	char farm[64];     /* the merged view of a stack (stackview.c) in the VM's dir, "" if none */
	int farm_dirfd;    /* the VM's dir, for removing it */
};

int changes_collect(struct fvm_vm *vm, char *const *paths, struct changeset *cs,
		    struct fvm_error *err);
void changes_free(struct changeset *cs);
bool in_store(struct fvm_vm *vm, const char *path);
bool store_below(struct fvm_vm *vm, const char *path);
uid_t map_uid_to_host(const struct vm_config *cfg, uid_t uid);
int open_beneath(int dirfd, const char *path, int flags);
int open_entry(int dfd, const char *name, mode_t type, struct statx *ret_x);
int layers_open(struct fvm_vm *vm, struct changeset *cs, struct fvm_error *err);
int list_dir(int dfd, char ***ret, size_t *ret_n);
void commit_prune_recorded(struct fvm_vm *vm);
int check_paths(struct fvm_vm *vm, char *const *paths, struct fvm_error *err);

#endif
