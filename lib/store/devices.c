// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * devices.c - --device: host device nodes in a VM's /dev (a GPU's render
 * node, for a program that draws with it).
 *
 * Theory of operation. A VM's /dev is a tmpfs of fvm's with a few nodes
 * bound from the host (mount.c). A --device adds one: a bind mount of the
 * host's node, at the same path. Without --device-any only a DRM render
 * node is taken (/dev/dri/renderD*, character major 226, minor >= 128: it
 * runs GPU work, but cannot set display modes or read other clients'
 * buffers the way a card node, /dev/dri/card*, can), and never a block
 * device (raw access to a disk, whatever the VM's file policies say).
 * The path is checked when set and again at each boot: under /dev, no
 * symlink in any component (the host's /dev is the host's, but fvm
 * follows no link anywhere), a character device of the kind allowed; the
 * VM's first process opens it again, while it still sees the host's
 * tree, checks that it is the same node, and takes it as a detached bind
 * mount (gui.c), which setup_dev attaches.
 *
 * What the VM can do with the node is what its mode and owner allow the
 * VM's users: rootless, your own access (a render node is usually yours
 * through the "render" group or a logind ACL); as root, the VM's users
 * are unprivileged uids of their own, so only a node open to everyone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "store/store.h"
#include "util/util.h"


#define DRM_MAJOR 226
#define DRM_RENDER_MINOR 128

static bool path_ok(const char *p)
{
	size_t n = strlen(p);

	return !strncmp(p, "/dev/", 5) && n > 5 && n < DEVICE_PATH_MAX && !strstr(p, "/../") &&
	       !strstr(p, "/./") && !strstr(p, "//") && p[n - 1] != '/' &&
	       strcmp(p + n - 3, "/..") && strcmp(p + n - 2, "/.") && strncmp(p, "/dev/pts", 8) &&
	       strncmp(p, "/dev/shm", 8) && strncmp(p, "/dev/mqueue", 11);
}

/**
 * device_check() - may a VM get the host's device node @path?
 * @vm:       the VM's name at boot, NULL when the setting is made
 * @any:      any character device, not only a DRM render node
 * @ret_rdev: its device number, may be NULL
 *
 * Return: 0, or -errno with @err saying why not and what to do.
 */
int device_check(const char *vm, const char *path, bool any, dev_t *ret_rdev,
		 struct fvm_error *err)
{
	const char *opt = any ? "--device-any" : "--device";
	_cleanup_close_ int fd = -1;
	char who[FVM_NAME_MAX + 16] = "";
	struct stat st;

	if (vm)
		snprintf(who, sizeof(who), "VM '%s': ", vm);
	if (!path || !path_ok(path))
		return fvm_errf(err, -EINVAL, "%sbad %s '%.100s': a device node under /dev, such as /dev/dri/renderD128 (absolute, no '.' or '..', shorter than %d bytes)",
				who, opt, path ? path : "", DEVICE_PATH_MAX);
	fd = host_path_open(path, O_PATH);
	if (fd == -ELOOP)
		return fvm_errf(err, fd, "%s%s %s: a symlink on the host, and fvm follows none; name the device itself",
				who, opt, path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return fvm_errf(err, fd < 0 ? fd : -errno, "%s%s %s: %s on the host", who, opt, path,
				strerror(fd < 0 ? -fd : errno));
	if (S_ISBLK(st.st_mode))
		return fvm_errf(err, -EPERM, "%s%s %s: a block device (raw access to a disk, past every file policy): fvm passes none; --share a directory of it instead",
				who, opt, path);
	if (!S_ISCHR(st.st_mode))
		return fvm_errf(err, -ENODEV, "%s%s %s: not a device node", who, opt, path);
	if (!any && (major(st.st_rdev) != DRM_MAJOR || minor(st.st_rdev) < DRM_RENDER_MINOR))
		return fvm_errf(err, -EPERM, "%s--device %s: not a GPU render node (/dev/dri/renderD*, device 226:128 and up, is %u:%u): to pass it anyway, knowing what its driver lets the VM do (a card node drives your screens), use --device-any %s",
				who, path, major(st.st_rdev), minor(st.st_rdev), path);
	if (ret_rdev)
		*ret_rdev = st.st_rdev;
	return 0;
}

void devices_free(struct vm_device *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].path);
	free(d);
}

/**
 * devices_set() - @c's device list becomes @d (@n of them), each checked.
 *
 * Return: 0, or -errno with @err filled (@c unchanged).
 */
int devices_set(struct vm_config *c, const struct fvm_device *d, size_t n, struct fvm_error *err)
{
	struct vm_device *v;

	if (n > MAX_DEVICES)
		return fvm_errf(err, -E2BIG, "VM '%s': at most %d devices", c->name, MAX_DEVICES);
	for (size_t i = 0; i < n; i++) {
		int r = device_check(NULL, d[i].path, d[i].any, NULL, err);

		if (r < 0)
			return r;
	}
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i].any = d[i].any;
		v[i].path = strdup(d[i].path);
		if (!v[i].path) {
			devices_free(v, i);
			return -ENOMEM;
		}
	}
	devices_free(c->devices, c->ndevices);
	c->devices = v;
	c->ndevices = n;
	return 0;
}
