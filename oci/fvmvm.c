// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fvmvm.c - beyond the spec, by annotation: the container is an fvm VM
 * over the host's own files.
 *
 * With the annotation org.fvm.vm=NAME the container's process is
 * `fvm run NAME -- ARGS`: the program sees the host's files copy-on-write
 * (fvm's overlays, its uid range, its path policies and hardening), its
 * writes land in the VM's layer, which stays after the container is gone
 * (`fvm diff NAME`, `fvm commit NAME`). The VM is created by the first
 * container that names it, with the policies of org.fvm.policy
 * ("hide=/p,ro=/p,share=/p,private=/p,cow=/p", comma-separated),
 * org.fvm.profile (default|untrusted) and the container's memory, pids
 * and CPU limits; later containers join or boot it as it is.
 * org.fvm.store=DIR is the fvm store (FVM_HOME; default: fvm's).
 *
 * What stands in for config.json here: root.path, mounts, maskedPaths,
 * readonlyPaths, capabilities, rlimits, seccomp, hostname and sysctl are
 * the VM's own (its root is the host's, its hardening fvm's), which
 * fvm-oci says in its log; process args, env, cwd, user and terminal,
 * the namespaces (the VM is made inside them), the barrier, the exit
 * status and kill/delete are as for any container. A user namespace in
 * config.json, or fvm-oci itself in one (rootless podman), is refused:
 * fvm makes its own, and as root of a user namespace it would take
 * itself for the host's root.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "oci.h"

static const char *annotation(const struct oci_spec *s, const char *k)
{
	json_object *v;
	if (!s->annotations || !json_object_object_get_ex(s->annotations, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static bool name_ok(const char *n)
{
	size_t l = strlen(n);
	return l > 0 && l <= 64 && n[0] != '.' && n[0] != '-' &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == l;
}

/* fvm beside this fvm-oci (installed, or the build tree's cli/), else $PATH */
static int find_fvm(char *ret, size_t n)
{
	char self[PATH_MAX - 64];
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (k > 0) {
		self[k] = 0;
		char *slash = strrchr(self, '/');
		*slash = 0;
		snprintf(ret, n, "%s/fvm", self);
		if (access(ret, X_OK) == 0)
			return 0;
		snprintf(ret, n, "%s/../cli/fvm", self);
		if (access(ret, X_OK) == 0)
			return 0;
	}
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		const char *c = strchr(p, ':');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		snprintf(ret, n, "%.*s/fvm", (int)l, p);
		if (l && access(ret, X_OK) == 0)
			return 0;
		p += l + (c ? 1 : 0);
	}
	return -ENOENT;
}

static int add(struct oci_spec *s, const char *a)
{
	if (s->fvm_argc >= OCI_FVM_ARGS - 1)
		return -E2BIG;
	s->fvm_argv[s->fvm_argc] = strdup(a);
	if (!s->fvm_argv[s->fvm_argc])
		return -ENOMEM;
	s->fvm_argv[++s->fvm_argc] = NULL;
	return 0;
}

static int add_policies(struct oci_spec *s, const char *pol, struct oci_err *e)
{
	char *copy = strdup(pol), *save = NULL;
	int rc = copy ? 0 : -ENOMEM;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0;
	     t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '='), opt[16];
		if (!eq || eq[1] != '/' || eq - t > 8) {
			rc = oci_fail(e, -EINVAL, "annotation org.fvm.policy: \"%s\" is not KIND=/PATH "
				      "(KIND: hide, ro, share, private, cow)", t);
			break;
		}
		*eq = 0;
		if (strcmp(t, "hide") && strcmp(t, "ro") && strcmp(t, "share") &&
		    strcmp(t, "private") && strcmp(t, "cow")) {
			rc = oci_fail(e, -EINVAL, "annotation org.fvm.policy: unknown kind %s", t);
			break;
		}
		snprintf(opt, sizeof(opt), "--%s", t);
		if ((rc = add(s, opt)) == 0)
			rc = add(s, eq + 1);
	}
	free(copy);
	return rc;
}

static int add_process(struct oci_spec *s)
{
	char buf[64];
	int rc = 0;
	if (s->proc.terminal)
		rc = add(s, "-t");
	if (rc == 0)
		rc = add(s, "-i");
	snprintf(buf, sizeof(buf), "%u:%u", (unsigned)s->proc.uid, (unsigned)s->proc.gid);
	if (rc == 0 && (s->proc.uid || s->proc.gid) && (rc = add(s, "-u")) == 0)
		rc = add(s, buf);
	if (rc == 0 && (rc = add(s, "-w")) == 0)
		rc = add(s, s->proc.cwd);
	for (size_t i = 0; rc == 0 && s->proc.env && s->proc.env[i]; i++)
		if (strchr(s->proc.env[i], '=') && (rc = add(s, "-e")) == 0)
			rc = add(s, s->proc.env[i]);
	return rc;
}

static int add_limits(struct oci_spec *s)
{
	char buf[64];
	int rc = 0;
	if (s->res.mem_limit > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)s->res.mem_limit);
		if ((rc = add(s, "--memory")) == 0)
			rc = add(s, buf);
	}
	if (rc == 0 && s->res.pids_limit > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)s->res.pids_limit);
		if ((rc = add(s, "--pids")) == 0)
			rc = add(s, buf);
	}
	if (rc == 0 && s->res.cpu_quota > 0) {
		snprintf(buf, sizeof(buf), "%.3f", (double)s->res.cpu_quota /
			 (double)(s->res.cpu_period ? s->res.cpu_period : 100000));
		if ((rc = add(s, "--cpus")) == 0)
			rc = add(s, buf);
	}
	return rc;
}

