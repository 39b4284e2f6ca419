// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * process.c - processes by fd: a raw clone that behaves like fork() but can
 * create namespaces, and a pidfd that is guaranteed to name a given process
 * (pid plus start time).
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

pid_t sys_clone(unsigned long flags)
{
	/* fork semantics: the child returns 0 on a copy of our stack */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0UL);
}

/**
 * pidfd_open_checked() - a pidfd for @pid, only if it is still the process
 * that started at @starttime. Checking after opening closes the pid-reuse
 * race: the pidfd pins the process it was opened for.
 *
 * Return: the pidfd, or -ESRCH when that process is gone.
 */
int pidfd_open_checked(pid_t pid, unsigned long long starttime)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	unsigned long long st;

	if (fd < 0)
		return -ESRCH;
	if (proc_starttime(pid, &st) < 0 || st != starttime) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}
