/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuseovl.h - fuse-overlayfs as a rootless VM's copy-on-write backend
 * (fuseovl.c): the mount, its daemon, and what it writes in a layer.
 */
#ifndef FVM_FUSEOVL_H
#define FVM_FUSEOVL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fvm-internal.h"
#include "hostmounts.h"

struct json_object;

/* the daemon: the host's own, never a binary of the VM's */
#define FUSEOVL_BIN "/usr/bin/fuse-overlayfs"
/* the xattrs fuse-overlayfs keeps in an upper layer (opaque, origin) */
#define FUSEOVL_XATTR_PREFIX "user.fuseoverlayfs."
/* fvm's mark on a directory it made in the layer for the VM (fuseovl.c) */
#define FUSEOVL_SEED_XATTR "user.fvm.seed"

int fuseovl_mount(struct fvm_vm *vm, const struct host_mount *all, size_t n, size_t i,
		  int *ret_mnt, int *ret_fuse, struct fvm_error *err);
bool fuseovl_unavailable(int r);
int fuseovl_spawn(struct fvm_vm *vm, pid_t init, const char *target, int fuse,
		  struct fvm_error *err);
void fuseovl_inspect(const struct fvm_vm *vm, struct json_object *layers);

/* the layer format: names fuse-overlayfs writes that are no entry of the VM's */
bool fuseovl_marker(const char *name);
void fuseovl_unmark(int dirfd);
bool fuseovl_seed_unused(int dfd, const char *name);
void fuseovl_drop_marks(int dfd, const char *name);

#endif
