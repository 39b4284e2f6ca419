// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store.c - where VMs live. The store is one directory, private to its
 * owner: STORE/vms/NAME per VM, STORE/lock for store-wide decisions (uid
 * range allocation). It is found from $FVM_HOME, else $XDG_DATA_HOME/fvm,
 * else ~/.local/share/fvm, else /var/lib/fvm for root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "store/store.h"

static char *default_path(void)
{
	const char *e = getenv("FVM_HOME");
	_cleanup_free_ char *home = NULL;
	char *p;

	if (e && *e)
		return strdup(e);
	e = getenv("XDG_DATA_HOME");
	if (e && *e == '/')
		return path_join(e, "fvm");
	if (geteuid() == 0)
		return strdup("/var/lib/fvm");
	home = caller_home();
	if (!home)
		return NULL;
	if (asprintf(&p, "%s/.local/share/fvm", home) < 0)
		return NULL;
	return p;
}

/* Make the store's path absolute, creating missing parents (mode 0700). */
static int store_mkdir(const char *path, struct fvm_error *err)
{
	int r;

	if (*path != '/')
		return fvm_errf(err, -EINVAL,
				"store path '%s' is not absolute: set FVM_HOME to an absolute path",
				path);
	r = mkdirat_p(AT_FDCWD, path, 0700);
	if (r < 0)
		return fvm_errf(err, r, "cannot create the store %s: %s (set FVM_HOME to a directory you can write)",
				path, strerror(-r));
	return 0;
}

/**
 * fvm_store_open() - open (creating if needed) the store at @path
 * @path: NULL for the default location
 *
 * The store must be a directory owned by the caller and not writable by
 * group or others: anyone who can write it controls every VM in it.
 */
