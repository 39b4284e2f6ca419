// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lifecycle.c - a VM's life once it exists: start, stop, remove, inspect.
 * Whether it runs is decided by run/state.json *and* the process it names
 * being alive with the same start time (store/vm.c); stale state (fvm or
 * the VM killed) is cleaned by the next command that holds the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch/launch.h"
#include "store/store.h"

static bool wait_pidfd(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/**
 * fvm_vm_start() - boot @vm and keep it running until fvm_vm_stop(), even
 * with no process in it. A VM already running (say, for an `fvm run`) is
 * told to stay up.
 */
FVM_PUBLIC int fvm_vm_start(struct fvm_vm *vm, struct fvm_error *err)
{
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct vm_state st;

	if (lock < 0)
		return lock;
	for (int attempt = 0; attempt < 5; attempt++) {
		_cleanup_close_ int client = -1, pidfd = -1;

		if (vm_running(vm, &st) < 0)
			return vm_boot(vm, true, &st, NULL, err);
		if (st.persist)
			return 0;
		pidfd = pidfd_open_checked(st.pid, st.starttime);
		if (pidfd >= 0 && ctl_connect(vm, &client, NULL) == 0 && ctl_wait_ack(client) == 0 &&
		    send(client, "p", 1, MSG_NOSIGNAL) == 1) {
			st.persist = true;
			return state_save(vm, &st);
		}
		/* it was stopping: let it finish, then boot it anew */
		if (pidfd >= 0)
			wait_pidfd(pidfd, 10000);
	}
	return fvm_errf(err, -EAGAIN, "VM '%s' keeps stopping while fvm starts it: try again",
			vm->cfg.name);
}


static int stop_locked(struct fvm_vm *vm, unsigned timeout_sec, struct fvm_error *err)
{
	struct vm_state st;
	int pidfd;

	if (vm_running(vm, &st) < 0)
		return vm_clear_runtime(vm);
	pidfd = pidfd_open_checked(st.pid, st.starttime);
	if (pidfd < 0)
		return vm_clear_runtime(vm);
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	if (!wait_pidfd(pidfd, (int)timeout_sec * 1000)) {
		/* init's death makes the kernel kill every process of the VM */
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		if (!wait_pidfd(pidfd, 10000)) {
			close(pidfd);
			return fvm_errf(err, -ETIMEDOUT, "VM '%s': init (host pid %d) did not die after SIGKILL",
					vm->cfg.name, (int)st.pid);
		}
	}
	close(pidfd);
	return vm_clear_runtime(vm);
}

/**
 * fvm_vm_stop() - SIGTERM to every process of @vm, SIGKILL after
 * @timeout_sec. Stopping a stopped VM succeeds.
 */
FVM_PUBLIC int fvm_vm_stop(struct fvm_vm *vm, unsigned timeout_sec, struct fvm_error *err)
{
	_cleanup_close_ int lock = vm_lock(vm, err);

	if (lock < 0)
		return lock;
	return stop_locked(vm, timeout_sec, err);
}

/*
 * A pidfd of the VM's service supervisor while it lives, else -1. It
 * writes service.json and (through its logger) the log in the VM's
 * directory until it has seen the VM stop, so rm waits for it before it
 * deletes: else a last write lands in a directory being deleted. The
 * status read after the open tells that the pidfd is that supervisor's.
 */
static int supervisor_pidfd(struct fvm_vm *vm)
{
	struct fvm_service_status st, again;
	int fd;

	if (fvm_vm_service_status(vm, &st, NULL) < 0 || st.supervisor_pid <= 0)
		return -1;
	fd = (int)syscall(SYS_pidfd_open, st.supervisor_pid, 0);
	if (fd >= 0 && (fvm_vm_service_status(vm, &again, NULL) < 0 || again.supervisor_pid != st.supervisor_pid)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int remove_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	bool force = *(const bool *)arg;
	_cleanup_close_ int lock = vm_lock(vm, err), svc = -1;
	char gone[FVM_NAME_MAX + 32];
	int r;

	if (lock < 0)
		return lock;
	svc = supervisor_pidfd(vm);
	if (vm_running(vm, NULL) == 0) {
		if (!force)
			return fvm_errf(err, -EBUSY,
					"VM '%s' is running: stop it with 'fvm stop %s' or use 'fvm rm -f %s'",
					vm->cfg.name, vm->cfg.name, vm->cfg.name);
		r = stop_locked(vm, 10, err);
		if (r < 0)
			return r;
	} else {
		vm_clear_runtime(vm);   /* a VM found stopped may still have its empty cgroup */
	}
	(void)cb;
	if (svc >= 0)
		wait_pidfd(svc, 10000);   /* it ends once it sees the VM stopped */
	snprintf(gone, sizeof(gone), ".rm.%s.%d", vm->cfg.name, (int)getpid());
	if (renameat(vm->store->vmsfd, vm->cfg.name, vm->store->vmsfd, gone) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot remove %s: %s", vm->cfg.name, vm->dir,
				strerror(errno));
	r = rm_rf_at(vm->store->vmsfd, gone);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s' is removed, but %s/vms/%s could not all be deleted: %s",
				vm->cfg.name, vm->store->path, gone, strerror(-r));
	/* its own files are gone, but its frozen layers may back clones: its
	 * uid range is held for them, and released by the layers' collection
	 * below once no layer of that range is named (store/registry.c) */
	if (!vm->cfg.rootless)
		r = registry_rename(vm->store->path, vm->cfg.name, REGISTRY_HELD, err);
	layers_gc(vm->store);   /* the frozen layers only it stood on (store/layer-gc.c) */
	return r;
}

/**
 * fvm_vm_remove() - delete @vm and its layers; refused while it runs
 * unless @force (then it is stopped first). --ids sub: in a child that
 * reaches the files of its other ids (vm_ids_run()).
 */
FVM_PUBLIC int fvm_vm_remove(struct fvm_vm *vm, bool force, struct fvm_error *err)
{
	return vm_ids_run(vm, remove_do, &force, NULL, err);
}

static int size_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	(void)arg;
	(void)err;
	*(uint64_t *)cb->ret = tree_size_at(vm->dirfd, "layers");
	return 0;
}

/* --ids sub: measured by a child that reaches directories of its other ids */
FVM_PUBLIC int fvm_vm_changes_size(struct fvm_vm *vm, uint64_t *ret_bytes, struct fvm_error *err)
{
	uint64_t bytes = 0;
	const struct ids_call cb = { .ret = &bytes, .ret_len = sizeof(bytes) };
	int r = vm_ids_run(vm, size_do, NULL, &cb, err);

	*ret_bytes = r < 0 ? 0 : bytes;
	return r;
}

FVM_PUBLIC int fvm_vm_inspect_json(struct fvm_vm *vm, char **ret_json, struct fvm_error *err)
{
	struct vm_state st = { 0 };
	bool running = vm_running(vm, &st) == 0;
	struct fvm_proc *procs = NULL;
	size_t n = 0;
	char *s;

	if (running)
		fvm_vm_processes(vm, &procs, &n, NULL);
	free(procs);
	s = config_to_json(vm, &st, running, (int)n);
	if (!s)
		return fvm_errf(err, -ENOMEM, "out of memory");
	*ret_json = s;
	return 0;
}
