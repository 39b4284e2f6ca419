/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * boot.h - between the two sides of a boot (boot.c's theory): the parent
 * on the host (boot.c) and the VM's first process (boot-child.c).
 */
#pragma once

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "policy/policy.h"
#include "launch/launch.h"

struct boot_msg {
	int code;   /* 0: ready, -errno: failed, BOOT_FUSE: a daemon wanted */
	char msg[FVM_ERROR_MSG_MAX];
};

/* rootless: "start the fuse-overlayfs of mount msg" (a decimal index), the
 * /dev/fuse fd in the next message (fuseovl.c) */
#define BOOT_FUSE 1

/* the parent's byte per mount (boot_parent()) */
#define BOOT_FD_MOUNT 1   /* its mount comes as an fd */
#define BOOT_FD_SPENT 2   /* so does the idmapped lower it was made of */

/* one boot's state; the child gets its copy with the clone */
struct boot {
	struct fvm_vm *vm;
	bool persist;
	struct host_mount *mounts;
	size_t n;
	int sp[2];              /* [0] the parent's end, [1] the child's */
	int lfd;                /* run/ctl.sock, bound before the clone, init's fd 3 */
	int client;             /* the caller's connection to it, if asked for */
	struct vm_cgroup cg;
	struct gui_boot gui;
	struct rlimit nofile;   /* the caller's open-file limit (rlim_cur 0: not saved) */
	int init_exe;           /* as root: the static init's sealed memfd (init_exe_open()), or -1 */
	pid_t pid;              /* init, once cloned */
};

_Noreturn void boot_child(struct boot *b);
