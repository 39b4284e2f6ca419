// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * log.c - a VM's service log: STORE/vms/NAME/logs/service.log, one line
 * per line the service wrote, each prefixed with when it was read
 * ("SECONDS.MICROSECONDS "), bounded and rotated.
 *
 * Theory of operation. The service's stdout and stderr are one pipe;
 * log_pump(), in the logger process of the supervisor (service.c), reads
 * it and appends lines. The log is in the store, which no VM can see:
 * what the VM controls is only the bytes of the pipe, never a path. Every
 * line is cut at LOG_LINE_MAX bytes (the rest is a line of its own); a
 * file that would grow past LOG_FILE_MAX is renamed service.log.1
 * (replacing the older one) and a new one begun, so a service that writes
 * without end costs at most two files. The files are opened without
 * following symlinks, relative to the VM's directory fd.
 *
 * fvm_vm_logs() reads service.log.1 then service.log; with follow, it
 * polls for more (and for a rotation: the name then holds a new file,
 * read after the rest of the old one) until the service has ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store.h"
#include "vm/vm.h"

#define LOG_LINE_MAX 4096
#define LOG_FILE_MAX (1024 * 1024)
#define LOG_PREFIX_MAX 32   /* "SECONDS.MICROSECONDS " */

static int open_logs_dir(int vmdirfd)
{
	return openat(vmdirfd, "logs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

struct log_out {
	int dir;
	int fd;
	off_t size;
};

static int log_reopen(struct log_out *o, bool fresh)
{
	struct stat st;

	if (o->fd >= 0)
		close(o->fd);
	if (fresh && renameat(o->dir, "service.log", o->dir, "service.log.1") < 0 && errno != ENOENT)
		return -errno;
	o->fd = openat(o->dir, "service.log", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (o->fd < 0 || fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EINVAL;
	o->size = st.st_size;
	return 0;
}

/* One line (without its newline), timestamped; rotates first if it would not fit. */
static int log_line(struct log_out *o, const char *text, size_t len)
{
	char pre[LOG_PREFIX_MAX];
	struct timespec ts;
	int n, r;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(pre, sizeof(pre), "%lld.%06ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
	if (o->size + n + (off_t)len + 1 > LOG_FILE_MAX && (r = log_reopen(o, true)) < 0)
		return r;
	/* one write per line: a reader never sees half a prefix */
	{
		char buf[LOG_PREFIX_MAX + LOG_LINE_MAX + 1];

		memcpy(buf, pre, (size_t)n);
		memcpy(buf + n, text, len);
		buf[n + len] = '\n';
		r = write_all(o->fd, buf, (size_t)n + len + 1);
	}
	if (r == 0)
		o->size += n + (off_t)len + 1;
	return r;
}

/**
 * log_pump() - copy the lines read from @in into the service log of the VM
 * whose directory is @vmdirfd, until end of file
 *
 * Return: 0, or -errno when the log cannot be written.
 */
int log_pump(int vmdirfd, int in)
{
	struct log_out o = { .dir = open_logs_dir(vmdirfd), .fd = -1 };
	char buf[LOG_LINE_MAX];
	size_t len = 0;
	int r = o.dir < 0 ? -errno : log_reopen(&o, false);

	while (r == 0) {
		ssize_t n = read(in, buf + len, sizeof(buf) - len);
		size_t start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		for (size_t i = 0; r == 0 && i < len; i++)
			if (buf[i] == '\n') {
				r = log_line(&o, buf + start, i - start);
				start = i + 1;
			}
		if (r == 0 && start == 0 && len == sizeof(buf)) {
			r = log_line(&o, buf, len);   /* a line too long: cut */
			start = len;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	if (r == 0 && len)
		r = log_line(&o, buf, len);
	if (o.fd >= 0)
		close(o.fd);
	if (o.dir >= 0)
		close(o.dir);
	return r;
}

/* ---- reading ----------------------------------------------------------- */

struct log_reader {
	const struct fvm_logs_opts *o;
	char buf[LOG_PREFIX_MAX + LOG_LINE_MAX + 2];
	size_t len;
};

/* Hand the complete lines in the buffer to the caller. Return: 0 or fn's value. */
static int emit_lines(struct log_reader *lr, bool all)
{
	size_t start = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i <= lr->len; i++) {
		struct fvm_log_line l = { 0 };
		char *sp, *end;

		if (i < lr->len ? lr->buf[i] != '\n' : !(all && i > start))
			continue;
		sp = memchr(lr->buf + start, ' ', i - start);
		l.time.tv_sec = (time_t)strtoll(lr->buf + start, &end, 10);
		if (sp && *end == '.')
			l.time.tv_nsec = strtol(end + 1, NULL, 10) * 1000;
		if (sp && l.time.tv_sec >= lr->o->since) {
			l.text = sp + 1;
			l.len = (size_t)(lr->buf + i - (sp + 1));
			r = lr->o->fn(&l, lr->o->userdata);
		}
		start = i + 1;
	}
	if (start > lr->len)
		start = lr->len;
	memmove(lr->buf, lr->buf + start, lr->len - start);
	lr->len -= start;
	/* never longer than a line the writer makes: drop what cannot be one */
	if (lr->len == sizeof(lr->buf))
		lr->len = 0;
	return r;
}

/* Read @fd from where it is to its end. Return: 0, fn's value or -errno. */
static int read_rest(struct log_reader *lr, int fd)
{
	for (;;) {
		ssize_t n = read(fd, lr->buf + lr->len, sizeof(lr->buf) - lr->len);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		lr->len += (size_t)n;
		r = emit_lines(lr, false);
		if (r)
			return r;
	}
}

static int open_log(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Follow: more lines, and a rotation, until the service has ended. */
static int follow(struct fvm_vm *vm, struct log_reader *lr, int dir, int *fd)
{
	for (;;) {
		struct fvm_service_status ss;
		struct stat a, b;
		bool ended;
		int r;

		ended = fvm_vm_service_status(vm, &ss, NULL) < 0 || !ss.defined ||
			(strcmp(ss.state, "running") && strcmp(ss.state, "restarting"));
		r = read_rest(lr, *fd);
		if (r)
			return r;
		if (fstatat(dir, "service.log", &b, AT_SYMLINK_NOFOLLOW) == 0 && fstat(*fd, &a) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev)) {
			int nfd = open_log(dir, "service.log");

			if (nfd >= 0) {   /* rotated: the rest of the old one was read above */
				close(*fd);
				*fd = nfd;
				continue;
			}
		}
		if (ended)
			return emit_lines(lr, true);
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
}

/**
 * fvm_vm_logs() - the service log of @vm, oldest line first (see fvm.h)
 *
 * Return: 0, the value opts->fn returned, or -errno with @err filled.
 */
FVM_PUBLIC int fvm_vm_logs(struct fvm_vm *vm, const struct fvm_logs_opts *opts, struct fvm_error *err)
{
	_cleanup_free_ struct log_reader *lr = calloc(1, sizeof(*lr));
	_cleanup_close_ int dir = open_logs_dir(vm->dirfd), old = -1, cur = -1;
	int r = 0;

	if (!lr)
		return fvm_errf(err, -ENOMEM, "out of memory");
	if (dir < 0 && errno == ENOENT)
		return fvm_errf(err, -ENOENT, "VM '%s' has no service log: no service has run in it (start one with 'fvm start %s -- COMMAND')",
				vm->cfg.name, vm->cfg.name);
	if (dir < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot open %s/logs: %s", vm->cfg.name, vm->dir,
				strerror(errno));
	lr->o = opts;
	old = open_log(dir, "service.log.1");
	if (old >= 0) {
		r = read_rest(lr, old);
		if (r == 0)
			r = emit_lines(lr, true);
	}
	cur = r ? -1 : open_log(dir, "service.log");
	if (r == 0 && cur < 0 && errno != ENOENT)
		return fvm_errf(err, -errno, "VM '%s': cannot open %s/logs/service.log: %s", vm->cfg.name,
				vm->dir, strerror(errno));
	if (r == 0 && cur >= 0)
		r = opts->follow ? follow(vm, lr, dir, &cur) : read_rest(lr, cur);
	if (r == 0 && !opts->follow)
		r = emit_lines(lr, true);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot read its service log in %s/logs: %s", vm->cfg.name,
				vm->dir, strerror(-r));
	return r;
}
