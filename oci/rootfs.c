// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rootfs.c - the container's file system: root.path, mounts, devices,
 * pivot_root, maskedPaths, readonlyPaths, sysctl, root.readonly.
 *
 * Theory of operation. Runs in the container's init, in its new mount
 * namespace, before the user program. The rootfs is the image's: every
 * path in it is hostile (a symlink /etc -> /), so each destination is
 * resolved with openat2(RESOLVE_IN_ROOT) from an fd of the rootfs,
 * missing parts are made with mkdirat() on the resolved parent, and the
 * mount goes onto /proc/self/fd/N of the resolved O_PATH fd, never onto
 * a path string. A mount is then looked up again through the same
 * resolution for its remount (flags a bind cannot take at once) and its
 * propagation. In a user namespace flags locked by the source mount
 * (nosuid, nodev, noexec, ro) are kept on a remount, as the kernel asks.
 * Device nodes are bind mounts of the host's (/dev/null, zero, full,
 * random, urandom, tty), so they work in a user namespace too; linux.devices
 * entries are made with mknod where fvm-oci is real root, else bound from
 * the host's node of the same number.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oci.h"

static int openat2_in(int dirfd, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/**
 * path_in_root() - resolve @path inside the root @rootfd, making it if asked
 * @rootfd: the container's root (a directory fd)
 * @path:   absolute, as the container sees it
 * @dir:    what to make at the end: a directory (else an empty file)
 * @create: make missing parents and the end
 * @e:      the error
 *
 * Return: an O_PATH fd of it, or -errno.
 */
int path_in_root(int rootfd, const char *path, bool dir, bool create, struct oci_err *e)
{
	char buf[4096];
	if (strlen(path) >= sizeof(buf))
		return oci_fail(e, -ENAMETOOLONG, "%s: too long", path);
	int fd = openat2_in(rootfd, path, O_PATH);
	if (fd >= 0 || fd != -ENOENT || !create)
		return fd >= 0 ? fd : oci_fail(e, fd, "%s (in the container): %s", path,
					       strerror(-fd));
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		bool last = *p == 0;
		if (*p != '/' && !last)
			continue;
		*p = 0;
		char *slash = strrchr(buf, '/');
		char *name = slash + 1;
		*slash = 0;
		int pfd = openat2_in(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
		*slash = '/';
		if (pfd < 0)
			return oci_fail(e, pfd, "%s (in the container): %s", buf, strerror(-pfd));
		int rc = 0;
		if (*name && (!last || dir))
			rc = mkdirat(pfd, name, 0755) < 0 && errno != EEXIST ? -errno : 0;
		else if (*name) {
			char pp[64];
			snprintf(pp, sizeof(pp), "/proc/self/fd/%d", pfd);
			int d = open(pp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
			int f = d < 0 ? -1 : openat(d, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
						    O_CLOEXEC, 0644);
			rc = f < 0 && errno != EEXIST ? -errno : 0;
			if (f >= 0)
				close(f);
			if (d >= 0)
				close(d);
		}
		close(pfd);
		if (rc < 0)
			return oci_fail(e, rc, "making %s in the container: %s", buf, strerror(-rc));
		if (last)
			break;
		*p = '/';
	}
	fd = openat2_in(rootfd, path, O_PATH);
	return fd >= 0 ? fd : oci_fail(e, fd, "%s (in the container): %s", path, strerror(-fd));
}

/* the flags a remount must keep because the source mount has them locked */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
	return f;
}

static int remount(const char *target, unsigned long flags, const char *what,
		   struct oci_err *e)
{
	unsigned long f = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
				   MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_SYNCHRONOUS);
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | f, NULL) == 0)
		return 0;
	if (errno == EPERM) {
		unsigned long l = locked_flags(target);
		if (!(f & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)))
			f |= l & (MS_NOATIME | MS_RELATIME);
		if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | f | (l & ~MS_RELATIME &
			  ~MS_NOATIME), NULL) == 0)
			return 0;
	}
	return oci_fail(e, -errno, "remounting %s with its options: %m", what);
}

