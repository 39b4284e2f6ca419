// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * harden.c - the kernel attack surface a VM's programs get.
 *
 * Theory of operation. Three layers, each on by default and each with a
 * switch in the VM's config:
 *
 *  - capabilities: the bounding set keeps only what unmodified programs,
 *    package managers among them, need of root inside a user namespace
 *    (the set podman gives containers); the rest can never be regained,
 *    not even by exec'ing a file with capabilities. Dropped while the
 *    process still holds CAP_SETPCAP in the VM's user namespace, before it
 *    becomes the target user. Rootless, CAP_SYS_ADMIN is never kept, not
 *    even with --caps all (see harden_caps()).
 *  - no_new_privs: no set-uid, set-gid or file-capability exec raises
 *    privileges; also what lets an unprivileged process load a filter.
 *    --no-new-privs off (never with the untrusted profile) leaves it
 *    unset, so sudo and su work in the VM: the filter and Landlock are
 *    then applied in harden_caps(), while the process is the VM's root
 *    with CAP_SYS_ADMIN in the VM's user namespace.
 *  - seccomp (libseccomp, at build time: lib/policy/seccomp-gen.c holds the rules
 *    and writes them out as BPF, which harden_seccomp() loads as it is,
 *    with no filter to build at each start): a deny-list in the spirit of podman's default
 *    profile: kernel modules, kexec, bpf, perf events, keyrings, the clock,
 *    swap, reboot, accounting, open_by_handle_at, userfaultfd, io ports,
 *    the kernel log, mount and namespace-changing calls into mounts
 *    (mount, umount, pivot_root and the fd mount API), and the
 *    TIOCSTI/TIOCLINUX ioctls that push input into a terminal, and
 *    io_uring (io_uring_setup, _enter, _register: its operations run in
 *    kernel workers that seccomp never sees). A denied call fails with
 *    EPERM; the rules also cover the 32-bit x86 and x32 system call
 *    tables, so they cannot be bypassed with int 0x80.
 *  - user namespaces: inside one, a VM's root would reach the kernel's
 *    whole unprivileged-user-namespace surface (nf_tables, other file
 *    systems' mount code, ...). unshare and clone with CLONE_NEWUSER fail
 *    with EPERM. clone3 takes its flags in memory, which seccomp cannot
 *    read, so it fails with ENOSYS, as under podman and Docker: glibc and
 *    others then fall back to clone, so fork, threads and posix_spawn
 *    work. setns stays allowed: joining a user namespace needs
 *    CAP_SYS_ADMIN in it, and without a way to make one the VM has none
 *    to join but its own. --seccomp allow-userns lifts only this part
 *    (nested containers, unshare -U); --seccomp off lifts everything.
 *
 * With --net host the VM shares the host's network namespace, and with it
 * the host's abstract UNIX sockets (which have no path to hide). Where the
 * kernel has Landlock ABI 6 (Linux 6.12), each program is scoped so that
 * it cannot connect to abstract sockets made outside its Landlock domain.
 * The domain is per fvm run/exec session: two sessions of one VM cannot
 * meet on an abstract socket either, with --net host.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "policy/policy.h"

/* podman's default capabilities for containers */
static const int keep_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE,
	CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT,
};

bool harden_cap_kept(int cap)
{
	for (size_t i = 0; i < ARRAY_SIZE(keep_caps); i++)
		if (keep_caps[i] == cap)
			return true;
	return false;
}

/**
 * harden_drop_caps() - shrink the bounding set to the kept capabilities
 *
 * Return: 0 or -errno (CAP_SETPCAP is needed: call before changing uid).
 */
int harden_drop_caps(void)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!harden_cap_kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	return 0;
}

/**
 * harden_seccomp() - load the VM's seccomp filter into this process (and
 * so every process it starts). Sets no_new_privs first, which the kernel
 * requires of a process without CAP_SYS_ADMIN in the host's namespace.
 * @allow_userns: leave out the user-namespace rules (--seccomp allow-userns)
 * @nnp:       set no_new_privs (else the caller holds CAP_SYS_ADMIN in its
 *             user namespace: --no-new-privs off)
 *
 * Return: 0 or -errno.
 */
int harden_seccomp(bool allow_userns, bool nnp)
{
	struct sock_fprog prog = {
		.len = allow_userns ? fvm_bpf_allow_userns_len : fvm_bpf_default_len,
		.filter = (struct sock_filter *)(allow_userns ? fvm_bpf_allow_userns : fvm_bpf_default),
	};

	if ((nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}

/* struct landlock_ruleset_attr as of ABI 6 (newer than Debian 12's headers) */
struct ll_ruleset_attr {
	unsigned long long handled_access_fs;
	unsigned long long handled_access_net;
	unsigned long long scoped;
};

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self 446
#endif

/**
 * harden_landlock_abstract() - no connecting to abstract UNIX sockets made
 * outside this process's Landlock domain (--net host).
 *
 * Return: 1 when applied, 0 when the kernel has no Landlock ABI >= 6, or
 * -errno. Needs no_new_privs (or CAP_SYS_ADMIN) first.
 */
int harden_landlock_abstract(void)
{
	struct ll_ruleset_attr attr = { .scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET };
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	int fd, r = 1;

	if (abi < 6)
		return 0;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/**
 * harden_caps() - first half of the VM's hardening, in a process about to
 * become a VM program, while it is still root in the VM's user namespace.
 */
int harden_caps(const struct vm_config *cfg)
{
	/*
	 * Rootless, every mount of the VM was made in its own user namespace,
	 * so none is locked: with CAP_SYS_ADMIN its root could remount the
	 * read-only view of the host read-write. Never granted there.
	 */
	int r = 0;

	if (cfg->all_caps && cfg->rootless && prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) < 0)
		return -errno;
	/*
	 * Without no_new_privs, loading a filter (and a Landlock domain) needs
	 * CAP_SYS_ADMIN in our user namespace: held now, as the VM's root,
	 * gone after the uid change. So they are applied here; the rest of
	 * the setup makes no call they deny.
	 */
	if (cfg->new_privs && cfg->net == FVM_NET_HOST)
		r = harden_landlock_abstract();
	if (r >= 0 && cfg->new_privs && !cfg->no_seccomp)
		r = harden_seccomp(cfg->allow_userns, false);
	if (r < 0)
		return r;
	return cfg->all_caps ? 0 : harden_drop_caps();
}

/**
 * harden_init_caps() - what the VM's init keeps of its capabilities: only
 * CAP_KILL (it passes signals on to every uid of the VM), effective and
 * permitted; called by init_handshake() in the program that stays init
 * (after the exec of the static init, as root), which never execs again,
 * so nothing regains the rest. With the
 * bounding set of harden_caps(), a rootless VM then has no process left
 * with CAP_SYS_ADMIN, --caps all included.
 *
 * Return: 0 or -errno.
 */
int harden_init_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	d[0].effective = d[0].permitted = 1u << CAP_KILL;
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/**
 * harden_finish() - second half, after the uid change, right before exec:
 * seccomp (with no_new_privs), or no_new_privs alone when seccomp is off.
 */
int harden_finish(const struct vm_config *cfg)
{
	int r = 0;

	if (cfg->new_privs)
		return 0;   /* filter and Landlock already in place: harden_caps() */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (cfg->net == FVM_NET_HOST)
		r = harden_landlock_abstract();
	if (r >= 0 && !cfg->no_seccomp)
		r = harden_seccomp(cfg->allow_userns, true);
	return r < 0 ? r : 0;
}
