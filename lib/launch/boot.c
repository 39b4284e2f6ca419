// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * boot.c - starting a VM: its namespaces, its file system and its init.
 *
 * Theory of operation. The caller holds the VM's lock. One clone() makes
 * the VM's first process in new user, mount, pid, ipc, uts and (but for
 * --net host) net namespaces; it is PID 1 of the VM and becomes its init.
 * It waits on a socketpair while the parent, still on the host, writes
 * its uid/gid maps and, as root, makes the idmapped overlays (which needs
 * the host's privileges) and sends their fds over. The child (boot-child.c)
 * then builds its root (mount.c), sets the hostname, brings up loopback
 * and answers "ready" or an error message, and becomes init (init.c).
 * Once init exists, every failure goes one way (boot_abort). The VM's cgroup
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
 * (see init.c). As root the first process then executes the static init
 * (init-static.c) from a sealed memfd made here (init_exe_open()), which
 * finishes the boot's handshake; rootless it stays the forked fvm. Rootless it stays dumpable until the parent has recorded
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/policy.h"
#include "changes/changes.h"
#include "launch/launch.h"
#include "launch/boot.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* a bound on the host mounts a VM gets (each costs an fd while booting) */
#define MAX_MOUNTS 65536

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

/**
 * init_exe_open() - the static init (init-static.c) as a sealed memfd of
 * the host's root, mode 0111: the VM's first process executes it as root
 * mode's init. Not readable by the VM's root, whose uids do not map the
 * host's root: so the kernel keeps the new init not dumpable and its
 * memory tied to the host's user namespace (see init-static.c). Sealed:
 * never written again, nor its mode changed.
 *
 * Return: the fd (close-on-exec), or -1 where there is none (a machine
 * without the static init: the forked fvm stays init).
 */
int init_exe_open(void)
{
	const unsigned seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	int fd;

	if (!fvm_init_exe_len)
		return -1;
	fd = memfd_create("fvm-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)   /* before Linux 6.3: no MFD_EXEC, exec allowed */
		fd = memfd_create("fvm-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write_all(fd, fvm_init_exe, fvm_init_exe_len) < 0 || fchmod(fd, 0111) < 0 ||
	    (fcntl(fd, F_ADD_SEALS, seals | F_SEAL_EXEC) < 0 && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
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
	int fds[2] = { -1, -1 }, r;   /* /dev/fuse, the layer's lock */

	if (!vm->cfg.rootless || end == idx || *end || i >= n)
		return fvm_errf(err, -EIO, "VM '%s': its first process asked for a bad mount", vm->cfg.name);
	r = fds_recv(sock, fds, 2);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': its first process died while booting", vm->cfg.name);
	r = fuseovl_spawn(vm, pid, mounts[i].target, fds[0], fds[1], err);
	close(fds[0]);
	close(fds[1]);
	return r;
}

/*
 * Parent side: maps, overlays (root mode), then wait for "ready". The
 * child gets one byte per mount (BOOT_FD_MOUNT: its mount comes as an fd,
 * BOOT_FD_SPENT: so does the idmapped lower it was made of, to be let go
 * of cheaply, see mount_make()), then the mounts' fds, then the spent ones.
 */
static int boot_parent(struct fvm_vm *vm, pid_t pid, int sock, const struct host_mount *mounts,
		       size_t n, struct fvm_error *err)
{
	_cleanup_free_ unsigned char *present = calloc(n, 1);
	_cleanup_free_ int *fds = malloc(n * sizeof(int));
	_cleanup_free_ int *spent = malloc(n * sizeof(int));
	_cleanup_close_ int uns = -1;
	struct boot_msg m;
	ssize_t got;
	int r;

	if (!present || !fds || !spent)
		return fvm_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		fds[i] = spent[i] = -1;
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
			r = mount_make(vm, mounts, n, i, uns, &fds[i], &spent[i], err);
			if (r < 0 && (i == 0 || mounts[i].kind != MK_OVERLAY))
				goto out;   /* a policy that cannot be applied stops the boot */
			if (r < 0)
				fds[i] = -1;
			present[i] = (fds[i] >= 0 ? BOOT_FD_MOUNT : 0) | (spent[i] >= 0 ? BOOT_FD_SPENT : 0);
		}
	}
	r = write_all(sock, present, n);   /* one message on a SEQPACKET socket */
	if (r == 0)
		r = send_fds(sock, fds, n);
	if (r == 0)
		r = send_fds(sock, spent, n);
	for (size_t i = 0; i < n; i++)
		if (spent[i] >= 0) {
			close(spent[i]);   /* in flight to the child: no dissolve here */
			spent[i] = -1;
		}
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
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		if (spent[i] >= 0)
			close(spent[i]);   /* only when the boot failed before sending */
	}
	return r;
}

/*
 * Before any overlay uses the layers: a snapshot or restore cut short is
 * finished, a commit made while the VM ran leaves them (--ids sub: in a
 * child that can reach the files of the VM's other ids, vm_ids_run).
 */
static int layers_ready(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	int r = lifecycle_recover(vm, err);

	(void)arg;
	(void)cb;
	if (r == 0)
		commit_prune_recorded(vm);
	return r;
}

/* Before the boot's first step: the runtime reset, the layers, the stores, the mount plan */
static int boot_prepare(struct boot *b, struct fvm_error *err)
{
	struct fvm_vm *vm = b->vm;
	int r = prepare_run_dir(vm, err);

	if (r == 0)
		r = vm_ids_run(vm, layers_ready, NULL, NULL, err);
	if (r < 0)
		return r;
	r = vm_stores_record(vm, err);   /* before their whiteouts are made */
	if (r < 0)
		return r;
	return vm_view(vm) ? host_mounts_read(vm->store->path, &vm->cfg, vm_view(vm), &b->mounts, &b->n, err) :
			     fvm_errf(err, -ENOMEM, "out of memory");
}

/* The control socket (and the caller's connection to it) and the boot's socket pair */
static int boot_channels(struct boot *b, bool want_client, struct fvm_error *err)
{
	struct fvm_vm *vm = b->vm;
	int r;

	if (b->n > MAX_MOUNTS)
		return fvm_errf(err, -E2BIG, "VM '%s': the host has %zu mounts, more than the %d fvm handles",
				vm->cfg.name, b->n, MAX_MOUNTS);
	b->lfd = ctl_listen(vm, err);
	if (b->lfd < 0)
		return b->lfd;
	/* connect before init exists, so its first look already counts us */
	if (want_client) {
		r = ctl_connect(vm, &b->client, err);
		if (r < 0)
			return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b->sp) < 0)
		return fvm_errf(err, -errno, "cannot create a socket pair: %s", strerror(errno));
	/* root: init is the static one, made here by the host's root (see init_exe_open) */
	if (!vm->cfg.rootless)
		b->init_exe = init_exe_open();
	return 0;
}

