/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dirwalk.h - walking directory trees that untrusted code writes (a VM's
 * layers) with a fixed budget of fds and no recursion on the C stack.
 */
#ifndef FVM_DIRWALK_H
#define FVM_DIRWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

#endif
