/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net.h - --net private: the VM's network stack connected to the host's
 * through pasta.
 */
#ifndef FVM_NET_H
#define FVM_NET_H

#include <sys/types.h>

#include "fvm-internal.h"

int net_start(struct fvm_vm *vm, pid_t init_pid, struct fvm_error *err);
void net_stop(struct fvm_vm *vm);
int fds_arrange(const int *fds, int n);
void signals_reset(void);

#endif
