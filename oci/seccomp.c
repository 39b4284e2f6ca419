// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * seccomp.c - linux.seccomp compiled with libseccomp, as runc does it.
 *
 * The profile is compiled twice: once by `create` before anything is set
 * up (seccomp_check(): every error, named, before a process exists), once
 * in the container's process just before it runs the program. Syscall
 * names this libseccomp does not know are skipped (runc's behaviour: a
 * profile names syscalls of newer kernels); rules whose action is the
 * default one add nothing. Several conditions on one argument index are
 * alternatives (one rule each), on different indexes all must hold.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) && !json_object_is_type(v, json_type_null) ?
		v : NULL;
}

static int action(const char *name, json_object *errno_ret, int def_errno, uint32_t *ret,
		  struct oci_err *e)
{
	int er = errno_ret ? json_object_get_int(errno_ret) : def_errno;
	if (!strcmp(name, "SCMP_ACT_ALLOW")) *ret = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO")) *ret = SCMP_ACT_ERRNO((uint16_t)er);
	else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*ret = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *ret = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP")) *ret = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_TRACE")) *ret = SCMP_ACT_TRACE((uint16_t)er);
	else if (!strcmp(name, "SCMP_ACT_LOG")) *ret = SCMP_ACT_LOG;
	else
		return oci_fail(e, -EOPNOTSUPP, "config.json: linux.seccomp: action %s is not "
				"supported by fvm-oci", name);
	return 0;
}

static int cmp_op(const char *op, enum scmp_compare *ret, struct oci_err *e)
{
	static const struct { const char *n; enum scmp_compare c; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].n, op)) {
			*ret = ops[i].c;
			return 0;
		}
	return oci_fail(e, -EINVAL, "config.json: linux.seccomp: unknown operator %s", op);
}

static int parse_args(json_object *args, struct scmp_arg_cmp *cmp, size_t *ret_n,
		      bool *ret_or, struct oci_err *e)
{
	size_t n = args ? json_object_array_length(args) : 0;
	unsigned seen = 0;
	*ret_or = false;
	if (n > 6)
		return oci_fail(e, -E2BIG, "config.json: linux.seccomp: more than 6 args in a rule");
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, i);
		json_object *idx = get(a, "index"), *v = get(a, "value"), *v2 = get(a, "valueTwo"),
			    *op = get(a, "op");
		unsigned ix = idx ? (unsigned)json_object_get_int(idx) : 99;
		enum scmp_compare c = SCMP_CMP_EQ;
		if (ix > 5 || !op)
			return oci_fail(e, -EINVAL, "config.json: linux.seccomp: an arg needs an "
					"index 0-5 and an op");
		int rc = cmp_op(json_object_get_string(op), &c, e);
		if (rc < 0)
			return rc;
		if (seen & (1u << ix))
			*ret_or = true;
		seen |= 1u << ix;
		cmp[i] = (struct scmp_arg_cmp){ ix, c, v ? (uint64_t)json_object_get_uint64(v) : 0,
						v2 ? (uint64_t)json_object_get_uint64(v2) : 0 };
	}
	*ret_n = n;
	return 0;
}

static int add_syscalls(scmp_filter_ctx ctx, json_object *sc, uint32_t def, int def_errno,
			struct oci_err *e)
{
	json_object *list = get(sc, "syscalls");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *r = json_object_array_get_idx(list, i), *names = get(r, "names"),
			    *act = get(r, "action");
		uint32_t a;
		struct scmp_arg_cmp cmp[6];
		size_t ncmp = 0;
		bool alt;
		int rc = action(act ? json_object_get_string(act) : "", get(r, "errnoRet"),
				def_errno, &a, e);
		if (rc < 0 || (rc = parse_args(get(r, "args"), cmp, &ncmp, &alt, e)) < 0)
			return rc;
		if (a == def)
			continue;
		for (size_t k = 0; names && k < json_object_array_length(names); k++) {
			const char *name = json_object_get_string(json_object_array_get_idx(names, k));
			int nr = seccomp_syscall_resolve_name(name ? name : "");
			if (nr == __NR_SCMP_ERROR)
				continue;
			if (alt) {
				for (size_t c = 0; c < ncmp && rc == 0; c++)
					rc = seccomp_rule_add_array(ctx, a, nr, 1, &cmp[c]);
			} else
				rc = seccomp_rule_add_array(ctx, a, nr, (unsigned)ncmp, cmp);
			if (rc < 0)
				return oci_fail(e, rc, "config.json: linux.seccomp: rule for %s: %s",
						name, strerror(-rc));
		}
	}
	return 0;
}

