/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch/mountapi.h - the fd-based mount API as mount.c and root.c use it
 * (private to lib/launch): thin system call wrappers, and the detached
 * mounts made and attached beneath a root fd (mount.c).
 */
#ifndef FVM_LAUNCH_MOUNTAPI_H
#define FVM_LAUNCH_MOUNTAPI_H

#include <linux/mount.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int sys_open_tree(int dfd, const char *p, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, p, flags);
}

static inline int sys_mount_setattr(int dfd, const char *p, unsigned flags, struct mount_attr *a)
{
	return (int)syscall(SYS_mount_setattr, dfd, p, flags, a, sizeof(*a));
}

static inline int sys_fsopen(const char *fs, unsigned flags)
{
	return (int)syscall(SYS_fsopen, fs, flags);
}

static inline int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *val, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, val, aux);
}

static inline int sys_fsmount(int fd, unsigned flags, unsigned attrs)
{
	return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static inline int sys_move_mount(int from, const char *fp, int to, const char *tp, unsigned flags)
{
	return (int)syscall(SYS_move_mount, from, fp, to, tp, flags);
}

static inline int sys_pivot_root(const char *n, const char *o)
{
	return (int)syscall(SYS_pivot_root, n, o);
}

/* mount.c */
int mount_fs_at(int rootfd, const char *target, const char *fstype, const char *const *opts,
		unsigned attrs);
int mount_bind_at(const char *src, int rootfd, const char *target, bool recursive, bool ro);

#endif
