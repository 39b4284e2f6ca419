// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stores.c - every fvm store on the machine that a VM must not see.
 *
 * A VM sees the host's files, and a root-mode VM reads every one of them
 * (its root owns what the host's root owns). So not only its own store
 * is whited out of its layers (mount.c), but every store fvm knows of:
 * root's default /var/lib/fvm, the uid range registry's directory, every
 * store the registry records (registry.c: the stores of all root-mode
 * VMs), and the default rootless store ~/.local/share/fvm of every user in
 * /etc/passwd (parsed, never NSS). A rootless store elsewhere ($FVM_HOME)
 * is known to no one but its user: keep it below your home and hide homes
 * (--profile untrusted hides other users' homes).
 *
 * Only stores that exist are listed (a whiteout needs no more), and the
 * list each boot used is kept in VMDIR/hidden-stores, so that the layer's
 * whiteouts of a store that has gone since are still fvm's, never changes
 * the VM made (diff, commit and discard leave them alone, changes.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/util.h"

/* Add @p if it is an existing directory reached through no symlink, and new. */
static int push_existing(char ***v, size_t *n, const char *p)
{
	_cleanup_close_ int fd = -1;

	if (!p || *p != '/')
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], p))
			return 0;
	fd = host_path_open(p, O_PATH | O_DIRECTORY);
	return fd < 0 ? 0 : strv_push(v, n, p);
}

struct strv_ctx {
	char ***v;
	size_t *n;
};

static int push_user_store(uid_t uid, const char *home, void *ctx)
{
	struct strv_ctx *c = ctx;
	char p[PATH_MAX];

	(void)uid;
	if (snprintf(p, sizeof(p), "%s/.local/share/fvm", strcmp(home, "/") ? home : "") >= (int)sizeof(p))
		return 0;
	return push_existing(c->v, c->n, p);
}

/* ~/.local/share/fvm of every user in the host's /etc/passwd that has one */
static int push_user_stores(char ***v, size_t *n)
{
	_cleanup_free_ char *buf = NULL;
	struct strv_ctx c = { v, n };
	size_t len = 0;

	if (read_small_fileat(AT_FDCWD, "/etc/passwd", &buf, &len) < 0)
		return 0;
	return passwd_homes(buf, len, push_user_store, &c);
}

/* The stores the VM's earlier boots hid (VMDIR/hidden-stores). */
static int push_recorded(struct fvm_vm *vm, char ***v, size_t *n)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	int r = 0;

	if (read_small_fileat(vm->dirfd, "hidden-stores", &buf, NULL) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); r == 0 && line; line = strtok_r(NULL, "\n", &save)) {
		bool dup = false;

		for (size_t i = 0; i < *n; i++)
			dup |= !strcmp((*v)[i], line);
		if (*line == '/' && !dup)
			r = strv_push(v, n, line);
	}
	return r;
}

/**
 * vm_stores_hidden() - the stores @vm must not see, computed once per VM
 * object: its own, root's default one, and in root mode every other that
 * fvm knows of (see above), plus those its earlier boots hid.
 *
 * Return: the list (owned by @vm; never NULL but on ENOMEM) and its length.
 */
char **vm_stores_hidden(struct fvm_vm *vm, size_t *ret_n)
{
	_cleanup_strv_ char **reg = NULL;
	char **v = NULL;
	size_t n = 0;
	int r;

	if (vm->stores) {
		*ret_n = vm->nstores;
		return vm->stores;
	}
	r = strv_push(&v, &n, vm->store->path);
	if (r == 0)
		r = strv_push(&v, &n, "/var/lib/fvm");
	if (r == 0 && !vm->cfg.rootless) {
		const char *p = getenv("FVM_UID_REGISTRY");
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", p && *p == '/' ? p : "/var/lib/fvm-idmap/ranges");
		*strrchr(dir, '/') = '\0';
		r = push_existing(&v, &n, dir);
		if (r == 0 && registry_stores(&reg, NULL) == 0)
			for (char **s = reg; r == 0 && *s; s++)
				r = push_existing(&v, &n, *s);
		if (r == 0)
			r = push_user_stores(&v, &n);
	}
	if (r == 0)
		r = push_recorded(vm, &v, &n);
	if (r < 0) {
		fvm_strv_free(v);
		*ret_n = 0;
		return NULL;
	}
	vm->stores = v;
	vm->nstores = n;
	*ret_n = n;
	return v;
}

/**
 * vm_stores_record() - keep the list vm_stores_hidden() gave in
 * VMDIR/hidden-stores, before a boot whites them out
 */
int vm_stores_record(struct fvm_vm *vm, struct fvm_error *err)
{
	_cleanup_free_ char *buf = NULL, *old = NULL;
	size_t n, len = 0, old_len = 0;
	char **v = vm_stores_hidden(vm, &n);
	FILE *f;
	int r;

	if (!v)
		return fvm_errf(err, -ENOMEM, "out of memory");
	f = open_memstream(&buf, &len);
	if (!f)
		return fvm_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!strchr(v[i], '\n'))
			fprintf(f, "%s\n", v[i]);
	if (fclose(f) != 0)
		return fvm_errf(err, -ENOMEM, "out of memory");
	/* mostly the list of the last boot: rewrite (create, rename) only on change */
	if (read_small_fileat(vm->dirfd, "hidden-stores", &old, &old_len) == 0 && old_len == len &&
	    memcmp(old, buf, len) == 0)
		return 0;
	r = write_fileat_atomic(vm->dirfd, "hidden-stores", buf, len, 0600, false);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write %s/hidden-stores: %s", vm->cfg.name,
				vm->dir, strerror(-r));
	return 0;
}
