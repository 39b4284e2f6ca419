// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * boot-child.c - the VM's first process (boot.c's theory), in this order:
 * into the VM's cgroup, the mounts the parent made received (root) or made
 * here (rootless; fuse-overlayfs daemons asked of the parent, which runs
 * them outside the VM), the root built and pivoted into, its own
 * namespaces opened, hostname and loopback, every mount fd closed and
 * init hardened like any VM process, "ready"; then, once the parent has
 * recorded it, out of the VM's reach and init. Any failure before "ready"
 * goes back to the parent as a message and ends the process (fail closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <grp.h>
#include <unistd.h>

#include "policy/policy.h"
#include "launch/launch.h"
#include "launch/boot.h"

/* Into @fds[i], the fd of each mount i whose @present[i] has @bit (the
 * parent sends them in that order, see boot_parent()); -1 for the others */
static int recv_fds(int sock, int *fds, const unsigned char *present, size_t n, unsigned bit)
{
	size_t want = 0, got = 0;
	int batch[64];

	for (size_t i = 0; i < n; i++)
		want += !!(present[i] & bit);
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	for (size_t i = 0; got < want;) {
		size_t k = want - got > 64 ? 64 : want - got;
		int r = fds_recv(sock, batch, k);

		if (r < 0)
			return r;
		for (size_t j = 0; j < k; i++)
			if (present[i] & bit)
				fds[i] = batch[j++];
		got += k;
	}
	return 0;
}

_Noreturn static void child_fail(int sock, struct fvm_error *e)
{
	struct boot_msg m = { .code = e->code ? e->code : -EIO };

	snprintf(m.msg, sizeof(m.msg), "%s", e->msg);
	send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	_exit(1);
}

/*
 * Rootless, must the overlay of mounts[i] exist for the VM to boot? Where
 * it cannot be made (locked submounts), the VM would see the read-only
 * base there: the host's live tree, its sockets connectable, its FIFOs
 * shared. That is the rootless design for what the user cannot write
 * (root's system files, like "/" itself), never for a tree the user can
 * write (home, /tmp, /var/tmp, their own mounts), where others' sockets
 * live and the user expects copy-on-write. A share policy at or above it
 * asked for the live tree on purpose.
 */
static bool overlay_required(const struct host_mount *mounts, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (mounts[k].kind == MK_SHARE && path_has_prefix(mounts[i].target, mounts[k].target))
			return false;
	return mounts[i].extra || access(mounts[i].target, W_OK) == 0;
}

/* Rootless: the fuse-overlayfs mount of entry @i, its daemon asked of the
 * parent with the /dev/fuse fd and the layer's lock (taken before the
 * layer was written), which we then close: no VM process holds them. */
static int fuse_tree(struct fvm_vm *vm, const struct host_mount *mounts, size_t n, size_t i,
		     int sock, int *ret_mnt, struct fvm_error *e)
{
	struct boot_msg m = { .code = BOOT_FUSE };
	int fds[2], r = fuseovl_mount(vm, mounts, n, i, ret_mnt, &fds[0], &fds[1], e);

	if (r < 0 || fds[0] < 0)
		return r;   /* failed, or an empty cover */
	snprintf(m.msg, sizeof(m.msg), "%zu", i);
	r = write_all(sock, &m, sizeof(m));
	if (r == 0)
		r = fds_send(sock, fds, 2);
	close(fds[0]);
	close(fds[1]);
	if (r < 0)
		return fvm_errf(e, r, "VM '%s': lost fvm while booting", vm->cfg.name);
	return 0;
}

/*
 * Rootless, the base of the VM's tree (*@ret_fuse: served by fuse-overlayfs,
 * the whole host copy-on-write), else the host's tree read-only (--cow
 * kernel, or auto where the host gives no FUSE).
 */
static int rootless_root(struct fvm_vm *vm, const struct host_mount *mounts, size_t n, int sock,
			 int *ret_mnt, bool *ret_fuse, struct fvm_error *e)
{
	int r;

	*ret_fuse = false;
	if (vm->cfg.cow != FVM_COW_KERNEL) {
		r = fuse_tree(vm, mounts, n, 0, sock, ret_mnt, e);
		*ret_fuse = r == 0;
		if (r == 0 || vm->cfg.cow == FVM_COW_FUSE || !fuseovl_unavailable(r))
			return r;
		memset(e, 0, sizeof(*e));   /* auto, and no FUSE here: as kernel */
	}
	r = rootless_base(ret_mnt);
	if (r < 0)
		return fvm_errf(e, r, "VM '%s': cannot clone the host's tree: %s", vm->cfg.name,
				strerror(-r));
	return 0;
}

/*
 * Rootless, the mount of entry @i (i > 0): a kernel overlay, or (--cow
 * fuse; auto where the kernel refuses and the base is fuse's) a
 * fuse-overlayfs; a policy's mount. A tree left without its own stays
 * what the base shows: copy-on-write when the base is fuse's, else the
 * host's read-only tree, which only some trees may be (overlay_required).
 */
static int rootless_tree(struct fvm_vm *vm, const struct host_mount *mounts, size_t n, size_t i,
			 int sock, bool fuse_root, int *ret_mnt, struct fvm_error *e)
{
	bool ovl = mounts[i].kind == MK_OVERLAY;
	int r;

	if (ovl && vm->cfg.cow == FVM_COW_FUSE)
		return fuse_tree(vm, mounts, n, i, sock, ret_mnt, e);
	r = mount_make(vm, mounts, n, i, -1, ret_mnt, NULL, e);
	if (r < 0 && ovl && fuse_root) {
		memset(e, 0, sizeof(*e));
		r = fuse_tree(vm, mounts, n, i, sock, ret_mnt, e);
	}
	if (r < 0 && ovl && (fuse_root || !overlay_required(mounts, n, i))) {
		memset(e, 0, sizeof(*e));
		*ret_mnt = -1;
		r = 0;
	}
	return r;
}

/* @fd moved above every fd init keeps (fd_high(): 64 and up), close-on-exec */
static int fd_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 64);

	if (high < 0)
		_exit(1);
	close(fd);
	return high;
}

