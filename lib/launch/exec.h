/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch/exec.h - what exec.c (fvm's side of joining a VM) and
 * exec-child.c (the program's process) share, private to lib/launch: the
 * join, and the stage a failure before exec is reported at.
 */
#ifndef FVM_LAUNCH_EXEC_H
#define FVM_LAUNCH_EXEC_H

#include <stddef.h>

#include "launch/launch.h"
#include "store/store.h"


enum stage { ST_PID = 1, ST_CGROUP, ST_SETNS, ST_HARDEN, ST_USER, ST_NOUSER, ST_ROOTLESS_USER, ST_CWD, ST_PTY, ST_STDIO, ST_EXEC,
	     ST_PASSWD, ST_GROUP, ST_DEVNULL, ST_STDIO_DIR,
	     ST_GONE /* the VM's init exited before we were in: join again */ };

struct exec_report {
	int stage;
	int err;
};

struct join {
	struct fvm_vm *vm;
	const struct fvm_exec *ex;
	int pidfd;
	pid_t pid;       /* init's, named by pidfd */
	bool persist;    /* its state says fvm start: our leaving never stops it */
	int report;      /* write end of the report pipe */
	int ptysock;     /* -1 without a tty */
	int go;          /* -1, or read end of a pipe: a byte once fvm moved us into the VM's cgroup */
	bool direct;     /* root: fvm forks the program in the VM's pid namespace (exec.c) */
	const struct vm_cgroup *cg;
	const char *caller_cwd;
	const struct relay *relay;   /* pipes in place of the caller's terminals */
	int nsfds[VM_NS_MAX];   /* rootless: init's namespaces, from its ack (see init.c) */
	size_t nns;
	char **gui_env;         /* --gui: DISPLAY and XAUTHORITY (gui.c) */
};

/* exec-child.c */
_Noreturn void exec_child_fail(int pipefd, int stage, int e);
_Noreturn void exec_child_main(const struct join *j);

#endif
