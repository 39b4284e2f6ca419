// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * spec.c - config.json (the OCI runtime-spec) into struct oci_spec.
 *
 * Theory of operation. Each object of the spec is checked against the
 * list of keys fvm-oci honours (spec_check_keys()): a key outside it that
 * carries a value (not null, "", 0, false, [] or {}) is refused with an
 * error naming it, e.g. "linux.resources.hugepageLimits is not supported
 * by fvm-oci". Values are bounded (arrays, strings) and typed; nothing
 * from config.json reaches a path or a syscall unchecked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "oci.h"

#define MAX_MOUNTS 512
#define MAX_PATHS 512

const int ns_clone_flag[NS_N] = {
	CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS,
	CLONE_NEWUSER, CLONE_NEWCGROUP,
};
const char *const ns_proc_name[NS_N] = { "pid", "net", "mnt", "ipc", "uts", "user", "cgroup" };
static const char *const ns_spec_name[NS_N] = {
	"pid", "network", "mount", "ipc", "uts", "user", "cgroup",
};

static const struct { const char *name; unsigned long set, clear, prop; } mount_opts[] = {
	{ "ro", MS_RDONLY, 0, 0 }, { "rw", 0, MS_RDONLY, 0 },
	{ "nosuid", MS_NOSUID, 0, 0 }, { "suid", 0, MS_NOSUID, 0 },
	{ "nodev", MS_NODEV, 0, 0 }, { "dev", 0, MS_NODEV, 0 },
	{ "noexec", MS_NOEXEC, 0, 0 }, { "exec", 0, MS_NOEXEC, 0 },
	{ "sync", MS_SYNCHRONOUS, 0, 0 }, { "async", 0, MS_SYNCHRONOUS, 0 },
	{ "dirsync", MS_DIRSYNC, 0, 0 }, { "mand", MS_MANDLOCK, 0, 0 },
	{ "nomand", 0, MS_MANDLOCK, 0 }, { "noatime", MS_NOATIME, 0, 0 },
	{ "atime", 0, MS_NOATIME, 0 }, { "nodiratime", MS_NODIRATIME, 0, 0 },
	{ "diratime", 0, MS_NODIRATIME, 0 }, { "relatime", MS_RELATIME, 0, 0 },
	{ "norelatime", 0, MS_RELATIME, 0 }, { "strictatime", MS_STRICTATIME, 0, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME, 0 },
	{ "bind", MS_BIND, 0, 0 }, { "rbind", MS_BIND | MS_REC, 0, 0 },
	{ "private", 0, 0, MS_PRIVATE }, { "rprivate", 0, 0, MS_PRIVATE | MS_REC },
	{ "shared", 0, 0, MS_SHARED }, { "rshared", 0, 0, MS_SHARED | MS_REC },
	{ "slave", 0, 0, MS_SLAVE }, { "rslave", 0, 0, MS_SLAVE | MS_REC },
	{ "unbindable", 0, 0, MS_UNBINDABLE }, { "runbindable", 0, 0, MS_UNBINDABLE | MS_REC },
};

static int parse_mount_opts(json_object *opts, struct oci_mount *m, size_t idx,
			    struct oci_err *e)
{
	size_t n = opts ? json_object_array_length(opts) : 0;
	char data[4096] = "";
	for (size_t i = 0; i < n; i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
		bool known = false;
		for (size_t k = 0; o && k < sizeof(mount_opts) / sizeof(mount_opts[0]); k++) {
			if (strcmp(mount_opts[k].name, o))
				continue;
			m->flags = (m->flags | mount_opts[k].set) & ~mount_opts[k].clear;
			m->clear |= mount_opts[k].clear;
			if (mount_opts[k].prop)
				m->prop = mount_opts[k].prop;
			known = true;
		}
		if (known)
			continue;
		if (!o || !strcmp(o, "tmpcopyup") || !strncmp(o, "idmap", 5) ||
		    !strcmp(o, "ridmap") || !strcmp(o, "copy-symlink"))
			return oci_fail(e, -EOPNOTSUPP, "config.json: mounts[%zu] (%s): option "
					"\"%s\" is not supported by fvm-oci", idx, m->dest,
					o ? o : "null");
		if (strlen(data) + strlen(o) + 2 > sizeof(data))
			return oci_fail(e, -E2BIG, "config.json: mounts[%zu]: options too long", idx);
		if (*data)
			strcat(data, ",");
		strcat(data, o);
	}
	m->bind = (m->flags & MS_BIND) || (m->type && !strcmp(m->type, "bind"));
	if (m->bind && *data)
		return oci_fail(e, -EOPNOTSUPP, "config.json: mounts[%zu] (%s): bind mount option "
				"\"%s\" is not supported by fvm-oci", idx, m->dest, data);
	if (m->bind)
		m->flags |= MS_BIND;
	m->data = *data ? strdup(data) : NULL;
	return 0;
}