FVM_PUBLIC int fvm_store_open(const char *path, struct fvm_store **ret, struct fvm_error *err)
{
	_cleanup_free_ struct fvm_store *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *p = path ? strdup(path) : default_path();
	struct stat st;
	int r;

	if (!s || !p)
		return fvm_errf(err, -ENOMEM, "out of memory");
	if (strlen(p) > PATH_MAX / 2)
		return fvm_errf(err, -ENAMETOOLONG, "store path is too long: set FVM_HOME to a shorter path");
	while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	r = store_mkdir(p, err);
	if (r < 0)
		return r;
	s->dirfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd < 0)
		return fvm_errf(err, -errno, "cannot open the store %s: %s", p, strerror(errno));
	if (fstat(s->dirfd, &st) < 0) {
		r = -errno;
		close(s->dirfd);
		return fvm_errf(err, r, "cannot stat the store %s", p);
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(s->dirfd);
		return fvm_errf(err, -EPERM,
				"the store %s is owned by uid %u with mode %o: it must be yours and not group/world-writable (chmod go-w, or set FVM_HOME)",
				p, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
	if (mkdirat(s->dirfd, "vms", 0700) < 0 && errno != EEXIST) {
		r = -errno;
		close(s->dirfd);
		return fvm_errf(err, r, "cannot create %s/vms: %s", p, strerror(-r));
	}
	s->vmsfd = openat(s->dirfd, "vms", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->vmsfd < 0) {
		r = -errno;
		close(s->dirfd);
		return fvm_errf(err, r, "cannot open %s/vms: %s", p, strerror(-r));
	}
	s->rootless = geteuid() != 0;
	s->uid = geteuid();
	s->gid = getegid();
	s->path = TAKE_PTR(p);
	import_sweep(s);   /* what killed imports left (import.c) */
	*ret = TAKE_PTR(s);
	return 0;
}

FVM_PUBLIC void fvm_store_free(struct fvm_store *store)
{
	if (!store)
		return;
	close(store->vmsfd);
	close(store->dirfd);
	free(store->path);
	free(store);
}

FVM_PUBLIC const char *fvm_store_path(const struct fvm_store *store)
{
	return store->path;
}

FVM_PUBLIC bool fvm_store_rootless(const struct fvm_store *store)
{
	return store->rootless;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/**
 * fvm_store_list() - names of the VMs in the store, sorted
 *
 * Entries whose name is not a valid VM name are not VMs and are skipped.
 */
FVM_PUBLIC int fvm_store_list(struct fvm_store *store, char ***ret_names, struct fvm_error *err)
{
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;
	int fd = openat(store->vmsfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fvm_errf(err, -errno, "cannot list %s/vms: %s", store->path, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (fvm_name_check(de->d_name, NULL) < 0)
			continue;
		if (strv_push(&names, &n, de->d_name) < 0) {
			closedir(d);
			return fvm_errf(err, -ENOMEM, "out of memory");
		}
	}
	closedir(d);
	if (!names) {
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
	}
	qsort(names, n, sizeof(char *), cmp_str);
	*ret_names = TAKE_PTR(names);
	return 0;
}

static int lock_at(int dirfd, const char *what, bool create, struct fvm_error *err)
{
	int fd = openat(dirfd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);

	if (fd < 0)
		return fvm_errf(err, -errno, "cannot open the lock of %s: %s", what, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			close(fd);
			return fvm_errf(err, r, "cannot lock %s: %s", what, strerror(-r));
		}
	}
	return fd;
}

/* Store-wide lock; returns the fd to close to unlock. */
int store_lock(struct fvm_store *store, struct fvm_error *err)
{
	return lock_at(store->dirfd, store->path, true, err);
}

/* Per-VM lock; returns the fd to close to unlock. */
int vm_lock(struct fvm_vm *vm, struct fvm_error *err)
{
	return lock_at(vm->dirfd, vm->dir, true, err);
}

/**
 * vm_lock_named() - vm_lock(), for a @vm opened a while ago: and its
 * directory is still the store's vms/NAME
 *
 * rm and rename move a VM's directory only under its lock, so while the
 * caller holds it the answer holds too, and no other VM of that name (whose
 * cgroup would have the same name) can exist. The lock is not made if it
 * is missing: rm may be deleting the directory (renamed away), and a lock
 * made there fails its rmdir. Return: the fd to close to unlock, -ESTALE
 * if the directory was removed or renamed meanwhile (a new VM may have the
 * name), or -errno.
 */
int vm_lock_named(struct fvm_vm *vm, struct fvm_error *err)
{
	struct stat here, named;
	int fd = lock_at(vm->dirfd, vm->dir, false, err);

	if (fd == -ENOENT)
		return fvm_errf(err, -ESTALE, "VM '%s' was removed meanwhile", vm->cfg.name);
	if (fd < 0)
		return fd;
	if (fstat(vm->dirfd, &here) == 0 &&
	    fstatat(vm->store->vmsfd, vm->cfg.name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	    here.st_dev == named.st_dev && here.st_ino == named.st_ino)
		return fd;
	close(fd);
	return fvm_errf(err, -ESTALE, "VM '%s' was removed or renamed meanwhile", vm->cfg.name);
}

/*
 * import_sweep() - remove what killed imports (changes/import.c) left in the store: temporary directories no
 * live import holds locked, and their uid ranges.
 */
void import_sweep(struct fvm_store *store)
{
	char **names = NULL;
	size_t n = 0;
	int vms = fcntl(store->vmsfd, F_DUPFD_CLOEXEC, 3), lock = -1;

	if (vms < 0 || dir_names(vms, &names, &n) < 0) {
		if (vms >= 0)
			close(vms);
		return;
	}
	for (size_t i = 0; i < n && lock < 0; i++)
		if (!strncmp(names[i], ".import-", 8))
			lock = store_lock(store, NULL);   /* a new import locks its directory under it */
	for (size_t i = 0; lock >= 0 && i < n; i++) {
		_cleanup_close_ int fd = -1;
		_cleanup_free_ char *cfg = NULL;

		if (strncmp(names[i], ".import-", 8))
			continue;
		fd = openat(store->vmsfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;   /* a live import's */
		if (!store->rootless && read_small_fileat(fd, "config.json", &cfg, NULL) == 0) {
			json_object *o = json_tokener_parse(cfg), *nm, *b;

			if (o && json_object_object_get_ex(o, "name", &nm) && json_object_object_get_ex(o, "uid_base", &b))
				registry_release(store->path, json_object_get_string(nm),
						 (uid_t)json_object_get_int64(b), NULL);
			if (o)
				json_object_put(o);
		}
		rm_rf_at(store->vmsfd, names[i]);
	}
	close(vms);
	if (lock >= 0)
		close(lock);
	fvm_strv_free(names);
}
