// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ns.c - namespace helpers: a VM's namespaces as fds (what its init hands a
 * rootless joiner, see init.c), and bringing up loopback in a new net
 * namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch/launch.h"
#include "util/util.h"

/* a VM's namespaces, in the order a joiner enters them: its user namespace first */
static const struct {
	const char *name;
	int type;
} vm_ns[VM_NS_MAX] = {
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
};

static size_t vm_ns_count(enum fvm_net net)
{
	return net == FVM_NET_HOST ? VM_NS_MAX - 1 : VM_NS_MAX;   /* net is last */
}

/**
 * ns_open_own() - open the calling process's namespaces that a VM owns
 * (user, mnt, pid, ipc, uts, and net but with --net host), in that order
 * @fds: room for VM_NS_MAX fds, close-on-exec
 *
 * Return: how many were opened, or -errno (none is left open).
 */
int ns_open_own(enum fvm_net net, int *fds)
{
	size_t n = vm_ns_count(net);

	for (size_t i = 0; i < n; i++) {
		char p[32];

		snprintf(p, sizeof(p), "/proc/self/ns/%s", vm_ns[i].name);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int e = -errno;

			while (i > 0)
				close(fds[--i]);
			return e;
		}
	}
	return (int)n;
}

/**
 * ns_enter_fds() - enter the namespaces ns_open_own() gave, user first.
 * setns() with each expected type refuses an fd of another kind, so a
 * wrong or reordered set fails instead of leaving us half outside.
 *
 * Return: 0 or -errno (-EBADMSG for a set of the wrong size).
 */
int ns_enter_fds(const int *fds, size_t n, enum fvm_net net)
{
	if (n != vm_ns_count(net))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (setns(fds[i], vm_ns[i].type) < 0)
			return -errno;
	return 0;
}

/**
 * ns_fds_match() - are @fds (from ns_open_own(), as init sent them) of
 * the pid namespace with inode @pidns that the VM's booter recorded?
 * Return: true, or false for another namespace or no pid namespace fd.
 */
bool ns_fds_match(const int *fds, size_t n, unsigned long pidns)
{
	struct stat st;

	return n > 2 && vm_ns[2].type == CLONE_NEWPID && fstat(fds[2], &st) == 0 &&
	       (unsigned long)st.st_ino == pidns;
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

int pidns_inode(pid_t pid, unsigned long *ret)
{
	char p[64];
	struct stat st;

	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
	if (stat(p, &st) < 0)
		return -errno;
	*ret = (unsigned long)st.st_ino;
	return 0;
}