static int parse_mounts(json_object *arr, struct oci_spec *s, struct oci_err *e)
{
	size_t n = json_object_array_length(arr);
	if (n > MAX_MOUNTS)
		return oci_fail(e, -E2BIG, "config.json: more than %d mounts", MAX_MOUNTS);
	s->mounts = calloc(n + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(arr, i);
		static const char *const keys[] = { "destination", "type", "source", "options", NULL };
		struct oci_mount *om = &s->mounts[s->nmounts++];
		int rc = spec_check_keys(m, "mounts[]", keys, e);
		if (rc < 0 || (rc = spec_get_str(m, "destination", "mounts[]", &om->dest, e)) < 0 ||
		    (rc = spec_get_str(m, "type", "mounts[]", &om->type, e)) < 0 ||
		    (rc = spec_get_str(m, "source", "mounts[]", &om->source, e)) < 0)
			return rc;
		if (!om->dest || om->dest[0] != '/')
			return oci_fail(e, -EINVAL, "config.json: mounts[%zu].destination must be "
					"an absolute path", i);
		if ((rc = parse_mount_opts(spec_get(m, "options"), om, i, e)) < 0)
			return rc;
		if (!om->type && !om->bind)
			return oci_fail(e, -EINVAL, "config.json: mounts[%zu] (%s) has no type",
					i, om->dest);
		if (om->bind && !om->source)
			return oci_fail(e, -EINVAL, "config.json: mounts[%zu] (%s): a bind mount "
					"needs a source", i, om->dest);
	}
	return 0;
}

static int parse_namespaces(json_object *arr, struct oci_spec *s, struct oci_err *e)
{
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		static const char *const keys[] = { "type", "path", NULL };
		int rc = spec_check_keys(o, "linux.namespaces[]", keys, e);
		if (rc < 0)
			return rc;
		json_object *t = spec_get(o, "type");
		const char *type = t ? json_object_get_string(t) : "";
		int k;
		for (k = 0; k < NS_N; k++)
			if (!strcmp(type, ns_spec_name[k]))
				break;
		if (k == NS_N)
			return oci_fail(e, -EOPNOTSUPP, "config.json: linux.namespaces: type \"%s\" "
					"is not supported by fvm-oci", type);
		s->ns[k].want = true;
		if ((rc = spec_get_str(o, "path", "linux.namespaces[]", &s->ns[k].path, e)) < 0)
			return rc;
		if (s->ns[k].path && (k == NS_PID || k == NS_USER))
			return oci_fail(e, -EOPNOTSUPP, "config.json: linux.namespaces: joining a "
					"%s namespace by path is not supported by fvm-oci", type);
	}
	return 0;
}

static int parse_idmaps(json_object *arr, struct oci_idmap *m, size_t *ret_n,
			const char *where, struct oci_err *e)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	if (n > OCI_MAX_IDMAPS)
		return oci_fail(e, -E2BIG, "config.json: %s: too many entries", where);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		static const char *const keys[] = { "containerID", "hostID", "size", NULL };
		int64_t c = 0, h = 0, sz = 0;
		int rc = spec_check_keys(o, where, keys, e);
		if (rc < 0 || (rc = spec_get_int(o, "containerID", where, 0, UINT32_MAX, &c, e)) < 0 ||
		    (rc = spec_get_int(o, "hostID", where, 0, UINT32_MAX, &h, e)) < 0 ||
		    (rc = spec_get_int(o, "size", where, 1, UINT32_MAX, &sz, e)) < 0)
			return rc;
		m[i] = (struct oci_idmap){ (unsigned long)c, (unsigned long)h, (unsigned long)sz };
	}
	*ret_n = n;
	return 0;
}

