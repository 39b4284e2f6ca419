// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * spec.c - config.json (the OCI runtime-spec) into struct oci_spec.
 *
 * Theory of operation. Each object of the spec is checked against the
 * list of keys fvm-oci honours (check_keys()): a key outside it that
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

#define MAX_ARGS 4096
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

/* does @v carry a value (one that would mean something if honoured)? */
static bool nonempty(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return false;
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) != 0;
	case json_type_double: return json_object_get_double(v) != 0;
	case json_type_string: return json_object_get_string_len(v) > 0;
	case json_type_array: return json_object_array_length(v) > 0;
	case json_type_object: return json_object_object_length(v) > 0;
	default: return true;
	}
}

static int check_keys(json_object *o, const char *where, const char *const *known,
		      struct oci_err *e)
{
	if (!json_object_is_type(o, json_type_object))
		return oci_fail(e, -EINVAL, "config.json: %s is not an object", where);
	json_object_object_foreach(o, key, val) {
		bool ok = false;
		for (const char *const *k = known; *k; k++)
			if (!strcmp(*k, key))
				ok = true;
		if (!ok && nonempty(val))
			return oci_fail(e, -EOPNOTSUPP,
					"config.json: %s%s%s is not supported by fvm-oci "
					"(remove it, or run this bundle with runc)",
					where, *where ? "." : "", key);
	}
	return 0;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o && json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null))
		return v;
	return NULL;
}

static int get_str(json_object *o, const char *key, const char *where, char **ret,
		   struct oci_err *e)
{
	json_object *v = get(o, key);
	*ret = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) >= PATH_MAX)
		return oci_fail(e, -EINVAL, "config.json: %s.%s must be a string under %d bytes",
				where, key, PATH_MAX);
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_int(json_object *o, const char *key, const char *where, int64_t min,
		   int64_t max, int64_t *ret, struct oci_err *e)
{
	json_object *v = get(o, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return oci_fail(e, -EINVAL, "config.json: %s.%s must be an integer", where, key);
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno || x < min || x > max)
		return oci_fail(e, -ERANGE, "config.json: %s.%s = %lld is out of range",
				where, key, (long long)x);
	*ret = x;
	return 0;
}

static bool get_bool(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v && json_object_get_boolean(v);
}

/* a NULL-terminated copy of an array of strings */
static int get_strv(json_object *o, const char *key, const char *where, char ***ret,
		    struct oci_err *e)
{
	json_object *v = get(o, key);
	*ret = NULL;
	size_t n = v ? json_object_array_length(v) : 0;
	if (v && !json_object_is_type(v, json_type_array))
		return oci_fail(e, -EINVAL, "config.json: %s.%s must be an array", where, key);
	if (n > MAX_ARGS)
		return oci_fail(e, -E2BIG, "config.json: %s.%s has more than %d entries",
				where, key, MAX_ARGS);
	char **s = calloc(n + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(v, i);
		if (!json_object_is_type(x, json_type_string)) {
			*ret = s;
			return oci_fail(e, -EINVAL, "config.json: %s.%s[%zu] must be a string",
					where, key, i);
		}
		s[i] = strdup(json_object_get_string(x));
		if (!s[i]) {
			*ret = s;
			return -ENOMEM;
		}
	}
	*ret = s;
	return 0;
}

static void strv_free(char **s)
{
	for (size_t i = 0; s && s[i]; i++)
		free(s[i]);
	free(s);
}

static const struct { const char *name; int res; } rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimits(json_object *arr, struct oci_process *p, const char *where,
			 struct oci_err *e)
{
	size_t n = json_object_array_length(arr);
	if (n > OCI_MAX_RLIMITS)
		return oci_fail(e, -E2BIG, "config.json: %s.rlimits has too many entries", where);
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(arr, i);
		static const char *const keys[] = { "type", "soft", "hard", NULL };
		int rc = check_keys(r, "process.rlimits[]", keys, e);
		if (rc < 0)
			return rc;
		json_object *t = get(r, "type");
		const char *name = t ? json_object_get_string(t) : "";
		int res = -1;
		for (size_t k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			if (!strcmp(rlimit_names[k].name, name))
				res = rlimit_names[k].res;
		if (res < 0)
			return oci_fail(e, -EINVAL, "config.json: %s.rlimits: unknown type \"%s\"",
					where, name);
		int64_t soft = 0, hard = 0;
		if ((rc = get_int(r, "soft", where, 0, INT64_MAX, &soft, e)) < 0 ||
		    (rc = get_int(r, "hard", where, 0, INT64_MAX, &hard, e)) < 0)
			return rc;
		p->rl[p->nrl++] = (struct oci_rlimit){ res, (rlim_t)soft, (rlim_t)hard };
	}
	return 0;
}

