// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cgroup-oci.c - linux.cgroupsPath and linux.resources: the container's
 * cgroup, on a cgroup v1 (or hybrid) host or a pure v2 one.
 *
 * Theory of operation. On v1 the container gets the directory
 * CGPATH in each of the memory, cpu, cpuacct, pids, freezer, devices and
 * blkio hierarchies under /sys/fs/cgroup that the host has (co-mounted
 * ones are the same directory); a hybrid host's v2 tree carries no
 * controllers and is left alone. On v2 it gets /sys/fs/cgroup/CGPATH.
 * create makes it and writes the limits before the container's first
 * process exists, and moves that process in before it forks the
 * container's init, so everything of the container is inside. pause and
 * resume use the freezer (v1 freezer.state, v2 cgroup.freeze); delete
 * thaws, waits for it to be empty and removes it.
 *
 * Where the cgroup cannot be made (a user namespace, no delegation) a
 * container without limits runs without one, and one with limits is
 * refused naming the field.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

#define CG "/sys/fs/cgroup"

static const char *const v1_ctrl[] = { "memory", "cpu", "cpuacct", "pids", "freezer",
				       "devices", "blkio", NULL };

bool ocg_unified(void)
{
	struct statfs sf;
	return statfs(CG, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int rc = n < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int read_file(const char *dir, const char *file, char *buf, size_t n)
{
	char p[4400];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -errno;
	buf[r] = 0;
	return 0;
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int rc = mkdir(path, 0755);
		*p = '/';
		if (rc < 0 && errno != EEXIST)
			return -errno;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void ctrl_dir(const char *ctrl, const char *cgpath, char *buf, size_t n)
{
	if (ctrl)
		snprintf(buf, n, CG "/%s%s", ctrl, cgpath);
	else
		snprintf(buf, n, CG "%s", cgpath);
}

static int set(const char *dir, const char *file, const char *val, const char *field,
	       struct oci_err *e)
{
	int rc = write_file(dir, file, val);
	if (rc < 0)
		return oci_fail(e, rc, "config.json: linux.resources.%s: writing %s to %s/%s: %s",
				field, val, dir, file, strerror(-rc));
	return 0;
}

static int v1_memory(const struct oci_resources *r, const char *d, struct oci_err *e)
{
	char v[32], memsw[4500];
	int rc = 0;
	snprintf(memsw, sizeof(memsw), "%s/memory.memsw.limit_in_bytes", d);
	bool has_sw = access(memsw, F_OK) == 0;
	if (r->mem_limit > 0) {
		snprintf(v, sizeof(v), "%" PRId64, r->mem_limit);
		rc = write_file(d, "memory.limit_in_bytes", v);
		if (rc == -EINVAL && has_sw && r->mem_swap > 0) {   /* raise memsw first */
			char s[32];
			snprintf(s, sizeof(s), "%" PRId64, r->mem_swap);
			write_file(d, "memory.memsw.limit_in_bytes", s);
			rc = write_file(d, "memory.limit_in_bytes", v);
		}
		if (rc < 0)
			return set(d, "memory.limit_in_bytes", v, "memory.limit", e);
	}
	if (r->mem_swap != 0 && r->mem_swap != -1 && !has_sw)
		oci_log("warning", "linux.resources.memory.swap is not enforced: this host does "
			"not account swap (no memory.memsw.limit_in_bytes); memory.limit is");
	if (r->mem_swap > 0 && has_sw) {
		snprintf(v, sizeof(v), "%" PRId64, r->mem_swap);
		if ((rc = set(d, "memory.memsw.limit_in_bytes", v, "memory.swap", e)) < 0)
			return rc;
	}
	if (r->mem_reservation > 0) {
		snprintf(v, sizeof(v), "%" PRId64, r->mem_reservation);
		return set(d, "memory.soft_limit_in_bytes", v, "memory.reservation", e);
	}
	return 0;
}

static int v1_devices(json_object *devs, const char *d, struct oci_err *e)
{
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *r = json_object_array_get_idx(devs, i), *v;
		bool allow = json_object_object_get_ex(r, "allow", &v) && json_object_get_boolean(v);
		const char *type = json_object_object_get_ex(r, "type", &v) ?
			json_object_get_string(v) : "a";
		const char *acc = json_object_object_get_ex(r, "access", &v) ?
			json_object_get_string(v) : "rwm";
		char maj[16] = "*", min[16] = "*", rule[64];
		if (json_object_object_get_ex(r, "major", &v) && json_object_get_int64(v) >= 0)
			snprintf(maj, sizeof(maj), "%" PRId64, json_object_get_int64(v));
		if (json_object_object_get_ex(r, "minor", &v) && json_object_get_int64(v) >= 0)
			snprintf(min, sizeof(min), "%" PRId64, json_object_get_int64(v));
		if (!type || !*type)
			type = "a";
		if (!acc || !*acc)
			acc = "rwm";
		if (strspn(type, "acb") != strlen(type) || strspn(acc, "rwm") != strlen(acc))
			return oci_fail(e, -EINVAL, "config.json: linux.resources.devices[%zu]: bad "
					"type or access", i);
		if (type[0] == 'a')
			snprintf(rule, sizeof(rule), "a");
		else
			snprintf(rule, sizeof(rule), "%c %s:%s %s", type[0], maj, min, acc);
		int rc = set(d, allow ? "devices.allow" : "devices.deny", rule, "devices", e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int v1_apply(const struct oci_spec *s, const char *ctrl, const char *d,
		    struct oci_err *e)
{
	const struct oci_resources *r = &s->res;
	char v[32];
	int rc = 0;
	if (!strcmp(ctrl, "memory"))
		return v1_memory(r, d, e);
	if (!strcmp(ctrl, "cpu")) {
		if (r->cpu_shares) {
			snprintf(v, sizeof(v), "%" PRIu64, r->cpu_shares);
			rc = set(d, "cpu.shares", v, "cpu.shares", e);
		}
		if (rc == 0 && r->cpu_period) {
			snprintf(v, sizeof(v), "%" PRIu64, r->cpu_period);
			rc = set(d, "cpu.cfs_period_us", v, "cpu.period", e);
		}
		if (rc == 0 && r->cpu_quota) {
			snprintf(v, sizeof(v), "%" PRId64, r->cpu_quota);
			rc = set(d, "cpu.cfs_quota_us", v, "cpu.quota", e);
		}
		return rc;
	}
	if (!strcmp(ctrl, "pids") && r->pids_limit) {
		if (r->pids_limit > 0)
			snprintf(v, sizeof(v), "%" PRId64, r->pids_limit);
		else
			snprintf(v, sizeof(v), "max");
		return set(d, "pids.max", v, "pids.limit", e);
	}
	if (!strcmp(ctrl, "blkio") && r->blkio_weight) {
		snprintf(v, sizeof(v), "%u", r->blkio_weight);
		if (write_file(d, "blkio.weight", v) == 0 || write_file(d, "blkio.bfq.weight", v) == 0)
			return 0;
		return oci_fail(e, -EOPNOTSUPP, "config.json: linux.resources.blockIO.weight: "
				"this host's I/O scheduler has no weights (%s/blkio.weight)", d);
	}
	if (!strcmp(ctrl, "devices")) {
		/* after the spec's rules, the nodes every container gets (runc's
		 * list): mknod of any, and null, zero, full, random, urandom, tty,
		 * console, ptmx, the ptys, tun */
		static const char *const always[] = { "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm",
			"c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",
			"c 136:* rwm", "c 10:200 rwm", NULL };
		if (!r->devices)
			return 0;
		if ((rc = v1_devices(r->devices, d, e)) < 0)
			return rc;
		for (const char *const *a = always; *a && rc == 0; a++)
			rc = set(d, "devices.allow", *a, "devices", e);
		return rc;
	}
	return 0;
}

static int v2_apply(const struct oci_spec *s, const char *d, struct oci_err *e)
{
	const struct oci_resources *r = &s->res;
	char v[64];
	int rc = 0;
	json_object *devs = r->devices;
	/* v2 device rules are eBPF programs: fvm-oci has none, so any rule
	 * beyond "deny all" (what the device nodes it makes allow anyway) is refused */
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *x = json_object_array_get_idx(devs, i), *a;
		if (json_object_object_get_ex(x, "allow", &a) && json_object_get_boolean(a))
			return oci_fail(e, -EOPNOTSUPP, "config.json: linux.resources.devices: "
					"allow rules on cgroup v2 are not supported by fvm-oci");
	}
	if (r->mem_limit > 0) {
		snprintf(v, sizeof(v), "%" PRId64, r->mem_limit);
		rc = set(d, "memory.max", v, "memory.limit", e);
		if (rc == 0 && r->mem_swap > 0) {
			snprintf(v, sizeof(v), "%" PRId64, r->mem_swap > r->mem_limit ?
				 r->mem_swap - r->mem_limit : 0);
			rc = set(d, "memory.swap.max", v, "memory.swap", e);
		}
	}
	if (rc == 0 && r->mem_reservation > 0) {
		snprintf(v, sizeof(v), "%" PRId64, r->mem_reservation);
		rc = set(d, "memory.low", v, "memory.reservation", e);
	}
	if (rc == 0 && r->cpu_shares) {   /* runc's conversion of shares to weight */
		snprintf(v, sizeof(v), "%" PRIu64, 1 + ((r->cpu_shares - 2) * 9999) / 262142);
		rc = set(d, "cpu.weight", v, "cpu.shares", e);
	}
	if (rc == 0 && (r->cpu_quota || r->cpu_period)) {
		char q[32] = "max";
		if (r->cpu_quota > 0)
			snprintf(q, sizeof(q), "%" PRId64, r->cpu_quota);
		snprintf(v, sizeof(v), "%s %" PRIu64, q, r->cpu_period ? r->cpu_period : 100000);
		rc = set(d, "cpu.max", v, "cpu.quota", e);
	}
	if (rc == 0 && r->pids_limit) {
		if (r->pids_limit > 0)
			snprintf(v, sizeof(v), "%" PRId64, r->pids_limit);
		else
			snprintf(v, sizeof(v), "max");
		rc = set(d, "pids.max", v, "pids.limit", e);
	}
	if (rc == 0 && r->blkio_weight) {
		snprintf(v, sizeof(v), "%u", r->blkio_weight);
		rc = set(d, "io.weight", v, "blockIO.weight", e);
	}
	return rc;
}

/* v2: let the controllers reach CGPATH (each ancestor's subtree_control) */
static void v2_enable(const char *cgpath)
{
	char d[4400];
	snprintf(d, sizeof(d), CG);
	const char *p = cgpath;
	while ((p = strchr(p + 1, '/')) != NULL) {
		write_file(d, "cgroup.subtree_control", "+memory +cpu +pids +io");
		snprintf(d, sizeof(d), CG "%.*s", (int)(p - cgpath), cgpath);
	}
	write_file(d, "cgroup.subtree_control", "+memory +cpu +pids +io");
}

bool in_initial_userns(void)
{
	char buf[128];
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	unsigned a, b;
	unsigned long c;
	return sscanf(buf, "%u %u %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL;
}

/**
 * ocg_create() - make the container's cgroup and write its limits
 * @s:        the spec
 * @id:       the container (for the default path /fvm-oci/ID)
 * @ret_path: the cgroup path, as given to the other ocg_*() calls
 * @n:        its size
 * @ret_made: false when the container runs without a cgroup
 * @e:        the error
 *
 * Return: 0 or -errno.
 */
int ocg_create(const struct oci_spec *s, const char *id, char *ret_path, size_t n,
	       bool *ret_made, struct oci_err *e)
{
	const char *cp = s->cgpath;
	*ret_made = false;
	if (cp && strchr(cp, ':'))
		return oci_fail(e, -EOPNOTSUPP, "config.json: linux.cgroupsPath \"%s\" is a systemd "
				"slice:prefix:name path; fvm-oci manages cgroupfs paths only", cp);
	if (cp && (strstr(cp, "/..") || !strncmp(cp, "..", 2)))
		return oci_fail(e, -EINVAL, "config.json: linux.cgroupsPath \"%s\" has \"..\"", cp);
	if (cp && *cp)
		snprintf(ret_path, n, "%s%s", cp[0] == '/' ? "" : "/", cp);
	else
		snprintf(ret_path, n, "/fvm-oci/%s", id);
	char d[4400];
	bool unified = ocg_unified();
	int rc = 0;
	for (int i = 0; unified ? i < 1 : v1_ctrl[i] != NULL; i++) {
		char base[4400];
		ctrl_dir(unified ? NULL : v1_ctrl[i], "", base, sizeof(base));
		if (!unified && access(base, F_OK) < 0)
			continue;
		ctrl_dir(unified ? NULL : v1_ctrl[i], ret_path, d, sizeof(d));
		if (unified)
			v2_enable(ret_path);
		rc = mkdir_p(d);
		if (rc < 0)
			break;
		*ret_made = true;
		rc = unified ? v2_apply(s, d, e) : v1_apply(s, v1_ctrl[i], d, e);
		if (rc < 0)
			return rc;
	}
	if (rc == 0)
		return 0;
	if (*ret_made || s->res.any || (geteuid() == 0 && in_initial_userns()))
		return oci_fail(e, rc, "cgroup %s: %s; linux.resources cannot be enforced "
				"without it", d, strerror(-rc));
	oci_log("warning", "cgroup %s: %s: the container runs without a cgroup (no limits; "
		"kill --all and ps see its init's pid namespace)", d, strerror(-rc));
	ret_path[0] = 0;
	return 0;
}

/**
 * ocg_enter() - move @pid into the cgroup @cgpath (every hierarchy)
 * @cgpath: from ocg_create()
 * @pid:    the process
 * @e:      the error
 *
 * Return: 0 or -errno.
 */
int ocg_enter(const char *cgpath, pid_t pid, struct oci_err *e)
{
	char d[4400], v[32];
	bool unified = ocg_unified();
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int i = 0; unified ? i < 1 : v1_ctrl[i] != NULL; i++) {
		ctrl_dir(unified ? NULL : v1_ctrl[i], cgpath, d, sizeof(d));
		if (!unified && access(d, F_OK) < 0)
			continue;
		int rc = write_file(d, "cgroup.procs", v);
		if (rc < 0)
			return oci_fail(e, rc, "moving pid %d into %s: %s", (int)pid, d, strerror(-rc));
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/**
 * ocg_freeze() - freeze or thaw the container's cgroup, and wait for it
 * @cgpath: from ocg_create()
 * @freeze: freeze (else thaw)
 * @e:      the error
 *
 * Return: 0, or -errno (-ETIMEDOUT when it would not freeze in 5 s).
 */
int ocg_freeze(const char *cgpath, bool freeze, struct oci_err *e)
{
	char d[4400], buf[64];
	bool unified = ocg_unified();
	ctrl_dir(unified ? NULL : "freezer", cgpath, d, sizeof(d));
	const char *file = unified ? "cgroup.freeze" : "freezer.state";
	const char *val = unified ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");
	int rc = write_file(d, file, val);
	if (rc < 0)
		return oci_fail(e, rc, "%s/%s: %s (pause needs the freezer controller)", d, file,
				strerror(-rc));
	for (int i = 0; i < 500; i++) {
		if (unified) {
			if (read_file(d, "cgroup.events", buf, sizeof(buf)) == 0 &&
			    strstr(buf, freeze ? "frozen 1" : "frozen 0"))
				return 0;
		} else if (read_file(d, "freezer.state", buf, sizeof(buf)) == 0 &&
			   !strncmp(buf, val, strlen(val)))
			return 0;
		if (!unified && freeze && i % 10 == 9)
			write_file(d, file, val);
		sleep_ms(10);
	}
	return oci_fail(e, -ETIMEDOUT, "%s: the container did not %s in 5 s", d,
			freeze ? "freeze" : "thaw");
}

bool ocg_frozen(const char *cgpath)
{
	char d[4400], buf[256];
	bool unified = ocg_unified();
	ctrl_dir(unified ? NULL : "freezer", cgpath, d, sizeof(d));
	if (unified)
		return read_file(d, "cgroup.events", buf, sizeof(buf)) == 0 &&
		       strstr(buf, "frozen 1");
	return read_file(d, "freezer.state", buf, sizeof(buf)) == 0 &&
	       strncmp(buf, "THAWED", 6) != 0;
}

/**
 * ocg_pids() - the host pids in the container's cgroup
 * @cgpath: from ocg_create()
 * @ret:    malloc'd array
 * @ret_n:  its length
 *
 * Return: 0 or -errno.
 */
int ocg_pids(const char *cgpath, pid_t **ret, size_t *ret_n)
{
	char d[4400], p[4500];
	bool unified = ocg_unified();
	ctrl_dir(unified ? NULL : "pids", cgpath, d, sizeof(d));
	if (!unified && access(d, F_OK) < 0)
		ctrl_dir("freezer", cgpath, d, sizeof(d));
	snprintf(p, sizeof(p), "%s/cgroup.procs", d);
	FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	size_t n = 0, cap = 16;
	pid_t *v = malloc(cap * sizeof(*v));
	int x;
	while (v && fscanf(f, "%d", &x) == 1) {
		if (n == cap) {
			pid_t *nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = x;
	}
	fclose(f);
	if (!v)
		return -ENOMEM;
	*ret = v;
	*ret_n = n;
	return 0;
}

/**
 * ocg_destroy() - remove the container's cgroup (thawed first)
 * @cgpath: from ocg_create()
 *
 * Return: 0, or -EBUSY while processes are in it.
 */
int ocg_destroy(const char *cgpath)
{
	char d[4400];
	bool unified = ocg_unified();
	int rc = 0;
	if (!cgpath[0])
		return 0;
	if (ocg_frozen(cgpath)) {
		struct oci_err e;
		ocg_freeze(cgpath, false, &e);
	}
	for (int i = 0; unified ? i < 1 : v1_ctrl[i] != NULL; i++) {
		ctrl_dir(unified ? NULL : v1_ctrl[i], cgpath, d, sizeof(d));
		if (rmdir(d) < 0 && errno != ENOENT)
			rc = -errno;
		/* the default parent /fvm-oci is fvm-oci's own: gone with its last child */
		char *slash = strrchr(d, '/');
		if (rc == 0 && !strncmp(cgpath, "/fvm-oci/", 9) && slash) {
			*slash = 0;
			rmdir(d);
		}
	}
	return rc;
}

/**
 * ocg_v1_mount() - a "cgroup" mount on a v1 host: each hierarchy's
 * container cgroup bind-mounted below the tmpfs at @destfd
 * @cgpath: the container's cgroup ("" for none: empty directories)
 * @destfd: the tmpfs, mounted already (a directory fd)
 * @ro:     read-only binds
 * @e:      the error
 *
 * Return: 0 or -errno.
 */
int ocg_v1_mount(const char *cgpath, int destfd, bool ro, struct oci_err *e)
{
	for (int i = 0; v1_ctrl[i]; i++) {
		char src[4400];
		ctrl_dir(v1_ctrl[i], cgpath, src, sizeof(src));
		if (access(src, F_OK) < 0 || !cgpath[0])
			continue;
		if (mkdirat(destfd, v1_ctrl[i], 0755) < 0 && errno != EEXIST)
			return oci_fail(e, -errno, "cgroup mount: mkdir %s: %m", v1_ctrl[i]);
		int rc = mount_bind_flags(src, destfd, v1_ctrl[i], (ro ? MS_RDONLY : 0) | MS_NOSUID |
					  MS_NODEV | MS_NOEXEC, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}