static int parse_resources(json_object *r, struct oci_spec *s, struct oci_err *e)
{
	static const char *const keys[] = { "devices", "memory", "cpu", "pids", "blockIO", NULL };
	static const char *const mkeys[] = { "limit", "reservation", "swap", NULL };
	static const char *const ckeys[] = { "shares", "quota", "period", NULL };
	static const char *const pkeys[] = { "limit", NULL };
	static const char *const bkeys[] = { "weight", NULL };
	struct oci_resources *res = &s->res;
	int64_t v;
	int rc = spec_check_keys(r, "linux.resources", keys, e);
	res->mem_limit = res->mem_swap = res->mem_reservation = -1;
	if (rc < 0)
		return rc;
	json_object *m = spec_get(r, "memory"), *c = spec_get(r, "cpu"), *p = spec_get(r, "pids"),
		    *b = spec_get(r, "blockIO");
	if (m && ((rc = spec_check_keys(m, "linux.resources.memory", mkeys, e)) < 0 ||
		  (rc = spec_get_int(m, "limit", "memory", -1, INT64_MAX, &res->mem_limit, e)) < 0 ||
		  (rc = spec_get_int(m, "swap", "memory", -1, INT64_MAX, &res->mem_swap, e)) < 0 ||
		  (rc = spec_get_int(m, "reservation", "memory", -1, INT64_MAX,
				&res->mem_reservation, e)) < 0))
		return rc;
	if (c) {
		v = 0;
		if ((rc = spec_check_keys(c, "linux.resources.cpu", ckeys, e)) < 0 ||
		    (rc = spec_get_int(c, "shares", "cpu", 0, UINT32_MAX, &v, e)) < 0)
			return rc;
		res->cpu_shares = (uint64_t)v;
		v = 0;
		if ((rc = spec_get_int(c, "quota", "cpu", -1, INT64_MAX, &res->cpu_quota, e)) < 0 ||
		    (rc = spec_get_int(c, "period", "cpu", 0, 1000000, &v, e)) < 0)
			return rc;
		res->cpu_period = (uint64_t)v;
	}
	if (p && ((rc = spec_check_keys(p, "linux.resources.pids", pkeys, e)) < 0 ||
		  (rc = spec_get_int(p, "limit", "pids", -1, INT64_MAX, &res->pids_limit, e)) < 0))
		return rc;
	if (b) {
		v = 0;
		if ((rc = spec_check_keys(b, "linux.resources.blockIO", bkeys, e)) < 0 ||
		    (rc = spec_get_int(b, "weight", "blockIO", 0, 1000, &v, e)) < 0)
			return rc;
		res->blkio_weight = (uint16_t)v;
	}
	res->devices = spec_get(r, "devices");
	res->any = res->mem_limit > 0 || res->mem_swap > 0 || res->mem_reservation > 0 ||
		   res->cpu_shares || res->cpu_quota > 0 || res->cpu_period ||
		   res->pids_limit > 0 || res->blkio_weight;
	return 0;
}

static int parse_devices(json_object *arr, struct oci_spec *s, struct oci_err *e)
{
	size_t n = json_object_array_length(arr);
	if (n > MAX_PATHS)
		return oci_fail(e, -E2BIG, "config.json: linux.devices: too many");
	s->devices = calloc(n + 1, sizeof(*s->devices));
	if (!s->devices)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(arr, i);
		static const char *const keys[] = { "path", "type", "major", "minor", "fileMode",
						    "uid", "gid", NULL };
		struct oci_device *od = &s->devices[s->ndevices++];
		char *type = NULL;
		int64_t maj = 0, min = 0, mode = 0666, uid = 0, gid = 0;
		int rc = spec_check_keys(d, "linux.devices[]", keys, e);
		if (rc < 0 || (rc = spec_get_str(d, "path", "linux.devices[]", &od->path, e)) < 0 ||
		    (rc = spec_get_str(d, "type", "linux.devices[]", &type, e)) < 0 ||
		    (rc = spec_get_int(d, "major", "linux.devices[]", 0, 4095, &maj, e)) < 0 ||
		    (rc = spec_get_int(d, "minor", "linux.devices[]", 0, 1048575, &min, e)) < 0 ||
		    (rc = spec_get_int(d, "fileMode", "linux.devices[]", 0, 07777, &mode, e)) < 0 ||
		    (rc = spec_get_int(d, "uid", "linux.devices[]", 0, UINT32_MAX, &uid, e)) < 0 ||
		    (rc = spec_get_int(d, "gid", "linux.devices[]", 0, UINT32_MAX, &gid, e)) < 0) {
			free(type);
			return rc;
		}
		od->type = type && type[0] ? type[0] : '?';
		free(type);
		if (!od->path || od->path[0] != '/' || !strchr("cbup", od->type))
			return oci_fail(e, -EINVAL, "config.json: linux.devices[%zu]: needs an "
					"absolute path and a type c, b, u or p", i);
		od->major = (unsigned)maj;
		od->minor = (unsigned)min;
		od->mode = (mode_t)mode;
		od->uid = (uid_t)uid;
		od->gid = (gid_t)gid;
	}
	return 0;
}

