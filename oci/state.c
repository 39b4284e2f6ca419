// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * state.c - a container's state on disk: ROOT/ID/state.json and the
 * ROOT/ID/exec.fifo that holds its init at the barrier.
 *
 * ROOT is --root, else /run/fvm-oci for root, else (a user, or root of a
 * user namespace) $XDG_RUNTIME_DIR/fvm-oci. The status is never stored, it is found
 * (state_status()): the init pid with the start time recorded at create
 * is alive (and not a zombie) or not; the fifo is there until `start`
 * releases the barrier; the freezer says paused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

const char *oci_root;
static int rootfd = -1;

/**
 * id_check() - is @id usable as a container id (and a file name)?
 * @id: from the command line
 * @e:  the error
 *
 * Return: 0 or -EINVAL.
 */
int id_check(const char *id, struct oci_err *e)
{
	size_t n = strlen(id);
	if (n == 0 || n > 200 || id[0] == '.')
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.",
			    id[i]))
			goto bad;
	return 0;
bad:
	return oci_fail(e, -EINVAL, "container id \"%.64s\": use 1-200 letters, digits, "
			"'_', '+', '-' or '.', not starting with '.'", id);
}

/**
 * state_root() - open (making it if needed) the state root directory
 * @root: --root, or NULL for the default
 * @e:    the error
 *
 * Return: 0 or -errno.
 */
int state_root(const char *root, struct oci_err *e)
{
	static char def[4096];
	if (!root) {
		const char *x = getenv("XDG_RUNTIME_DIR");
		/* root of a user namespace (rootless podman runs us so) is no root */
		if ((geteuid() == 0 && in_initial_userns()) || !x || !*x)
			snprintf(def, sizeof(def), "/run/fvm-oci");
		else
			snprintf(def, sizeof(def), "%s/fvm-oci", x);
		root = def;
	}
	oci_root = root;
	char parents[4096];
	snprintf(parents, sizeof(parents), "%s", root);
	for (char *p = parents + 1; *p; p++) {   /* mkdir -p, as runc does */
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(parents, 0711) < 0 && errno != EEXIST)
			return oci_fail(e, -errno, "state root %s: %m (give another with --root)",
					parents);
		*p = '/';
	}
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return oci_fail(e, -errno, "state root %s: %m (give another with --root)", root);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_fail(e, -errno, "state root %s: %m", root);
	struct stat st;
	if (fstat(rootfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022))
		return oci_fail(e, -EPERM, "state root %s must be a directory of yours, not "
				"writable by others", root);
	return 0;
}

/**
 * state_dir_open() - open ROOT/@id, or make it (failing if it exists)
 * @id:     the container
 * @create: make it
 * @e:      the error
 *
 * Return: an O_PATH directory fd, or -errno.
 */
int state_dir_open(const char *id, bool create, struct oci_err *e)
{
	if (create && mkdirat(rootfd, id, 0700) < 0)
		return errno == EEXIST ?
			oci_fail(e, -EEXIST, "container %s exists already (fvm-oci delete %s)", id, id) :
			oci_fail(e, -errno, "%s/%s: %m", oci_root, id);
	int fd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ?
			oci_fail(e, -ENOENT, "container %s does not exist (in %s)", id, oci_root) :
			oci_fail(e, -errno, "%s/%s: %m", oci_root, id);
	return fd;
}

/**
 * state_write() - save @st as state.json of its directory, atomically
 * @dfd: the container's directory
 * @st:  the state
 * @e:   the error
 *
 * Return: 0 or -errno.
 */
int state_write(int dfd, const struct oci_state *st, struct oci_err *e)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "starttime", json_object_new_uint64(st->starttime));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "created", json_object_new_string(st->created));
	json_object_object_add(o, "cgroup", json_object_new_string(st->cgpath));
	json_object_object_add(o, "has_cgroup", json_object_new_boolean(st->has_cgroup));
	json_object_object_add(o, "userns", json_object_new_boolean(st->userns));
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	int d = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int fd = d < 0 ? -1 : openat(d, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC |
				     O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc = 0;
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) ||
	    renameat(d, "state.json.tmp", d, "state.json") < 0)
		rc = oci_fail(e, -errno ? -errno : -EIO, "%s/%s/state.json: %m", oci_root, st->id);
	if (fd >= 0)
		close(fd);
	if (d >= 0)
		close(d);
	json_object_put(o);
	return rc;
}