static int parse_caps(json_object *c, struct oci_process *p, struct oci_err *e)
{
	static const char *const keys[] = { "bounding", "effective", "inheritable",
					    "permitted", "ambient", NULL };
	int rc = check_keys(c, "process.capabilities", keys, e);
	if (rc < 0)
		return rc;
	p->has_caps = true;
	for (int set = 0; set < OCI_NCAPSETS; set++) {
		json_object *a = get(c, keys[set]);
		size_t n = a ? json_object_array_length(a) : 0;
		for (size_t i = 0; i < n; i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(a, i));
			int cap = cap_from_name(name ? name : "");
			if (cap < 0)
				return oci_fail(e, -EINVAL, "config.json: process.capabilities.%s: "
						"unknown capability \"%s\"", keys[set],
						name ? name : "");
			p->caps[set] |= UINT64_C(1) << cap;
		}
	}
	return 0;
}

static int parse_user(json_object *u, struct oci_process *p, struct oci_err *e)
{
	static const char *const keys[] = { "uid", "gid", "umask", "additionalGids", NULL };
	int rc = check_keys(u, "process.user", keys, e);
	int64_t uid = 0, gid = 0, um = -1;
	if (rc < 0 ||
	    (rc = get_int(u, "uid", "process.user", 0, UINT32_MAX - 1, &uid, e)) < 0 ||
	    (rc = get_int(u, "gid", "process.user", 0, UINT32_MAX - 1, &gid, e)) < 0 ||
	    (rc = get_int(u, "umask", "process.user", -1, 0777, &um, e)) < 0)
		return rc;
	p->uid = (uid_t)uid;
	p->gid = (gid_t)gid;
	p->has_umask = um >= 0;
	p->umask = um >= 0 ? (mode_t)um : 0;
	json_object *g = get(u, "additionalGids");
	size_t n = g ? json_object_array_length(g) : 0;
	if (n > 256)
		return oci_fail(e, -E2BIG, "config.json: process.user.additionalGids: too many");
	p->gids = calloc(n + 1, sizeof(gid_t));
	if (!p->gids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p->gids[i] = (gid_t)json_object_get_int64(json_object_array_get_idx(g, i));
	p->ngids = n;
	return 0;
}

/**
 * process_parse() - a "process" object (of config.json or of exec --process)
 * @p:     the JSON object
 * @ret:   filled; free with process_free() whatever the result
 * @where: "process" or the file's name, for messages
 * @e:     the error
 *
 * Return: 0 or -errno with @e filled.
 */
int process_parse(json_object *p, struct oci_process *ret, const char *where,
		  struct oci_err *e)
{
	static const char *const keys[] = { "terminal", "consoleSize", "user", "args", "env",
					    "cwd", "capabilities", "rlimits", "noNewPrivileges",
					    "oomScoreAdj", NULL };
	memset(ret, 0, sizeof(*ret));
	int rc = check_keys(p, where, keys, e);
	if (rc < 0)
		return rc;
	ret->terminal = get_bool(p, "terminal");
	json_object *cs = get(p, "consoleSize");
	if (cs) {
		static const char *const ckeys[] = { "height", "width", NULL };
		int64_t h = 0, w = 0;
		if ((rc = check_keys(cs, "process.consoleSize", ckeys, e)) < 0 ||
		    (rc = get_int(cs, "height", where, 0, 65535, &h, e)) < 0 ||
		    (rc = get_int(cs, "width", where, 0, 65535, &w, e)) < 0)
			return rc;
		ret->rows = (unsigned short)h;
		ret->cols = (unsigned short)w;
	}
	ret->nnp = get_bool(p, "noNewPrivileges");
	if (get(p, "user") && (rc = parse_user(get(p, "user"), ret, e)) < 0)
		return rc;
	if ((rc = get_strv(p, "args", where, &ret->args, e)) < 0 ||
	    (rc = get_strv(p, "env", where, &ret->env, e)) < 0 ||
	    (rc = get_str(p, "cwd", where, &ret->cwd, e)) < 0)
		return rc;
	if (!ret->args[0])
		return oci_fail(e, -EINVAL, "config.json: %s.args is empty: nothing to run", where);
	if (!ret->cwd || ret->cwd[0] != '/')
		return oci_fail(e, -EINVAL, "config.json: %s.cwd must be an absolute path", where);
	if (get(p, "capabilities") && (rc = parse_caps(get(p, "capabilities"), ret, e)) < 0)
		return rc;
	if (get(p, "rlimits") && (rc = parse_rlimits(get(p, "rlimits"), ret, where, e)) < 0)
		return rc;
	int64_t oom = 0;
	if ((rc = get_int(p, "oomScoreAdj", where, -1000, 1000, &oom, e)) < 0)
		return rc;
	ret->has_oom = get(p, "oomScoreAdj") != NULL;
	ret->oom = (int)oom;
	return 0;
}

void process_free(struct oci_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->gids);
	memset(p, 0, sizeof(*p));
}

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
		int rc = check_keys(m, "mounts[]", keys, e);
		if (rc < 0 || (rc = get_str(m, "destination", "mounts[]", &om->dest, e)) < 0 ||
		    (rc = get_str(m, "type", "mounts[]", &om->type, e)) < 0 ||
		    (rc = get_str(m, "source", "mounts[]", &om->source, e)) < 0)
			return rc;
		if (!om->dest || om->dest[0] != '/')
			return oci_fail(e, -EINVAL, "config.json: mounts[%zu].destination must be "
					"an absolute path", i);
		if ((rc = parse_mount_opts(get(m, "options"), om, i, e)) < 0)
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
		int rc = check_keys(o, "linux.namespaces[]", keys, e);
		if (rc < 0)
			return rc;
		json_object *t = get(o, "type");
		const char *type = t ? json_object_get_string(t) : "";
		int k;
		for (k = 0; k < NS_N; k++)
			if (!strcmp(type, ns_spec_name[k]))
				break;
		if (k == NS_N)
			return oci_fail(e, -EOPNOTSUPP, "config.json: linux.namespaces: type \"%s\" "
					"is not supported by fvm-oci", type);
		s->ns[k].want = true;
		if ((rc = get_str(o, "path", "linux.namespaces[]", &s->ns[k].path, e)) < 0)
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
		int rc = check_keys(o, where, keys, e);
		if (rc < 0 || (rc = get_int(o, "containerID", where, 0, UINT32_MAX, &c, e)) < 0 ||
		    (rc = get_int(o, "hostID", where, 0, UINT32_MAX, &h, e)) < 0 ||
		    (rc = get_int(o, "size", where, 1, UINT32_MAX, &sz, e)) < 0)
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
	int rc = check_keys(r, "linux.resources", keys, e);
	res->mem_limit = res->mem_swap = res->mem_reservation = -1;
	if (rc < 0)
		return rc;
	json_object *m = get(r, "memory"), *c = get(r, "cpu"), *p = get(r, "pids"),
		    *b = get(r, "blockIO");
	if (m && ((rc = check_keys(m, "linux.resources.memory", mkeys, e)) < 0 ||
		  (rc = get_int(m, "limit", "memory", -1, INT64_MAX, &res->mem_limit, e)) < 0 ||
		  (rc = get_int(m, "swap", "memory", -1, INT64_MAX, &res->mem_swap, e)) < 0 ||
		  (rc = get_int(m, "reservation", "memory", -1, INT64_MAX,
				&res->mem_reservation, e)) < 0))
		return rc;
	if (c) {
		v = 0;
		if ((rc = check_keys(c, "linux.resources.cpu", ckeys, e)) < 0 ||
		    (rc = get_int(c, "shares", "cpu", 0, UINT32_MAX, &v, e)) < 0)
			return rc;
		res->cpu_shares = (uint64_t)v;
		v = 0;
		if ((rc = get_int(c, "quota", "cpu", -1, INT64_MAX, &res->cpu_quota, e)) < 0 ||
		    (rc = get_int(c, "period", "cpu", 0, 1000000, &v, e)) < 0)
			return rc;
		res->cpu_period = (uint64_t)v;
	}
	if (p && ((rc = check_keys(p, "linux.resources.pids", pkeys, e)) < 0 ||
		  (rc = get_int(p, "limit", "pids", -1, INT64_MAX, &res->pids_limit, e)) < 0))
		return rc;
	if (b) {
		v = 0;
		if ((rc = check_keys(b, "linux.resources.blockIO", bkeys, e)) < 0 ||
		    (rc = get_int(b, "weight", "blockIO", 0, 1000, &v, e)) < 0)
			return rc;
		res->blkio_weight = (uint16_t)v;
	}
	res->devices = get(r, "devices");
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
		int rc = check_keys(d, "linux.devices[]", keys, e);
		if (rc < 0 || (rc = get_str(d, "path", "linux.devices[]", &od->path, e)) < 0 ||
		    (rc = get_str(d, "type", "linux.devices[]", &type, e)) < 0 ||
		    (rc = get_int(d, "major", "linux.devices[]", 0, 4095, &maj, e)) < 0 ||
		    (rc = get_int(d, "minor", "linux.devices[]", 0, 1048575, &min, e)) < 0 ||
		    (rc = get_int(d, "fileMode", "linux.devices[]", 0, 07777, &mode, e)) < 0 ||
		    (rc = get_int(d, "uid", "linux.devices[]", 0, UINT32_MAX, &uid, e)) < 0 ||
		    (rc = get_int(d, "gid", "linux.devices[]", 0, UINT32_MAX, &gid, e)) < 0) {
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
	int rc = check_keys(l, "linux", keys, e);
	if (rc < 0)
		return rc;
	if (get(l, "namespaces") && (rc = parse_namespaces(get(l, "namespaces"), s, e)) < 0)
		return rc;
	if ((rc = parse_idmaps(get(l, "uidMappings"), s->uidmap, &s->nuidmap,
			       "linux.uidMappings", e)) < 0 ||
	    (rc = parse_idmaps(get(l, "gidMappings"), s->gidmap, &s->ngidmap,
			       "linux.gidMappings", e)) < 0)
		return rc;
	if ((s->nuidmap || s->ngidmap) && !s->ns[NS_USER].want)
		return oci_fail(e, -EINVAL, "config.json: linux.uidMappings need a user namespace "
				"in linux.namespaces");
	if (get(l, "devices") && (rc = parse_devices(get(l, "devices"), s, e)) < 0)
		return rc;
	if ((rc = get_str(l, "cgroupsPath", "linux", &s->cgpath, e)) < 0)
		return rc;
	if (get(l, "resources") && (rc = parse_resources(get(l, "resources"), s, e)) < 0)
		return rc;
	char *prop = NULL;
	if ((rc = get_str(l, "rootfsPropagation", "linux", &prop, e)) < 0)
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
	s->seccomp = get(l, "seccomp");
	if (s->seccomp && (rc = seccomp_check(s->seccomp, e)) < 0)
		return rc;
	s->sysctl = get(l, "sysctl");
	if ((rc = get_strv(l, "maskedPaths", "linux", &s->masked, e)) < 0 ||
	    (rc = get_strv(l, "readonlyPaths", "linux", &s->ropaths, e)) < 0)
		return rc;
	return 0;
}