static int parse_linux(json_object *l, struct oci_spec *s, struct oci_err *e)
{
	static const char *const keys[] = { "namespaces", "uidMappings", "gidMappings",
					    "devices", "cgroupsPath", "resources",
					    "rootfsPropagation", "seccomp", "sysctl",
					    "maskedPaths", "readonlyPaths", NULL };
	int rc = spec_check_keys(l, "linux", keys, e);
	if (rc < 0)
		return rc;
	if (spec_get(l, "namespaces") && (rc = parse_namespaces(spec_get(l, "namespaces"), s, e)) < 0)
		return rc;
	if ((rc = parse_idmaps(spec_get(l, "uidMappings"), s->uidmap, &s->nuidmap,
			       "linux.uidMappings", e)) < 0 ||
	    (rc = parse_idmaps(spec_get(l, "gidMappings"), s->gidmap, &s->ngidmap,
			       "linux.gidMappings", e)) < 0)
		return rc;
	if ((s->nuidmap || s->ngidmap) && !s->ns[NS_USER].want)
		return oci_fail(e, -EINVAL, "config.json: linux.uidMappings need a user namespace "
				"in linux.namespaces");
	if (spec_get(l, "devices") && (rc = parse_devices(spec_get(l, "devices"), s, e)) < 0)
		return rc;
	if ((rc = spec_get_str(l, "cgroupsPath", "linux", &s->cgpath, e)) < 0)
		return rc;
	if (spec_get(l, "resources") && (rc = parse_resources(spec_get(l, "resources"), s, e)) < 0)
		return rc;
	char *prop = NULL;
	if ((rc = spec_get_str(l, "rootfsPropagation", "linux", &prop, e)) < 0)
		return rc;
	s->rootprop = MS_SLAVE | MS_REC;
	if (prop) {
		struct oci_mount tmp = { .dest = prop };
		json_object *a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(prop));
		rc = parse_mount_opts(a, &tmp, 0, e);
		json_object_put(a);
		free(tmp.data);
		if (rc < 0 || !tmp.prop || tmp.flags) {
			rc = oci_fail(e, -EINVAL, "config.json: linux.rootfsPropagation: "
				      "\"%s\" is not a propagation", prop);
			free(prop);
			return rc;
		}
		s->rootprop = tmp.prop;
		free(prop);
	}
	s->seccomp = spec_get(l, "seccomp");
	if (s->seccomp && (rc = seccomp_check(s->seccomp, e)) < 0)
		return rc;
	s->sysctl = spec_get(l, "sysctl");
	if ((rc = spec_get_strv(l, "maskedPaths", "linux", &s->masked, e)) < 0 ||
	    (rc = spec_get_strv(l, "readonlyPaths", "linux", &s->ropaths, e)) < 0)
		return rc;
	return 0;
}

static int parse_hooks(json_object *h, struct oci_err *e)
{
	static const char *const keys[] = { "prestart", "createRuntime", "createContainer",
					    "startContainer", "poststart", "poststop", NULL };
	static const char *const hkeys[] = { "path", "args", "env", "timeout", NULL };
	int rc = spec_check_keys(h, "hooks", keys, e);
	for (const char *const *k = keys; rc == 0 && *k; k++) {
		json_object *a = spec_get(h, *k);
		for (size_t i = 0; a && rc == 0 && i < json_object_array_length(a); i++) {
			json_object *x = json_object_array_get_idx(a, i);
			rc = spec_check_keys(x, "hooks[]", hkeys, e);
			json_object *p = spec_get(x, "path");
			if (rc == 0 && (!p || json_object_get_string(p)[0] != '/'))
				rc = oci_fail(e, -EINVAL, "config.json: hooks.%s[%zu].path must be "
					      "an absolute path", *k, i);
		}
	}
	return rc;
}

