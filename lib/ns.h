/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ns.h - namespaces: which ones a VM has, and entering them.
 */
#ifndef FVM_NS_H
#define FVM_NS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fvm.h"

/* every namespace a VM owns except pid, which only children enter */
#define VM_NS_FLAGS(net) (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | \
			  ((net) != FVM_NET_HOST ? CLONE_NEWNET : 0))

/* the most namespace fds a VM's init hands a joiner (see ns_open_own) */
#define VM_NS_MAX 6

int ns_open_own(enum fvm_net net, int *fds);
int ns_enter_fds(const int *fds, size_t n, enum fvm_net net);
bool ns_fds_match(const int *fds, size_t n, unsigned long pidns);
int net_lo_up(void);
int pidfd_open_checked(pid_t pid, unsigned long long starttime);
pid_t sys_clone(unsigned long flags);

#endif
