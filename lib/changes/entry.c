// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * entry.c - a layer's entry next to the host's: opened the one safe way
 * (open_entry()), and compared (symlink target, content, owner, mode) so
 * that an identical copy-up is no change; its overlay xattrs read without
 * following a symlink; a layer directory's names listed as the walk,
 * commit and discard see them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

/**
 * open_entry() - open @name under @dfd, the one safe way for an entry of
 * a layer: never following a symlink, never blocking, never opening a
 * device or FIFO the VM swapped in (it is opened O_PATH and its type
 * checked on that fd first; only a regular file is then reopened, through
 * /proc/self/fd, to be read)
 * @type: S_IFREG to read the content (an O_RDONLY fd), another S_IF* for
 *        an O_PATH fd of that type (fstat, readlink, xattrs), 0 for any
 * @ret_x: the entry's statx, taken on the fd (may be NULL)
 *
 * Return: the fd, -EMEDIUMTYPE if the entry is not of @type, or -errno.
 */
int open_entry(int dfd, const char *name, mode_t type, struct statx *ret_x)
{
	_cleanup_close_ int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct statx x;
	char proc[64];
	int rd;

	if (fd < 0)
		return -errno;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &x) < 0)
		return -errno;
	if (type && (x.stx_mode & S_IFMT) != type)
		return -EMEDIUMTYPE;
	if (ret_x)
		*ret_x = x;
	if (type != S_IFREG)
		return TAKE_FD(fd);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	rd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return rd < 0 ? -errno : rd;
}

/* Do two symlinks point at the same string? (not inlined: its buffers
 * must not sit in the frames of the walk's recursion) */
__attribute__((noinline)) bool same_target(int up_dfd, int host_dfd, const char *name)
{
	char a[PATH_MAX], b[PATH_MAX];
	ssize_t na = readlinkat(up_dfd, name, a, sizeof(a)), nb = readlinkat(host_dfd, name, b, sizeof(b));

	return na >= 0 && na == nb && !memcmp(a, b, (size_t)na);
}

#define COMPARE_CHUNK 65536

/* Same bytes? Both are regular files of equal size. Opened without
 * blocking (a FIFO swapped in is no file to read) and checked on the fd. */
bool same_content(int up_dfd, int host_dfd, const char *name)
{
	_cleanup_close_ int a = open_entry(up_dfd, name, S_IFREG, NULL);
	_cleanup_close_ int b = open_entry(host_dfd, name, S_IFREG, NULL);
	_cleanup_free_ char *ba = NULL;
	char *bb;

	if (a < 0 || b < 0 || !(ba = malloc(2 * COMPARE_CHUNK)))
		return false;
	bb = ba + COMPARE_CHUNK;
	for (;;) {
		ssize_t na = read_all(a, ba, COMPARE_CHUNK), nb = read_all(b, bb, COMPARE_CHUNK);

		if (na != nb || na < 0 || memcmp(ba, bb, (size_t)na))
			return false;
		if (na == 0)
			return true;
	}
}

/*
 * Rootless, the VM can own nothing but as its user, and directories fvm
 * makes in a layer keep rwx for that user (the store's owner must reach
 * them): neither is a change the VM made.
 */
bool same_owner(const struct vm_config *cfg, const struct statx *up, const struct statx *host)
{
	return cfg->rootless || (map_uid_to_host(cfg, up->stx_uid) == host->stx_uid &&
				 map_uid_to_host(cfg, up->stx_gid) == host->stx_gid);
}

bool same_mode(const struct vm_config *cfg, const struct statx *up, const struct statx *host)
{
	unsigned mask = cfg->rootless && S_ISDIR(up->stx_mode) ? 07077 : 07777;

	return (up->stx_mode & mask) == (host->stx_mode & mask);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory fd (. and .. left out). */
int list_dir(int dfd, char ***ret, size_t *ret_n)
{
	int r = dir_names(dfd, ret, ret_n);

	/* fuse-overlayfs's opaque markers are no entries (fuseovl.c): the
	 * walk, commit and discard pass over them; the xattr says opaque */
	for (size_t i = 0; r == 0 && i < *ret_n;)
		if (fuseovl_marker((*ret)[i])) {
			free((*ret)[i]);
			(*ret)[i] = (*ret)[--*ret_n];
			(*ret)[*ret_n] = NULL;   /* the vector stays NULL-terminated */
		} else {
			i++;
		}
	if (r == 0 && *ret_n)
		qsort(*ret, *ret_n, sizeof(char *), cmp_name);
	return r;
}

/* Is @name in @v, a vector list_dir() made? */
bool list_has(char **v, size_t n, const char *name)
{
	return n && bsearch(&name, v, n, sizeof(char *), cmp_name);
}

#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif

struct xattr_args_v0 {
	unsigned long long value;
	unsigned int size;
	unsigned int flags;
};

/* getxattr of @name under @dfd, symlinks not followed: getxattrat(2)
 * (Linux 6.13) in one call, else through an O_PATH fd and /proc. */
static ssize_t xattr_get(int dfd, const char *name, const char *attr, char *buf, size_t len)
{
	static bool no_xattrat;
	struct xattr_args_v0 args = { .value = (unsigned long long)(uintptr_t)buf, .size = (unsigned)len };
	char proc[64];
	ssize_t n;
	int fd;

	if (!no_xattrat) {
		n = syscall(SYS_getxattrat, dfd, name, AT_SYMLINK_NOFOLLOW, attr, &args, sizeof(args));
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_xattrat = true;
	}
	fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = getxattr(proc, attr, buf, len);
	close(fd);
	return n;
}

/* Does @name carry the overlay xattr @key (with value @val; NULL: any)?
 * @xprefix: "trusted.overlay." or "user.overlay."; @rootless: a layer
 * fuse-overlayfs wrote may carry its own prefix instead. */
bool layer_xattr_is(int dfd, const char *name, const char *xprefix, bool rootless, const char *key,
		    const char *val)
{
	char attr[64], buf[8];
	ssize_t n;

	snprintf(attr, sizeof(attr), "%s%s", xprefix, key);
	/* without a value to match, ask for the size only: origin is a file handle */
	n = xattr_get(dfd, name, attr, val ? buf : NULL, val ? sizeof(buf) : 0);
	if (n < 0 && rootless) {   /* a layer fuse-overlayfs wrote (fuseovl.c) */
		snprintf(attr, sizeof(attr), "%s%s", FUSEOVL_XATTR_PREFIX, key);
		n = xattr_get(dfd, name, attr, val ? buf : NULL, val ? sizeof(buf) : 0);
	}
	if (n < 0)
		return false;
	return !val || ((size_t)n == strlen(val) && !memcmp(buf, val, (size_t)n));
}

