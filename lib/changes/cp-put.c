// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cp-put.c - where fvm cp lands an entry, out of the VM or into it: a
 * file or a symlink by a temporary file and rename(2), so an existing name
 * is replaced, never written through; a directory existing (reached
 * without a symlink) or new. cp.c has the theory of operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changes/changes.h"
#include "util/util.h"

static int tmp_name(char *buf, size_t len)
{
	unsigned rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned)getpid();
	return snprintf(buf, len, ".fvm-cp-%08x", rnd);
}

/*
 * Copy the regular file @sfd to @name under @dfd (temporary file, then
 * rename), with the permission bits of @st that @keep has: no more than
 * @st->st_size bytes (a file the VM keeps writing to ends the copy all the same).
 */
int put_file(int sfd, const struct stat *st, int dfd, const char *name, int uid, int gid, mode_t keep)
{
	static char buf[65536];
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char tmp[32];
	_cleanup_close_ int out = -1;
	off_t left = st->st_size;
	ssize_t n = 0;
	int r = 0;

	tmp_name(tmp, sizeof(tmp));
	out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	while (r == 0 && left > 0 &&
	       (n = read_all(sfd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf))) > 0) {
		r = write_all(out, buf, (size_t)n);
		left -= n;
	}
	if (r == 0 && n < 0)
		r = -errno;
	if (r == 0 && uid >= 0 && fchown(out, (uid_t)uid, (gid_t)gid) < 0)
		r = -errno;
	if (r == 0 && (fchmod(out, st->st_mode & keep) < 0 || futimens(out, ts) < 0))
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

int put_symlink(int sdfd, const char *sname, int dfd, const char *name, int uid, int gid)
{
	char target[PATH_MAX], tmp[32];
	ssize_t n = readlinkat(sdfd, sname, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	tmp_name(tmp, sizeof(tmp));
	if (symlinkat(target, dfd, tmp) < 0)
		return -errno;
	if (uid >= 0)
		fchownat(dfd, tmp, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
	if (renameat(dfd, tmp, dfd, name) < 0) {
		int r = -errno;

		unlinkat(dfd, tmp, 0);
		return r;
	}
	return 0;
}

/* A directory @name under @dfd for a copy (existing, reached without a symlink, or new: *@made). */
int put_dir(int dfd, const char *name, bool *made)
{
	int fd;

	*made = mkdirat(dfd, name, 0700) == 0;
	if (!*made && errno != EEXIST)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
