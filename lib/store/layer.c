// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * layer.c - a VM's copy-on-write layers: STORE/vms/NAME/layers/ESC/{upper,work}
 * for each host mount, ESC being the mount point with '%' and '/' escaped
 * ("/" is "%2F", "/home" is "%2Fhome"), so the layer of a mount can be
 * found from its path and back without any index file.
 *
 * The root directory of an upper layer stands for the mount's root inside
 * the VM, so it is given the lower root's mode and (root mode) its owner
 * mapped into the VM's uid range when the layer is made.
 *
 * layer_hide() puts a whiteout in an upper layer, the overlayfs way of
 * saying "deleted": the path is then absent in the VM, not an empty
 * mount that shows up in its parent's listing. It keeps the store out of
 * sight of every VM.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <json-c/json.h>

#include "store/store.h"

int layer_escape(const char *mountpoint, char *buf, size_t len)
{
	size_t o = 0;

	for (const char *p = mountpoint; *p; p++) {
		bool esc = *p == '/' || *p == '%';

		if (o + (esc ? 3 : 1) >= len)
			return -ENAMETOOLONG;
		if (esc)
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", (unsigned char)*p);
		else
			buf[o++] = *p;
	}
	buf[o] = '\0';
	return o ? 0 : -EINVAL;
}