static int spec_parse(struct oci_spec *s, struct oci_err *e)
{
	static const char *const keys[] = { "ociVersion", "process", "root", "hostname",
					    "domainname", "mounts", "hooks", "annotations",
					    "linux", NULL };
	static const char *const rkeys[] = { "path", "readonly", NULL };
	json_object *j = s->json;
	int rc = spec_check_keys(j, "", keys, e);
	if (rc < 0)
		return rc;
	if (!spec_get(j, "process"))
		return oci_fail(e, -EINVAL, "config.json: no \"process\": nothing to run");
	if ((rc = process_parse(spec_get(j, "process"), &s->proc, "process", e)) < 0)
		return rc;
	json_object *r = spec_get(j, "root");
	char *path = NULL;
	if (!r || (rc = spec_check_keys(r, "root", rkeys, e)) < 0 ||
	    (rc = spec_get_str(r, "path", "root", &path, e)) < 0 || !path)
		return rc < 0 ? rc : oci_fail(e, -EINVAL, "config.json: no root.path");
	s->root_ro = spec_get_bool(r, "readonly");
	if (path[0] == '/')
		s->rootfs = path;
	else {
		if (asprintf(&s->rootfs, "%s/%s", s->bundle, path) < 0)
			s->rootfs = NULL;
		free(path);
		if (!s->rootfs)
			return -ENOMEM;
	}
	if ((rc = spec_get_str(j, "hostname", "", &s->hostname, e)) < 0 ||
	    (rc = spec_get_str(j, "domainname", "", &s->domainname, e)) < 0)
		return rc;
	if (spec_get(j, "mounts") && (rc = parse_mounts(spec_get(j, "mounts"), s, e)) < 0)
		return rc;
	s->hooks = spec_get(j, "hooks");
	if (s->hooks && (rc = parse_hooks(s->hooks, e)) < 0)
		return rc;
	s->annotations = spec_get(j, "annotations");
	if (spec_get(j, "linux") && (rc = parse_linux(spec_get(j, "linux"), s, e)) < 0)
		return rc;
	if ((s->hostname || s->domainname) && (!s->ns[NS_UTS].want || s->ns[NS_UTS].path))
		return oci_fail(e, -EINVAL, "config.json: hostname needs a new uts namespace");
	if (!s->ns[NS_MNT].want || s->ns[NS_MNT].path)
		return oci_fail(e, -EOPNOTSUPP, "config.json: fvm-oci needs a new mount "
				"namespace (linux.namespaces: {\"type\": \"mount\"})");
	return 0;
}

/**
 * spec_load() - read and check BUNDLE/config.json
 * @bundle: the bundle directory
 * @s:      filled; free with spec_free() whatever the result
 * @e:      the error
 *
 * Return: 0, or -errno with @e naming the field.
 */
int spec_load(const char *bundle, struct oci_spec *s, struct oci_err *e)
{
	memset(s, 0, sizeof(*s));
	s->bundle = realpath(bundle, NULL);
	if (!s->bundle)
		return oci_fail(e, -errno, "bundle %s: %m", bundle);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", s->bundle);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return oci_fail(e, -errno, "%s: %m", path);
	char *buf = malloc(16 << 20);
	ssize_t n = buf ? read(fd, buf, (16 << 20) - 1) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return oci_fail(e, -EIO, "%s: cannot read it", path);
	}
	buf[n] = 0;
	s->json = json_tokener_parse(buf);
	free(buf);
	if (!s->json)
		return oci_fail(e, -EBADMSG, "%s: not valid JSON", path);
	return spec_parse(s, e);
}

void spec_free(struct oci_spec *s)
{
	process_free(&s->proc);
	for (size_t i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].dest);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
	}
	free(s->mounts);
	for (size_t i = 0; i < s->ndevices; i++)
		free(s->devices[i].path);
	free(s->devices);
	for (int i = 0; i < NS_N; i++)
		free(s->ns[i].path);
	spec_strv_free(s->masked);
	spec_strv_free(s->ropaths);
	free(s->bundle);
	free(s->rootfs);
	free(s->hostname);
	free(s->domainname);
	free(s->cgpath);
	for (int i = 0; i < s->fvm_argc; i++)
		free(s->fvm_argv[i]);
	if (s->json)
		json_object_put(s->json);
	memset(s, 0, sizeof(*s));
}
