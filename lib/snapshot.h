/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * snapshot.h - a VM's stack of frozen layers (snapshot.c), the merged
 * view of it that diff and commit read (stackview.c), clone and rename
 * (clone.c).
 */
#ifndef FVM_SNAPSHOT_H
#define FVM_SNAPSHOT_H

#include "fvm-internal.h"

/* Frozen layers a VM may stack under its upper: far below overlayfs'
 * limit of 500 lowers, and few enough that a lookup stays cheap. */
#define STACK_MAX 16
#define LAYER_ID_LEN 17   /* 16 hex digits and the NUL */
#define TAG_MAX 64

struct stack_layer {
	char id[LAYER_ID_LEN];   /* STORE/layers/ID */
	unsigned base;           /* root mode: the uid_base its files are owned in */
};

struct layer_stack {
	struct stack_layer v[STACK_MAX];   /* bottom (oldest) first */
	size_t n;
};

int stack_load(struct fvm_vm *vm, struct layer_stack *ret, struct fvm_error *err);
int stack_save(struct fvm_vm *vm, const struct layer_stack *s, struct fvm_error *err);
int pool_open(struct fvm_store *store, bool create);
/* detached mounts an overlay being made uses as layers */
struct stack_hold {
	int fd[STACK_MAX + 1];
	size_t n;
};
void stack_hold_release(struct stack_hold *h);
int stack_config_lowers(struct fvm_vm *vm, const char *mountpoint, int fs, int lower,
			struct stack_hold *hold, struct fvm_error *err);
int lifecycle_recover(struct fvm_vm *vm, struct fvm_error *err);
void layers_gc(struct fvm_store *store);
int stack_freeze(struct fvm_vm *vm, const char *tag, struct fvm_error *err);
int stack_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err);
bool live_layers_empty(struct fvm_vm *vm);
void stack_after_commit(struct fvm_vm *vm);

/* stackview.c */
int stack_farm(struct fvm_vm *vm, char *ret_name, size_t len, struct fvm_error *err);
long long farm_taken(int dfd, const char *name);

/* clone.c */
int rename_finish(struct fvm_store *store, int dirfd, const char *dirname);

#endif
