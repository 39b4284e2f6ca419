/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm/vm.h - the VM part: a VM's life once it exists (lifecycle.c), its
 * processes (procs.c, what /proc says parsed in procfs.c), resource use (stats.c), its service (service.c) and
 * the service's log (log.c). Uses every part before it.
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

#endif
