/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm/vm.h - the VM part: a VM's life once it exists (lifecycle.c), its
 * processes (procs.c, what /proc says parsed in procfs.c), resource use
 * (stats.c), its service (service.c) and the service's log (log.c), its
 * snapshots (snapshot-running.c: of a running one, its processes stopped
 * by freeze.c). Uses every part before it.
 */
#ifndef FVM_VM_H
#define FVM_VM_H

#include "store/store.h"

/* ---- log.c: the service's log in the store, bounded and rotated ---- */

int log_pump(int vmdirfd, int in);

/* ---- procfs.c: /proc's files about a process, parsed (bounded) ---- */

int proc_status_nspid(const char *status);
int proc_stat_ticks(const char *stat, unsigned long long *ret);
int proc_statm_rss(const char *statm, unsigned long long *ret);
void proc_io_bytes(const char *io, unsigned long long *rd, unsigned long long *wr);
void proc_cmdline_text(char *data, size_t n, char *buf, size_t len);

/* ---- freeze.c: a running VM's processes stopped, and continued whatever happens ---- */

/* the helper process that stopped them, and fvm's pipes to it */
struct vm_freeze {
	pid_t helper;
	int cmd, reply;
};

int vm_freeze(struct fvm_vm *vm, struct vm_freeze *z, struct fvm_error *err);
int vm_freeze_again(struct fvm_vm *vm, struct vm_freeze *z, struct fvm_error *err);
void vm_thaw(struct vm_freeze *z);

/* ---- flatten.c: a full stack's two lowest layers merged into one ---- */

int stack_make_room(struct fvm_vm *vm, struct layer_copy_progress *p, struct fvm_error *err);

/* ---- snapshot-running.c: snapshot and clone of a running VM ---- */

int live_copy(struct fvm_vm *vm, struct layer_copy_progress *p, bool *ret_copied, struct fvm_error *err);
void snapshot_progress(struct layer_copy_progress *p, const struct fvm_snapshot_opts *opts);

#endif
