// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * boot.c - starting a VM: its namespaces, its file system and its init.
 *
 * Theory of operation. The caller holds the VM's lock. One clone() makes
 * the VM's first process in new user, mount, pid, ipc, uts and (but for
 * --net host) net namespaces; it is PID 1 of the VM and becomes its init.
 * It waits on a socketpair while the parent, still on the host, writes
 * its uid/gid maps and, as root, makes the idmapped overlays (which needs
 * the host's privileges) and sends their fds over. The child then builds
 * its root (mount.c), sets the hostname, brings up loopback and answers
 * "ready" or an error message, and becomes init (init.c). The VM's cgroup
 * (cgroup.c) is made with its limits before the clone; the child moves
 * itself in as its first act (v1; on v2 the parent moves it before
 * sending the fds), so every process of the VM is born inside. If fvm dies
 * while booting, the child dies with it (PDEATHSIG), so no half-built VM
 * survives; its runtime state is simply not written.
 *
 * The control socket run/ctl.sock is bound by the parent before the clone
 * and inherited by init: joiners connect to it and init counts them, so it
 * knows when the VM's last user is gone (see init.c).
 *
 * init is out of the VM's reach: not dumpable, no capability but CAP_KILL
 * (see init.c). Rootless it stays dumpable until the parent has recorded
 * it, since the parent, as the same uid, needs to look into it until then;
 * no VM program exists before that.
 *
 * --net private: once init is ready, the parent starts pasta on the VM's
 * net namespace (net.c) before the state is saved; pasta's supervisor
 * stops it when init exits, however the VM stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/policy.h"
#include "changes/changes.h"
#include "launch/launch.h"

struct boot_msg {
	int code;   /* 0: ready, -errno: failed, BOOT_FUSE: a daemon wanted */
	char msg[FVM_ERROR_MSG_MAX];
};

/* rootless: "start the fuse-overlayfs of mount msg" (a decimal index), the
 * /dev/fuse fd in the next message (fuseovl.c) */
#define BOOT_FUSE 1

/* a bound on the host mounts a VM gets (each costs an fd while booting) */
#define MAX_MOUNTS 65536

/* the caller's open-file limit, raised while booting (see vm_boot) */
static struct rlimit saved_nofile;

static int send_fds(int sock, const int *fds, size_t n)
{
	int batch[64];

	for (size_t i = 0; i < n;) {
		size_t k = 0;

		for (; i < n && k < 64; i++)
			if (fds[i] >= 0)
				batch[k++] = fds[i];
		if (k) {
			int r = fds_send(sock, batch, k);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* @present[i]: does mount i come with an fd (as root, the parent made it)? */
static int recv_fds(int sock, int *fds, const unsigned char *present, size_t n)
{
	size_t want = 0, got = 0;
	int batch[64];

	for (size_t i = 0; i < n; i++)
		want += present[i];
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	for (size_t i = 0; got < want;) {
		size_t k = want - got > 64 ? 64 : want - got;
		int r = fds_recv(sock, batch, k);

		if (r < 0)
			return r;
		for (size_t j = 0; j < k; i++)
			if (present[i])
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
 * parent with the /dev/fuse fd, which we then close: no VM process holds it. */
static int fuse_tree(struct fvm_vm *vm, const struct host_mount *mounts, size_t n, size_t i,
		     int sock, int *ret_mnt, struct fvm_error *e)
{
	struct boot_msg m = { .code = BOOT_FUSE };
	int fuse, r = fuseovl_mount(vm, mounts, n, i, ret_mnt, &fuse, e);

	if (r < 0 || fuse < 0)
		return r;   /* failed, or an empty cover */
	snprintf(m.msg, sizeof(m.msg), "%zu", i);
	r = write_all(sock, &m, sizeof(m));
	if (r == 0)
		r = fds_send(sock, &fuse, 1);
	close(fuse);
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
	r = mount_make(vm, mounts, n, i, -1, ret_mnt, e);
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

/*
 * Booted and said so on @sock: wait for the parent's word, get out of the
 * VM's reach, keep only the control socket (fd 3) and the namespace fds
 * (4..), and be init.
 */
_Noreturn static void become_init(int sock, int listen_fd, bool persist, int *nsfds, size_t nns)
{
	/*
	 * Booted. Stop dying with the parent only once it has recorded us
	 * (it answers 'g' after saving the state, then waits for our 'c'):
	 * clearing earlier could leave an init no state names if fvm is
	 * killed now; clearing later lets an fvm that exits at once (start)
	 * take the new VM with it.
	 */
	{
		char b;

		if (read(sock, &b, 1) != 1 || b != 'g')
			_exit(1);
		/* from now on VM programs may run: out of their reach (see init.c) */
		if (prctl(PR_SET_DUMPABLE, 0) < 0 || harden_init_caps() < 0)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, 0);
		if (write(sock, "c", 1) != 1)
			_exit(1);
	}
	/* the namespace fds out of the way (of 0-3), above them all */
	for (size_t i = 0; i < nns; i++) {
		int high = fcntl(nsfds[i], F_DUPFD_CLOEXEC, 64);

		if (high < 0)
			_exit(1);
		close(nsfds[i]);
		nsfds[i] = high;
	}
	/* init keeps only the control socket (fd 3) and the namespace fds
	 * (4..), and lets go of the caller's terminal or pipes */
	{
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
			_exit(1);
	}
	if (dup2(listen_fd, 3) < 0)
		_exit(1);
	for (size_t i = 0; i < nns; i++) {
		if (dup3(nsfds[i], 4 + (int)i, O_CLOEXEC) < 0)
			_exit(1);
		nsfds[i] = 4 + (int)i;
	}
	if (saved_nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &saved_nofile);
	syscall(SYS_close_range, 4U + (unsigned)nns, ~0U, 0U);
	init_main(3, persist, nsfds, nns);
}

/* The VM's first process: finish its setup, then become its init. */
_Noreturn static void vm_child(struct fvm_vm *vm, const struct host_mount *mounts, size_t n,
			       int sock, int listen_fd, bool persist, const struct vm_cgroup *cg)
{
	struct fvm_error e = { 0 };
	unsigned char *present = malloc(n);
	int *fds = malloc(n * sizeof(int));
	struct boot_msg ok = { 0 };
	int nsfds[VM_NS_MAX];
	size_t nns = 0;
	int cgr = cgroup_enter_self(cg);   /* first: before anything the VM does */

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* "go": one byte per mount, which of them come as fds */
	if (!present || !fds || read(sock, present, n) != (ssize_t)n)
		_exit(1);
	if (cgr < 0 && cgroup_needed(vm)) {
		fvm_errf(&e, cgr, "VM '%s': cannot move its first process into its cgroup: %s",
			 vm->cfg.name, strerror(-cgr));
		child_fail(sock, &e);
	}
	if (recv_fds(sock, fds, present, n) < 0) {
		fvm_errf(&e, -EIO, "VM '%s': lost the overlays while booting", vm->cfg.name);
		child_fail(sock, &e);
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 ||
	    (!vm->cfg.rootless && setgroups(0, NULL) < 0)) {
		fvm_errf(&e, -errno, "VM '%s': cannot become root in its user namespace: %s",
			 vm->cfg.name, strerror(errno));
		child_fail(sock, &e);
	}
	/* --gui: the X socket, while the host's tree is still ours to see */
	if (gui_child_open(vm, &e) < 0)
		child_fail(sock, &e);
	/*
	 * No VM process may reach init (its fds, its memory, its
	 * capabilities): as root it is not dumpable from here on. Rootless,
	 * the parent, as the same uid, still writes to and looks into it
	 * (pasta joins its net namespace, the pid namespace is recorded):
	 * dumpable until the parent's 'g' below, before any VM program runs.
	 */
	prctl(PR_SET_DUMPABLE, vm->cfg.rootless ? 1 : 0);
	if (vm->cfg.rootless) {
		/* overlayfs wants its layers on mounts of our namespace, and an
		 * fd opened before the clone names the host's: open anew */
		int d = open(vm->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (d < 0 || dup3(d, vm->dirfd, O_CLOEXEC) < 0) {
			fvm_errf(&e, -errno, "VM '%s': cannot open %s: %s", vm->cfg.name, vm->dir,
				 strerror(errno));
			child_fail(sock, &e);
		}
		close(d);
	}
	if (vm->cfg.rootless) {
		bool fuse_root;

		if (rootless_root(vm, mounts, n, sock, &fds[0], &fuse_root, &e) < 0)
			child_fail(sock, &e);
		/* a policy that cannot be applied stops the boot, and so does a
		 * tree that must be copy-on-write and cannot be */
		for (size_t i = 1; i < n; i++)
			if (rootless_tree(vm, mounts, n, i, sock, fuse_root, &fds[i], &e) < 0)
				child_fail(sock, &e);
	}
	if (root_setup(vm, mounts, fds, n, &e) < 0)
		child_fail(sock, &e);
	/* rootless joiners enter with these (see init.c): opened before any VM code runs */
	if (vm->cfg.rootless) {
		int k = ns_open_own(vm->cfg.net, nsfds);

		if (k < 0) {
			fvm_errf(&e, k, "VM '%s': cannot open its own namespaces: %s", vm->cfg.name,
				 strerror(-k));
			child_fail(sock, &e);
		}
		nns = (size_t)k;
	}
	if (sethostname(vm->cfg.hostname, strlen(vm->cfg.hostname)) < 0) {
		fvm_errf(&e, -errno, "VM '%s': cannot set its hostname: %s", vm->cfg.name,
			 strerror(errno));
		child_fail(sock, &e);
	}
	if (vm->cfg.net != FVM_NET_HOST && net_lo_up() < 0) {
		fvm_errf(&e, -errno, "VM '%s': cannot bring up its loopback interface: %s",
			 vm->cfg.name, strerror(errno));
		child_fail(sock, &e);
	}
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* init is a VM process too: the same limits as every other */
	{
		int r = harden_caps(&vm->cfg);

		if (r == 0)
			r = harden_finish(&vm->cfg);
		if (r < 0) {
			fvm_errf(&e, r, "VM '%s': cannot apply its capability or seccomp limits: %s",
				 vm->cfg.name, strerror(-r));
			child_fail(sock, &e);
		}
	}
	if (write_all(sock, &ok, sizeof(ok)) < 0)
		_exit(1);
	become_init(sock, listen_fd, persist, nsfds, nns);
}


static int prepare_run_dir(struct fvm_vm *vm, struct fvm_error *err)
{
	int r = vm_reset_runtime(vm);

	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot clear stale runtime state in %s/run: %s",
				vm->cfg.name, vm->dir, strerror(-r));
	return 0;
}

/* Parent side, rootless: a fuse-overlayfs daemon for mount @idx (see fuse_tree) */
static int fuse_serve(struct fvm_vm *vm, pid_t pid, int sock, const struct host_mount *mounts,
		      size_t n, const char *idx, struct fvm_error *err)
{
	char *end;
	unsigned long i = strtoul(idx, &end, 10);
	int fuse = -1, r;

	if (!vm->cfg.rootless || end == idx || *end || i >= n)
		return fvm_errf(err, -EIO, "VM '%s': its first process asked for a bad mount", vm->cfg.name);
	r = fds_recv(sock, &fuse, 1);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': its first process died while booting", vm->cfg.name);
	r = fuseovl_spawn(vm, pid, mounts[i].target, fuse, err);
	close(fuse);
	return r;
}

/* Parent side: maps, overlays (root mode), then wait for "ready". */
static int boot_parent(struct fvm_vm *vm, pid_t pid, int sock, const struct host_mount *mounts,
		       size_t n, struct fvm_error *err)
{
	_cleanup_free_ unsigned char *present = calloc(n, 1);
	_cleanup_free_ int *fds = malloc(n * sizeof(int));
	_cleanup_close_ int uns = -1;
	struct boot_msg m;
	ssize_t got;
	int r;

	if (!present || !fds)
		return fvm_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	r = idmap_write(pid, &vm->cfg, vm->store->uid, vm->store->gid, err);
	if (r < 0)
		return r;
	if (!vm->cfg.rootless) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/ns/user", (int)pid);
		uns = open(p, O_RDONLY | O_CLOEXEC);
		if (uns < 0)
			return fvm_errf(err, -errno, "VM '%s': cannot open its user namespace: %s",
					vm->cfg.name, strerror(errno));
		for (size_t i = 0; i < n; i++) {
			r = mount_make(vm, mounts, n, i, uns, &fds[i], err);
			if (r < 0 && (i == 0 || mounts[i].kind != MK_OVERLAY))
				goto out;   /* a policy that cannot be applied stops the boot */
			if (r < 0)
				fds[i] = -1;
			present[i] = fds[i] >= 0;
		}
	}
	r = write_all(sock, present, n);   /* one message on a SEQPACKET socket */
	if (r == 0)
		r = send_fds(sock, fds, n);
	if (r < 0) {
		fvm_errf(err, r, "VM '%s': its first process died while booting", vm->cfg.name);
		goto out;
	}
	while ((got = read_all(sock, &m, sizeof(m))) == sizeof(m) && m.code == BOOT_FUSE)
		if ((r = fuse_serve(vm, pid, sock, mounts, n, m.msg, err)) < 0)
			goto out;
	if (got != sizeof(m)) {
		r = fvm_errf(err, -EIO, "VM '%s': its first process died while booting", vm->cfg.name);
	} else if (m.code < 0) {
		r = m.code;
		if (err) {
			err->code = m.code;
			snprintf(err->msg, sizeof(err->msg), "%s", m.msg);
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

/*
 * Before any overlay uses the layers: a snapshot or restore cut short is
 * finished, a commit made while the VM ran leaves them (--ids sub: in a
 * child that can reach the files of the VM's other ids, vm_ids_run).
 */
static int layers_ready(struct fvm_vm *vm, struct fvm_error *err)
{
	int r = lifecycle_recover(vm, err);

	if (r == 0)
		commit_prune_recorded(vm);
	return r;
}

/**
 * vm_boot() - start @vm's init; the caller holds the VM lock
 * @persist: keep running without users (fvm start) instead of stopping
 *           when the last process exits
 */
int vm_boot(struct fvm_vm *vm, bool persist, struct vm_state *ret_st, int *ret_client,
	    struct fvm_error *err)
{
	_cleanup_close_ int client = -1;
	struct host_mount *mounts = NULL;
	size_t n = 0;
	int sp[2] = { -1, -1 };
	_cleanup_close_ int lfd = -1;
	_cleanup_(cgroup_release) struct vm_cgroup cg = VM_CGROUP_INIT;
	struct gui_boot gui = GUI_BOOT_INIT;
	unsigned long flags = CLONE_NEWPID | VM_NS_FLAGS(vm->cfg.net);
	bool self_enter;
	pid_t pid;
	int r;

	r = prepare_run_dir(vm, err);
	if (r == 0)
		r = vm_ids_run(vm, layers_ready, err);
	if (r < 0)
		return r;
	r = vm_stores_record(vm, err);   /* before their whiteouts are made */
	if (r < 0)
		return r;
	r = vm_view(vm) ? host_mounts_read(vm->store->path, &vm->cfg, vm_view(vm), &mounts, &n, err) :
			  fvm_errf(err, -ENOMEM, "out of memory");
	if (r < 0)
		return r;
	/* an fd per host mount is in flight while booting: room for them all,
	 * put back before any VM program runs (see vm_child and below) */
	getrlimit(RLIMIT_NOFILE, &saved_nofile);
	if (n + 64 > saved_nofile.rlim_cur) {
		struct rlimit more = { saved_nofile.rlim_max, saved_nofile.rlim_max };

		setrlimit(RLIMIT_NOFILE, &more);
	}
	if (n > MAX_MOUNTS) {
		r = fvm_errf(err, -E2BIG, "VM '%s': the host has %zu mounts, more than the %d fvm handles",
			     vm->cfg.name, n, MAX_MOUNTS);
		goto out;
	}
	lfd = ctl_listen(vm, err);
	if (lfd < 0) {
		r = lfd;
		goto out;
	}
	/* connect before init exists, so its first look already counts us */
	if (ret_client) {
		r = ctl_connect(vm, &client, err);
		if (r < 0)
			goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = fvm_errf(err, -errno, "cannot create a socket pair: %s", strerror(errno));
		goto out;
	}
	r = cgroup_setup(vm, &cg, err);   /* made and limited before any VM process exists */
	if (r < 0)
		goto out;
	/* --gui: the display (a nested X server) exists before the VM does */
	r = gui_start(vm, &gui, err);
	if (r < 0) {
		cgroup_remove(vm);
		goto out;
	}
	vm->gui = &gui;
	self_enter = cgroup_prepare_self(&cg) == 0;
	pid = sys_clone(flags);
	if (pid < 0) {
		cgroup_remove(vm);
		r = fvm_errf(err, -errno, "VM '%s': cannot create its namespaces: %s%s", vm->cfg.name,
			     strerror(errno),
			     errno == EPERM || errno == ENOSPC ?
			     " (are unprivileged user namespaces disabled? see user.max_user_namespaces)" : "");
		goto out;
	}
	if (pid == 0) {
		close(sp[0]);
		vm_child(vm, mounts, n, sp[1], lfd, persist, &cg);
	}
	close(sp[1]);
	sp[1] = -1;
	/* init waits for "go" (boot_parent): in the cgroup before it runs on, so is all it starts */
	r = self_enter ? 0 : cgroup_enter(vm, &cg, pid, err);
	if (r == 0)
		r = boot_parent(vm, pid, sp[0], mounts, n, err);
	if (r < 0) {
		gui_release(&gui);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		vm_clear_runtime(vm);
		goto out;
	}
	/* --net private: pasta, once the VM is ready, stopped by its own supervisor with the VM */
	if (vm->cfg.net == FVM_NET_PRIVATE && (r = net_start(vm, pid, err)) < 0) {
		gui_release(&gui);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		vm_clear_runtime(vm);
		goto out;
	}
	/* the nested X server lives as long as init */
	if ((r = gui_attach(&gui, pid)) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		vm_clear_runtime(vm);
		fvm_errf(err, r, "VM '%s': cannot tie its X server to it: %s", vm->cfg.name, strerror(-r));
		goto out;
	}
	ret_st->pid = pid;
	ret_st->persist = persist;
	r = proc_starttime(pid, &ret_st->starttime);
	if (r == 0)   /* while init is still dumpable, see vm_child */
		r = pidns_inode(pid, &ret_st->pidns);
	if (r == 0)
		r = state_save(vm, ret_st);
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		cgroup_remove(vm);
		fvm_errf(err, r, "VM '%s': cannot record its runtime state in %s/run: %s", vm->cfg.name,
			 vm->dir, strerror(-r));
	} else {
		char b;

		/* let init stop dying with us, and wait until it has (see vm_child) */
		if (write(sp[0], "g", 1) != 1 || read(sp[0], &b, 1) != 1 || b != 'c') {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			vm_clear_runtime(vm);
			r = fvm_errf(err, -EIO, "VM '%s': its init died while booting", vm->cfg.name);
		} else if (ret_client) {
			*ret_client = TAKE_FD(client);
		}
	}
out:
	gui_release(&gui);   /* not attached: the supervisor stops the server */
	vm->gui = NULL;
	if (saved_nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &saved_nofile);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	host_mounts_free(mounts, n);
	return r;
}