/* The cgroup and the display, then the clone: b->pid, the child never returns */
static int boot_clone(struct boot *b, struct fvm_error *err)
{
	struct fvm_vm *vm = b->vm;
	unsigned long flags = CLONE_NEWPID | VM_NS_FLAGS(vm->cfg.net);
	bool self_enter;
	int r = cgroup_setup(vm, &b->cg, err);   /* made and limited before any VM process exists */

	if (r < 0)
		return r;
	/* --gui: the display (a nested X server) exists before the VM does */
	r = gui_start(vm, &b->gui, err);
	if (r < 0) {
		cgroup_remove(vm);
		return r;
	}
	vm->gui = &b->gui;
	self_enter = cgroup_prepare_self(&b->cg) == 0;
	b->pid = sys_clone(flags);
	if (b->pid < 0) {
		int e = errno;

		cgroup_remove(vm);
		return fvm_errf(err, -e, "VM '%s': cannot create its namespaces: %s%s", vm->cfg.name,
				strerror(e),
				e == EPERM || e == ENOSPC ?
				" (are unprivileged user namespaces disabled? see user.max_user_namespaces)" : "");
	}
	if (b->pid == 0) {
		close(b->sp[0]);
		boot_child(b);
	}
	close(b->sp[1]);
	b->sp[1] = -1;
	/* init waits for "go" (boot_parent): in the cgroup before it runs on, so is all it starts */
	return self_enter ? 0 : cgroup_enter(vm, &b->cg, b->pid, err);
}

/*
 * The one failure path once init exists: the display let go, init killed
 * and reaped, then its runtime state cleared (@clear_run), or only its
 * cgroup removed (the state could not be saved).
 */
