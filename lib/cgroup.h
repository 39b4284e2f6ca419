/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup.h - a VM's control group: its resource limits and accounting,
 * whatever cgroup version the host has (see cgroup.c).
 */
#ifndef FVM_CGROUP_H
#define FVM_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fvm-internal.h"

enum cg_ctrl { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_PIDS, CG_BLKIO, CG_NCTRL };

struct cg_ops;

/**
 * struct vm_cgroup - one VM's cgroup, opened for one call
 * @ops:   the host's cgroup flavour; NULL: the VM has no cgroup
 * @root:  v2: [0] is the hierarchy's root; v1: one root per controller
 *         (-1 where the host lacks it)
 * @alias: v1: this controller is mounted together with an earlier one
 *         (cpu,cpuacct): same directories, so not made or joined twice
 * @rel:   the VM's cgroup below each root: "fvm/HASH-NAME"
 * @self:  v1: the VM's cgroup's "tasks" file per controller, open for a
 *         forked child to move itself in (cgroup_enter_self())
 */
struct vm_cgroup {
	const struct cg_ops *ops;
	int root[CG_NCTRL];
	bool alias[CG_NCTRL];
	char rel[128];
	int self[CG_NCTRL];
};

#define VM_CGROUP_INIT { .ops = NULL, .root = { -1, -1, -1, -1, -1 }, .self = { -1, -1, -1, -1, -1 } }

int cgroup_check(const struct vm_config *c, struct fvm_error *err);
int cgroup_setup(struct fvm_vm *vm, struct vm_cgroup *ret, struct fvm_error *err);
int cgroup_join(struct fvm_vm *vm, struct vm_cgroup *ret, struct fvm_error *err);
int cgroup_enter(struct fvm_vm *vm, struct vm_cgroup *cg, pid_t pid, struct fvm_error *err);
int cgroup_prepare_self(struct vm_cgroup *cg);
int cgroup_enter_self(const struct vm_cgroup *cg);
bool cgroup_needed(const struct fvm_vm *vm);
void cgroup_release(struct vm_cgroup *cg);
void cgroup_remove(struct fvm_vm *vm);
uint64_t cgroup_oom_kills(struct fvm_vm *vm);
bool cgroup_pids_full(struct fvm_vm *vm);

#endif
