// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * registry.c - the machine's record of root-mode VMs: which uid range each
 * one holds and in which store it lives.
 *
 * Every root-mode store on the machine shares one registry, so that two
 * stores never hand out the same uid range (a VM of one store could
 * otherwise write the files of another's), and so that every VM can be
 * kept from seeing every store (mount.c hides them all). It is a text
 * file, one "BASE<TAB>STORE<TAB>NAME" line per VM, at
 * /var/lib/fvm-idmap/ranges ($FVM_UID_REGISTRY names another, for tests),
 * in a root-owned directory no one else may write; changes are made under
 * an flock of "ranges.lock" beside it (the file's own name and ".lock":
 * a registry kept in a store's directory must not take the store's
 * "lock") and land by write-to-temp, fsync, rename.
 * It must survive reboots: configs record their uid_base for good. A range
 * is added when a VM is created and released by fvm rm (or a failed
 * create); a VM made before the registry existed is not in it, and its
 * range is known only within its own store and while it runs.
 * A removed VM's frozen layers may still back its clones (or their
 * snapshots), and their files keep its ids: then fvm rm does not release
 * its range but renames its record to REGISTRY_HELD (no VM name can be
 * that), and layers_gc() drops such a record once no stack, snapshot or
 * journal of the store names a layer of that range: until then no new
 * VM of any store gets ids that own the clones' lower files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#define REGISTRY_DEFAULT "/var/lib/fvm-idmap/ranges"

/* The registry's path: $FVM_UID_REGISTRY (absolute) or the default. */
static const char *registry_path(void)
{
	const char *e = getenv("FVM_UID_REGISTRY");

	return e && *e == '/' ? e : REGISTRY_DEFAULT;
}

/* Open the registry's directory (made 0700 if missing), checked to be ours alone. */
static int registry_dir(char *file, size_t len, struct fvm_error *err)
{
	const char *p = registry_path();
	char dir[PATH_MAX];
	struct stat st;
	char *slash;
	int fd, r;

	if (snprintf(dir, sizeof(dir), "%s", p) >= (int)sizeof(dir) || !(slash = strrchr(dir, '/')) ||
	    !slash[1] || slash == dir)
		return fvm_errf(err, -EINVAL, "bad uid range registry path %s (FVM_UID_REGISTRY)", p);
	*slash = '\0';
	snprintf(file, len, "%s", slash + 1);
	r = mkdirat_p(AT_FDCWD, dir, 0700);
	if (r < 0)
		return fvm_errf(err, r, "cannot create the uid range registry %s: %s", dir, strerror(-r));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fvm_errf(err, -errno, "cannot open the uid range registry %s: %s", dir,
				strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return fvm_errf(err, -EPERM, "the uid range registry %s must be owned by root and not group/world-writable",
				dir);
	}
	return fd;
}

/**
 * registry_open() - lock the registry and read it
 * @ret_dirfd: its directory, for registry_save()
 *
 * Return: the lock's fd (close it to unlock), or -errno.
 */
int registry_open(int *ret_dirfd, struct reg_entry **ret, size_t *ret_n, struct fvm_error *err)
{
	_cleanup_close_ int dir = -1, lock = -1;
	_cleanup_free_ char *buf = NULL;
	char file[NAME_MAX + 1], lockname[NAME_MAX + 6];
	struct reg_entry *v = NULL;
	size_t n = 0;
	char *line, *save = NULL;
	int r;

	dir = registry_dir(file, sizeof(file), err);
	if (dir < 0)
		return dir;
	if (snprintf(lockname, sizeof(lockname), "%s.lock", file) >= (int)sizeof(lockname))
		return fvm_errf(err, -ENAMETOOLONG, "the uid range registry's name %s is too long", registry_path());
	lock = openat(dir, lockname, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return fvm_errf(err, -errno, "cannot open the lock of the uid range registry %s: %s",
				registry_path(), strerror(errno));
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return fvm_errf(err, -errno, "cannot lock the uid range registry %s: %s",
					registry_path(), strerror(errno));
	r = read_small_fileat(dir, file, &buf, NULL);
	if (r == -ENOENT)
		r = 0;
	else if (r < 0)
		return fvm_errf(err, r, "cannot read the uid range registry %s: %s", registry_path(),
				strerror(-r));
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL, *end;
		unsigned long long base = strtoull(line, &end, 10);
		struct reg_entry *nv;

		if (!t2 || end != t1 || *line == '\t' || t1[1] != '/')
			continue;   /* not ours: skipped, and dropped on the next save */
		*t1 = *t2 = '\0';
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n].store = strdup(t1 + 1)) || !(nv[n].name = strdup(t2 + 1))) {
			if (nv) {
				v = nv;
				free(v[n].store);
			}
			registry_free(v, n);
			return fvm_errf(err, -ENOMEM, "out of memory");
		}
		v = nv;
		v[n++].base = base;
	}
	*ret_dirfd = TAKE_FD(dir);
	*ret = v;
	*ret_n = n;
	return TAKE_FD(lock);
}

/**
 * registry_save() - replace the registry by @v (the caller holds its lock)
 */