static void copy_str(json_object *o, const char *k, char *dst, size_t n)
{
	json_object *v;
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, n, "%s", json_object_get_string(v));
}

/**
 * state_read() - load the state of container @id
 * @id:      the container
 * @st:      filled
 * @ret_dfd: its directory (O_PATH), or NULL
 * @e:       the error
 *
 * Return: 0, -ENOENT for no such container, or another -errno.
 */
int state_read(const char *id, struct oci_state *st, int *ret_dfd, struct oci_err *e)
{
	int rc = id_check(id, e);
	if (rc < 0)
		return rc;
	int dfd = state_dir_open(id, false, e);
	if (dfd < 0)
		return dfd;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s/state.json", oci_root, id);
	json_object *o = json_object_from_file(path);
	if (!o) {
		close(dfd);
		return oci_fail(e, -ENOENT, "container %s: no state (%s); it is being created or "
				"was not created whole (fvm-oci delete --force %s)", id, path, id);
	}
	memset(st, 0, sizeof(*st));
	json_object *v;
	copy_str(o, "id", st->id, sizeof(st->id));
	copy_str(o, "bundle", st->bundle, sizeof(st->bundle));
	copy_str(o, "rootfs", st->rootfs, sizeof(st->rootfs));
	copy_str(o, "created", st->created, sizeof(st->created));
	copy_str(o, "cgroup", st->cgpath, sizeof(st->cgpath));
	if (json_object_object_get_ex(o, "pid", &v))
		st->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "starttime", &v))
		st->starttime = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "has_cgroup", &v))
		st->has_cgroup = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "userns", &v))
		st->userns = json_object_get_boolean(v);
	json_object_put(o);
	if (ret_dfd)
		*ret_dfd = dfd;
	else
		close(dfd);
	return 0;
}

/**
 * proc_starttime() - start time of @pid (field 22 of /proc/PID/stat)
 * @pid:       a process
 * @ret_state: its state letter (R, S, Z...), or NULL
 *
 * Return: the start time in clock ticks, 0 if there is no such process.
 */
unsigned long long proc_starttime(pid_t pid, char *ret_state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p += 2;
	if (ret_state)
		*ret_state = *p;
	unsigned long long v = 0;
	for (int field = 3; field <= 22 && p; field++) {
		if (field == 22)
			v = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return v;
}

/**
 * state_status() - created, running, paused or stopped, as found now
 * @dfd: the container's directory
 * @st:  its state
 *
 * Return: the status.
 */
enum oci_status state_status(int dfd, const struct oci_state *st)
{
	char ps = 0;
	if (st->pid <= 0)
		return ST_STOPPED;
	unsigned long long t = proc_starttime(st->pid, &ps);
	if (!t || t != st->starttime || ps == 'Z' || ps == 'X')
		return ST_STOPPED;
	if (faccessat(dfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return ST_CREATED;
	if (st->has_cgroup && ocg_frozen(st->cgpath))
		return ST_PAUSED;
	return ST_RUNNING;
}

const char *status_name(enum oci_status s)
{
	switch (s) {
	case ST_CREATING: return "creating";
	case ST_CREATED: return "created";
	case ST_RUNNING: return "running";
	case ST_PAUSED: return "paused";
	case ST_STOPPED: return "stopped";
	default: return "unknown";
	}
}

/**
 * state_json() - the runtime-spec's state object, as `state` prints it
 * @st:          the state
 * @s:           its status
 * @annotations: config.json's, or NULL
 *
 * Return: a malloc'd string.
 */
char *state_json(const struct oci_state *st, enum oci_status s, json_object *annotations)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "pid", json_object_new_int(s == ST_STOPPED ? 0 : st->pid));
	json_object_object_add(o, "status", json_object_new_string(status_name(s)));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "created", json_object_new_string(st->created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	if (annotations)
		json_object_object_add(o, "annotations", json_object_get(annotations));
	char *r = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return r;
}

/**
 * state_remove() - remove ROOT/@id and what is in it
 * @id: the container
 *
 * Return: 0 or -errno.
 */
int state_remove(const char *id)
{
	char path[64];
	int dfd = openat(rootfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	int d = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	close(dfd);
	if (d >= 0) {
		unlinkat(d, "state.json", 0);
		unlinkat(d, "state.json.tmp", 0);
		unlinkat(d, "exec.fifo", 0);
		close(d);
	}
	return unlinkat(rootfd, id, AT_REMOVEDIR) < 0 ? -errno : 0;
}