static int set_archs_flags(scmp_filter_ctx ctx, json_object *sc, bool nnp, struct oci_err *e)
{
	json_object *archs = get(sc, "architectures"), *flags = get(sc, "flags");
	for (size_t i = 0; archs && i < json_object_array_length(archs); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(archs, i));
		char low[32];
		size_t k = 0;
		n = n && !strncmp(n, "SCMP_ARCH_", 10) ? n + 10 : (n ? n : "");
		for (; n[k] && k < sizeof(low) - 1; k++)
			low[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
		low[k] = 0;
		uint32_t arch = seccomp_arch_resolve_name(low);
		if (!arch)
			return oci_fail(e, -EINVAL, "config.json: linux.seccomp: unknown "
					"architecture %s", n);
		int rc = seccomp_arch_add(ctx, arch);
		if (rc < 0 && rc != -EEXIST)
			return oci_fail(e, rc, "linux.seccomp: architecture %s: %s", n, strerror(-rc));
	}
	for (size_t i = 0; flags && i < json_object_array_length(flags); i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(flags, i));
		enum scmp_filter_attr at;
		if (f && !strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC")) at = SCMP_FLTATR_CTL_TSYNC;
		else if (f && !strcmp(f, "SECCOMP_FILTER_FLAG_LOG")) at = SCMP_FLTATR_CTL_LOG;
		else if (f && !strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW")) at = SCMP_FLTATR_CTL_SSB;
		else
			return oci_fail(e, -EOPNOTSUPP, "config.json: linux.seccomp.flags: %s is "
					"not supported by fvm-oci", f ? f : "null");
		if (seccomp_attr_set(ctx, at, 1) < 0)
			return oci_fail(e, -EOPNOTSUPP, "linux.seccomp.flags: %s: not supported by "
					"this kernel or libseccomp", f);
	}
	/* no_new_privs is process.noNewPrivileges' business, not the filter's */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, nnp ? 1 : 0);
	return 0;
}

static int build(json_object *sc, bool load, bool nnp, struct oci_err *e)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet", "architectures",
					    "flags", "syscalls", NULL };
	json_object_object_foreach(sc, key, val) {
		bool ok = false;
		for (const char *const *k = keys; *k; k++)
			ok |= !strcmp(*k, key);
		if (!ok && !json_object_is_type(val, json_type_null) &&
		    !(json_object_is_type(val, json_type_string) && !json_object_get_string_len(val)))
			return oci_fail(e, -EOPNOTSUPP, "config.json: linux.seccomp.%s is not "
					"supported by fvm-oci", key);
	}
	json_object *da = get(sc, "defaultAction"), *der = get(sc, "defaultErrnoRet");
	int def_errno = der ? json_object_get_int(der) : EPERM;
	uint32_t def;
	int rc = action(da ? json_object_get_string(da) : "", der, EPERM, &def, e);
	if (rc < 0)
		return rc;
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return oci_fail(e, -ENOMEM, "linux.seccomp: libseccomp cannot start a filter");
	if ((rc = set_archs_flags(ctx, sc, nnp, e)) == 0 &&
	    (rc = add_syscalls(ctx, sc, def, def_errno, e)) == 0 && load) {
		rc = seccomp_load(ctx);
		if (rc < 0)
			oci_fail(e, rc, "loading the seccomp filter: %s", strerror(-rc));
	}
	seccomp_release(ctx);
	return rc;
}

/**
 * seccomp_check() - compile @sc without loading it: every error, named
 * @sc: linux.seccomp
 * @e:  the error
 *
 * Return: 0 or -errno.
 */
int seccomp_check(json_object *sc, struct oci_err *e)
{
	return build(sc, false, true, e);
}

/**
 * seccomp_apply() - compile @sc and load it into the calling process
 * @sc:  linux.seccomp
 * @nnp: the process has no_new_privs (else the filter must not set it)
 * @e:   the error
 *
 * Return: 0 or -errno.
 */
int seccomp_apply(json_object *sc, bool nnp, struct oci_err *e)
{
	return build(sc, true, nnp, e);
}
