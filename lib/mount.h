/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mount.h - building a VM's file system view with the new mount API.
 */
#ifndef FVM_MOUNT_H
#define FVM_MOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "fvm-internal.h"
#include "hostmounts.h"

int mount_make(struct fvm_vm *vm, const struct host_mount *all, size_t n, size_t i,
	       int idmap_userns, int *ret_mnt, struct fvm_error *err);
int rootless_base(int *ret_mnt);
int layer_hide_all(struct fvm_vm *vm, const struct host_mount *all, size_t n,
		   const struct host_mount *hm, int upper, int lower, struct fvm_error *err);
int mount_cover(int *ret_mnt);
int root_setup(struct fvm_vm *vm, const struct host_mount *mounts, const int *ovl_fds,
	       size_t n, struct fvm_error *err);

#endif
