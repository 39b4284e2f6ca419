/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm/vm.h - the VM part: a VM's life once it exists (lifecycle.c), its
 * processes (procs.c), resource use (stats.c), its service (service.c) and
 * the service's log (log.c). Uses every part before it.
 */
#ifndef FVM_VM_H
#define FVM_VM_H

#include "store/store.h"

/* ---- log.c: the service's log in the store, bounded and rotated ---- */

int log_pump(int vmdirfd, int in);

#endif
