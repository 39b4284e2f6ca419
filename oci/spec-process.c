// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * spec-process.c - the "process" object of config.json (and of
 * `fvm-oci exec --process`) into struct oci_process: args, env, cwd, the
 * user and its groups, capabilities, rlimits, the OOM score, each checked
 * through spec-json.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "oci.h"

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
		int rc = spec_check_keys(r, "process.rlimits[]", keys, e);
		if (rc < 0)
			return rc;
		json_object *t = spec_get(r, "type");
		const char *name = t ? json_object_get_string(t) : "";
		int res = -1;
		for (size_t k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			if (!strcmp(rlimit_names[k].name, name))
				res = rlimit_names[k].res;
		if (res < 0)
			return oci_fail(e, -EINVAL, "config.json: %s.rlimits: unknown type \"%s\"",
					where, name);
		int64_t soft = 0, hard = 0;
		if ((rc = spec_get_int(r, "soft", where, 0, INT64_MAX, &soft, e)) < 0 ||
		    (rc = spec_get_int(r, "hard", where, 0, INT64_MAX, &hard, e)) < 0)
			return rc;
		p->rl[p->nrl++] = (struct oci_rlimit){ res, (rlim_t)soft, (rlim_t)hard };
	}
	return 0;
}

static int parse_caps(json_object *c, struct oci_process *p, struct oci_err *e)
{
	static const char *const keys[] = { "bounding", "effective", "inheritable",
					    "permitted", "ambient", NULL };
	int rc = spec_check_keys(c, "process.capabilities", keys, e);
	if (rc < 0)
		return rc;
	p->has_caps = true;
	for (int set = 0; set < OCI_NCAPSETS; set++) {
		json_object *a = spec_get(c, keys[set]);
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
	int rc = spec_check_keys(u, "process.user", keys, e);
	int64_t uid = 0, gid = 0, um = -1;
	if (rc < 0 ||
	    (rc = spec_get_int(u, "uid", "process.user", 0, UINT32_MAX - 1, &uid, e)) < 0 ||
	    (rc = spec_get_int(u, "gid", "process.user", 0, UINT32_MAX - 1, &gid, e)) < 0 ||
	    (rc = spec_get_int(u, "umask", "process.user", -1, 0777, &um, e)) < 0)
		return rc;
	p->uid = (uid_t)uid;
	p->gid = (gid_t)gid;
	p->has_umask = um >= 0;
	p->umask = um >= 0 ? (mode_t)um : 0;
	json_object *g = spec_get(u, "additionalGids");
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
	int rc = spec_check_keys(p, where, keys, e);
	if (rc < 0)
		return rc;
	ret->terminal = spec_get_bool(p, "terminal");
	json_object *cs = spec_get(p, "consoleSize");
	if (cs) {
		static const char *const ckeys[] = { "height", "width", NULL };
		int64_t h = 0, w = 0;
		if ((rc = spec_check_keys(cs, "process.consoleSize", ckeys, e)) < 0 ||
		    (rc = spec_get_int(cs, "height", where, 0, 65535, &h, e)) < 0 ||
		    (rc = spec_get_int(cs, "width", where, 0, 65535, &w, e)) < 0)
			return rc;
		ret->rows = (unsigned short)h;
		ret->cols = (unsigned short)w;
	}
	ret->nnp = spec_get_bool(p, "noNewPrivileges");
	if (spec_get(p, "user") && (rc = parse_user(spec_get(p, "user"), ret, e)) < 0)
		return rc;
	if ((rc = spec_get_strv(p, "args", where, &ret->args, e)) < 0 ||
	    (rc = spec_get_strv(p, "env", where, &ret->env, e)) < 0 ||
	    (rc = spec_get_str(p, "cwd", where, &ret->cwd, e)) < 0)
		return rc;
	if (!ret->args[0])
		return oci_fail(e, -EINVAL, "config.json: %s.args is empty: nothing to run", where);
	if (!ret->cwd || ret->cwd[0] != '/')
		return oci_fail(e, -EINVAL, "config.json: %s.cwd must be an absolute path", where);
	if (spec_get(p, "capabilities") && (rc = parse_caps(spec_get(p, "capabilities"), ret, e)) < 0)
		return rc;
	if (spec_get(p, "rlimits") && (rc = parse_rlimits(spec_get(p, "rlimits"), ret, where, e)) < 0)
		return rc;
	int64_t oom = 0;
	if ((rc = spec_get_int(p, "oomScoreAdj", where, -1000, 1000, &oom, e)) < 0)
		return rc;
	ret->has_oom = spec_get(p, "oomScoreAdj") != NULL;
	ret->oom = (int)oom;
	return 0;
}

void process_free(struct oci_process *p)
{
	spec_strv_free(p->args);
	spec_strv_free(p->env);
	free(p->cwd);
	free(p->gids);
	memset(p, 0, sizeof(*p));
}