int registry_save(int dirfd, const struct reg_entry *v, size_t n, struct fvm_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char file[NAME_MAX + 1];
	const char *p = registry_path();
	int r;

	if (!f)
		return fvm_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%llu\t%s\t%s\n", v[i].base, v[i].store, v[i].name);
	if (fclose(f) != 0)
		return fvm_errf(err, -ENOMEM, "out of memory");
	snprintf(file, sizeof(file), "%s", strrchr(p, '/') + 1);
	r = write_fileat_atomic(dirfd, file, buf ? buf : "", len, 0600, true);
	if (r == 0 && fsync(dirfd) < 0)
		r = -errno;
	if (r < 0)
		return fvm_errf(err, r, "cannot write the uid range registry %s: %s", p, strerror(-r));
	return 0;
}

void registry_free(struct reg_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].store);
		free(v[i].name);
	}
	free(v);
}

/* Drop the records @drop picks (given @ctx), under the registry's lock. */
static int registry_drop(bool (*drop)(const struct reg_entry *e, const void *ctx), const void *ctx,
			 struct fvm_error *err)
{
	struct reg_entry *v = NULL;
	size_t n = 0, k = 0;
	int dir = -1, r;
	_cleanup_close_ int lock = registry_open(&dir, &v, &n, err);

	if (lock < 0)
		return lock;
	for (size_t i = 0; i < n; i++) {
		if (drop(&v[i], ctx)) {
			free(v[i].store);
			free(v[i].name);
			continue;
		}
		v[k++] = v[i];
	}
	r = k == n ? 0 : registry_save(dir, v, k, err);
	registry_free(v, k);
	close(dir);
	return r;
}

static bool is_vm(const struct reg_entry *e, const void *ctx)
{
	const struct reg_entry *vm = ctx;

	return e->base == vm->base && !strcmp(e->store, vm->store) && !strcmp(e->name, vm->name);
}

/**
 * registry_release() - drop the range of VM @name of @store_path
 *
 * Return: 0 (also when it was not recorded), or -errno.
 */
int registry_release(const char *store_path, const char *name, uid_t base,
		     struct fvm_error *err)
{
	const struct reg_entry vm = { .base = base, .store = (char *)store_path, .name = (char *)name };

	return registry_drop(is_vm, &vm, err);
}

/**
 * registry_rename() - the record of VM @from of @store now names @to (a
 * rename, or REGISTRY_HELD when @from is removed)
 *
 * Return: 0 (also when it was not recorded), or -errno.
 */
int registry_rename(const char *store, const char *from, const char *to, struct fvm_error *err)
{
	struct reg_entry *v = NULL;
	size_t n = 0;
	int dir = -1, r = 0;
	bool changed = false;
	_cleanup_close_ int lock = registry_open(&dir, &v, &n, err);

	if (lock < 0)
		return lock;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].store, store) && !strcmp(v[i].name, from)) {
			char *s = strdup(to);

			if (!s) {
				r = -ENOMEM;
				break;
			}
			free(v[i].name);
			v[i].name = s;
			changed = true;
		}
	if (r == 0 && changed)
		r = registry_save(dir, v, n, err);
	registry_free(v, n);
	close(dir);
	return r;
}

struct held {
	const char *store;
	const unsigned *bases;
	size_t n;
};

/* a REGISTRY_HELD record of the store whose range no layer named uses */
static bool held_unused(const struct reg_entry *e, const void *ctx)
{
	const struct held *h = ctx;

	if (strcmp(e->name, REGISTRY_HELD) || strcmp(e->store, h->store))
		return false;
	for (size_t j = 0; j < h->n; j++)
		if (e->base == h->bases[j])
			return false;
	return true;
}

/**
 * registry_release_held() - drop the REGISTRY_HELD records of @store_path
 * whose range no frozen layer of it uses any more: none of @bases (@n)
 *
 * Return: 0, or -errno.
 */
int registry_release_held(const char *store_path, const unsigned *bases, size_t n, struct fvm_error *err)
{
	const struct held h = { store_path, bases, n };

	return registry_drop(held_unused, &h, err);
}

/**
 * registry_stores() - the store of every VM recorded, once each
 *
 * Return: 0 and a NULL-terminated list (maybe empty), or -errno.
 */
int registry_stores(char ***ret, struct fvm_error *err)
{
	_cleanup_strv_ char **s = NULL;
	struct reg_entry *v = NULL;
	size_t n = 0, ns = 0;
	int dir = -1, r = 0;
	_cleanup_close_ int lock = registry_open(&dir, &v, &n, err);

	if (lock < 0)
		return lock;
	close(dir);
	for (size_t i = 0; r == 0 && i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < ns; j++)
			dup |= !strcmp(s[j], v[i].store);
		if (!dup)
			r = strv_push(&s, &ns, v[i].store);
	}
	if (r == 0 && !s && !(s = calloc(1, sizeof(char *))))
		r = -ENOMEM;
	registry_free(v, n);
	if (r < 0)
		return fvm_errf(err, r, "out of memory");
	*ret = TAKE_PTR(s);
	return 0;
}
