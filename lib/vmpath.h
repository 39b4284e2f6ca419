/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmpath.h - paths inside a VM, looked up by fvm's own code after it has
 * entered the VM (see vmpath.c).
 */
#ifndef FVM_VMPATH_H
#define FVM_VMPATH_H

#include <sys/stat.h>
#include <sys/types.h>

int vm_openat(int rootfd, const char *path, int flags, unsigned long long resolve);
int vm_open_typed(int rootfd, const char *path, int flags, mode_t type, struct stat *ret_st);
int vm_open_dev(int rootfd, const char *path, int flags, unsigned major, unsigned minor);
int vm_chdir(int rootfd, const char *path);

#endif