int layer_unescape(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	for (const char *p = name; *p; p++) {
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		if (*p == '%') {
			if (!strncmp(p, "%2F", 3))
				buf[o++] = '/';
			else if (!strncmp(p, "%25", 3))
				buf[o++] = '%';
			else
				return -EINVAL;
			p += 2;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
	return (o && buf[0] == '/') ? 0 : -EINVAL;
}

/* One id as stored in a root-mode layer: already in the VM's range (seen
 * through the idmapped lower), or a host id to map into it. */
static unsigned map_id(const struct vm_config *cfg, unsigned id)
{
	if (id >= cfg->uid_base && id - cfg->uid_base < cfg->uid_count)
		return id;
	return id < cfg->uid_count ? cfg->uid_base + id : (unsigned)-1;
}

static void map_owner(const struct vm_config *cfg, const struct stat *st, uid_t *u, gid_t *g)
{
	*u = map_id(cfg, st->st_uid);
	*g = map_id(cfg, st->st_gid);
}

/* Give a new upper directory the look of the lower one it stands for. */
static void mirror_dir(int fd, const struct stat *lower, const struct vm_config *cfg)
{
	struct timespec ts[2] = { lower->st_atim, lower->st_mtim };

	if (!cfg->rootless) {
		uid_t u;
		gid_t g;

		map_owner(cfg, lower, &u, &g);
		if (fchown(fd, u, g) < 0) {
			/* best effort: the owner only shows inside the VM */
		}
	}
	/* rootless, the owner (us) must keep access to the layers it owns */
	fchmod(fd, (lower->st_mode & 07777) | (cfg->rootless ? 0700 : 0));
	futimens(fd, ts);
}

/* mirror_dir() for the other files that make upper directories (xfer.c) */
void layer_mirror_dir(int fd, const struct stat *lower, const struct vm_config *cfg)
{
	mirror_dir(fd, lower, cfg);
}

/* Open directory @name in @dfd with @flags, making it (@mode) if absent:
 * the open comes first, as the dirs of a VM's layers exist at every boot
 * but its first. @ret_made: set when it was made now (may be NULL). */
static int dir_open_or_make(int dfd, const char *name, mode_t mode, int flags, bool *ret_made)
{
	int fd = openat(dfd, name, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (mkdirat(dfd, name, mode) == 0) {
		if (ret_made)
			*ret_made = true;
	} else if (errno != EEXIST) {
		return -1;
	}
	return openat(dfd, name, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/**
 * layer_open() - open (making if needed) the layer of @mountpoint
 *
 * Return: 0 with O_DIRECTORY fds of upper and work, or -errno.
 */
int layer_open(struct fvm_vm *vm, const char *mountpoint, int *ret_upper, int *ret_work,
	       struct fvm_error *err)
{
	char esc[256];
	_cleanup_close_ int layers = -1, dir = -1, upper = -1, work = -1;
	bool fresh = false;
	int r = layer_escape(mountpoint, esc, sizeof(esc));

	if (r < 0)
		return fvm_errf(err, r, "VM '%s': mount point %s is too long for a layer name",
				vm->cfg.name, mountpoint);
	layers = dir_open_or_make(vm->dirfd, "layers", 0700, O_PATH, NULL);
	if (layers < 0)
		goto fail;
	dir = dir_open_or_make(layers, esc, 0700, O_PATH, &fresh);
	if (dir < 0)
		goto fail;
	upper = dir_open_or_make(dir, "upper", 0755, O_RDONLY, NULL);
	work = upper < 0 ? -1 : dir_open_or_make(dir, "work", 0700, O_RDONLY, NULL);
	if (upper < 0 || work < 0)
		goto fail;
	if (fresh) {
		struct stat st;

		if (stat(mountpoint, &st) == 0)
			mirror_dir(upper, &st, &vm->cfg);
	}
	*ret_upper = TAKE_FD(upper);
	*ret_work = TAKE_FD(work);
	return 0;
fail:
	r = -errno;
	return fvm_errf(err, r, "VM '%s': cannot set up the layer %s/layers/%s: %s", vm->cfg.name,
			vm->dir, esc, strerror(-r));
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/**
 * layer_hide() - make @relpath absent in the VM with a whiteout in @upper_fd
 * @lower_fd: the lower root, whose directories the new upper ones mirror
 *
 * A directory the VM itself made at @relpath (it would merge with the
 * hidden lower one) is renamed aside, never deleted.
 */
int layer_hide(int upper_fd, int lower_fd, const char *relpath, const struct vm_config *cfg)
{
	_cleanup_free_ char *copy = strdup(relpath);
	_cleanup_close_ int up = fcntl(upper_fd, F_DUPFD_CLOEXEC, 3);
	_cleanup_close_ int low = fcntl(lower_fd, F_DUPFD_CLOEXEC, 3);
	char *save = NULL, *part, *next;
	struct stat st;

	if (!copy || up < 0 || low < 0)
		return -ENOMEM;
	part = strtok_r(copy, "/", &save);
	while (part) {
		next = strtok_r(NULL, "/", &save);
		if (fstatat(up, part, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (is_whiteout(&st))
				return 0;   /* already gone */
			if (!next || !S_ISDIR(st.st_mode)) {
				char aside[300];

				/* the VM's own object sits where the hidden one would show */
				snprintf(aside, sizeof(aside), "%.200s.fvm-aside.%lld", part,
					 (long long)time(NULL));
				if (renameat(up, part, up, aside) < 0)
					return -errno;
				if (next)
					return 0;
				break;
			}
		} else if (errno != ENOENT) {
			return -errno;
		} else if (next) {
			struct stat lst;
			int fd;

			if (fstatat(low, part, &lst, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(lst.st_mode))
				return 0;  /* nothing below to hide */
			if (mkdirat(up, part, 0700) < 0)
				return -errno;
			fd = openat(up, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			mirror_dir(fd, &lst, cfg);
			close(fd);
		} else {
			break;
		}
		if (!next)
			break;
		{
			int nu = openat(up, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int nl = openat(low, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (nu < 0 || nl < 0) {
				if (nu >= 0)
					close(nu);
				if (nl >= 0)
					close(nl);
				return 0;
			}
			close(up);
			close(low);
			up = nu;
			low = nl;
		}
		part = next;
	}
	if (!part)
		return 0;
	if (mknodat(up, part, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The layers of a VM, for `fvm inspect`: [{mount, upper}] */
void layers_to_json(const struct fvm_vm *vm, struct json_object *array)
{
	int fd = openat(vm->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char mp[4096];
		_cleanup_free_ char *up = NULL;
		json_object *o;

		if (de->d_name[0] == '.' || layer_unescape(de->d_name, mp, sizeof(mp)) < 0)
			continue;
		if (asprintf(&up, "%s/layers/%s/upper", vm->dir, de->d_name) < 0)
			break;
		o = json_object_new_object();
		json_object_object_add(o, "mount", json_object_new_string(mp));
		json_object_object_add(o, "upper", json_object_new_string(up));
		json_object_array_add(array, o);
	}
	closedir(d);
}
