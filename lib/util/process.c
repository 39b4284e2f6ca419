// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * process.c - processes by fd: a raw clone that behaves like fork() but can
 * create namespaces, and a pidfd that is guaranteed to name a given process
 * (pid plus start time).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

/**
 * recorded_wait_gone() - wait until the process recorded in @file below
 * @dirfd ("PID STARTTIME", as fvm writes it for its helpers: pasta's and
 * the nested X server's supervisors) is gone: up to @ms, then SIGKILL and
 * up to @kill_ms more. Nothing when the record is absent or names a
 * process that is gone (or another one now: the start time differs).
 */
void recorded_wait_gone(int dirfd, const char *file, int ms, int kill_ms)
{
	_cleanup_free_ char *rec = NULL;
	unsigned long long start;
	struct pollfd p;
	int pid, fd;

	if (read_small_fileat(dirfd, file, &rec, NULL) < 0 || sscanf(rec, "%d %llu", &pid, &start) != 2)
		return;
	fd = pidfd_open_checked(pid, start);
	if (fd < 0)
		return;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		poll(&p, 1, kill_ms);
	}
	close(fd);
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/**
 * close_all_except() - close every fd above 2 but the @n in @keep (up to
 * 8; -1 entries and fds 0-2 are ignored)
 *
 * Return: 0 or -errno.
 */
int close_all_except(const int *keep, size_t n)
{
	int k[8];
	unsigned from = 3;

	if (n > ARRAY_SIZE(k))
		return -EINVAL;
	memcpy(k, keep, n * sizeof(int));
	qsort(k, n, sizeof(int), int_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k[i] < 3 || (unsigned)k[i] < from)
			continue;
		if ((unsigned)k[i] > from && syscall(SYS_close_range, from, (unsigned)k[i] - 1, 0U) < 0)
			return -errno;
		from = (unsigned)k[i] + 1;
	}
	return syscall(SYS_close_range, from, ~0U, 0U) < 0 ? -errno : 0;
}
