/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util/util.h - the helpers part: what every other part of libfvm may use
 * and that uses nothing of theirs: cleanup attributes, errors, bounded
 * fd-based file I/O, tree removal and walks (dirwalk.c), paths as text
 * (path.c), host paths opened without following symlinks (hostpath.c),
 * paths inside an entered VM (vmpath.c), a VM's users parsed from its own
 * files (passwd.c), names (name.c), processes by fd (process.c).
 */
#ifndef FVM_UTIL_H
#define FVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fvm.h"

/* ---- util.c ---- */

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
int copy_fd_data(int from, int to, uint64_t size);

char *caller_home(void);
int strv_push(char ***strv, size_t *n, const char *s);
char *path_join(const char *a, const char *b);
int format_size(uint64_t bytes, char *buf, size_t len);
uint64_t tree_size_at(int dirfd, const char *name);

int proc_stat(pid_t pid, char *ret_state, unsigned long *ret_flags, unsigned long long *ret_start);
int proc_starttime(pid_t pid, unsigned long long *ret);
bool proc_exiting(pid_t pid);
int fds_send(int sock, const int *fds, size_t n);
int fds_send_byte(int sock, char byte, const int *fds, size_t n);
int fds_recv(int sock, int *fds, size_t n);

/* ---- dirwalk.c: walking directory trees that untrusted code writes (a VM's layers) with a fixed budget of fds and no recursion on the C stack ---- */

/* directory fds a walk keeps open at most (the deepest levels) */
#define DW_FDS 16

/* Deepest level a bounded walk (diff, commit) goes to: a path shorter than
 * PATH_MAX has at most this many components. */
#define DW_DEPTH_MAX 2048

struct dw_level {
	int fd;            /* -1: closed (reopened through "..") or absent */
	bool present;      /* false: no directory at this level (fd stays -1) */
	dev_t dev;
	ino_t ino;
	char **names;      /* for dw_tree(): the entries still to visit */
	size_t n, i;
};

/* The open directories from a walk's start down to where it is. */
struct dw_stack {
	struct dw_level *v;
	size_t depth, cap;
};

int dw_push(struct dw_stack *s, int fd);
int dw_fd(struct dw_stack *s);
int dw_pop(struct dw_stack *s);
void dw_free(struct dw_stack *s);
int dir_names(int fd, char ***ret, size_t *ret_n);

/*
 * dw_tree() callbacks. @entry is called for @name under @dfd (the root
 * first, then every entry below it, parents before children): it returns
 * 0 or -errno (the first is returned at the end, the walk goes on), and
 * sets *@ret_fd to an O_RDONLY|O_DIRECTORY fd of @name to descend into it.
 * @leave is called for a directory once everything in it was visited.
 */
struct dw_ops {
	int (*entry)(void *ud, int dfd, const char *name, int *ret_fd);
	int (*leave)(void *ud, int dfd, const char *name);
};

int dw_tree(int dirfd, const char *name, const struct dw_ops *ops, void *ud);
int dw_open_dir(int dfd, const char *name);

/* ---- path.c ---- */

bool path_has_prefix(const char *path, const char *prefix);
const char *path_under(const char *path, const char *prefix);

/* ---- hostpath.c: host paths, no symlink followed in any component ---- */

int host_path_open(const char *path, int flags);
int host_path_symlink(const char *path, char *buf, size_t len);

/* ---- vmpath.c: paths inside a VM, looked up by fvm's own code after it has entered the VM ---- */

int open_beneath(int dirfd, const char *path, int flags);
int open_beneath_mount(int dirfd, const char *path, int flags);
int vm_openat(int rootfd, const char *path, int flags, unsigned long long resolve);
int vm_open_typed(int rootfd, const char *path, int flags, mode_t type, struct stat *ret_st);
int vm_open_dev(int rootfd, const char *path, int flags, unsigned major, unsigned minor);
int vm_chdir(int rootfd, const char *path);

/* ---- passwd.c: a VM's users and groups, parsed from its own /etc/passwd and /etc/group (never through NSS) ---- */

/* Largest /etc/passwd or /etc/group fvm reads from a VM. */
#define PASSWD_FILE_MAX (8u * 1024 * 1024)
/* Most supplementary groups a process can have (the kernel's NGROUPS_MAX). */
#define PASSWD_GROUPS_MAX 65536u

/**
 * struct vm_user - whom a program of a VM runs as
 * @uid, @gid:   its ids in the VM
 * @name:        its name in /etc/passwd; NULL for a numeric uid without entry
 * @home, @shell: from /etc/passwd ("/" and "/bin/sh" without entry)
 * @groups:      supplementary groups: @gid first, then every /etc/group
 *               entry listing @name, each gid once
 * @ngroups:     entries in @groups (at least 1)
 */
struct vm_user {
	uid_t uid;
	gid_t gid;
	char *name;
	char *home;
	char *shell;
	gid_t *groups;
	size_t ngroups;
};

int passwd_read_file(int rootfd, const char *path, char **ret, size_t *ret_len);
int passwd_resolve(const char *passwd, size_t passwd_len, const char *group, size_t group_len,
		   const char *spec, struct vm_user *ret);
void vm_user_release(struct vm_user *u);
int passwd_homes(const char *buf, size_t len, int (*fn)(uid_t uid, const char *home, void *ctx),
		 void *ctx);

/* ---- process.c ---- */

pid_t sys_clone(unsigned long flags);
int pidfd_open_checked(pid_t pid, unsigned long long starttime);
int close_all_except(const int *keep, size_t n);
void recorded_wait_gone(int dirfd, const char *file, int ms, int kill_ms);

#endif
