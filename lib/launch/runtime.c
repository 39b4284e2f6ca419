// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * runtime.c - a VM's runtime state (run/: state.json, ctl.sock, pasta's
 * files) and what goes with it (its cgroup, its pasta), cleared once the
 * VM is stopped and reset before it boots. The caller holds the VM's lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "launch/launch.h"
#include "policy/policy.h"

/* the VM is stopped (caller holds its lock): drop its runtime state and its cgroup */
int vm_clear_runtime(struct fvm_vm *vm)
{
	cgroup_remove(vm);
	net_stop(vm);   /* its pasta, if any, goes with init: make sure it is gone */
	gui_stop(vm);   /* and its nested X server */
	return rm_rf_at(vm->dirfd, "run");
}

/* run/ is not a directory (a store damaged by hand): remove it, make it anew */
static int vm_clear_then_mkdir(struct fvm_vm *vm)
{
	int r = rm_rf_at(vm->dirfd, "run");

	if (r == 0 && mkdirat(vm->dirfd, "run", 0700) < 0)
		r = -errno;
	return r;
}

/*
 * The VM is stopped and about to boot (caller holds its lock): what the last
 * run left in run/ goes, in place. run/ itself and state.json stay: the
 * state is replaced atomically once the new init is recorded (until then
 * it names a dead init, which every reader takes as stopped), and
 * removing and re-creating the directory and the file cost two journalled
 * metadata updates per boot for nothing.
 */
int vm_reset_runtime(struct fvm_vm *vm)
{
	_cleanup_close_ int run = -1;
	DIR *d;
	struct dirent *de;
	int r = 0;

	cgroup_remove(vm);
	net_stop(vm);   /* a pasta a crashed fvm left behind */
	gui_stop(vm);
	if (mkdirat(vm->dirfd, "run", 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	run = openat(vm->dirfd, "run", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (run < 0)
		return errno == ENOTDIR || errno == ELOOP ? vm_clear_then_mkdir(vm) : -errno;
	d = fdopendir(TAKE_FD(run));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int q;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "state.json"))
			continue;
		q = rm_rf_at(dirfd(d), de->d_name);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	return r;
}
