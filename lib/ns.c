// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ns.c - namespace helpers: a raw clone that behaves like fork() but can
 * create namespaces, a pidfd that is guaranteed to name a given process
 * (pid plus start time), and bringing up loopback in a new net namespace.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns.h"
#include "util.h"

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

int net_lo_up(void)
{
	struct ifreq ifr;
	int r = 0;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(s);
	return r;
}