static void boot_abort(struct boot *b, bool clear_run)
{
	gui_release(&b->gui);
	kill(b->pid, SIGKILL);
	waitpid(b->pid, NULL, 0);
	if (clear_run)
		vm_clear_runtime(b->vm);
	else
		cgroup_remove(b->vm);
}

/* init is ready: record it, then let it stop dying with us (see boot-child.c) */
static int boot_record(struct boot *b, struct vm_state *ret_st, struct fvm_error *err)
{
	struct fvm_vm *vm = b->vm;
	char c;
	int r;

	ret_st->pid = b->pid;
	ret_st->persist = b->persist;
	r = proc_starttime(b->pid, &ret_st->starttime);
	if (r == 0)   /* while init is still dumpable, see boot_child */
		r = pidns_inode(b->pid, &ret_st->pidns);
	if (r == 0)
		r = state_save(vm, ret_st);
	if (r < 0) {
		boot_abort(b, false);
		return fvm_errf(err, r, "VM '%s': cannot record its runtime state in %s/run: %s",
				vm->cfg.name, vm->dir, strerror(-r));
	}
	/* let init stop dying with us, and wait until it has (see become_init) */
	if (write(b->sp[0], "g", 1) != 1 || read(b->sp[0], &c, 1) != 1 || c != 'c') {
		boot_abort(b, true);
		return fvm_errf(err, -EIO, "VM '%s': its init died while booting", vm->cfg.name);
	}
	return 0;
}

/* Whatever the outcome: what the boot holds let go, the open-file limit put back */
static void boot_free(struct boot *b)
{
	gui_release(&b->gui);   /* not attached: the supervisor stops the server */
	b->vm->gui = NULL;
	if (b->nofile.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &b->nofile);
	if (b->sp[0] >= 0)
		close(b->sp[0]);
	if (b->sp[1] >= 0)
		close(b->sp[1]);
	host_mounts_free(b->mounts, b->n);
	cgroup_release(&b->cg);
	if (b->lfd >= 0)
		close(b->lfd);
	if (b->init_exe >= 0)
		close(b->init_exe);
	if (b->client >= 0)
		close(b->client);
}

/**
 * vm_boot() - start @vm's init; the caller holds the VM lock
 * @persist: keep running without users (fvm start) instead of stopping
 *           when the last process exits
 */
int vm_boot(struct fvm_vm *vm, bool persist, struct vm_state *ret_st, int *ret_client,
	    struct fvm_error *err)
{
	struct boot b = { .vm = vm, .persist = persist, .sp = { -1, -1 }, .lfd = -1, .client = -1,
			  .cg = VM_CGROUP_INIT, .gui = GUI_BOOT_INIT, .init_exe = -1, .pid = -1 };
	int r = boot_prepare(&b, err);

	if (r < 0) {
		cgroup_release(&b.cg);
		return r;
	}
	/* an fd per host mount is in flight while booting: room for them all,
	 * put back before any VM program runs (see become_init and boot_free) */
	getrlimit(RLIMIT_NOFILE, &b.nofile);
	if (2 * b.n + 64 > b.nofile.rlim_cur) {   /* a mount and its spent lower each */
		struct rlimit more = { b.nofile.rlim_max, b.nofile.rlim_max };

		setrlimit(RLIMIT_NOFILE, &more);
	}
	r = boot_channels(&b, ret_client != NULL, err);
	if (r == 0)
		r = boot_clone(&b, err);
	if (r < 0 && b.pid > 0) {
		boot_abort(&b, true);   /* cloned, and could not be moved into its cgroup */
	} else if (r == 0 && (r = boot_parent(vm, b.pid, b.sp[0], b.mounts, b.n, err)) < 0) {
		boot_abort(&b, true);
	} else if (r == 0 && vm->cfg.net == FVM_NET_PRIVATE && (r = net_start(vm, b.pid, err)) < 0) {
		/* --net private: pasta, once the VM is ready, stopped by its own supervisor with the VM */
		boot_abort(&b, true);
	} else if (r == 0 && (r = gui_attach(&b.gui, b.pid)) < 0) {
		/* the nested X server lives as long as init */
		boot_abort(&b, true);
		fvm_errf(err, r, "VM '%s': cannot tie its X server to it: %s", vm->cfg.name, strerror(-r));
	} else if (r == 0 && (r = boot_record(&b, ret_st, err)) == 0 && ret_client) {
		*ret_client = TAKE_FD(b.client);
	}
	boot_free(&b);
	return r;
}