/* As root: become the static init (init-static.c) from its memfd @exe
 * (fd 5, close-on-exec), with the control socket as fd 3 and the boot's
 * socket as fd 4. Returns only if the exec failed. */
static void exec_static_init(const struct boot *b, int exe)
{
	char *argv[] = { "fvm-init", b->persist ? "p" : "-", NULL };
	char *envp[] = { NULL };

	execveat(exe, "", argv, envp, AT_EMPTY_PATH);
	close(exe);
}

/*
 * Booted and said so on the boot's socket: keep only the control socket
 * (fd 3), the namespace fds (4..) and the boot's socket (after them), let
 * go of the caller's terminal or pipes, and be init: as root the static
 * init from its memfd (init-static.c), which finishes the handshake
 * (init_handshake()) itself; else, or if that exec fails, this process.
 */
_Noreturn static void become_init(const struct boot *b, int *nsfds, size_t nns)
{
	int lfd = fd_high(b->lfd), sock = fd_high(b->sp[1]);
	int exe = b->init_exe >= 0 ? fd_high(b->init_exe) : -1;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (size_t i = 0; i < nns; i++)
		nsfds[i] = fd_high(nsfds[i]);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 || dup2(lfd, 3) < 0)
		_exit(1);
	for (size_t i = 0; i < nns; i++) {
		if (dup3(nsfds[i], 4 + (int)i, O_CLOEXEC) < 0)
			_exit(1);
		nsfds[i] = 4 + (int)i;
	}
	if (dup2(sock, 4 + (int)nns) < 0 || (exe >= 0 && dup3(exe, 5 + (int)nns, O_CLOEXEC) < 0))
		_exit(1);
	sock = 4 + (int)nns;
	if (b->nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &b->nofile);
	syscall(SYS_close_range, 5U + (unsigned)nns + (exe >= 0), ~0U, 0U);
	if (exe >= 0)
		exec_static_init(b, 5 + (int)nns);
	if (init_handshake(sock) < 0)
		_exit(1);
	close(sock);
	init_main(3, b->persist, nsfds, nns);
}

/*
 * Receive the mounts: into the cgroup first (before anything the VM does),
 * then the parent's "go" (one byte per mount: which come as fds), the fds,
 * and root in the VM's user namespace. Return: 2 * b->n fds, the mounts'
 * then the spent lowers' (mount_make()), -1 where none came.
 */
static int *child_receive(struct boot *b, struct fvm_error *e)
{
	struct fvm_vm *vm = b->vm;
	int sock = b->sp[1];
	size_t n = b->n;
	unsigned char *present = malloc(n);
	int *fds = malloc(2 * n * sizeof(int));
	int cgr = cgroup_enter_self(&b->cg);   /* first: before anything the VM does */

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* "go": one byte per mount, which of them come as fds */
	if (!present || !fds || read(sock, present, n) != (ssize_t)n)
		_exit(1);
	if (cgr < 0 && cgroup_needed(vm)) {
		fvm_errf(e, cgr, "VM '%s': cannot move its first process into its cgroup: %s",
			 vm->cfg.name, strerror(-cgr));
		child_fail(sock, e);
	}
	if (recv_fds(sock, fds, present, n, BOOT_FD_MOUNT) < 0 ||
	    recv_fds(sock, fds + n, present, n, BOOT_FD_SPENT) < 0) {
		fvm_errf(e, -EIO, "VM '%s': lost the overlays while booting", vm->cfg.name);
		child_fail(sock, e);
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 ||
	    (!vm->cfg.rootless && setgroups(0, NULL) < 0)) {
		fvm_errf(e, -errno, "VM '%s': cannot become root in its user namespace: %s",
			 vm->cfg.name, strerror(errno));
		child_fail(sock, e);
	}
	return fds;
}

