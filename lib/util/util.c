// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * util.c - helpers every libfvm file uses: error messages, bounded file I/O
 * relative to directory fds, atomic file replacement, tree removal that
 * never follows symlinks, fd passing over UNIX sockets.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "util/util.h"

/**
 * fvm_errf() - fill an optional error with a formatted message
 * @err:  may be NULL
 * @code: negative errno
 *
 * Return: @code, so that callers can write "return fvm_errf(err, -E, ...)".
 */
int fvm_errf(struct fvm_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * copy_fd_data() - copy @size bytes of @from to @to (both at their offsets):
 * copy_file_range where the file systems allow, read/write where not. A
 * file that shrinks meanwhile is copied as far as it goes.
 */
int copy_fd_data(int from, int to, uint64_t size)
{
	uint64_t left = size;

	while (left > 0) {
		ssize_t n = copy_file_range(from, NULL, to, NULL, left > (1u << 30) ? (1u << 30) : left, 0);

		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
			char buf[65536];

			while ((n = read(from, buf, sizeof(buf))) > 0)
				if (write_all(to, buf, (size_t)n) < 0)
					return -errno;
			return n < 0 ? -errno : 0;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break;   /* the file shrank under us: what we have is it */
		left -= (uint64_t)n;
	}
	return 0;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/**
 * read_fd_bounded() - read what is left of @fd, at most @max bytes, into a
 * new NUL-terminated buffer
 * @hint: the size to expect (e.g. st_size), 0 if unknown
 *
 * Return: 0, -EFBIG when there is more than @max, or another -errno.
 */
int read_fd_bounded(int fd, size_t max, size_t hint, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = hint && hint < max ? hint + 1 : (max < 4096 ? max + 1 : 4096);

	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {   /* full: grow, up to one byte past @max to see it is more */
			char *nb;

			if (cap > max)
				return -EFBIG;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		return -EFBIG;
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

/**
 * read_small_fileat() - read a whole regular file of at most SMALL_FILE_MAX
 *
 * Never follows a symlink in the last component, never blocks on a FIFO.
 * The result is NUL-terminated.
 *
 * Return: 0, -EFBIG when the file is larger, -EINVAL when it is not a
 * regular file, or another -errno.
 */
int read_small_fileat(int dirfd, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
					O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return read_fd_bounded(fd, SMALL_FILE_MAX, (size_t)st.st_size, ret, ret_len);
}

/**
 * write_fileat_atomic() - replace @name in @dirfd by write-to-temp, fsync
 * (when @durable), rename, so that a reader sees the old or the new
 * content, never a part; @durable also makes it survive a power loss.
 */
int write_fileat_atomic(int dirfd, const char *name, const char *data, size_t len,
			mode_t mode, bool durable)
{
	char tmp[300];
	_cleanup_close_ int fd = -1;
	int r;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp.%d", name, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

/* dw_tree() entry of rm_rf_at(): unlink, or open the directory to empty it. */
static int rm_entry(void *ud, int dfd, const char *name, int *ret_fd)
{
	int fd;

	(void)ud;
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM && errno != EACCES)
		return -errno;
	fd = dw_open_dir(dfd, name);
	if (fd < 0) {
		if (errno != EACCES)
			return errno == ENOENT ? 0 : -errno;
		/* a directory without r/x for us: give them back, then retry */
		if (fchmodat(dfd, name, 0700, 0) < 0)
			return -errno;
		fd = dw_open_dir(dfd, name);
		if (fd < 0)
			return -errno;
	}
	fchmod(fd, 0700);
	*ret_fd = fd;
	return 0;
}

static int rm_leave(void *ud, int dfd, const char *name)
{
	(void)ud;
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

/**
 * rm_rf_at() - remove @name under @dirfd and everything below it
 *
 * Symlinks are removed, never followed; directories are opened with
 * O_NOFOLLOW relative to their parent's fd, so a tree being changed under
 * us cannot redirect the removal elsewhere. Directories a VM made
 * unwritable are made writable by their owner first (rootless stores).
 * However deep the tree, a fixed number of fds and no recursion
 * (dirwalk.c).
 *
 * Return: 0 (also when @name does not exist) or the first -errno.
 */
int rm_rf_at(int dirfd, const char *name)
{
	static const struct dw_ops ops = { .entry = rm_entry, .leave = rm_leave };

	return dw_tree(dirfd, name, &ops, NULL);
}

/* mkdir -p relative to @dirfd; components must not be symlinks. */
int mkdirat_p(int dirfd, const char *path, mode_t mode)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int cur = -1;
	char *save = NULL, *part;
	int at = dirfd;

	if (!copy)
		return -ENOMEM;
	if (path[0] == '/') {
		cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cur < 0)
			return -errno;
		at = cur;
	}
	for (part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(at, part, mode) < 0 && errno != EEXIST)
			return -errno;
		next = openat(at, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return -errno;
		if (cur >= 0)
			close(cur);
		cur = next;
		at = cur;
	}
	return 0;
}

FVM_PUBLIC void fvm_strv_free(char **strv)
{
	if (!strv)
		return;
	for (char **p = strv; *p; p++)
		free(*p);
	free(strv);
}

int strv_push(char ***strv, size_t *n, const char *s)
{
	char **nv = realloc(*strv, (*n + 2) * sizeof(char *));
	char *d;

	if (!nv)
		return -ENOMEM;
	*strv = nv;
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	nv[(*n)++] = d;
	nv[*n] = NULL;
	return 0;
}

char *path_join(const char *a, const char *b)
{
	char *p;
	size_t la = strlen(a);

	while (*b == '/')
		b++;
	if (asprintf(&p, "%s%s%s", a, (la && a[la - 1] == '/') ? "" : "/", b) < 0)
		return NULL;
	return p;
}

int format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		return snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	return snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* Disk usage (allocated blocks) of a tree, symlinks not followed. */
static int size_entry(void *ud, int dfd, const char *name, int *ret_fd)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	*(uint64_t *)ud += (uint64_t)st.st_blocks * 512;
	if (S_ISDIR(st.st_mode))
		*ret_fd = dw_open_dir(dfd, name);
	return 0;
}

uint64_t tree_size_at(int dfd, const char *name)
{
	static const struct dw_ops ops = { .entry = size_entry };
	uint64_t total = 0;

	dw_tree(dfd, name, &ops, &total);
	return total;
}

/**
 * proc_stat() - the state letter (field 3), flags (field 9) and start time
 * (field 22) of @pid from /proc/PID/stat; the name before them, between
 * parentheses, may hold ')', spaces and newlines, so fields are counted
 * from the last ')'. Each @ret_* may be NULL and is set only on success.
 *
 * Return: 0, or -errno (-ENOENT: gone; -EINVAL: no such fields).
 */
int proc_stat(pid_t pid, char *ret_state, unsigned long *ret_flags, unsigned long long *ret_start)
{
	char path[64], state;
	_cleanup_free_ char *buf = NULL;
	unsigned long flags;
	unsigned long long start;
	const char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_small_fileat(AT_FDCWD, path, &buf, NULL);
	if (r < 0)
		return r;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' ||
	    sscanf(p + 2, "%c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &flags, &start) != 3)
		return -EINVAL;
	if (ret_state)
		*ret_state = state;
	if (ret_flags)
		*ret_flags = flags;
	if (ret_start)
		*ret_start = start;
	return 0;
}

/**
 * proc_starttime() - a process's start time (field 22 of /proc/PID/stat),
 * which together with the pid names one process across pid reuse.
 *
 * Return: 0, or -ESRCH for a process that has exited but is not yet
 * reaped (a zombie: still in /proc, no longer running).
 */
int proc_starttime(pid_t pid, unsigned long long *ret)
{
	unsigned long long start;
	char state;
	int r = proc_stat(pid, &state, NULL, &start);

	if (r < 0)
		return r;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	*ret = start;
	return 0;
}

/**
 * proc_exiting() - is process @pid on its way out? Its exit has begun
 * (PF_EXITING in the flags, field 9 of /proc/PID/stat: from then on it runs
 * only the kernel's teardown, such as the unmounts of its last mount
 * namespace), or it is a zombie or gone. The caller holds a pidfd of it,
 * checked to be unsignalled, so @pid is not another process yet.
 */
bool proc_exiting(pid_t pid)
{
	unsigned long flags;
	char state;

	if (proc_stat(pid, &state, &flags, NULL) < 0 || state == 'Z' || state == 'X')
		return true;
	return flags & 0x4;   /* PF_EXITING, include/linux/sched.h */
}

int fds_send(int sock, const int *fds, size_t n)
{
	return fds_send_byte(sock, 'F', fds, n);
}

/* One byte, @byte, carrying @n (1 to 64) fds. */
int fds_send_byte(int sock, char byte, const int *fds, size_t n)
{
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n == 0 || n > 64)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int fds_recv(int sock, int *fds, size_t n)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t r;

	if (n == 0 || n > 64)
		return -EINVAL;
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -EPIPE;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int) * n))
		return -EBADMSG;
	memcpy(fds, CMSG_DATA(c), sizeof(int) * n);
	return 0;
}

/**
 * caller_home() - the calling user's home directory: $HOME when it is an
 * absolute path, else the host's passwd entry for the effective uid; as
 * the kernel names it (symlinks resolved) when it exists.
 *
 * Return: a copy to free, or NULL when there is none.
 */
char *caller_home(void)
{
	const char *home = getenv("HOME");
	struct passwd pwd, *pw = NULL;
	char pwbuf[4096];   /* getpwuid_r: no static buffer shared with the caller */
	char *real;

	if (!home || *home != '/') {
		if (getpwuid_r(geteuid(), &pwd, pwbuf, sizeof(pwbuf), &pw) != 0 || !pw || !pw->pw_dir ||
		    *pw->pw_dir != '/')
			return NULL;
		home = pw->pw_dir;
	}
	real = realpath(home, NULL);
	return real ? real : strdup(home);
}
