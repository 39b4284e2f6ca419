// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dirwalk.c - tree walks with a fixed fd budget, for trees a VM writes.
 *
 * Theory of operation. A VM can make a directory tree thousands of levels
 * deep. A walk that keeps one fd per level runs out of fds (EMFILE), and
 * one that recurses with a path buffer per frame runs out of stack. Here
 * the levels from the walk's start to where it is are a heap array
 * (struct dw_stack); only the DW_FDS deepest ones keep their fd open.
 * When the walk climbs back to a level whose fd was closed, the level is
 * reopened as ".." of the one below, and it must be the same directory
 * (device and inode recorded when it was first opened): a VM that moved
 * directories meanwhile makes the walk fail with -ESTALE, it never makes
 * it continue somewhere else. Every open is O_NOFOLLOW | O_DIRECTORY |
 * O_NONBLOCK: a symlink or a FIFO swapped in is refused, never followed
 * or waited on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

/**
 * dw_open_dir() - open the directory @name under @dfd for a walk: never a
 * symlink, never anything but a directory, never blocking.
 *
 * Return: the fd, or -1 with errno set.
 */
int dw_open_dir(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

/**
 * dw_push() - go down one level into the directory open as @fd (taken;
 * -1: there is no directory at this level, for a walk of two trees in
 * step). Closes the fd of the level DW_FDS above if it is open.
 *
 * Return: 0 or -errno (@fd is closed then).
 */
int dw_push(struct dw_stack *s, int fd)
{
	struct dw_level *l;
	struct stat st;

	if (s->depth == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct dw_level *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv) {
			if (fd >= 0)
				close(fd);
			return -ENOMEM;
		}
		s->v = nv;
		s->cap = cap;
	}
	if (fd >= 0 && fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	l = &s->v[s->depth];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->present = fd >= 0;
	if (fd >= 0) {
		l->dev = st.st_dev;
		l->ino = st.st_ino;
		if (s->depth >= DW_FDS && s->v[s->depth - DW_FDS].fd >= 0) {
			close(s->v[s->depth - DW_FDS].fd);
			s->v[s->depth - DW_FDS].fd = -1;
		}
	}
	s->depth++;
	return 0;
}

/**
 * dw_fd() - the fd of the deepest level (-1 if it has no directory).
 * Valid until the next push or pop: never keep it across them.
 */
int dw_fd(struct dw_stack *s)
{
	return s->depth ? s->v[s->depth - 1].fd : -1;
}

/**
 * dw_pop() - climb back one level; its parent's fd, if it was closed, is
 * reopened as ".." and must be the same directory as before.
 *
 * Return: 0, or -ESTALE when the parent is not the directory it was (the
 * tree was changed under the walk), or another -errno.
 */
int dw_pop(struct dw_stack *s)
{
	struct dw_level *l = &s->v[s->depth - 1], *p = s->depth > 1 ? l - 1 : NULL;
	int r = 0;

	if (p && p->present && p->fd < 0) {
		struct stat st;

		p->fd = l->fd >= 0 ? openat(l->fd, "..", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC) : -1;
		if (p->fd < 0)
			r = l->fd >= 0 ? -errno : -ESTALE;
		else if (fstat(p->fd, &st) < 0 || st.st_dev != p->dev || st.st_ino != p->ino)
			r = -ESTALE;
	}
	if (l->fd >= 0)
		close(l->fd);
	fvm_strv_free(l->names);
	s->depth--;
	return r;
}

void dw_free(struct dw_stack *s)
{
	while (s->depth) {
		struct dw_level *l = &s->v[--s->depth];

		if (l->fd >= 0)
			close(l->fd);
		fvm_strv_free(l->names);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/**
 * dir_names() - the names in the directory open as @fd (O_PATH is fine),
 * unsorted, "." and ".." left out; read from a fresh open of it, so the
 * position of @fd does not matter.
 *
 * Return: 0 with a NULL-terminated vector the caller frees with
 * fvm_strv_free(), or -errno.
 */
int dir_names(int fd, char ***ret, size_t *ret_n)
{
	int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if (own < 0 || !(d = fdopendir(own))) {
		if (own >= 0)
			close(own);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strv_push(&v, &n, de->d_name) < 0) {
			closedir(d);
			fvm_strv_free(v);
			return -ENOMEM;
		}
	closedir(d);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int dw_enter(struct dw_stack *s, int fd)
{
	int r = dw_push(s, fd);

	if (r == 0) {
		struct dw_level *l = &s->v[s->depth - 1];

		r = dir_names(l->fd, &l->names, &l->n);
		if (r < 0)
			dw_pop(s);   /* listed nothing: climb back */
	}
	return r;
}

/**
 * dw_tree() - visit @name under @dirfd and, if it is a directory the
 * callbacks descend into, everything below it, with at most DW_FDS + 2
 * fds open and no recursion, however deep the tree.
 *
 * Return: 0, or the first -errno of the walk or of a callback.
 */
int dw_tree(int dirfd, const char *name, const struct dw_ops *ops, void *ud)
{
	struct dw_stack s = { 0 };
	int fd = -1, r = ops->entry(ud, dirfd, name, &fd), q;

	if (fd < 0)
		return r;
	q = dw_enter(&s, fd);
	if (q < 0) {
		dw_free(&s);
		return r ? r : q;
	}
	while (s.depth) {
		struct dw_level *l = &s.v[s.depth - 1];

		if (l->i < l->n) {
			const char *nm = l->names[l->i++];

			fd = -1;
			q = ops->entry(ud, l->fd, nm, &fd);
			if (q < 0 && r == 0)
				r = q;
			if (fd >= 0 && (q = dw_enter(&s, fd)) < 0 && r == 0)
				r = q;
			continue;
		}
		q = dw_pop(&s);
		if (q < 0) {
			r = r ? r : q;
			break;   /* lost our way up: stop, never guess */
		}
		l = s.depth ? &s.v[s.depth - 1] : NULL;
		q = ops->leave ? ops->leave(ud, l ? l->fd : dirfd, l ? l->names[l->i - 1] : name) : 0;
		if (q < 0 && r == 0)
			r = q;
	}
	dw_free(&s);
	return r;
}
