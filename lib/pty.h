/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pty.h - a terminal inside the VM, relayed to the user's. */
#ifndef FVM_PTY_H
#define FVM_PTY_H

#include <sys/types.h>

int pty_child_setup(int rootfd, int sock);
void pty_relay(int master, int child_pidfd, pid_t child, int sfd);

#endif
