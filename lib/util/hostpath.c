// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hostpath.c - opening a host path named by a policy or the mount table
 * without following any symlink on the way.
 *
 * A path recorded at create time (--share, --hide...) or read from
 * /proc/self/mountinfo is looked up again at each boot, while users may
 * have replaced one of its components with a symlink meanwhile (their own
 * home, /tmp). Every such lookup goes through host_path_open(), which
 * refuses a symlink anywhere in the path (openat2 RESOLVE_NO_SYMLINKS from
 * the caller's root), and the caller then acts on the fd it got, never on
 * the path again. host_path_symlink() names the component that is a
 * symlink, for the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/store.h"
#include "launch/launch.h"

/**
 * host_path_open() - open absolute host path @path following no symlink
 * @flags: open flags (O_PATH, O_DIRECTORY...); O_CLOEXEC is added
 *
 * Return: the fd, -ELOOP if a component (the last included) is a symlink,
 * or another -errno.
 */
int host_path_open(const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!path || *path != '/')
		return -EINVAL;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/**
 * host_path_symlink() - the first component of @path that is a symlink
 * @buf: receives that prefix of @path ("/a/b" for "/a/b/c" when b is one)
 *
 * Return: 0 and @buf filled, -ENOENT if no component is (or a component
 * is missing first), or -errno.
 */
int host_path_symlink(const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];
	char *s;

	if (!path || *path != '/' || strlen(path) >= sizeof(p))
		return -EINVAL;
	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1;; s++) {
		char c = *s;
		struct stat st;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode)) {
			snprintf(buf, len, "%s", p);
			return 0;
		}
		if (c == '\0')
			return -ENOENT;
		*s = '/';
	}
}
