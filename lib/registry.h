/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * registry.h - the machine-wide record of root-mode VMs' uid ranges and
 * stores (registry.c).
 */
#ifndef FVM_REGISTRY_H
#define FVM_REGISTRY_H

#include <stddef.h>
#include <sys/types.h>

#include "fvm.h"

struct reg_entry {
	unsigned long long base;   /* uid_base of the VM */
	char *store;               /* its store's path */
	char *name;                /* its name */
};

int registry_open(int *ret_dirfd, struct reg_entry **ret, size_t *ret_n, struct fvm_error *err);
int registry_save(int dirfd, const struct reg_entry *v, size_t n, struct fvm_error *err);
void registry_free(struct reg_entry *v, size_t n);
int registry_release(const char *store_path, const char *name, uid_t base,
		     struct fvm_error *err);
int registry_stores(char ***ret, struct fvm_error *err);

#endif