static int parse_hooks(json_object *h, struct oci_err *e)
{
	static const char *const keys[] = { "prestart", "createRuntime", "createContainer",
					    "startContainer", "poststart", "poststop", NULL };
	static const char *const hkeys[] = { "path", "args", "env", "timeout", NULL };
	int rc = check_keys(h, "hooks", keys, e);
	for (const char *const *k = keys; rc == 0 && *k; k++) {
		json_object *a = get(h, *k);
		for (size_t i = 0; a && rc == 0 && i < json_object_array_length(a); i++) {
			json_object *x = json_object_array_get_idx(a, i);
			rc = check_keys(x, "hooks[]", hkeys, e);
			json_object *p = get(x, "path");
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
	int rc = check_keys(j, "", keys, e);
	if (rc < 0)
		return rc;
	if (!get(j, "process"))
		return oci_fail(e, -EINVAL, "config.json: no \"process\": nothing to run");
	if ((rc = process_parse(get(j, "process"), &s->proc, "process", e)) < 0)
		return rc;
	json_object *r = get(j, "root");
	char *path = NULL;
	if (!r || (rc = check_keys(r, "root", rkeys, e)) < 0 ||
	    (rc = get_str(r, "path", "root", &path, e)) < 0 || !path)
		return rc < 0 ? rc : oci_fail(e, -EINVAL, "config.json: no root.path");
	s->root_ro = get_bool(r, "readonly");
	if (path[0] == '/')
		s->rootfs = path;
	else {
		if (asprintf(&s->rootfs, "%s/%s", s->bundle, path) < 0)
			s->rootfs = NULL;
		free(path);
		if (!s->rootfs)
			return -ENOMEM;
	}
	if ((rc = get_str(j, "hostname", "", &s->hostname, e)) < 0 ||
	    (rc = get_str(j, "domainname", "", &s->domainname, e)) < 0)
		return rc;
	if (get(j, "mounts") && (rc = parse_mounts(get(j, "mounts"), s, e)) < 0)
		return rc;
	s->hooks = get(j, "hooks");
	if (s->hooks && (rc = parse_hooks(s->hooks, e)) < 0)
		return rc;
	s->annotations = get(j, "annotations");
	if (get(j, "linux") && (rc = parse_linux(get(j, "linux"), s, e)) < 0)
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
	strv_free(s->masked);
	strv_free(s->ropaths);
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