/**
 * mount_bind_flags() - bind @src (recursively) on @name under @dirfd, then apply @flags
 * @src:   host path
 * @dirfd: the container's root, or a directory fd in it
 * @name:  the target, resolved in @dirfd as in a root
 * @flags: MS_RDONLY and friends
 * @e:     the error
 *
 * Return: 0 or -errno.
 */
int mount_bind_flags(const char *src, int dirfd, const char *name, unsigned long flags,
		     struct oci_err *e)
{
	char t[64];
	int fd = openat2_in(dirfd, name, O_PATH);
	if (fd < 0)
		return oci_fail(e, fd, "%s: %s", name, strerror(-fd));
	snprintf(t, sizeof(t), "/proc/self/fd/%d", fd);
	int rc = mount(src, t, NULL, MS_BIND | MS_REC, NULL) < 0 ?
		oci_fail(e, -errno, "bind mount of %s: %m", src) : 0;
	close(fd);
	if (rc < 0 || !flags)
		return rc;
	if ((fd = openat2_in(dirfd, name, O_PATH)) < 0)   /* the new mount */
		return oci_fail(e, fd, "%s: %s", name, strerror(-fd));
	snprintf(t, sizeof(t), "/proc/self/fd/%d", fd);
	rc = remount(t, flags, src, e);
	close(fd);
	return rc;
}

static int mount_fs(const struct oci_mount *m, const char *target, int *rootfd,
		    const struct oci_spec *s, struct oci_err *e)
{
	unsigned long f = m->flags & ~(MS_BIND | MS_REC);
	const char *src = m->source ? m->source : m->type;
	if (!strcmp(m->type, "cgroup") && !ocg_unified()) {
		if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
			return oci_fail(e, -errno, "mounts: %s (cgroup v1 tmpfs): %m", m->dest);
		int fd = path_in_root(*rootfd, m->dest, true, false, e);
		if (fd < 0)
			return fd;
		char pp[64];
		snprintf(pp, sizeof(pp), "/proc/self/fd/%d", fd);
		int d = open(pp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		int rc = d < 0 ? oci_fail(e, -errno, "%s: %m", m->dest) :
			ocg_v1_mount(s->cgroup, d, (f & MS_RDONLY) != 0, e);
		if (d >= 0)
			close(d);
		if (rc == 0 && (f & MS_RDONLY))
			rc = remount(pp, f | MS_NOSUID | MS_NODEV | MS_NOEXEC, m->dest, e);
		close(fd);
		return rc;
	}
	const char *type = !strcmp(m->type, "cgroup") ? "cgroup2" : m->type;
	if (mount(src, target, type, f, m->data) == 0)
		return 0;
	int err = errno;
	/* what a user namespace cannot mount anew, it gets from the host */
	if (err == EPERM && (!strcmp(type, "sysfs") || !strcmp(type, "mqueue") ||
			     !strcmp(type, "cgroup2")))
		return mount_bind_flags(!strcmp(type, "sysfs") ? "/sys" : !strcmp(type, "mqueue") ?
					"/dev/mqueue" : "/sys/fs/cgroup", *rootfd, m->dest,
					f | MS_NOSUID | MS_NODEV | MS_NOEXEC, e);
	if (err == EINVAL && !strcmp(type, "devpts") && m->data && strstr(m->data, "gid=")) {
		char data[4096], *o = data;   /* gid 5 may be unmapped: drop it */
		*o = 0;
		char *copy = strdup(m->data), *save = NULL;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
		     t = strtok_r(NULL, ",", &save))
			if (strncmp(t, "gid=", 4))
				o += snprintf(o, sizeof(data) - (size_t)(o - data), "%s%s",
					      o == data ? "" : ",", t);
		free(copy);
		if (mount(src, target, type, f, data) == 0)
			return 0;
		err = errno;
	}
	return oci_fail(e, -err, "mounts: %s (%s): %s", m->dest, type, strerror(err));
}