/**
 * fvmvm_prepare() - with org.fvm.vm, the `fvm run` command line the
 * container's init will exec (into @s->fvm_argv)
 * @s: the spec
 * @e: the error
 *
 * Return: 0 (also without the annotation), or -errno naming the annotation.
 */
int fvmvm_prepare(struct oci_spec *s, struct oci_err *e)
{
	const char *vm = annotation(s, "org.fvm.vm"), *store = annotation(s, "org.fvm.store"),
		   *pol = annotation(s, "org.fvm.policy"), *prof = annotation(s, "org.fvm.profile");
	char fvm[PATH_MAX];
	int rc;
	if (!vm)
		return (store || pol || prof) ?
			oci_fail(e, -EINVAL, "annotations org.fvm.store, .policy and .profile need "
				 "org.fvm.vm=NAME") : 0;
	if (!name_ok(vm))
		return oci_fail(e, -EINVAL, "annotation org.fvm.vm: \"%.64s\" is not a VM name "
				"(letters, digits, '_', '.', '-')", vm);
	if (store && store[0] != '/')
		return oci_fail(e, -EINVAL, "annotation org.fvm.store must be an absolute path");
	if (prof && strcmp(prof, "default") && strcmp(prof, "untrusted"))
		return oci_fail(e, -EINVAL, "annotation org.fvm.profile: default or untrusted");
	if (s->ns[NS_USER].want)
		return oci_fail(e, -EOPNOTSUPP, "annotation org.fvm.vm: a user namespace in "
				"linux.namespaces is not supported (fvm makes the VM's own)");
	if (!in_initial_userns())
		return oci_fail(e, -EOPNOTSUPP, "annotation org.fvm.vm: fvm-oci runs in a user "
				"namespace (a rootless engine): fvm would take itself for root there; "
				"use a root engine");
	if (find_fvm(fvm, sizeof(fvm)) < 0)
		return oci_fail(e, -ENOENT, "annotation org.fvm.vm: no fvm beside fvm-oci or in $PATH");
	snprintf(s->fvm_store, sizeof(s->fvm_store), "%s", store ? store : "");
	if ((rc = add(s, fvm)) < 0 || (rc = add(s, "run")) < 0 || (rc = add_process(s)) < 0 ||
	    (rc = add_limits(s)) < 0 || (pol && (rc = add_policies(s, pol, e)) < 0) ||
	    (prof && ((rc = add(s, "--profile")) < 0 || (rc = add(s, prof)) < 0)) ||
	    (rc = add(s, vm)) < 0 || (rc = add(s, "--")) < 0)
		return rc == -E2BIG ? oci_fail(e, rc, "annotation org.fvm.vm: too many arguments") :
			rc;
	for (size_t i = 0; s->proc.args[i]; i++)
		if ((rc = add(s, s->proc.args[i])) < 0)
			return oci_fail(e, rc, "annotation org.fvm.vm: too many arguments");
	oci_log("info", "annotation org.fvm.vm=%s: the VM's root (the host's files, "
		"copy-on-write), policies and hardening stand in for config.json's root, "
		"mounts, maskedPaths, readonlyPaths, capabilities, rlimits, seccomp, hostname "
		"and sysctl", vm);
	return 0;
}

/**
 * fvmvm_proc() - the container's own /proc over the host's view
 * @s: the spec
 * @e: the error
 *
 * fvm names its VM's processes by the pids it sees: with a pid namespace
 * of the container's, /proc must be that namespace's.
 *
 * Return: 0 or -errno.
 */
int fvmvm_proc(struct oci_spec *s, struct oci_err *e)
{
	if (mount(NULL, "/", NULL, s->rootprop, NULL) < 0)
		return oci_fail(e, -errno, "linux.rootfsPropagation on /: %m");
	if (s->ns[NS_PID].want &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return oci_fail(e, -errno, "annotation org.fvm.vm: the container's /proc: %m");
	return 0;
}

/**
 * fvmvm_exec() - exec the prepared `fvm run` (the container's process)
 * @s: the spec
 * @e: the error
 *
 * Return: only on failure.
 */
int fvmvm_exec(struct oci_spec *s, struct oci_err *e)
{
	if (s->fvm_store[0])
		setenv("FVM_HOME", s->fvm_store, 1);
	execv(s->fvm_argv[0], s->fvm_argv);
	return oci_fail(e, -errno, "exec %s: %m", s->fvm_argv[0]);
}
