// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vm.c - the VM object: create, open, its settings, and whether it runs
 * (its life from then on is the vm part's: vm/lifecycle.c).
 *
 * A VM is STORE/vms/NAME: config.json, lock, layers/, run/. It is created
 * under a temporary name and renamed into place (RENAME_NOREPLACE), so a
 * crash never leaves a half-made VM under its real name, and removed by
 * renaming it out of sight first (fvm_vm_remove()). Whether it runs is decided by
 * run/state.json *and* the process it names being alive with the same
 * start time; stale state (fvm or the VM killed) is cleaned by the next
 * command that holds the lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "policy/policy.h"
#include "store/store.h"

int hostname_check(const char *h, struct fvm_error *err)
{
	size_t n = strlen(h);
	bool ok = n >= 1 && n <= 64 && h[0] != '-' && h[0] != '.';

	for (size_t i = 0; ok && i < n; i++)
		ok = (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		     (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.';
	if (ok)
		return 0;
	return fvm_errf(err, -EINVAL, "bad hostname '%.80s': use 1-64 letters, digits, '-' or '.'", h);
}

static int vm_new(struct fvm_store *store, const char *dirname, const char *name,
		  struct fvm_vm **ret, struct fvm_error *err)
{
	_cleanup_free_ struct fvm_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return fvm_errf(err, -ENOMEM, "out of memory");
	vm->store = store;
	snprintf(vm->cfg.name, sizeof(vm->cfg.name), "%s", name);
	vm->dirfd = openat(store->vmsfd, dirname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vm->dirfd < 0) {
		if (errno == ENOENT)
			return fvm_errf(err, -ENOENT, "no VM named '%s' in %s: create it with 'fvm create %s'",
					name, store->path, name);
		return fvm_errf(err, -errno, "VM '%s': cannot open %s/vms/%s: %s", name, store->path,
				dirname, strerror(errno));
	}
	if (asprintf(&vm->dir, "%s/vms/%s", store->path, dirname) < 0) {
		close(vm->dirfd);
		return fvm_errf(err, -ENOMEM, "out of memory");
	}
	*ret = TAKE_PTR(vm);
	return 0;
}

/**
 * fvm_vm_create() - make a new, stopped VM with empty layers, opened in
 * *@ret unless @ret is NULL
 *
 * Return: 0, -EEXIST when the name is taken, or another -errno.
 */
FVM_PUBLIC int fvm_vm_create(struct fvm_store *store, const char *name, const struct fvm_vm_opts *opts,
		  struct fvm_vm **ret, struct fvm_error *err)
{
	_cleanup_close_ int lock = -1;
	struct fvm_vm *vm = NULL;
	char tmp[FVM_NAME_MAX + 32];
	bool allocated = false;
	int r = fvm_name_check(name, err);

	if (r < 0)
		return r;
	if (opts && opts->hostname && (r = hostname_check(opts->hostname, err)) < 0)
		return r;
	lock = store_lock(store, err);
	if (lock < 0)
		return lock;
	if (faccessat(store->vmsfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return fvm_errf(err, -EEXIST, "VM '%s' already exists in %s: use it, or remove it with 'fvm rm %s'",
				name, store->path, name);
	snprintf(tmp, sizeof(tmp), ".new.%s.%d", name, (int)getpid());
	rm_rf_at(store->vmsfd, tmp);
	if (mkdirat(store->vmsfd, tmp, 0700) < 0)
		return fvm_errf(err, -errno, "cannot create %s/vms/%s: %s", store->path, tmp,
				strerror(errno));
	r = vm_new(store, tmp, name, &vm, err);
	if (r < 0)
		goto fail;
	vm->cfg.created = (long long)time(NULL);
	vm->cfg.rootless = store->rootless;
	vm->cfg.owner = store->uid;
	vm->cfg.home = caller_home();   /* fixed now: see view.c */
	if (opts) {
		r = config_apply(&vm->cfg, opts, ~0u, err);
		if (r == 0)
			r = cgroup_check(&vm->cfg, err);
		if (r < 0)
			goto fail;
	} else {
		snprintf(vm->cfg.hostname, sizeof(vm->cfg.hostname), "%s", name);
		vm->cfg.limits.pids = config_pids(&vm->cfg, 0);
	}
	if (vm->cfg.ids != FVM_IDS_SINGLE) {   /* rootless, sub or auto */
		struct fvm_error e = { 0 };

		r = subid_resolve(store->uid, &vm->cfg.subuid, &vm->cfg.subgid, &e);
		if (r < 0 && vm->cfg.ids == FVM_IDS_SUB) {
			fvm_errf(err, r, "VM '%s': --ids sub: %s", name, e.msg);
			goto fail;
		}
		if (r < 0)   /* auto: single, and inspect says why */
			snprintf(vm->cfg.ids_note, sizeof(vm->cfg.ids_note), "--ids auto took single: %s", e.msg);
		vm->cfg.ids = r < 0 ? FVM_IDS_SINGLE : FVM_IDS_SUB;
	}
	if (!store->rootless) {
		vm->cfg.uid_count = UID_RANGE;
		r = idmap_allocate(store, name, &vm->cfg.uid_base, err);
		if (r < 0)
			goto fail;
		allocated = true;
	}
	r = config_save(vm, err);
	if (r < 0)
		goto fail;
	if (renameat2(store->vmsfd, tmp, store->vmsfd, name, RENAME_NOREPLACE) < 0) {
		r = fvm_errf(err, -errno, "cannot create %s/vms/%s: %s", store->path, name,
			     strerror(errno));
		goto fail;
	}
	/* its dirfd followed the rename; its path is the real one from now on */
	free(vm->dir);
	if (asprintf(&vm->dir, "%s/vms/%s", store->path, name) < 0)
		vm->dir = NULL;
	if (!vm->dir || !ret) {
		fvm_vm_free(vm);
		return ret ? fvm_errf(err, -ENOMEM, "VM '%s' is created, but out of memory to open it", name) : 0;
	}
	*ret = vm;
	return 0;
fail:
	if (allocated)
		registry_release(store->path, name, vm->cfg.uid_base, NULL);
	fvm_vm_free(vm);
	rm_rf_at(store->vmsfd, tmp);
	return r;
}

/**
 * fvm_vm_open() - open an existing VM and check its config
 *
 * A VM belongs to the mode it was made in: a root-mode VM's layers hold
 * files of its uid range, a rootless one's the user's, so neither can be
 * run in the other mode.
 */
FVM_PUBLIC int fvm_vm_open(struct fvm_store *store, const char *name, struct fvm_vm **ret,
		struct fvm_error *err)
{
	struct fvm_vm *vm = NULL;
	int r = fvm_name_check(name, err);

	if (r < 0)
		return r;
	r = vm_new(store, name, name, &vm, err);
	if (r < 0)
		return r;
	r = rename_finish(store, vm->dirfd, name);   /* a rename cut short (clone.c) */
	if (r == 0)
		r = config_load(vm, err);
	if (r == 0 && vm->cfg.rootless != store->rootless)
		r = fvm_errf(err, -EPERM, "VM '%s' was created %s: run fvm %s to use it", name,
			     vm->cfg.rootless ? "by an unprivileged user" : "as root",
			     vm->cfg.rootless ? "as that user" : "as root");
	else if (r == 0 && vm->cfg.rootless && vm->cfg.owner != store->uid)
		r = fvm_errf(err, -EPERM, "VM '%s' belongs to uid %u: run fvm as that user", name,
			     (unsigned)vm->cfg.owner);
	if (r < 0) {
		fvm_vm_free(vm);
		return r;
	}
	*ret = vm;
	return 0;
}

FVM_PUBLIC void fvm_vm_free(struct fvm_vm *vm)
{
	if (!vm)
		return;
	vm_view_drop(vm);
	config_release(&vm->cfg);
	fvm_strv_free(vm->stores);
	close(vm->dirfd);
	free(vm->dir);
	free(vm);
}

FVM_PUBLIC const char *fvm_vm_name(const struct fvm_vm *vm)
{
	return vm->cfg.name;
}

FVM_PUBLIC time_t fvm_vm_created(const struct fvm_vm *vm)
{
	return (time_t)vm->cfg.created;
}

/**
 * fvm_vm_update() - change the settings @what names (FVM_SET_*) of a
 * stopped VM to @opts's. Checked as on create; nothing changes on error.
 */
FVM_PUBLIC int fvm_vm_update(struct fvm_vm *vm, const struct fvm_vm_opts *opts, unsigned what,
		  struct fvm_error *err)
{
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct vm_config saved = vm->cfg;
	struct fvm_vm tmp = *vm;
	int r;

	if (lock < 0)
		return lock;
	if (what & FVM_SET_IDS)
		return fvm_errf(err, -EINVAL, "VM '%s': its ids (--ids) are fixed when it is created: create another VM (fvm create --ids ...) and move its changes there",
				vm->cfg.name);
	if ((what & FVM_SET_HOSTNAME) && opts->hostname && (r = hostname_check(opts->hostname, err)) < 0)
		return r;
	if (vm_running(vm, NULL) == 0)
		return fvm_errf(err, -EBUSY, "VM '%s' is running: stop it with 'fvm stop %s' to change its settings",
				vm->cfg.name, vm->cfg.name);
	/* work on a copy whose lists are our own, so a failure leaves vm as it was */
	tmp.cfg.policies = NULL;
	tmp.cfg.npolicies = 0;
	tmp.cfg.publish = NULL;
	tmp.cfg.npublish = 0;
	tmp.cfg.home = NULL;
	tmp.cfg.devices = NULL;
	tmp.cfg.ndevices = 0;
	tmp.cfg.dbus_talk = NULL;
	tmp.cfg.ndbus_talk = 0;
	r = config_load(&tmp, err);
	if (r == 0)
		r = config_apply(&tmp.cfg, opts, what, err);
	if (r == 0)
		r = cgroup_check(&tmp.cfg, err);
	if (r == 0)
		r = config_save(&tmp, err);
	if (r < 0) {
		config_release(&tmp.cfg);
		vm->cfg = saved;
		return r;
	}
	config_release(&vm->cfg);
	vm->cfg = tmp.cfg;
	vm_view_drop(vm);   /* made anew from the new settings */
	return 0;
}

/*
 * 0 and the state when init is alive; -ESRCH when the VM is stopped. An
 * init on its way out (it decided to stop, and the kernel now tears down
 * its namespaces: each overlay's unmount syncs its upper file system,
 * milliseconds, far more under I/O load) is waited for (up to 10 s) and
 * then counts as stopped: whoever acts on a stopped VM under its lock (a
 * boot, commit, rm) never races its teardown, and fvm run need not wait
 * for it before it returns (fvm_exec.detach_stop).
 */
int vm_running(struct fvm_vm *vm, struct vm_state *ret_st)
{
	struct vm_state st;
	struct pollfd p = { .events = POLLIN };
	int fd;

	if (state_load(vm, &st) < 0)
		return -ESRCH;
	fd = pidfd_open_checked(st.pid, st.starttime);
	if (fd < 0)
		return -ESRCH;
	p.fd = fd;
	if (proc_exiting(st.pid) && poll(&p, 1, 10000) == 1) {
		close(fd);
		return -ESRCH;
	}
	close(fd);
	if (ret_st)
		*ret_st = st;
	return 0;
}


/**
 * fvm_vm_running() - Return: 1 if @vm runs (init's host pid in
 * *@ret_init_pid), 0 if it is stopped.
 */
FVM_PUBLIC int fvm_vm_running(struct fvm_vm *vm, pid_t *ret_init_pid)
{
	struct vm_state st;

	if (vm_running(vm, &st) < 0)
		return 0;
	if (ret_init_pid)
		*ret_init_pid = st.pid;
	return 1;
}