static int do_mount(const struct oci_mount *m, int *rootfd, const struct oci_spec *s,
		    struct oci_err *e)
{
	bool dir = true;
	char src[4200];
	if (m->bind) {
		struct stat st;
		snprintf(src, sizeof(src), "%s%s%s", m->source[0] == '/' ? "" : s->bundle,
			 m->source[0] == '/' ? "" : "/", m->source);
		if (stat(src, &st) < 0)
			return oci_fail(e, -errno, "mounts: %s: source %s: %m", m->dest, src);
		dir = S_ISDIR(st.st_mode);
	}
	int fd = path_in_root(*rootfd, m->dest, dir, true, e);
	if (fd < 0)
		return fd;
	char target[64];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	int rc;
	if (m->bind)
		rc = mount(src, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0 ?
			oci_fail(e, -errno, "mounts: bind %s on %s: %m", src, m->dest) : 0;
	else
		rc = mount_fs(m, target, rootfd, s, e);
	close(fd);
	if (rc < 0 || (!(m->bind && (m->flags & ~(MS_BIND | MS_REC))) && !m->prop))
		return rc;
	/* the new mount, looked up again, for its flags and propagation */
	fd = path_in_root(*rootfd, m->dest, dir, false, e);
	if (fd < 0)
		return fd;
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (m->bind && (m->flags & ~(MS_BIND | MS_REC)))
		rc = remount(target, m->flags, m->dest, e);
	if (rc == 0 && m->prop && mount(NULL, target, NULL, m->prop, NULL) < 0)
		rc = oci_fail(e, -errno, "mounts: %s: propagation: %m", m->dest);
	close(fd);
	return rc;
}

static bool real_root(void)
{
	char buf[64] = "";
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return geteuid() == 0 && strstr(buf, "4294967295");
}

static int bind_device(int rootfd, const char *ctpath, const char *hostpath, struct oci_err *e)
{
	int fd = path_in_root(rootfd, ctpath, false, true, e);
	if (fd < 0)
		return fd;
	char t[64];
	snprintf(t, sizeof(t), "/proc/self/fd/%d", fd);
	int rc = mount(hostpath, t, NULL, MS_BIND, NULL) < 0 ?
		oci_fail(e, -errno, "binding %s on %s: %m", hostpath, ctpath) : 0;
	close(fd);
	return rc;
}

static int mknod_in(int rootfd, const struct oci_device *dv, struct oci_err *e)
{
	char parent[4096], pp[64];
	snprintf(parent, sizeof(parent), "%s", dv->path);
	char *slash = strrchr(parent, '/'), *name = slash + 1;
	*slash = 0;
	if (!*name)
		return oci_fail(e, -EINVAL, "config.json: linux.devices: %s: no name", dv->path);
	int pfd = path_in_root(rootfd, parent[0] ? parent : "/", true, true, e);
	if (pfd < 0)
		return pfd;
	snprintf(pp, sizeof(pp), "/proc/self/fd/%d", pfd);
	int d = open(pp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	close(pfd);
	if (d < 0)
		return oci_fail(e, -errno, "linux.devices: %s: %m", dv->path);
	mode_t type = dv->type == 'b' ? S_IFBLK : dv->type == 'p' ? S_IFIFO : S_IFCHR;
	unlinkat(d, name, 0);
	int rc = 0;
	if (mknodat(d, name, type | (dv->mode & 07777), makedev(dv->major, dv->minor)) < 0 ||
	    fchownat(d, name, dv->uid, dv->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(d, name, dv->mode & 07777, 0) < 0)   /* not the umask's */
		rc = oci_fail(e, -errno, "config.json: linux.devices: making %s: %m", dv->path);
	close(d);
	return rc;
}

/* in a user namespace no node can be made: the host's, if it is the same device */
static int bind_host_node(int rootfd, const struct oci_device *dv, struct oci_err *e)
{
	struct stat st;
	if (stat(dv->path, &st) < 0 || st.st_rdev != makedev(dv->major, dv->minor) ||
	    (dv->type == 'b') != !!S_ISBLK(st.st_mode))
		return oci_fail(e, -ENODEV, "config.json: linux.devices: %s: in a user namespace "
				"fvm-oci binds the host's node, and the host has no %c %u:%u there",
				dv->path, dv->type, dv->major, dv->minor);
	return bind_device(rootfd, dv->path, dv->path, e);
}

static int make_devices(const struct oci_spec *s, int rootfd, struct oci_err *e)
{
	static const struct oci_device defdev[] = {
		{ (char *)"/dev/null", 'c', 1, 3, 0666, 0, 0 },
		{ (char *)"/dev/zero", 'c', 1, 5, 0666, 0, 0 },
		{ (char *)"/dev/full", 'c', 1, 7, 0666, 0, 0 },
		{ (char *)"/dev/random", 'c', 1, 8, 0666, 0, 0 },
		{ (char *)"/dev/urandom", 'c', 1, 9, 0666, 0, 0 },
		{ (char *)"/dev/tty", 'c', 5, 0, 0666, 0, 0 },
	};
	char p[64];
	bool root = real_root();
	/* real root makes the nodes, as runc does; a user namespace binds the host's */
	for (size_t i = 0; i < sizeof(defdev) / sizeof(defdev[0]); i++) {
		int rc = root ? mknod_in(rootfd, &defdev[i], e) :
			bind_device(rootfd, defdev[i].path, defdev[i].path, e);
		if (rc < 0)
			return rc;
	}
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	int dev = path_in_root(rootfd, "/dev", true, true, e);
	if (dev < 0)
		return dev;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", dev);
	int d = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	close(dev);
	if (d < 0)
		return oci_fail(e, -errno, "/dev in the container: %m");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (!strcmp(links[i][1], "ptmx"))
			unlinkat(d, "ptmx", 0);
		if (symlinkat(links[i][0], d, links[i][1]) < 0 && errno != EEXIST) {
			close(d);
			return oci_fail(e, -errno, "/dev/%s in the container: %m", links[i][1]);
		}
	}
	close(d);
	for (size_t i = 0; i < s->ndevices; i++) {
		int rc = root ? mknod_in(rootfd, &s->devices[i], e) :
			bind_host_node(rootfd, &s->devices[i], e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int root_fd = -1;   /* the container's rootfs, once bound on itself */

/**
 * rootfs_setup() - rootfs propagation, the rootfs bound on itself, every
 * mount of config.json in order, and the device nodes
 * @s: the spec
 * @e: the error
 *
 * Return: 0 or -errno.
 */
int rootfs_setup(struct oci_spec *s, struct oci_err *e)
{
	if (mount(NULL, "/", NULL, s->rootprop, NULL) < 0)
		return oci_fail(e, -errno, "linux.rootfsPropagation on /: %m");
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_fail(e, -errno, "root.path %s: bind: %m", s->rootfs);
	root_fd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return oci_fail(e, -errno, "root.path %s: %m", s->rootfs);
	bool dev = false;
	for (size_t i = 0; i < s->nmounts; i++) {
		int rc = do_mount(&s->mounts[i], &root_fd, s, e);
		if (rc < 0)
			return rc;
		dev |= !strcmp(s->mounts[i].dest, "/dev");
	}
	/* without a /dev of its own the image's /dev is left as it is */
	return dev || s->ndevices ? make_devices(s, root_fd, e) : 0;
}

/**
 * rootfs_pivot() - make the rootfs the root, the old root gone
 * @s: the spec
 * @e: the error
 *
 * Return: 0 or -errno.
 */
int rootfs_pivot(struct oci_spec *s, struct oci_err *e)
{
	int fd = open(s->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fchdir(fd) < 0)
		return oci_fail(e, -errno, "root.path %s: %m", s->rootfs);
	close(fd);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return oci_fail(e, -errno, "pivot_root to %s: %m", s->rootfs);
	/* the old root is stacked under "."; detach it without telling the host */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return oci_fail(e, -errno, "detaching the host's root: %m");
	close(root_fd);
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return root_fd < 0 ? oci_fail(e, -errno, "/: %m") : 0;
}

static int mask_path(const char *path, struct oci_err *e)
{
	int fd = openat2_in(root_fd, path, O_PATH);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return oci_fail(e, fd, "linux.maskedPaths: %s: %s", path, strerror(-fd));
	struct stat st;
	char t[64];
	snprintf(t, sizeof(t), "/proc/self/fd/%d", fd);
	int rc = fstat(fd, &st) < 0 ? -1 :
		S_ISDIR(st.st_mode) ? mount("tmpfs", t, "tmpfs", MS_RDONLY, "size=0k") :
		mount("/dev/null", t, NULL, MS_BIND, NULL);
	if (rc < 0 && S_ISDIR(st.st_mode) && errno == EINVAL)
		rc = mount("tmpfs", t, "tmpfs", MS_RDONLY, NULL);
	rc = rc < 0 ? oci_fail(e, -errno, "linux.maskedPaths: %s: %m", path) : 0;
	close(fd);
	return rc;
}

static int ro_path(const char *path, struct oci_err *e)
{
	int fd = openat2_in(root_fd, path, O_PATH);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return oci_fail(e, fd, "linux.readonlyPaths: %s: %s", path, strerror(-fd));
	char t[64];
	snprintf(t, sizeof(t), "/proc/self/fd/%d", fd);
	int rc = mount(t, t, NULL, MS_BIND | MS_REC, NULL) < 0 ?
		oci_fail(e, -errno, "linux.readonlyPaths: %s: %m", path) : 0;
	close(fd);
	if (rc < 0)
		return rc;
	if ((fd = openat2_in(root_fd, path, O_PATH)) < 0)
		return oci_fail(e, fd, "linux.readonlyPaths: %s: %s", path, strerror(-fd));
	snprintf(t, sizeof(t), "/proc/self/fd/%d", fd);
	rc = remount(t, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path, e);
	close(fd);
	return rc;
}

/* a sysctl the container's own namespaces hold, or -EPERM */
static int sysctl_allowed(const struct oci_spec *s, const char *k)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
					   "kernel.sem", "kernel.shmall", "kernel.shmmax",
					   "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
	if (!strncmp(k, "net.", 4))
		return s->ns[NS_NET].want && !s->ns[NS_NET].path ? 0 : -EPERM;
	if (!strncmp(k, "fs.mqueue.", 10))
		return s->ns[NS_IPC].want ? 0 : -EPERM;
	for (const char *const *i = ipc; *i; i++)
		if (!strcmp(*i, k))
			return s->ns[NS_IPC].want ? 0 : -EPERM;
	if (!strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname"))
		return s->ns[NS_UTS].want ? 0 : -EPERM;
	return -EPERM;
}

static int sysctls(const struct oci_spec *s, struct oci_err *e)
{
	if (!s->sysctl)
		return 0;
	json_object_object_foreach(s->sysctl, key, val) {
		char path[512];
		const char *v = json_object_get_string(val);
		if (strlen(key) > 200 || strstr(key, "..") || strchr(key, '/') ||
		    sysctl_allowed(s, key) < 0)
			return oci_fail(e, -EPERM, "config.json: linux.sysctl: %s is not one of the "
					"container's own namespaces (fvm-oci sets net.*, the IPC "
					"ones, kernel.hostname/domainname)", key);
		snprintf(path, sizeof(path), "/proc/sys/%s", key);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		int fd = openat2_in(root_fd, path, O_WRONLY);
		ssize_t n = fd < 0 ? -1 : write(fd, v, strlen(v));
		int er = fd < 0 ? -fd : errno;
		if (fd >= 0)
			close(fd);
		if (n < 0)
			return oci_fail(e, -er, "config.json: linux.sysctl: %s=%s: %s", key, v,
					strerror(er));
	}
	return 0;
}

/**
 * rootfs_finish() - after pivot_root: sysctls, readonlyPaths, maskedPaths,
 * then root.readonly
 * @s: the spec
 * @e: the error
 *
 * Return: 0 or -errno.
 */
int rootfs_finish(struct oci_spec *s, struct oci_err *e)
{
	int rc = sysctls(s, e);
	for (size_t i = 0; rc == 0 && s->ropaths && s->ropaths[i]; i++)
		rc = ro_path(s->ropaths[i], e);
	for (size_t i = 0; rc == 0 && s->masked && s->masked[i]; i++)
		rc = mask_path(s->masked[i], e);
	if (rc == 0 && s->root_ro)
		rc = remount("/", MS_RDONLY, "root.readonly /", e);
	close(root_fd);
	root_fd = -1;
	return rc;
}
