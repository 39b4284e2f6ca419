// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmpath.c - paths inside a VM, looked up by fvm's own code after it has
 * entered the VM (the process that becomes a VM's program, before exec).
 *
 * Theory of operation. Such a process has just joined the VM's mount
 * namespace; the VM owns every file it can reach there. It closes every
 * fd but its stdio first (exec.c), so that no path can lead back to the
 * host through /proc/self/fd; then it reaches files only from an fd of the
 * VM's root, with openat2: never through a /proc magic link, never out of
 * the root, and where the file is fvm's to read (passwd, devices) not
 * through any symlink, with O_NONBLOCK so a FIFO the VM put in its place
 * cannot block fvm, and its type checked on the fd. A working directory
 * may be reached through the VM's own symlinks (as chdir(2) would), but
 * only inside its root, and getcwd() must show that it is there (runc's
 * check after CVE-2024-21626).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

/**
 * vm_openat() - openat2(@rootfd, @path) with O_CLOEXEC and @resolve, plus
 * RESOLVE_NO_MAGICLINKS always.
 *
 * Return: the fd, or -errno.
 */
int vm_openat(int rootfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = resolve | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

static int beneath(int dirfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | resolve,
	};

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/**
 * open_beneath() - open @path below @dirfd (leading slashes ignored, ""
 * is @dirfd itself) without following any symlink or leaving @dirfd.
 *
 * Return: the fd, or -1 with errno set.
 */
int open_beneath(int dirfd, const char *path, int flags)
{
	return beneath(dirfd, path, flags, 0);
}

/**
 * open_beneath_mount() - open_beneath(), and neither crossing a mount
 * point nor opening a symlink itself (O_NOFOLLOW).
 */
int open_beneath_mount(int dirfd, const char *path, int flags)
{
	return beneath(dirfd, path, flags | O_NOFOLLOW, RESOLVE_NO_XDEV);
}

/**
 * vm_open_typed() - open @path below @rootfd (relative, no symlinks, never
 * blocking on a FIFO or a device) and check on the fd that it is of the
 * file type @type (S_IFREG, S_IFCHR...); its stat in *@ret_st.
 *
 * Return: the fd (O_NONBLOCK, close-on-exec), -EMEDIUMTYPE when @path is
 * of another type, or another -errno.
 */
int vm_open_typed(int rootfd, const char *path, int flags, mode_t type, struct stat *ret_st)
{
	_cleanup_close_ int fd = vm_openat(rootfd, path, flags | O_NOCTTY | O_NONBLOCK,
					   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);

	if (fd < 0)
		return fd;
	if (fstat(fd, ret_st) < 0)
		return -errno;
	if ((ret_st->st_mode & S_IFMT) != type)
		return -EMEDIUMTYPE;
	return TAKE_FD(fd);
}

/**
 * vm_open_dev() - open the character device @major:@minor at @path below
 * @rootfd (relative, no symlinks), e.g. "dev/null" 1:3.
 *
 * Return: the fd (blocking, close-on-exec), -ENODEV when @path is
 * something else, or another -errno.
 */
int vm_open_dev(int rootfd, const char *path, int flags, unsigned major, unsigned minor)
{
	struct stat st;
	_cleanup_close_ int fd = vm_open_typed(rootfd, path, flags, S_IFCHR, &st);

	if (fd == -EMEDIUMTYPE || (fd >= 0 && st.st_rdev != makedev(major, minor)))
		return -ENODEV;
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, 0) < 0)   /* blocking again */
		return -errno;
	return TAKE_FD(fd);
}

/**
 * vm_chdir() - make @path, resolved inside the VM's root @rootfd (an
 * absolute path is taken from that root), the working directory.
 *
 * Return: 0, -ELOOP for a path through a /proc magic link (or a symlink
 * loop), -EXDEV when the directory is not reachable from the process's
 * root, or another -errno.
 */
int vm_chdir(int rootfd, const char *path)
{
	_cleanup_close_ int fd = vm_openat(rootfd, path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT);
	char buf[PATH_MAX];

	if (fd < 0)
		return fd;
	if (fchdir(fd) < 0)
		return -errno;
	if (!getcwd(buf, sizeof(buf)))
		return errno == ENOENT ? -EXDEV : -errno;
	return buf[0] == '/' ? 0 : -EXDEV;
}
