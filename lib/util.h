/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util.h - small helpers shared by every libfvm file: cleanup attributes,
 * error filling, bounded fd-based file I/O and tree removal.
 */
#ifndef FVM_UTIL_H
#define FVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "fvm.h"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * FVM_PUBLIC marks the definition of a function declared in include/fvm.h:
 * libfvm is built with -fvisibility=hidden, so only these are exported
 * (and listed in lib/libfvm.sym; tests/check-exports checks both against
 * the header). Everything else stays inside the library.
 */
#define FVM_PUBLIC __attribute__((visibility("default")))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(const int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void strv_freep(char ***p) { fvm_strv_free(*p); }

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_strv_ _cleanup_(strv_freep)

#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })

/* Largest file libfvm reads whole (configs, state, /proc entries). */
#define SMALL_FILE_MAX (1024 * 1024)

int fvm_errf(struct fvm_error *err, int code, const char *fmt, ...) _printf_(3, 4);

int read_fd_bounded(int fd, size_t max, size_t hint, char **ret, size_t *ret_len);
int read_small_fileat(int dirfd, const char *path, char **ret, size_t *ret_len);
int write_fileat_atomic(int dirfd, const char *name, const char *data, size_t len,
			mode_t mode, bool durable);
int rm_rf_at(int dirfd, const char *name);
int mkdirat_p(int dirfd, const char *path, mode_t mode);
int write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);

int strv_push(char ***strv, size_t *n, const char *s);
char *path_join(const char *a, const char *b);
int format_size(uint64_t bytes, char *buf, size_t len);
uint64_t tree_size_at(int dirfd, const char *name);

int proc_starttime(pid_t pid, unsigned long long *ret);
int fds_send(int sock, const int *fds, size_t n);
int fds_send_byte(int sock, char byte, const int *fds, size_t n);
int fds_recv(int sock, int *fds, size_t n);

#endif