/* Rootless: the VM's mounts, made here in its user namespace, into @fds */
static void child_rootless_mounts(struct boot *b, int *fds, struct fvm_error *e)
{
	struct fvm_vm *vm = b->vm;
	int sock = b->sp[1];
	bool fuse_root;
	/* overlayfs wants its layers on mounts of our namespace, and an
	 * fd opened before the clone names the host's: open anew */
	int d = open(vm->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (d < 0 || dup3(d, vm->dirfd, O_CLOEXEC) < 0) {
		fvm_errf(e, -errno, "VM '%s': cannot open %s: %s", vm->cfg.name, vm->dir,
			 strerror(errno));
		child_fail(sock, e);
	}
	close(d);
	if (rootless_root(vm, b->mounts, b->n, sock, &fds[0], &fuse_root, e) < 0)
		child_fail(sock, e);
	/* a policy that cannot be applied stops the boot, and so does a
	 * tree that must be copy-on-write and cannot be */
	for (size_t i = 1; i < b->n; i++)
		if (rootless_tree(vm, b->mounts, b->n, i, sock, fuse_root, &fds[i], e) < 0)
			child_fail(sock, e);
}

/* Build the root from @fds and pivot in; rootless, open the VM's own
 * namespaces into @nsfds; hostname, loopback. Return: how many @nsfds. */
static size_t child_build_root(struct boot *b, int *fds, int *nsfds, struct fvm_error *e)
{
	struct fvm_vm *vm = b->vm;
	int sock = b->sp[1];
	size_t nns = 0;

	if (root_setup(vm, b->mounts, fds, fds + b->n, b->n, e) < 0)
		child_fail(sock, e);
	/* rootless joiners enter with these (see init.c): opened before any VM code runs */
	if (vm->cfg.rootless) {
		int k = ns_open_own(vm->cfg.net, nsfds);

		if (k < 0) {
			fvm_errf(e, k, "VM '%s': cannot open its own namespaces: %s", vm->cfg.name,
				 strerror(-k));
			child_fail(sock, e);
		}
		nns = (size_t)k;
	}
	if (sethostname(vm->cfg.hostname, strlen(vm->cfg.hostname)) < 0) {
		fvm_errf(e, -errno, "VM '%s': cannot set its hostname: %s", vm->cfg.name,
			 strerror(errno));
		child_fail(sock, e);
	}
	if (vm->cfg.net != FVM_NET_HOST && net_lo_up() < 0) {
		fvm_errf(e, -errno, "VM '%s': cannot bring up its loopback interface: %s",
			 vm->cfg.name, strerror(errno));
		child_fail(sock, e);
	}
	return nns;
}

/* The mount fds closed; init is a VM process too: the same limits as every other */
static void child_harden(struct boot *b, int *fds, struct fvm_error *e)
{
	int r;

	for (size_t i = 0; i < 2 * b->n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	r = harden_caps(&b->vm->cfg);
	if (r == 0)
		r = harden_finish(&b->vm->cfg);
	if (r < 0) {
		fvm_errf(e, r, "VM '%s': cannot apply its capability or seccomp limits: %s",
			 b->vm->cfg.name, strerror(-r));
		child_fail(b->sp[1], e);
	}
}

/**
 * boot_child() - the VM's first process: finish its setup, then become its init
 * @b: the boot's state, the child's copy; b->sp[1] is its end of the pair
 */
_Noreturn void boot_child(struct boot *b)
{
	struct fvm_vm *vm = b->vm;
	struct fvm_error e = { 0 };
	struct boot_msg ok = { 0 };
	int nsfds[VM_NS_MAX];
	size_t nns;
	int *fds = child_receive(b, &e);

	/* --gui: the X socket, while the host's tree is still ours to see */
	if (gui_child_open(vm, &e) < 0)
		child_fail(b->sp[1], &e);
	/*
	 * No VM process may reach init (its fds, its memory, its
	 * capabilities): as root it is not dumpable from here on. Rootless,
	 * the parent, as the same uid, still writes to and looks into it
	 * (pasta joins its net namespace, the pid namespace is recorded):
	 * dumpable until the parent's 'g' below, before any VM program runs.
	 */
	prctl(PR_SET_DUMPABLE, vm->cfg.rootless ? 1 : 0);
	if (vm->cfg.rootless)
		child_rootless_mounts(b, fds, &e);
	nns = child_build_root(b, fds, nsfds, &e);
	child_harden(b, fds, &e);
	if (write_all(b->sp[1], &ok, sizeof(ok)) < 0)
		_exit(1);
	become_init(b, nsfds, nns);
}
